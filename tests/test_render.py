"""render(): every format, safe headers, and render -> normalize round trips (property tests)."""

from __future__ import annotations

import json
import math
import string
from collections.abc import Iterator
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agent_errors as ae
from agent_errors import adapter_kit, registered_adapters
from agent_errors._core import _redact
from agent_errors._parsing import _registry, _render
from agent_errors._parsing._render import format_rendered, split_raw_response
from agent_errors.adapter_kit import PARSE_KEYS, Rendered, provider_details

GENERIC_FORMATS = ("canonical", "problem+json")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture
def scratch_registry() -> Iterator[None]:
    """Drop what a test registers, so that later tests see only the installed formats."""
    yield
    _registry.reload()


def adapter_names() -> list[str]:
    return sorted(registered_adapters())


def parser_for(fmt: str) -> str:
    """The adapter that reads a format back."""
    return "problem_details" if fmt == "problem+json" else fmt


def formats_with_parsers() -> list[str]:
    names = adapter_names()
    return [f for f in ("problem+json", *names) if parser_for(f) in names]


# --- strategies ----------------------------------------------------------------------------------

IDENT = string.ascii_letters + string.digits + "_-"
# No digits in messages: a number there would be read as a retry-after hint ("retry in 5s").
MESSAGE_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc", "Nd"), exclude_characters="\\"
)


def clean_text(text: str) -> str:
    return text.strip()


messages = (
    st.text(MESSAGE_CHARS, min_size=1, max_size=60)
    .map(clean_text)
    .filter(lambda m: bool(m) and _redact.redact(m) == m)
)
idents = st.text(IDENT, min_size=1, max_size=24)
# Request ids that look like credentials are redacted on the way in, by design.
request_ids = idents.filter(lambda s: _redact.redact(s) == s)
# An "E_" prefix keeps generated codes out of every adapter's table (their kinds would win).
own_codes = idents.map(lambda s: "E_" + s)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), idents)
details = st.dictionaries(idents.map(lambda s: "x_" + s), json_scalars, max_size=4).filter(
    lambda d: _redact.redact_value(d) == d
)
retry_afters = st.one_of(
    st.none(), st.floats(0, 10**6, allow_nan=False), st.integers(0, 3600).map(float)
)


@st.composite
def canonical_errors(draw: st.DrawFn, provider: str | None = None) -> ae.CanonicalError:
    kind = draw(st.sampled_from(list(ae.Kind)))
    return ae.CanonicalError(
        kind=kind,
        message=draw(messages),
        param=draw(st.none() | idents),
        retryable=draw(st.booleans()),
        retry_after=draw(retry_afters),
        request_id=draw(st.none() | request_ids),
        status=draw(st.none() | st.integers(400, 599)),
        code=draw(st.none() | own_codes),
        provider=provider or draw(st.sampled_from(adapter_names())),
        details=draw(details),
    )


@st.composite
def native_errors(draw: st.DrawFn, adapter_name: str) -> ae.CanonicalError:
    """An error as the provider itself documents it: a code from its table, with its kind."""
    rows = list(ae.get_adapter(adapter_name).codes.values())
    row = draw(st.sampled_from(rows))
    return ae.CanonicalError(
        kind=row.kind,
        message=draw(messages),
        retryable=row.is_retryable,
        retry_after=draw(retry_afters),
        request_id=draw(st.none() | request_ids),
        status=row.status if row.status is not None and row.status >= 400 else None,
        code=row.code,
        provider=adapter_name,
    )


# --- helpers -------------------------------------------------------------------------------------


def round_trip(error: ae.CanonicalError, fmt: str) -> ae.CanonicalError:
    rendered = ae.render(error, to=fmt)
    back = ae.normalize_parts(
        rendered.status, rendered.headers, rendered.body, provider=parser_for(fmt)
    )
    assert back is not None
    return back


def without_hint_sources(error: ae.CanonicalError) -> ae.CanonicalError:
    return attrs.evolve(error, details=provider_details(error))


def sent_retry_after(error: ae.CanonicalError) -> float | None:
    """What the Retry-After header carries: whole seconds, rounded up."""
    return None if error.retry_after is None else float(math.ceil(error.retry_after))


# --- round trips ---------------------------------------------------------------------------------


