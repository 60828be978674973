"""The fast paths taken for speed give what the general paths give (issue 10, item 11)."""

from __future__ import annotations

import http
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs
import httpx
import pytest
from agent_errors.adapters import generic as _generic_module
from agent_errors.adapters import problem_details
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_errors import CanonicalError, Kind
from agent_errors._core import _phrases as _phrase_module
from agent_errors._core._phrases import Phrase
from agent_errors._parsing import _hints
from agent_errors._parsing._render import (
    _COMMON_NAMES,
    _TOKEN_RE,
    _UNSAFE_VALUE_RE,
    safe_header_value,
)
from agent_errors._parsing._view import Headers, ResponseView

_names = st.sampled_from(["content-type", "X-Request-ID", " retry-after ", "", "a", "A"])
_values = st.text(alphabet=" \t,abc019;=\xe9", max_size=8)


@given(st.lists(st.tuples(_names, _values), max_size=8))
def test_headers_from_pairs_match_the_general_path(pairs: list[tuple[str, str]]) -> None:
    general = Headers(iter(pairs))  # a generator takes the general path
    assert Headers(pairs).lowered == general.lowered
    assert Headers(tuple(pairs)).lowered == general.lowered
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]
    assert Headers(raw).lowered == general.lowered


def test_headers_from_pairs_with_other_items_take_the_general_path() -> None:
    raw = [("a", "1"), (b"B", b" 2 "), ["c", "3"], ("broken",), ("a", 4)]
    assert Headers(raw).lowered == {"a": "1, 4", "b": "2", "c": "3"}
    assert Headers(None).lowered == {}
    assert Headers([]).lowered == {}


def test_httpx_headers_with_and_without_repeats() -> None:
    plain = httpx.Headers({"Content-Type": "application/json", "X-Request-Id": "req_1"})
    assert Headers(plain).lowered == {"content-type": "application/json", "x-request-id": "req_1"}
    repeated = httpx.Headers([("Vary", "a"), ("vary", "b"), ("X", "1")])
    assert Headers(repeated).lowered == {"vary": "a, b", "x": "1"}


def test_a_views_url_is_made_when_read() -> None:
    request = httpx.Request("GET", "https://API.example.com:8443/v1/x?q=1")
    response = httpx.Response(429, content=b"{}", request=request)
    view = ResponseView.from_response(response)
    assert view.has_url
    assert view.host == "api.example.com"
    assert view.url == str(request.url)
    view.url = "https://other.example.org/"
    assert view.url == "https://other.example.org/"
    assert view.host == "other.example.org"
    view.url = None
    assert not view.has_url
    assert view.host is None


def test_a_view_of_a_response_without_a_request_has_no_url() -> None:
    view = ResponseView.from_response(httpx.Response(500, content=b"{}"))
    assert not view.has_url
    assert view.url is None
    assert view.host is None
    assert ResponseView(500, url="api.example.com/v1").host == "api.example.com"


@attrs.frozen(slots=True)
class _AttrsError:
    """`CanonicalError` as attrs itself builds it: the reference for the hand-written init."""

    kind: Kind = attrs.field(converter=lambda value: value if type(value) is Kind else Kind(value))
    message: str
    param: str | None = None
    retryable: bool = attrs.field(
        default=attrs.Factory(lambda self: self.kind.retryable, takes_self=True)
    )
    retry_after: float | None = None
    request_id: str | None = None
    status: int | None = None
    code: str | None = None
    provider: str = "generic"
    details: Mapping[str, Any] = attrs.field(
        default=MappingProxyType({}),
        converter=lambda value: (
            MappingProxyType({})
            if value is None
            else value
            if isinstance(value, dict)
            else dict(value)
        ),
    )


_FIELDS = [field.name for field in attrs.fields(CanonicalError)]
_optional_text = st.none() | st.text(max_size=4)
_arguments = st.fixed_dictionaries(
    {"kind": st.sampled_from(Kind) | st.sampled_from([kind.value for kind in Kind])},
    optional={
        "param": _optional_text,
        "retryable": st.booleans(),
        "retry_after": st.none() | st.floats(0, 10),
        "request_id": _optional_text,
        "status": st.none() | st.integers(100, 599),
        "code": _optional_text,
        "provider": st.text(max_size=4),
        "details": st.none()
        | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
        | st.builds(MappingProxyType, st.dictionaries(st.text(max_size=3), st.integers())),
    },
)


