"""agent_errors.strategies, and the property tests they drive."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import attrs
import httpx
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import agent_errors as ae
from agent_errors import registered_adapters
from agent_errors.adapter_kit import provider_details
from agent_errors.strategies import (
    ROUND_TRIP_FIELDS,
    canonical_errors,
    error_responses,
    expressible_kinds,
    round_trip_fields,
)
from agent_errors.testing import error_response

PROVIDERS = sorted(registered_adapters())
FIELDS = tuple(field.name for field in attrs.fields(ae.CanonicalError))


def test_from_type_uses_the_registered_strategy() -> None:
    # Registered through hypothesis's entry point: the user never imports agent_errors.strategies
    # (the hook imports it lazily, when the type is first resolved).
    code = (
        "import sys\n"
        "from hypothesis import strategies as st\n"
        "from agent_errors import CanonicalError\n"
        "assert 'agent_errors.strategies' not in sys.modules\n"
        f"print(st.from_type(CanonicalError).example().provider in {set(PROVIDERS)})\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "True"


@given(st.from_type(ae.CanonicalError))
def test_errors_round_trip_through_json(error: ae.CanonicalError) -> None:
    assert ae.from_json(ae.to_json(error)) == error


@given(canonical_errors())
def test_canonical_errors_are_consistent(error: ae.CanonicalError) -> None:
    assert error.message.strip()
    assert error.provider in PROVIDERS
    if error.code is not None:
        row = ae.get_adapter(error.provider).codes[error.code]
        assert row.kind is error.kind
        assert error.retryable is row.is_retryable
    else:
        assert error.retryable is error.kind.retryable
    if error.retry_after is not None:
        assert math.isfinite(error.retry_after)
        assert error.retry_after >= 0


@given(canonical_errors(kinds=["rate_limited"], providers=["qoder"]))
def test_canonical_errors_restricted(error: ae.CanonicalError) -> None:
    assert error.kind is ae.Kind.RATE_LIMITED
    assert error.provider == "qoder"


def test_canonical_errors_shrink_to_a_small_readable_case() -> None:
    smallest = find(canonical_errors(), lambda error: True)
    assert smallest.param is None
    assert smallest.retry_after is None
    assert smallest.request_id is None
    assert dict(smallest.details) == {}
    assert len(repr(smallest)) < 200
    with_hint = find(canonical_errors(), lambda error: error.retry_after is not None)
    assert with_hint.retry_after == 0.0


@given(error_responses())
def test_every_provider_response_normalizes_back_to_its_status(response: httpx.Response) -> None:
    error = ae.normalize(response)
    assert error is not None
    assert error.message
    if error.status is None:
        # An error that has no status of its own (a failed run) goes out with some HTTP status;
        # the formats that carry its status apart from the HTTP one give None back.
        assert error.kind.default_status is None
        assert "status" in round_trip_fields(error.provider)
    else:
        assert error.status == response.status_code
    if "retry-after" in response.headers:
        assert error.retry_after == float(response.headers["retry-after"])


@st.composite
def round_trips(draw: st.DrawFn, provider: str) -> tuple[ae.CanonicalError, ae.CanonicalError]:
    """(error, what normalizing `error_response(provider, ...)` of every field of it gives)."""
    kind = draw(st.sampled_from(expressible_kinds(provider)), label="kind")
    error = draw(canonical_errors(kinds=[kind], providers=[provider]), label="error")
    if error.retry_after is not None:  # Retry-After carries whole seconds
        error = attrs.evolve(error, retry_after=float(math.ceil(error.retry_after)))
    fields = {name: getattr(error, name) for name in FIELDS if name not in {"kind", "provider"}}
    if error.code is None:
        del fields["code"]  # error_response then sends the documented code for the kind
    back = ae.normalize(error_response(provider, kind, **fields))
    assert back is not None
    return error, attrs.evolve(back, details=provider_details(back))


def lost_fields(error: ae.CanonicalError, back: ae.CanonicalError) -> set[str]:
    lost = {name for name in FIELDS if getattr(back, name) != getattr(error, name)}
    if error.code is None:
        lost.discard("code")
    return lost


@pytest.mark.parametrize("provider", PROVIDERS)
@given(data=st.data())
def test_rendered_errors_parse_back_to_the_same_error(provider: str, data: st.DataObject) -> None:
    error, back = data.draw(round_trips(provider))
    assert not lost_fields(error, back) & round_trip_fields(provider), (error, back)


@pytest.mark.parametrize(
    ("provider", "field"),
    [(p, name) for p in PROVIDERS for name in sorted(set(FIELDS) - round_trip_fields(p))],
)
def test_the_round_trip_table_is_tight(provider: str, field: str) -> None:
    # A field left out of the table really is lost by some error the provider sends.
    error, back = find(
        round_trips(provider),
        lambda pair: field in lost_fields(*pair),
        settings=settings(database=None, max_examples=2000),
    )
    assert getattr(back, field) != getattr(error, field)


def test_round_trip_fields_of_an_adapter_the_table_does_not_know() -> None:
    assert round_trip_fields("qoder") == ROUND_TRIP_FIELDS["qoder"]
    assert set(ROUND_TRIP_FIELDS) <= set(PROVIDERS)
    with pytest.raises(ValueError, match="unknown provider"):
        round_trip_fields("nope")


@pytest.mark.parametrize("provider", PROVIDERS)
@given(data=st.data())
def test_error_responses_for_one_provider(provider: str, data: st.DataObject) -> None:
    response = data.draw(error_responses(provider))
    error = ae.normalize(response, provider=provider)
    assert error is not None
    assert error.kind in expressible_kinds(provider)


@given(error_responses(kinds=["cancelled", ae.Kind.UNKNOWN]))
def test_error_responses_with_explicit_kinds(response: httpx.Response) -> None:
    assert response.status_code >= 400


def test_expressible_kinds_follow_the_code_table() -> None:
    kinds = expressible_kinds("qoder")
    assert ae.Kind.FEATURE_NOT_AVAILABLE in kinds
    assert ae.Kind.NETWORK not in kinds
    assert list(kinds) == sorted(kinds, key=list(ae.Kind).index)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: canonical_errors(kinds=[]), "at least one kind"),
        (lambda: canonical_errors(providers=[]), "at least one provider"),
        (lambda: canonical_errors(providers=["nope"]), "unknown provider"),
        (lambda: canonical_errors(kinds=["nope"]), "nope"),
        (lambda: error_responses(kinds=["network"]), "no response"),
        (lambda: error_responses("nope"), "unknown provider"),
    ],
)
def test_strategy_misuse(make: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()  # type: ignore[operator]


def test_the_suites_hypothesis_profile() -> None:
    # No deadline on shared machines; CI runs are reproducible.
    current = settings()
    assert current.deadline is None
    assert current.max_examples == settings.get_profile("default").max_examples
    ci = os.environ.get("CI", "").lower() not in ("", "0", "false")
    if ci:
        assert current.derandomize
        assert current.print_blob
    else:
        assert not current.derandomize


@pytest.mark.parametrize(
    "first",
    ["import agent_errors.strategies", "import hypothesis", "import agent_errors"],
)
def test_importing_in_a_fresh_interpreter_in_any_order_registers_the_type(first: str) -> None:
    # Hypothesis runs its entry points while it is being imported, possibly from inside
    # agent_errors.strategies' own import: that must neither fail nor register too early.
    script = (
        f"{first}\n"
        "from hypothesis import given, settings, strategies as st\n"
        "from agent_errors import CanonicalError\n"
        "import agent_errors.strategies\n"
        "seen = []\n"
        "@settings(max_examples=5, database=None)\n"
        "@given(st.from_type(CanonicalError))\n"
        "def check(error):\n"
        "    seen.append(type(error))\n"
        "check()\n"
        "assert seen and set(seen) == {CanonicalError}, seen\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