@SETTINGS
@given(error=canonical_errors())
def test_canonical_round_trip_keeps_every_field(error: ae.CanonicalError) -> None:
    back = without_hint_sources(round_trip(error, "canonical"))
    assert back == attrs.evolve(error, retry_after=sent_retry_after(error))


@SETTINGS
@given(error=canonical_errors())
def test_problem_json_round_trip_keeps_every_field(error: ae.CanonicalError) -> None:
    back = without_hint_sources(round_trip(error, "problem+json"))
    # Every detail comes back; the reader adds the document's own `type` and `title`.
    assert {k: v for k, v in back.details.items() if k in error.details} == error.details
    assert set(back.details) - set(error.details) <= {"type", "title"}
    expected = attrs.evolve(
        error,
        retry_after=sent_retry_after(error),
        status=ae.render(error, to="problem+json").status,
        provider="problem_details",
        details=back.details,
    )
    assert back == expected


@pytest.mark.parametrize("fmt", formats_with_parsers())
@SETTINGS
@given(data=st.data())
def test_round_trip_is_a_fixed_point(fmt: str, data: st.DataObject) -> None:
    """Whatever survives one trip through a format survives every later trip unchanged."""
    error = data.draw(canonical_errors())
    once = round_trip(error, fmt)
    twice = round_trip(once, fmt)
    assert without_hint_sources(twice) == without_hint_sources(once)
    assert ae.render(twice, to=fmt) == ae.render(once, to=fmt)


@pytest.mark.parametrize("fmt", GENERIC_FORMATS)
@SETTINGS
@given(data=st.data())
def test_rendering_a_normalized_error_gives_back_the_same_response(
    fmt: str, data: st.DataObject
) -> None:
    """What normalization adds to `details` describes that parse: it is never rendered."""
    error = data.draw(canonical_errors())
    error = attrs.evolve(error, retry_after=sent_retry_after(error))  # whole seconds on the wire
    rendered = ae.render(error, to=fmt)
    back = round_trip(error, fmt)
    assert ae.render(back, to=fmt) == rendered


@pytest.mark.parametrize("fmt", GENERIC_FORMATS)
def test_parse_entries_and_the_stream_marker_are_not_rendered(fmt: str) -> None:
    provider = {"limit": 50, "event": "quota", "source": "billing"}
    parse = dict.fromkeys(PARSE_KEYS, "x") | {"source": "stream", "event": "error", "event_id": "7"}
    plain = attrs.evolve(RATE_LIMITED, details={"limit": 50})
    assert ae.render(attrs.evolve(plain, details={"limit": 50, **parse}), to=fmt) == ae.render(
        plain, to=fmt
    )
    # `source`/`event` are the provider's own when they are not the stream marker.
    kept = ae.render(attrs.evolve(plain, details=provider), to=fmt)
    assert round_trip(attrs.evolve(plain, details=provider), fmt).details["source"] == "billing"
    assert b'"event":"quota"' in kept.body


@pytest.mark.parametrize("fmt", formats_with_parsers())
@SETTINGS
@given(data=st.data())
def test_round_trip_keeps_what_every_format_carries(fmt: str, data: st.DataObject) -> None:
    """Message, status, request id and retry-after survive every format."""
    error = data.draw(canonical_errors())
    rendered = ae.render(error, to=fmt)
    back = round_trip(error, fmt)
    assert back.message == error.message
    assert back.request_id == error.request_id
    assert back.retry_after == sent_retry_after(error)
    if fmt != "canonical" and rendered.status >= 400:
        # canonical carries the error's own status in its body; a run result rendered as the
        # 200 that carried it comes back without a status, as run errors have none.
        assert back.status == rendered.status
    for field, alternative in (("param", "zz_other"), ("code", "E_zz_other")):
        change: dict[str, Any] = {field: alternative}
        changed = ae.render(attrs.evolve(error, **change), to=fmt)
        if getattr(error, field) is not None and changed.body != rendered.body:
            assert getattr(back, field) == getattr(error, field), field


@pytest.mark.parametrize("name", [n for n in adapter_names() if ae.get_adapter(n).codes])
@SETTINGS
@given(data=st.data())
def test_native_errors_round_trip_through_their_own_adapter(name: str, data: st.DataObject) -> None:
    error = data.draw(native_errors(name))
    back = round_trip(error, name)
    assert back.kind is error.kind
    assert back.message == error.message
    assert back.request_id == error.request_id
    assert back.retry_after == sent_retry_after(error)
    assert back.provider == name or name == "canonical"


