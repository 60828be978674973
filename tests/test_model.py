"""The canonical model: kinds, defaults, immutability, hashing and text forms."""

from __future__ import annotations

import copy
import pickle
from types import MappingProxyType

import attrs
import pytest

import agent_errors as ae
from agent_errors import CanonicalError, Kind
from agent_errors._core._model import kind_for_status, status_for_kind, status_phrase

RETRYABLE = {"rate_limited", "concurrency_limited", "timeout", "unavailable", "internal", "network"}


def test_kind_values_are_the_designed_sixteen():
    assert [k.value for k in Kind] == [
        "invalid_request",
        "authentication",
        "permission",
        "not_found",
        "conflict",
        "payment_required",
        "rate_limited",
        "concurrency_limited",
        "feature_not_available",
        "timeout",
        "unavailable",
        "internal",
        "network",
        "cancelled",
        "run_failed",
        "unknown",
    ]


@pytest.mark.parametrize("kind", list(Kind))
def test_kind_is_a_str_enum_looked_up_by_value(kind: Kind):
    assert Kind(kind.value) is kind
    assert kind == kind.value
    assert isinstance(kind, str)
    assert str(kind) == kind.value
    assert f"{kind}" == kind.value
    assert kind.name == kind.value.upper()


def test_kind_lookup_example_from_the_design():
    assert Kind("rate_limited") is Kind.RATE_LIMITED


def test_unknown_kind_value_raises_value_error():
    with pytest.raises(ValueError, match="not_a_kind"):
        Kind("not_a_kind")


@pytest.mark.parametrize("kind", list(Kind))
def test_retryable_matches_the_design_table(kind: Kind):
    assert kind.retryable is (kind.value in RETRYABLE)


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (Kind.INVALID_REQUEST, 400),
        (Kind.AUTHENTICATION, 401),
        (Kind.PAYMENT_REQUIRED, 402),
        (Kind.PERMISSION, 403),
        (Kind.NOT_FOUND, 404),
        (Kind.CONFLICT, 409),
        (Kind.RATE_LIMITED, 429),
        (Kind.CONCURRENCY_LIMITED, 429),
        (Kind.INTERNAL, 500),
        (Kind.FEATURE_NOT_AVAILABLE, 501),
        (Kind.UNAVAILABLE, 503),
        (Kind.TIMEOUT, 504),
        (Kind.NETWORK, None),
    ],
)
def test_default_status(kind: Kind, status: int | None):
    assert kind.default_status == status


def test_status_for_kind_always_gives_a_status():
    for kind in Kind:
        status = status_for_kind(kind)
        assert 400 <= status <= 599
    assert status_for_kind(Kind.NETWORK) == 500


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (None, Kind.UNKNOWN),
        (200, Kind.UNKNOWN),
        (302, Kind.UNKNOWN),
        (400, Kind.INVALID_REQUEST),
        (401, Kind.AUTHENTICATION),
        (402, Kind.PAYMENT_REQUIRED),
        (403, Kind.PERMISSION),
        (404, Kind.NOT_FOUND),
        (408, Kind.TIMEOUT),
        (409, Kind.CONFLICT),
        (413, Kind.INVALID_REQUEST),
        (418, Kind.INVALID_REQUEST),
        (422, Kind.INVALID_REQUEST),
        (429, Kind.RATE_LIMITED),
        (499, Kind.CANCELLED),
        (500, Kind.INTERNAL),
        (501, Kind.FEATURE_NOT_AVAILABLE),
        (502, Kind.UNAVAILABLE),
        (503, Kind.UNAVAILABLE),
        (504, Kind.TIMEOUT),
        (529, Kind.UNAVAILABLE),
        (555, Kind.INTERNAL),
        (600, Kind.UNKNOWN),
        (999, Kind.UNKNOWN),
    ],
)
def test_kind_for_status(status: int | None, kind: Kind):
    assert kind_for_status(status) is kind


def test_status_phrase_tolerates_odd_values():
    assert status_phrase(429) == "HTTP 429 Too Many Requests"
    assert status_phrase(799) == "HTTP 799"
    assert status_phrase(None) == "Error"