@given(_arguments, st.text(max_size=8), st.booleans())
def test_the_constructor_builds_what_attrs_would(
    arguments: dict[str, Any], message: str, positional: bool
) -> None:
    if positional:
        values = [arguments["kind"], message]
        values += [arguments.get(name, _DEFAULTS[name]) for name in _FIELDS[2:]]
        ours, reference = CanonicalError(*values), _AttrsError(*values)
    else:
        ours = CanonicalError(message=message, **arguments)
        reference = _AttrsError(message=message, **arguments)
    for name in _FIELDS:
        assert getattr(ours, name) == getattr(reference, name), name
        assert type(getattr(ours, name)) is type(getattr(reference, name)), name
    assert attrs.evolve(ours, message="changed").message == "changed"


_DEFAULTS: dict[str, Any] = {
    "param": None,
    "retryable": attrs.NOTHING,
    "retry_after": None,
    "request_id": None,
    "status": None,
    "code": None,
    "provider": "generic",
    "details": MappingProxyType({}),
}


def test_the_constructor_still_refuses_what_is_not_a_kind() -> None:
    with pytest.raises(ValueError, match="not a valid Kind"):
        CanonicalError("sleepy", "m")
    with pytest.raises(TypeError):
        CanonicalError(Kind.INTERNAL)  # type: ignore[call-arg]
    error = CanonicalError(Kind.INTERNAL, "m")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        error.message = "x"  # type: ignore[misc]


def _reference_json(body: bytes) -> Any:
    """The view's decoding before its fast path: the wide encodings first, then UTF-8."""
    if not body:
        return None
    if body[:1] in (b"\x00", b"\xff", b"\xfe") or b"\x00" in body[1:4]:
        encoding = json.detect_encoding(body)
        if encoding.startswith(("utf-16", "utf-32")):
            text = body.decode(encoding, "replace").lstrip("\ufeff \t\r\n")
            if text[:1] not in ("{", "["):
                return None
            try:
                return json.loads(text)
            except ValueError:
                return None
    stripped = body.lstrip(b" \t\r\n\xef\xbb\xbf")
    if stripped[:1] not in (b"{", b"["):
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


_documents = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=2), inner, max_size=2)
    ),
    max_leaves=4,
)


@given(
    _documents,
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]),
    st.sampled_from(["", " ", "\n\t"]),
    st.binary(max_size=3),
)
def test_the_views_json_fast_path_decodes_as_before(
    document: Any, encoding: str, space: str, noise: bytes
) -> None:
    body = (space + json.dumps(document)).encode(encoding)
    for candidate in (body, body + noise, noise + body, body[:-1]):
        assert ResponseView(200, None, candidate).json == _reference_json(candidate), candidate


def _phrases() -> list[tuple[str, Phrase]]:
    found = []
    for module in (_phrase_module, _generic_module):
        for name, value in vars(module).items():
            if isinstance(value, Phrase):
                found.append((f"{module.__name__}.{name}", value))
    return found


PHRASES = _phrases()


def test_every_phrase_is_found() -> None:
    assert len(PHRASES) >= 8  # the phrase patterns of _phrases and the generic adapter


@pytest.mark.parametrize(("name", "phrase"), PHRASES, ids=[name for name, _ in PHRASES])
def test_a_phrase_words_are_lower_case_ascii(name: str, phrase: Phrase) -> None:
    assert phrase.words
    assert all(word.isascii() and word == word.lower() for word in phrase.words)


@pytest.mark.parametrize(("name", "phrase"), PHRASES, ids=[name for name, _ in PHRASES])
@settings(max_examples=150)
@given(data=st.data())
def test_a_phrase_answers_as_its_pattern(name: str, phrase: Phrase, data: st.DataObject) -> None:
    # Text the pattern matches (any case, anything around it), and text of its own words.
    matching = data.draw(st.from_regex(phrase.pattern))
    assert (phrase.search(matching) is not None) is (phrase.pattern.search(matching) is not None)
    assert phrase.pattern.search(matching) is not None
    mixed = data.draw(
        st.lists(
            st.sampled_from(
                [*phrase.words, "Too", "LARGE", "per-minute", "\u017f", "\u0130", " ", "1,0"]
            ),
            max_size=12,
        ).map(" ".join)
    )
    assert (phrase.search(mixed) is not None) is (phrase.pattern.search(mixed) is not None)


