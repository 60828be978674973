"""What an adapter is made of: the protocol, code tables, and helpers shared by every format.

An adapter turns one family of error formats into `CanonicalError`. It is an object with:

- `name`: the provider name it reports (`CanonicalError.provider`);
- `hosts`: API hosts that certainly speak this format (the built-in host map);
- `codes`: its code table, `{code: ErrorCode}` — the provider's documentation, as data;
- `sniff(view) -> float`: how sure it is (0 to 1) that the body is in its format;
- `parse(view) -> CanonicalError | None`: the error, or None when the body holds no error
  document in its format (for a status >= 400 the core then falls back to `generic`);
- `render(error) -> Rendered`: the error written the way this provider would send it;
- optionally `pack`: its `ProviderPack` (code table, the code it sends for each kind, retry
  profile, hosts), which `name`, `hosts` and `codes` repeat. `render`, the testing factories,
  the docs' provider matrix and `RetryPolicy.for_provider` read it (`pack_of(adapter)`).

Retry-after and request-id hints, secret redaction and the `details` entries that record hint
sources are added by `build_error` (or by the core after `parse`, for an adapter that builds
`CanonicalError` itself); an adapter need not look for them. Redaction looks at every value the
error carries (from the body, a header or synthesized), so `details` may hold any of them.

The `details` entries the core adds (`PARSE_KEYS`: `retry_after_source`, `request_id_source`,
`should_retry`, `body_truncated`, `raw_status`; and the stream marker `source`/`event`/`event_id`
when `source` is `"stream"`) describe one parse, not the provider's error. A `render` that writes
`details` writes `provider_details(error)`, so rendering a normalized error gives back the
response it came from.

Third-party adapters register through the `agent_errors.adapters` entry-point group; see
`agent_errors.register_adapter` for registering one at run time.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from . import _json
from ._finish import PARSE_KEYS, STREAM_KEYS, finish_fields, provider_details
from ._hints import envoy_rate_limited
from ._model import CanonicalError, Kind, kind_for_status, status_for_kind, status_phrase
from ._packs import ProviderPack
from ._sse import SSEDecoder, SSEEvent
from ._view import DEFAULT_BODY_CAP, Headers, ResponseView

__all__ = [
    "CLASS_CODES",
    "DEFAULT_BODY_CAP",
    "PARSE_KEYS",
    "STREAM_KEYS",
    "Adapter",
    "ErrorCode",
    "Headers",
    "ProviderPack",
    "Rendered",
    "ResponseView",
    "SSEDecoder",
    "SSEEvent",
    "build_error",
    "code_table",
    "fallback_error",
    "first_str",
    "is_number",
    "json_rendered",
    "kind_for_code",
    "pack_of",
    "provider_details",
    "status_says_more",
    "text_message",
    "whole_seconds",
]


@attrs.frozen
class ErrorCode:
    """One row of a provider's error table.

    Attributes:
        code: The provider's code or type, verbatim.
        kind: The canonical kind it maps to.
        status: The HTTP status the provider documents for it (None for run results or "any").
        summary: The provider's one-line description.
        retryable: Overrides the kind's default when the provider says otherwise.
    """

    code: str
    kind: Kind
    status: int | None = None
    summary: str = ""
    retryable: bool | None = None

    @property
    def is_retryable(self) -> bool:
        """Whether errors with this code are transient."""
        return self.kind.retryable if self.retryable is None else self.retryable


def code_table(*rows: ErrorCode) -> Mapping[str, ErrorCode]:
    """Index rows by code; raises ValueError if a code appears twice."""
    table: dict[str, ErrorCode] = {}
    for row in rows:
        if row.code in table:
            msg = f"duplicate code {row.code!r} in table"
            raise ValueError(msg)
        table[row.code] = row
    return table


@attrs.frozen
class Rendered:
    """An error rendered as an HTTP response: status, headers and body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def content_type(self) -> str | None:
        """The Content-Type header, if set."""
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value
        return None


@runtime_checkable
class Adapter(Protocol):
    """The protocol every adapter implements (see the module docstring)."""

    name: str
    hosts: tuple[str, ...]
    codes: Mapping[str, ErrorCode]

    def sniff(self, view: ResponseView) -> float:
        """Return 0-1: how likely the body is in this adapter's format."""
        ...

    def parse(self, view: ResponseView) -> CanonicalError | None:
        """Return the error in the response, or None when it holds none in this format."""
        ...

    def render(self, error: CanonicalError) -> Rendered:
        """Return `error` as this provider would send it."""
        ...


def pack_of(adapter: Adapter) -> ProviderPack:
    """Return the adapter's `pack`, or for an adapter without one a pack of its name, codes, hosts.

    A pack made that way has no render codes (the table's row at each kind's usual status
    stands in) and no retry profile.
    """
    pack = getattr(adapter, "pack", None)
    if isinstance(pack, ProviderPack):
        return pack
    return ProviderPack(adapter.name, codes=adapter.codes, hosts=tuple(adapter.hosts))