def test_kind_may_be_given_by_value():
    error = CanonicalError("rate_limited", "m")  # type: ignore[arg-type]
    assert error.kind is Kind.RATE_LIMITED
    assert error.retryable is True
    with pytest.raises(ValueError, match="nope"):
        CanonicalError("nope", "m")  # type: ignore[arg-type]


def test_defaults():
    error = CanonicalError(Kind.NOT_FOUND, "gone")
    assert error.param is None
    assert error.retry_after is None
    assert error.request_id is None
    assert error.status is None
    assert error.code is None
    assert error.provider == "generic"
    assert error.details == {}
    assert error.retryable is False


@pytest.mark.parametrize("kind", list(Kind))
def test_retryable_defaults_to_the_kinds(kind: Kind):
    assert CanonicalError(kind, "m").retryable is kind.retryable


def test_retryable_can_be_overridden():
    assert CanonicalError(Kind.INTERNAL, "m", retryable=False).retryable is False
    assert CanonicalError(Kind.INVALID_REQUEST, "m", retryable=True).retryable is True


def test_details_accepts_any_mapping_and_none():
    assert CanonicalError(Kind.UNKNOWN, "m", details=None).details == {}
    proxied = CanonicalError(Kind.UNKNOWN, "m", details=MappingProxyType({"a": 1}))
    assert proxied.details == {"a": 1}


def test_frozen_and_slotted():
    error = CanonicalError(Kind.RATE_LIMITED, "slow down")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        error.message = "other"  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        error.extra = 1  # type: ignore[attr-defined]
    assert not hasattr(error, "__dict__")


def test_equality_and_hash():
    a = CanonicalError(Kind.RATE_LIMITED, "m", status=429, details={"x": [1, 2]})
    b = CanonicalError(Kind.RATE_LIMITED, "m", status=429, details={"x": [1, 2]})
    c = CanonicalError(Kind.RATE_LIMITED, "m", status=429, details={"x": [1, 3]})
    assert a == b
    assert a != c  # details take part in equality ...
    assert hash(a) == hash(b) == hash(c)  # ... but not in the hash: they may hold lists
    assert len({a, b, c}) == 2
    assert a != CanonicalError(Kind.RATE_LIMITED, "m", status=503, details={"x": [1, 2]})


def test_evolve_keeps_the_other_fields():
    error = CanonicalError(Kind.RATE_LIMITED, "m", status=429, request_id="r1")
    later = attrs.evolve(error, retry_after=2.0)
    assert later.retry_after == 2.0
    assert later.request_id == "r1"
    assert error.retry_after is None


def test_repr_shows_set_fields_only():
    error = CanonicalError(
        Kind.RATE_LIMITED,
        "slow down",
        retry_after=1.5,
        request_id="req_1",
        status=429,
        code="rate_limit_error",
        provider="qoder",
        details={"limit": 10},
    )
    assert repr(error) == (
        "CanonicalError(kind='rate_limited', message='slow down', retry_after=1.5, "
        "request_id='req_1', status=429, code='rate_limit_error', retryable=True, "
        "provider='qoder', details={'limit': 10})"
    )
    assert repr(CanonicalError(Kind.UNKNOWN, "m")) == (
        "CanonicalError(kind='unknown', message='m', retryable=False, provider='generic')"
    )


def test_str_is_a_log_line():
    error = CanonicalError(
        Kind.INVALID_REQUEST, "bad field", param="model", status=400, request_id="req_9"
    )
    assert str(error) == "[invalid_request] 400 bad field (param: model) [request id: req_9]"
    assert str(CanonicalError(Kind.CANCELLED, "stopped")) == "[cancelled] stopped"


def test_pickle_and_copy_round_trip():
    error = CanonicalError(Kind.CONFLICT, "dup", status=409, details={"a": {"b": [1]}})
    assert pickle.loads(pickle.dumps(error)) == error
    assert copy.deepcopy(error) == error
    assert pickle.loads(pickle.dumps(CanonicalError(Kind.UNKNOWN, "m"))) == CanonicalError(
        Kind.UNKNOWN, "m"
    )


def test_public_names_are_the_model_objects():
    assert ae.CanonicalError is CanonicalError
    assert ae.Kind is Kind
    assert ae.kind_for_status is kind_for_status
    assert ae.status_for_kind is status_for_kind