# --- render --------------------------------------------------------------------------------------

RATE_LIMITED = ae.CanonicalError(
    kind=ae.Kind.RATE_LIMITED,
    message="Slow down",
    retry_after=2.1,
    request_id="req_1",
    status=429,
    code="rate_limit_exceeded",
    provider="qoder",
    details={"limit": 50},
)


def test_problem_json_document() -> None:
    rendered = ae.render(RATE_LIMITED)
    assert rendered.status == 429
    assert rendered.content_type == "application/problem+json"
    assert dict(rendered.headers)["retry-after"] == "3"
    assert dict(rendered.headers)["x-request-id"] == "req_1"
    doc = json.loads(rendered.body)
    assert doc["type"] == "about:blank"
    assert doc["title"] == "Too Many Requests"
    assert doc["status"] == 429
    assert doc["detail"] == "Slow down"
    assert doc["kind"] == "rate_limited"
    assert doc["code"] == "rate_limit_exceeded"
    assert doc["request_id"] == "req_1"
    assert doc["retryable"] is True
    assert doc["details"] == {"limit": 50}
    assert ae.render(RATE_LIMITED, to="problem") == rendered
    assert ae.render(RATE_LIMITED, to="problem_details") == rendered


def test_canonical_body_is_to_dict() -> None:
    rendered = ae.render(RATE_LIMITED, to="canonical")
    assert json.loads(rendered.body) == {"error": ae.to_dict(RATE_LIMITED)}
    assert rendered.content_type == "application/json"


def test_error_without_status_renders_its_kinds_status() -> None:
    error = ae.CanonicalError(kind=ae.Kind.CONFLICT, message="Stream already active")
    for fmt in _render.formats():
        assert ae.render(error, to=fmt).status == 409


class _UnhashableStatus(int):
    """An int subclass a caller might pass as a status: no hash, and an odd `__index__`."""

    __hash__ = None  # type: ignore[assignment]

    def __index__(self) -> int:
        return 7


def test_a_status_of_an_int_subclass_renders_as_a_plain_int_in_every_format() -> None:
    error = ae.CanonicalError(
        kind=ae.Kind.RATE_LIMITED, message="Slow down", status=_UnhashableStatus(429)
    )
    for fmt in _render.formats():
        rendered = ae.render(error, to=fmt)
        assert rendered.status == 429
        assert type(rendered.status) is int, fmt


@pytest.mark.parametrize("fmt", ["problem+json", "canonical", "qoder", "generic"])
@pytest.mark.parametrize("request_id", ["a\r\nSet-Cookie: x=1", "a\nb", "a\x00b\x7fc\x85d\tz"])
def test_control_characters_never_reach_a_header(fmt: str, request_id: str) -> None:
    error = attrs.evolve(RATE_LIMITED, request_id=request_id)
    for name, value in ae.render(error, to=fmt).headers:
        assert value.isprintable()
        assert not any(ch in value for ch in "\r\n\t\x00\x7f\x85")
        assert name.isprintable()


class _FixedRenderer:
    """A third-party adapter that reads nothing and renders one fixed, possibly unsafe, response."""

    hosts = ()
    codes: ClassVar[dict[str, Any]] = {}

    def __init__(self, name: str, status: int, headers: tuple[tuple[str, str], ...]) -> None:
        self.name = name
        self.status = status
        self.headers = headers

    def sniff(self, view: adapter_kit.ResponseView) -> float:
        return 0.0

    def parse(self, view: adapter_kit.ResponseView) -> ae.CanonicalError | None:
        return None

    def render(self, error: ae.CanonicalError) -> Any:
        return Rendered(self.status, self.headers, b"{}")