def first_str(*values: object) -> str | None:
    """Return the first value that is a non-empty string (after stripping), else None."""
    for value in values:
        if isinstance(value, str):
            text = value.strip()
            if text:
                return text
    return None


def is_number(value: object) -> bool:
    """Whether `value` is an int or float (a bool is not a number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def whole_seconds(seconds: float) -> int:
    """Return `seconds` rounded up to a whole number (as `Retry-After` needs)."""
    whole = int(seconds)
    return whole + 1 if whole < seconds else whole


CLASS_CODES: Final = frozenset(
    {"invalid_request_error", "invalid_request", "server_error", "api_error"}
)
"""Codes that name a class of errors rather than one error (lower case): a status may say more."""


def status_says_more(code: str, kind: Kind, status: int | None) -> bool:
    """Return whether `status` says more than `code`, read as `kind`, does.

    True for a class code (`CLASS_CODES`: `invalid_request_error` behind a 404, 409 or 429,
    `api_error` behind a 503) whose error status implies another known kind; a specific code
    always wins over the status.
    """
    if status is None or status < 400 or code.lower() not in CLASS_CODES:
        return False
    by_status = kind_for_status(status)
    return by_status not in (Kind.UNKNOWN, kind)


def kind_for_code(
    code: str | None, table: Mapping[str, ErrorCode], status: int | None
) -> tuple[Kind, bool | None]:
    """Return (kind, retryable override) for a code: the table first, then the status.

    An unrecognized code falls back to its status's kind; with neither, the kind is `unknown`.
    A format whose class codes may stand behind any status checks `status_says_more` itself: in
    a format that renders its own class codes, a status that overrode them would make a render
    and a read disagree.
    """
    if code is not None:
        row = table.get(code)
        if row is not None:
            return row.kind, row.retryable
    return kind_for_status(status), None


# An element is found as its opening tag, then the first closing tag after it: two searches,
# each linear. (One `<title[^>]*>(.*?)</title>` rescans to the end of the page from every
# opening tag: quadratic on a page of `<title`s.) A tag never spans a `<`, so every tag search
# stops at the next one.
_TITLE_OPEN_RE: Final = re.compile(r"<title[^<>]*>", re.IGNORECASE)
_TITLE_CLOSE_RE: Final = re.compile(r"</title>", re.IGNORECASE)
_H1_OPEN_RE: Final = re.compile(r"<h1[^<>]*>", re.IGNORECASE)
_H1_CLOSE_RE: Final = re.compile(r"</h1>", re.IGNORECASE)
_ELEMENTS: Final = ((_TITLE_OPEN_RE, _TITLE_CLOSE_RE), (_H1_OPEN_RE, _H1_CLOSE_RE))
_TAG_RE: Final = re.compile(r"<[^<>]*>")
_SPACE_RE: Final = re.compile(r"\s+")
_MAX_MESSAGE: Final = 500


def _squash(text: str) -> str:
    text = _SPACE_RE.sub(" ", text).strip()
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 1].rstrip() + "…"
    return text


def _element_text(text: str, opening: re.Pattern[str], closing: re.Pattern[str]) -> str | None:
    """The text between the first opening tag and the first closing tag after it, or None."""
    opened = opening.search(text)
    if opened is None:
        return None
    closed = closing.search(text, opened.end())
    if closed is None:
        return None  # no later opening tag can have a closing tag either
    return text[opened.end() : closed.start()]


def text_message(view: ResponseView) -> str | None:
    """Return a message from a non-JSON body: an HTML page's title or heading, or the plain text.

    Returns None for an empty body or one that is JSON (the adapters read JSON themselves).
    """
    if not view.body or view.json is not None:
        return None
    text = view.text
    head = text[:2048].lstrip().lower()
    if head.startswith(("<!doctype", "<html", "<?xml", "<head", "<body")) or "<html" in head:
        for opening, closing in _ELEMENTS:
            inner = _element_text(text, opening, closing)
            if inner:
                found = _squash(html.unescape(_TAG_RE.sub(" ", inner)))
                if found:
                    return found
        return _squash(html.unescape(_TAG_RE.sub(" ", text))) or None
    printable = "".join(
        ch if ch.isprintable() or ch in "\t\n" else "" if unicodedata.category(ch) == "Cf" else " "
        for ch in text[:4096]
    )  # format characters (U+200B...) vanish: one inside a key must not split it for redaction
    return _squash(printable) or None


_FROM_VIEW: Final[Any] = object()


def build_error(
    view: ResponseView,
    *,
    provider: str,
    kind: Kind,
    message: str | None,
    code: str | None = None,
    param: str | None = None,
    details: Mapping[str, Any] | None = None,
    retryable: bool | None = None,
    status: Any = _FROM_VIEW,
    retry_after: float | None = None,
    request_id: str | None = None,
) -> CanonicalError:
    """Build the finished error an adapter returns, filling what the adapter left out.

    `status` defaults to the view's status. An empty `message` is synthesized from the status
    and kind. `retryable` defaults to the kind's. Retry-after and request-id hints are gathered
    from the response here (in DESIGN's priority order); `retry_after`/`request_id` given here
    are used only when no header or standard body field gives one. Secrets are redacted.
    """
    actual_status: int | None = view.status if status is _FROM_VIEW else status
    if kind is Kind.UNAVAILABLE and envoy_rate_limited(view):
        kind = Kind.RATE_LIMITED  # Envoy's rate-limit filter, not an outage
    if not message:
        message = synthesize_message(kind, actual_status, code)
    message, details, retry_after, request_id, param, code = finish_fields(
        view,
        kind=kind,
        message=message,
        details=details,
        retry_after=retry_after,
        request_id=request_id,
        param=param,
        code=code,
        trusted=True,
        retryable=retryable,
    )
    error = CanonicalError(
        kind=kind,
        message=message,
        param=param,
        # 505 (HTTP Version Not Supported) answers every attempt the same: no wait clears it.
        retryable=(kind.retryable and actual_status != 505) if retryable is None else retryable,
        retry_after=retry_after,
        request_id=request_id,
        status=actual_status,
        code=code,
        provider=provider,
        details=details,
    )
    view.finished = error
    return error


_KIND_TEXT: Final = {
    Kind.INVALID_REQUEST: "The request was invalid.",
    Kind.AUTHENTICATION: "Authentication failed.",
    Kind.PERMISSION: "Permission denied.",
    Kind.NOT_FOUND: "The resource was not found.",
    Kind.CONFLICT: "The request conflicts with the current state of the resource.",
    Kind.PAYMENT_REQUIRED: "Payment required: credits, quota or budget exhausted.",
    Kind.RATE_LIMITED: "Rate limited: too many requests.",
    Kind.CONCURRENCY_LIMITED: "Too many concurrent requests or runs.",
    Kind.FEATURE_NOT_AVAILABLE: "The feature is not available.",
    Kind.TIMEOUT: "The request timed out.",
    Kind.UNAVAILABLE: "The service is temporarily unavailable.",
    Kind.INTERNAL: "The server failed unexpectedly.",
    Kind.NETWORK: "No response was received.",
    Kind.CANCELLED: "The run was cancelled.",
    Kind.RUN_FAILED: "The run failed.",
    Kind.UNKNOWN: "An unknown error occurred.",
}


def synthesize_message(kind: Kind, status: int | None, code: str | None = None) -> str:
    """Return a message for an error whose provider sent none."""
    text = _KIND_TEXT[kind]
    if status is not None:
        text = f"{status_phrase(status)}: {text}"
    if code:
        text = f"{text} (code: {code})"
    return text


def fallback_error(view: ResponseView, provider: str) -> CanonicalError:
    """Return the error a status alone implies, with the body's text (if any) as the message.

    Used for bodies in no known format: a gateway's HTML page, plain text, an empty body.
    """
    kind = kind_for_status(view.status)
    return build_error(view, provider=provider, kind=kind, message=text_message(view))


def json_rendered(
    status: int | None,
    body: object,
    *,
    error: CanonicalError | None = None,
    content_type: str = "application/json",
    extra_headers: Iterable[tuple[str, str]] = (),
) -> Rendered:
    """Return a `Rendered` JSON response, adding Retry-After and X-Request-Id from `error`."""
    headers: list[tuple[str, str]] = [("content-type", content_type)]
    if error is not None:
        headers.extend(hint_headers(error))
    headers.extend(extra_headers)
    final_status = status if status is not None else 500
    return Rendered(status=final_status, headers=tuple(headers), body=_json.dumps(body))


_HEADER_UNSAFE: Final = re.compile(r"[\x00-\x1f\x7f]")


def header_value(value: str) -> str:
    """Return `value` with CR, LF and every other control character removed (header-safe)."""
    return _HEADER_UNSAFE.sub("", value)


def hint_headers(error: CanonicalError) -> list[tuple[str, str]]:
    """Return `Retry-After` (whole seconds, rounded up) and `X-Request-Id` for `error`."""
    headers: list[tuple[str, str]] = []
    if error.retry_after is not None:
        headers.append(("retry-after", str(whole_seconds(error.retry_after))))
    if error.request_id:
        clean = header_value(error.request_id)
        if clean:
            headers.append(("x-request-id", clean))
    return headers


def default_status(error: CanonicalError) -> int:
    """The status to render: the error's own when it is an error status, else the kind's."""
    if error.status is not None and 400 <= error.status <= 599:
        return error.status
    return status_for_kind(error.kind)
