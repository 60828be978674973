"""The adapter toolkit's shared helpers and the one finishing pass (`Parsed`, `finish_error`)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import attrs
import pytest

import agent_errors as ae
from agent_errors import adapter_kit
from agent_errors._parsing._registry import reload
from agent_errors.adapter_kit import (
    USE_VIEW_STATUS,
    Parsed,
    ResponseView,
    body_status,
    build_error,
    error_status,
    finish_error,
    from_status,
    pointer_param,
    retry_after_seconds,
)


@pytest.mark.parametrize(
    ("value", "errors_only", "expected"),
    [
        (429, False, 429),
        (200, False, 200),
        (200, True, None),
        (404, True, 404),
        (99, False, None),
        (600, False, None),
        (True, False, None),
        ("429", False, None),
        (429.0, False, None),
        (None, False, None),
    ],
)
def test_body_status(value: object, errors_only: bool, expected: int | None) -> None:
    assert body_status(value, errors_only=errors_only) == expected


@pytest.mark.parametrize(
    ("status", "in_body", "expected"),
    [(200, 429, 429), (None, 429, 429), (503, 429, 503), (400, None, 400), (None, None, None)],
)
def test_error_status(status: int | None, in_body: int | None, expected: int | None) -> None:
    assert error_status(ResponseView(status, {}, b""), in_body) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3.0),
        (2.5, 2.5),
        (0, 0.0),
        (-1, None),
        (math.nan, None),
        (math.inf, None),
        (True, None),
        ("3", None),
        (None, None),
    ],
)
def test_retry_after_seconds(value: object, expected: float | None) -> None:
    found = retry_after_seconds(value)
    assert found == expected
    assert found is None or type(found) is float


@pytest.mark.parametrize(
    ("pointer", "skip", "expected"),
    [
        ("/data/attributes/title", (), "title"),
        ("/data/attributes", (), "data.attributes"),
        ("#/items/0/name", (), "items.0.name"),
        ("/body/name", (), "body.name"),
        ("/body/name", ("body",), "name"),
        ("/", (), None),
        ("", (), None),
        (None, (), None),
        (7, (), None),
    ],
)
def test_pointer_param(pointer: object, skip: tuple[str, ...], expected: str | None) -> None:
    assert pointer_param(pointer, skip=skip) == expected


def test_helpers_are_exported() -> None:
    for name in (
        "Parsed",
        "USE_VIEW_STATUS",
        "UseViewStatus",
        "Shape",
        "finish_error",
        "from_status",
        "body_status",
        "error_status",
        "retry_after_seconds",
        "pointer_param",
    ):
        assert name in adapter_kit.__all__
        assert getattr(adapter_kit, name).__doc__, name


def test_parsed_is_frozen_and_defaults_to_the_view_status() -> None:
    parsed = Parsed(kind=ae.Kind.RATE_LIMITED)
    assert parsed.status is USE_VIEW_STATUS
    assert repr(USE_VIEW_STATUS) == "USE_VIEW_STATUS"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        parsed.kind = ae.Kind.INTERNAL  # type: ignore[misc]


VIEW_ARGS: list[tuple[int | None, dict[str, str], bytes]] = [
    (429, {"retry-after": "7", "x-request-id": "req_1"}, b'{"error": "slow down"}'),
    (503, {"x-envoy-ratelimited": "true"}, b"upstream busy"),
    (505, {}, b""),
    (None, {}, b'{"error": {"message": "x", "retryAfter": 3}}'),
    (401, {}, b'{"error": "bad key sk-proj-Xy9kLm2Qp8Rt4Vw6Zb1Nc3Df5Gh7Jk0"}'),
]


@pytest.mark.parametrize(("status", "headers", "body"), VIEW_ARGS)
def test_build_error_is_finish_error_over_a_parsed(
    status: int | None, headers: dict[str, str], body: bytes
) -> None:
    kind = ae.Kind.UNAVAILABLE if status in (503, 505) else ae.Kind.RATE_LIMITED
    fields: dict[str, Any] = {
        "kind": kind,
        "message": None,
        "code": "c",
        "param": "p",
        "details": {"a": 1},
        "retry_after": 2.0,
        "request_id": "own",
    }
    built = build_error(ResponseView(status, headers, body), provider="x", **fields)
    finished = finish_error(ResponseView(status, headers, body), Parsed(**fields), "x")
    assert built == finished
    assert built.message  # synthesized


def test_finish_error_applies_envoy_and_505() -> None:
    envoy = finish_error(
        ResponseView(503, {"x-envoy-ratelimited": "true"}, b""),
        Parsed(kind=ae.Kind.UNAVAILABLE),
        "x",
    )
    assert envoy.kind is ae.Kind.RATE_LIMITED
    version = finish_error(ResponseView(505, {}, b""), Parsed(kind=ae.Kind.INTERNAL), "x")
    assert version.retryable is False


def test_from_status_reads_the_page_title() -> None:
    view = ResponseView(502, {}, b"<html><title>502 Bad Gateway</title></html>")
    assert from_status(view) == Parsed(kind=ae.Kind.UNAVAILABLE, message="502 Bad Gateway")


def test_the_provider_a_body_names_wins() -> None:
    error = finish_error(
        ResponseView(400, {}, b""), Parsed(kind=ae.Kind.UNKNOWN, provider="openai"), "x"
    )
    assert error.provider == "openai"


class _Reader:
    """A third-party adapter that reads into `Parsed`, like the built-in ones."""

    name = "reader-test-adapter"
    hosts = ("api.reader.example",)
    codes: ClassVar[dict[str, Any]] = {}
    reads = 0

    def sniff(self, view: ResponseView) -> float:
        return 0.0

    def read(self, view: ResponseView) -> Parsed | None:
        type(self).reads += 1
        doc = view.json
        if isinstance(doc, dict) and "oops" in doc:
            return Parsed(kind=ae.Kind.CONFLICT, message="token sk-proj-Xy9kLm2Qp8Rt4Vw6Zb1Nc3D")
        return None

    def parse(self, view: ResponseView) -> ae.CanonicalError | None:
        raise AssertionError("read() is used when an adapter has it")

    def render(self, error: ae.CanonicalError) -> Any:
        raise NotImplementedError


def test_an_adapter_with_read_is_finished_by_the_core() -> None:
    url = "https://api.reader.example/v1"
    try:
        ae.register_adapter(_Reader())
        error = ae.normalize_parts(409, {"x-request-id": "r1"}, b'{"oops": 1}', url=url)
        assert error is not None
        assert (error.kind, error.provider, error.request_id) == (
            ae.Kind.CONFLICT,
            "reader-test-adapter",
            "r1",
        )
        assert "Xy9kLm2Qp8Rt4Vw6" not in error.message
        # None: the body is read the generic way, the error keeps the adapter's name.
        other = ae.normalize_parts(200, {}, b'{"error": {"message": "late", "code": 429}}', url=url)
        assert other is not None
        assert (other.kind, other.provider) == (ae.Kind.RATE_LIMITED, "reader-test-adapter")
        assert ae.normalize_parts(200, {}, b'{"ok": true}', url=url) is None
    finally:
        reload()


class _Parser(_Reader):
    """A third-party adapter of the documented protocol: `parse` builds the error."""

    name = "parser-test-adapter"
    hosts = ("api.parser.example",)
    read = None  # type: ignore[assignment]

    def parse(self, view: ResponseView) -> ae.CanonicalError | None:
        if view.status == 200:
            return None
        return ae.CanonicalError(
            kind=ae.Kind.RATE_LIMITED, message="", provider=self.name, retry_after=-5
        )


def test_a_third_party_parse_is_finished_once_as_before() -> None:
    url = "https://api.parser.example/v1"
    try:
        ae.register_adapter(_Parser())
        error = ae.normalize_parts(429, {"retry-after": "4"}, b"{}", url=url)
        assert error is not None
        assert (error.retry_after, error.provider) == (4.0, "parser-test-adapter")
        assert error.details["retry_after_source"] == "header:retry-after"
        assert error.message == "Rate limited: too many requests."  # its own status: None
        # A third-party adapter's None for a success is final.
        assert ae.normalize_parts(200, {}, b'{"error": {"code": 429}}', url=url) is None
    finally:
        reload()


class _OwnError(ae.CanonicalError):
    """A third-party adapter's own subclass of the error."""


class _SubclassParser(_Parser):
    name = "subclass-parser-test-adapter"
    hosts = ("api.subclass.example",)

    def parse(self, view: ResponseView) -> ae.CanonicalError | None:
        return _OwnError(kind=ae.Kind.RATE_LIMITED, message="m", provider=self.name, status=429)


def test_a_third_party_error_subclass_keeps_its_class() -> None:
    try:
        ae.register_adapter(_SubclassParser())
        error = ae.normalize_parts(
            429, {"retry-after": "4"}, b"{}", url="https://api.subclass.example/v1"
        )
        assert type(error) is _OwnError
        assert error.retry_after == 4.0
    finally:
        reload()
