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

Optional members:

- `read(view) -> Parsed | None`: what the body says (kind, code, message, param, details and
  the format's own overrides), or None when the body is in no shape the adapter knows. When an
  adapter has `read`, normalization calls it instead of `parse` and finishes the result itself,
  once (`finish_error`); a None then has the body read the generic way (behind any status:
  another API's error document may sit behind a 200), the error keeping the adapter's name.
  `parse` can then be `finish_error` over `read`.
- `shapes`: the document shapes (`Shape`) its `sniff` can score above zero; detection asks it
  only about bodies of those shapes (and, whatever their shape, about bodies sent with one of
  its `media_types`, lower-case media types such as `application/problem+json`). Without
  `shapes`, every body is sniffed.

Retry-after and request-id hints, secret redaction, the message an error without one gets, and
the `details` entries that record hint sources are added by the core's finishing pass
(`finish_error`, which `build_error` also uses; or, for an adapter whose `parse` builds
`CanonicalError` itself, after `parse`); an adapter need not look for them. Redaction looks at
every value the error carries (from the body, a header or synthesized), so `details` may hold
any of them.

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
import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from ._core import _json
from ._core._model import CanonicalError, Kind, kind_for_status, status_for_kind
from ._core._sse import SSEDecoder, SSEEvent
from ._parsing._finish import (
    PARSE_KEYS,
    STREAM_KEYS,
    USE_VIEW_STATUS,
    Parsed,
    UseViewStatus,
    finish_error,
    provider_details,
    synthesize_message,
)
from ._parsing._packs import ProviderPack
from ._parsing._shapes import Shape
from ._parsing._view import DEFAULT_BODY_CAP, Headers, ResponseView

__all__ = [
    "CLASS_CODES",
    "DEFAULT_BODY_CAP",
    "PARSE_KEYS",
    "STREAM_KEYS",
    "USE_VIEW_STATUS",
    "Adapter",
    "ErrorCode",
    "Headers",
    "Parsed",
    "ProviderPack",
    "Rendered",
    "ResponseView",
    "SSEDecoder",
    "SSEEvent",
    "Shape",
    "UseViewStatus",
    "body_status",
    "build_error",
    "code_table",
    "error_status",
    "fallback_error",
    "finish_error",
    "first_str",
    "from_status",
    "is_number",
    "json_rendered",
    "kind_for_code",
    "pack_of",
    "pointer_param",
    "provider_details",
    "retry_after_seconds",
    "status_says_more",
    "synthesize_message",
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


def body_status(value: object, *, errors_only: bool = False) -> int | None:
    """Return `value` when it is an HTTP status a body names, else None.

    An int (not a bool) from 100 to 599; with `errors_only`, from 400 to 599 (an error
    object's own `code` or `status` that stands for the response's).
    """
    low = 400 if errors_only else 100
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= 599:
        return value
    return None


def error_status(view: ResponseView, in_body: int | None) -> int | None:
    """Return the status an error stands for: the body's own `in_body` when it says more.

    The response's status, unless that is missing or a success and the body names a status
    (`body_status`): an error event in a stream, or an error document wrapped in a 200.
    """
    status = view.status
    if in_body is not None and (status is None or status < 400):
        return in_body
    return status


def retry_after_seconds(value: object) -> float | None:
    """Return a wait a format carries in a field of its own, in seconds; None if unusable.

    An int or float (not a bool) that is finite and not negative, as a float. Strings are no
    wait here (the core reads the standard fields and headers, in any form, itself).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    seconds = float(value)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def pointer_param(pointer: object, *, skip: Collection[str] = ()) -> str | None:
    """Return the parameter a JSON pointer names, as a dotted path; None when it names none.

    `"/data/attributes/title"` (JSON:API's `source.pointer`) is `"title"`, `"#/items/0/name"`
    is `"items.0.name"`. Empty segments and those in `skip` (location words such as `"body"`)
    are left out.
    """
    text = first_str(pointer)
    if text is None:
        return None
    parts = [part for part in text.lstrip("#").split("/") if part and part not in skip]
    if len(parts) >= 3 and parts[0] == "data" and parts[1] == "attributes":
        parts = parts[2:]
    return ".".join(parts) or None


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
    status: int | UseViewStatus | None = USE_VIEW_STATUS,
    retry_after: float | None = None,
    request_id: str | None = None,
) -> CanonicalError:
    """Build the finished error an adapter returns, filling what the adapter left out.

    `status` defaults to the view's status. An empty `message` is synthesized from the status
    and kind. `retryable` defaults to the kind's. Retry-after and request-id hints are gathered
    from the response here (in DESIGN's priority order); `retry_after`/`request_id` given here
    are used only when no header or standard body field gives one. Secrets are redacted.

    The same as `finish_error(view, Parsed(...), provider)`, the pass normalization applies to
    what an adapter's `read` returns.
    """
    parsed = Parsed(
        kind=kind,
        message=message,
        code=code,
        param=param,
        details=details,
        retryable=retryable,
        status=status,
        retry_after=retry_after,
        request_id=request_id,
    )
    return finish_error(view, parsed, provider)


def from_status(view: ResponseView) -> Parsed:
    """Return what the status alone says, with the body's text (if any) as the message.

    For bodies in no known format: a gateway's HTML page, plain text, an empty body.
    """
    return Parsed(kind=kind_for_status(view.status), message=text_message(view))


def fallback_error(view: ResponseView, provider: str) -> CanonicalError:
    """Return the error a status alone implies, with the body's text (if any) as the message.

    Used for bodies in no known format: a gateway's HTML page, plain text, an empty body. The
    finished form of `from_status`.
    """
    return finish_error(view, from_status(view), provider)


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
    """The status to render: the error's own when it is an error status, else the kind's.

    Always a plain `int`, even for an error built with a subclass of it (which a format's
    table lookups could not hash).
    """
    status = error.status
    if status is not None and 400 <= status <= 599:
        return status if type(status) is int else int.__index__(status)
    return status_for_kind(error.kind)