_WAIT_PART = st.sampled_from(["retry", "try again", "try", "wait", "available", "re", "tryagain"])
_WAIT_PHRASE = st.tuples(
    st.sampled_from(["", "x", "a ", "please ", "re", ". ", "5s "]),
    _WAIT_PART,
    st.sampled_from(["", " after", " in", " for", " later", "ing"]),
    st.sampled_from([" ", "  ", "", ": "]),
    st.sampled_from(["5s", "1.5 seconds", "20", "2m 3s", "500ms and 1s", "soon", "10 h"]),
).map("".join)
_WAIT_TEXT = st.lists(
    st.one_of(_WAIT_PHRASE, st.sampled_from([" ", "x", "1", ".", "retry", "available"])),
    max_size=6,
).map("".join)


@pytest.mark.parametrize(
    "text",
    [
        "retry after 5s",
        "available in 3 seconds",
        "x available in 3 seconds, retry in 2s",
        "please try again in 20s",
        "wait 1.5 seconds",
        "nothing here",
    ],
)
def test_the_wait_phrase_finds_what_the_pattern_finds(text: str) -> None:
    found = _hints._wait_phrase(text)
    expected = _hints._MESSAGE_RE.search(text)
    assert (found is None) is (expected is None)
    assert found is None or expected is None or found.span() == expected.span()


@given(_WAIT_TEXT)
def test_the_wait_phrase_is_the_patterns_leftmost_match(text: str) -> None:
    expected = _hints._MESSAGE_RE.search(text)
    found = _hints._wait_phrase(text)
    assert (found is None) is (expected is None)
    if found is not None and expected is not None:
        assert found.span() == expected.span()
        assert found.groups() == expected.groups()


_HINT_NAMES = [
    "retry-after",
    "retry-after-ms",
    "x-ratelimit-reset",
    "x-ratelimit-remaining",
    "x-request-id",
    "request-id",
    "x-should-retry",
    "stripe-should-retry",
    "server",
]
_HINT_VALUES = ["5", "0", "1.5", "true", "false", "req_12", "Wed, 21 Oct 2015 07:28:10 GMT", ""]
_BODY_KEYS = [
    "retryAfter",
    "retry_after_ms",
    "resetAt",
    "request_id",
    "requestId",
    "retryable",
    "nonRetryable",
    "message",
    "details",
]
_BODY_VALUES = st.sampled_from(
    [3, 0.5, True, False, "req_9", "2015-10-21T07:28:30Z", "try again in 4s", None, -1]
)


@given(
    headers=st.dictionaries(st.sampled_from(_HINT_NAMES), st.sampled_from(_HINT_VALUES)),
    top=st.dictionaries(st.sampled_from(_BODY_KEYS), _BODY_VALUES, max_size=3),
    inner=st.dictionaries(st.sampled_from(_BODY_KEYS), _BODY_VALUES, max_size=3),
    kind=st.sampled_from([Kind.RATE_LIMITED, Kind.INTERNAL, Kind.INVALID_REQUEST]),
    message=st.sampled_from(["", "Please try again in 7s.", "Bad input", "request id req_77"]),
)
def test_gathered_hints_are_the_three_hints(
    headers: dict[str, str],
    top: dict[str, Any],
    inner: dict[str, Any],
    kind: Kind,
    message: str,
) -> None:
    # A Date header fixes the clock the reset and date hints are measured against.
    headers = {**headers, "date": "Wed, 21 Oct 2015 07:28:00 GMT"}
    view = ResponseView(429, headers, json.dumps({**top, "error": inner}).encode())
    seconds, source = _hints.retry_after_hint(view, kind, message)
    rid, rid_source = _hints.request_id_hint(view)
    verdict = _hints.should_retry_hint(view)
    assert _hints.gather_hints(view, kind, message) == (seconds, source, rid, rid_source, verdict)


@given(st.text(alphabet=st.characters(max_codepoint=0x24F), max_size=12))
def test_a_header_value_is_cleaned_as_the_pattern_cleans_it(value: str) -> None:
    # The fast path takes plain ASCII text as it is; every other value goes through the pattern.
    assert safe_header_value(value) == _UNSAFE_VALUE_RE.sub("", value).strip()


@pytest.mark.parametrize("name", sorted(_COMMON_NAMES))
def test_the_header_names_passed_without_the_pattern_are_tokens(name: str) -> None:
    assert _TOKEN_RE.match(name)


def test_problem_titles_are_the_status_phrases() -> None:
    assert problem_details._title(429) == "Too Many Requests"
    assert problem_details._title(599) == "Error"
    for status in range(400, 600):
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        assert problem_details._title(status) == phrase
