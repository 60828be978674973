"""agent_errors.strategies, and the property tests they drive."""

from __future__ import annotations

import math
import subprocess
import sys

import httpx
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

import agent_errors as ae
from agent_errors import registered_adapters
from agent_errors.strategies import canonical_errors, error_responses, expressible_kinds
from agent_errors.testing import assert_error, error_response

PROVIDERS = sorted(registered_adapters())


def test_from_type_uses_the_registered_strategy() -> None:
    # Registered through hypothesis's entry point, with no import of agent_errors.strategies.
    code = (
        "import sys\n"
        "from hypothesis import strategies as st\n"
        "from agent_errors import CanonicalError\n"
        "assert 'agent_errors.strategies' in sys.modules\n"
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
    assert error.status == response.status_code
    assert error.message
    if "retry-after" in response.headers:
        assert error.retry_after == float(response.headers["retry-after"])


@pytest.mark.parametrize("provider", PROVIDERS)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_rendered_errors_parse_back_to_the_same_error(provider: str, data: st.DataObject) -> None:
    kinds = expressible_kinds(provider)
    kind = data.draw(st.sampled_from(kinds), label="kind")
    error = data.draw(canonical_errors(kinds=[kind], providers=[provider]), label="error")
    fields = {
        "message": error.message,
        "param": error.param,
        "request_id": error.request_id,
        "retry_after": None if error.retry_after is None else float(math.ceil(error.retry_after)),
    }
    if error.code is not None:
        fields["code"] = error.code
        fields["status"] = error.status
    response = error_response(provider, kind, **fields)
    assert_error(
        response,
        provider=provider,
        kind=kind,
        status=response.status_code,
        **{name: value for name, value in fields.items() if name != "status"},
    )


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
