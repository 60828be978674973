"""render(): a `CanonicalError` written as an HTTP response in any format we can read.

Formats: `"canonical"` (our own JSON, read back by the `canonical` adapter), `"problem+json"`
(RFC 9457 problem details, our fields as extension members), the dialects of the OpenAI and
Anthropic APIs (`"openai"`, `"anthropic"`: what their SDKs read), and the name of any registered
adapter, which renders the way that provider would send the error. Whatever the format, the
response carries `Retry-After` (whole seconds, rounded up) when the error has a retry_after and
`X-Request-Id` when it has a request id, and no header holds a control character.
"""

from __future__ import annotations

import http
import re
from typing import Final

from agent_errors._core._model import CanonicalError
from agent_errors.adapter_kit import Rendered, default_status, hint_headers

from ._dialects import DIALECTS
from ._normalize import normalize_view
from ._raw_http import parse_http, read_capture
from ._registry import get_adapter, registered_adapters

__all__ = [
    "CANONICAL",
    "PROBLEM_DETAILS",
    "PROBLEM_JSON",
    "format_rendered",
    "formats",
    "render",
    "render_response_text",
]

CANONICAL: Final = "canonical"
"""Our own JSON: `{"error": agent_errors.to_dict(error)}`."""

PROBLEM_JSON: Final = "problem+json"
"""RFC 9457 problem details, `Content-Type: application/problem+json`, with our fields as
extension members (`kind`, `code`, `param`, `retryable`, `retry_after`, `request_id`, `details`);
written and read by the `problem_details` adapter."""

PROBLEM_DETAILS: Final = "problem_details"
"""The adapter that writes and reads problem+json: the one definition of that format."""

_ALIASES: Final = {"problem": PROBLEM_JSON, "problem_json": PROBLEM_JSON, "rfc9457": PROBLEM_JSON}

# Header names are RFC 9110 tokens; values keep visible ASCII, space and Latin-1 letters only:
# CR, LF, tab, DEL and the C1 controls never reach a header.
_TOKEN_RE: Final = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_UNSAFE_VALUE_RE: Final = re.compile(r"[^\x20-\x7e\xa0-\xff]")
# Names the built-in adapters write, all tokens: no pattern needs to say so again.
_COMMON_NAMES: Final = frozenset(
    {"content-type", "retry-after", "retry-after-ms", "x-request-id", "request-id"}
)


def formats() -> tuple[str, ...]:
    """Return every format `render` accepts: `problem+json`, the dialects, the adapters' names."""
    return (PROBLEM_JSON, *sorted({*DIALECTS, *registered_adapters()}))


def render(error: CanonicalError, to: str = PROBLEM_JSON) -> Rendered:
    """Return `error` as an HTTP response (`.status`, `.headers`, `.body`) in format `to`.

    `to` is `"problem+json"` (also `"problem"`), `"canonical"`, `"openai"` or `"anthropic"`
    (the errors those APIs send, which their SDKs raise as their own exception classes), or an
    adapter's name.

    Raises:
        TypeError: `error` is not a `CanonicalError`.
        ValueError: `to` names no format.
    """
    if not isinstance(error, CanonicalError):  # type: ignore[redundant-expr,unused-ignore]
        msg = f"render() takes a CanonicalError, not {type(error).__name__}"  # type: ignore[unreachable]
        raise TypeError(msg)
    name = _ALIASES.get(to, to)
    dialect = DIALECTS.get(name)
    if dialect is not None:
        return _finish(dialect(error), error)
    try:
        adapter = get_adapter(PROBLEM_DETAILS if name == PROBLEM_JSON else name)
    except (ValueError, TypeError):
        msg = f"unknown format {to!r}; known formats: {', '.join(formats())}"
        raise ValueError(msg) from None
    return _finish(adapter.render(error), error)


def _finish(rendered: Rendered, error: CanonicalError) -> Rendered:
    """Make any adapter's output safe and complete: clean headers, the hint headers, a status."""
    headers: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, value in rendered.headers:
        clean_name = str(name).strip()
        if clean_name not in _COMMON_NAMES and not _TOKEN_RE.match(clean_name):
            continue
        clean_value = safe_header_value(str(value))
        if clean_value:
            # Only a header that is written stands in for the hint header of its name.
            seen.add(clean_name.lower())
            headers.append((clean_name, clean_value))
    if error.retry_after is not None or error.request_id:
        for name, value in hint_headers(error):
            if name not in seen:
                clean_value = safe_header_value(value)
                if clean_value:
                    headers.append((name, clean_value))
    status = rendered.status
    # A run result may be rendered as the 200 that carried it; anything not a status is not.
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        status = default_status(error)
    return Rendered(status=status, headers=tuple(headers), body=bytes(rendered.body))


def safe_header_value(value: str) -> str:
    """Return `value` without control characters (CR, LF, tab, DEL, C1) or non-Latin-1 text."""
    if value.isascii() and value.isprintable():  # only 0x20-0x7e: nothing to remove
        return value.strip()
    return _UNSAFE_VALUE_RE.sub("", value).strip()


def render_response_text(
    text: str | bytes,
    *,
    to: str = PROBLEM_JSON,
    provider: str | None = None,
    status: int | None = None,
) -> str:
    """Rewrite a captured response (as `curl -i` prints it, or a bare body) in format `to`.

    `status` is used when `text` is a bare body. The text is read as `agent-errors render`
    reads it (one reader: interim blocks such as `100 Continue` skipped, in time linear in the
    text however many there are; chunked framing removed; a content-encoded body decoded up to
    the normalizer's cap). Returns the rendered response as HTTP text: a status line, headers,
    a blank line and the body.

    Raises:
        ValueError: `to` or `provider` names no format, `text` holds no error, or a header
            block in `text` is malformed.
    """
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    raw = read_capture(data, status=status)
    error = None if raw is None else normalize_view(raw.view(), provider=provider)
    if error is None:
        msg = "the response carries no error"
        raise ValueError(msg)
    return format_rendered(render(error, to=to))


def format_rendered(rendered: Rendered) -> str:
    """Return `rendered` as HTTP/1.1 response text (status line, headers, blank line, body)."""
    try:
        phrase = http.HTTPStatus(rendered.status).phrase
    except ValueError:
        phrase = ""
    lines = [f"HTTP/1.1 {rendered.status} {phrase}".rstrip()]
    lines.extend(f"{name}: {value}" for name, value in rendered.headers)
    return "\n".join(lines) + "\n\n" + rendered.body.decode("utf-8", "replace")


def split_raw_response(text: str) -> tuple[int | None, list[tuple[str, str]], str]:
    """Split `curl -i` output into (status, headers, body); a bare body gives (None, [], text).

    Interim responses (`100 Continue`) and proxy `CONNECT` answers before the final response are
    skipped; text whose header blocks are malformed is taken as a bare body.
    """
    try:
        raw = parse_http(text.encode("utf-8", "surrogatepass"))
    except ValueError:
        raw = None
    if raw is None:
        return None, [], text
    return raw.status, list(raw.headers), raw.body.decode("utf-8", "replace")