@pytest.mark.usefixtures("scratch_registry")
def test_headers_from_a_third_party_adapter_are_cleaned() -> None:
    headers = (("x-a", "1\r\nx-b: 2"), ("bad name", "v"), ("x-blank", "\r\n\x85"))
    ae.register_adapter(_FixedRenderer("sloppy_test", 600, headers), replace=True)
    rendered = ae.render(RATE_LIMITED, to="sloppy_test")
    assert rendered.status == 429
    assert dict(rendered.headers) == {"x-a": "1x-b: 2", "retry-after": "3", "x-request-id": "req_1"}
    # A hint header left empty once cleaned is dropped too: a request id of no Latin-1 letter.
    rendered = ae.render(attrs.evolve(RATE_LIMITED, request_id="\u20ac"), to="sloppy_test")
    assert dict(rendered.headers) == {"x-a": "1x-b: 2", "retry-after": "3"}
    # Either hint alone is written.
    only_wait = attrs.evolve(RATE_LIMITED, request_id=None)
    assert dict(ae.render(only_wait, to="sloppy_test").headers)["retry-after"] == "3"
    only_id = attrs.evolve(RATE_LIMITED, retry_after=None)
    assert dict(ae.render(only_id, to="sloppy_test").headers)["x-request-id"] == "req_1"


@pytest.mark.usefixtures("scratch_registry")
def test_an_adapter_header_cleaned_to_nothing_leaves_the_hint_header_in_place() -> None:
    headers = (("Retry-After", "\r\n"), ("X-Request-Id", "\x85"))
    ae.register_adapter(_FixedRenderer("blank_hint_test", 429, headers), replace=True)
    rendered = ae.render(RATE_LIMITED, to="blank_hint_test")
    assert dict(rendered.headers) == {"retry-after": "3", "x-request-id": "req_1"}


@pytest.mark.parametrize(
    ("seconds", "header"), [(0.0, "0"), (1.0, "1"), (1.0001, "2"), (59.5, "60")]
)
def test_retry_after_is_whole_seconds_rounded_up(seconds: float, header: str) -> None:
    rendered = ae.render(attrs.evolve(RATE_LIMITED, retry_after=seconds))
    assert dict(rendered.headers)["retry-after"] == header


def test_render_rejects_misuse() -> None:
    with pytest.raises(ValueError, match="unknown format 'nope'; known formats: problem\\+json"):
        ae.render(RATE_LIMITED, to="nope")
    with pytest.raises(TypeError):
        ae.render({"kind": "internal"})  # type: ignore[arg-type]


# --- the CLI's helper ----------------------------------------------------------------------------

CAPTURED = (
    "HTTP/1.1 100 Continue\r\n\r\n"
    "HTTP/2 429\r\nContent-Type: application/json\r\nRetry-After: 5\r\nx-request-id: r9\r\n\r\n"
    '{"type":"error","error":{"type":"rate_limit_error","message":"Too many"}}'
)


def test_render_response_text_rewrites_a_captured_response() -> None:
    text = ae.render_response_text(CAPTURED, to="problem+json")
    status, headers, body = split_raw_response(text)
    assert status == 429
    assert text.startswith("HTTP/1.1 429 Too Many Requests\n")
    assert dict(headers)["retry-after"] == "5"
    assert json.loads(body)["detail"] == "Too many"
    # And it reads back as the same error.
    again = ae.render_response_text(text, to="canonical")
    assert json.loads(split_raw_response(again)[2])["error"]["code"] == "rate_limit_error"


def test_render_response_text_takes_a_bare_body_and_status() -> None:
    text = ae.render_response_text(
        b'{"error": {"message": "nope"}}', to="qoder", status=403, provider="generic"
    )
    assert json.loads(split_raw_response(text)[2])["error"]["type"] == "permission_error"


def test_render_response_text_refuses_a_success() -> None:
    with pytest.raises(ValueError, match="no error"):
        ae.render_response_text("HTTP/1.1 200 OK\n\n{}")


def test_format_rendered_with_an_unregistered_status() -> None:
    assert format_rendered(Rendered(599, (), b"x")).startswith("HTTP/1.1 599\n\nx")
    assert split_raw_response("plain") == (None, [], "plain")


def test_otel_attributes() -> None:
    assert ae.otel_attributes(RATE_LIMITED) == {
        "error.type": "rate_limited",
        "http.response.status_code": 429,
        "agent_errors.code": "rate_limit_exceeded",
        "agent_errors.provider": "qoder",
        "agent_errors.retryable": True,
        "agent_errors.retry_after": 2.1,
        "agent_errors.request_id": "req_1",
    }
    bare = ae.otel_attributes(ae.CanonicalError(kind=ae.Kind.NETWORK, message="Reset"))
    assert bare == {
        "error.type": "network",
        "agent_errors.provider": "generic",
        "agent_errors.retryable": True,
    }
