"""Retry-after, request-id and should-retry hints, gathered from every source in a fixed order.

retry_after, first usable source wins:

1. millisecond headers: `retry-after-ms` (OpenAI, Azure OpenAI), `x-ms-retry-after-ms` (Azure,
   azure-core), `x-amz-retry-after` (AWS, botocore's standard mode);
2. `Retry-After` header, as delta-seconds or an HTTP-date (any of the three RFC 9110 forms);
3. body fields: `retryAfter`, `retry_after`, `retry_after_seconds`, `retryAfterMs`/`retry_after_ms`
   (milliseconds), `resets_in_seconds`, `reset_after`, in the document, its `error` object, their
   `details`, or the error a run result or batch line nests; google.rpc `RetryInfo.retryDelay`;
4. rate-limit reset headers (`X-RateLimit-Reset`, `RateLimit-Reset`, `RateLimit: …;t=N`, and the
   per-limit `x-ratelimit-reset-*` forms), as epoch seconds, epoch milliseconds or a delta;
5. an ISO 8601 time in the body (`resetAt`, `reset_at`);
6. a duration in the message ("retry after 21 seconds", "try again in 5.3s", "in 6m0s");
7. a GitHub-style secondary rate limit ("You have exceeded a secondary rate limit") with none
   of the above: 60 s, the minute GitHub asks for (`SECONDARY_RATE_LIMIT_WAIT`).

request_id: the usual headers, then the body (`request_id`, `requestId`, … in the document, its
error object, and the objects a run result or batch line nests: `response.request_id`), then
the adapter's own, and last the message ("include the request ID req_123 in your message").

should_retry: the `x-should-retry` header, then an explicit verdict in the body (`retryable`,
`isRetryable`, `is_transient`, `should_retry`, a negated `nonRetryable`).

Reset times (4, 5) are a hint only for rate-limit kinds or when the remaining count is 0: many
APIs send them on every response, and a reset an hour away says nothing about when a 500 clears.
Dates are measured against the response's own `Date` header when it has one, so a skewed local
clock does not shorten or lengthen the wait. A time in the past is a wait of 0 for `Retry-After`
and no hint for resets. Invalid, negative, NaN or infinite values, and waits above
`MAX_RETRY_AFTER`, are no hint (the next source is tried); nothing here raises.

Verdicts: `x-should-retry: true|false` (OpenAI, Anthropic) and `Stripe-Should-Retry: true|false`
are the server's own word on retrying (`should_retry_hint`); `x-envoy-ratelimited` marks a 503
(or any 5xx) that Envoy's rate-limit filter sent: a rate limit, not an outage
(`envoy_rate_limited`).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Final

from agent_errors._core._model import Kind

from ._view import ResponseView

__all__ = [
    "MAX_RETRY_AFTER",
    "SECONDARY_RATE_LIMIT_WAIT",
    "VERDICT_HEADERS",
    "RetryAfterHint",
    "envoy_rate_limited",
    "gather_hints",
    "message_request_id",
    "parse_duration",
    "parse_http_date",
    "parse_retry_after",
    "request_id_hint",
    "retry_after_hint",
    "should_retry_hint",
    "usable_retry_after",
]

MAX_RETRY_AFTER: Final = 366 * 24 * 3600.0
"""The longest wait taken as a hint (a year); a longer one is a unit or epoch mix-up, not advice."""

SECONDARY_RATE_LIMIT_WAIT: Final = 60.0
"""Seconds to wait on a secondary rate limit that names no wait (GitHub asks for a minute)."""

RetryAfterHint = tuple[float | None, str | None]
"""(seconds, source) — both None when no source gave a usable hint."""

_RESET_KINDS: Final = frozenset(
    {Kind.RATE_LIMITED, Kind.CONCURRENCY_LIMITED, Kind.PAYMENT_REQUIRED}
)

_BODY_DELAY_KEYS: Final = (
    ("retryAfter", 1.0),
    ("retry_after", 1.0),
    ("retryAfterSeconds", 1.0),
    ("retry_after_seconds", 1.0),
    ("retryAfterMs", 0.001),
    ("retry_after_ms", 0.001),
    # A delay until a usage window resets (OpenAI's Codex usage limits, Discord-style buckets).
    ("resets_in_seconds", 1.0),
    ("resetsInSeconds", 1.0),
    ("reset_after", 1.0),
    ("resetAfter", 1.0),
)
_BODY_RESET_KEYS: Final = ("resetAt", "reset_at", "resetsAt", "resets_at")
_MS_HEADERS: Final = ("retry-after-ms", "x-ms-retry-after-ms", "x-amz-retry-after")
_RESET_HEADERS: Final = ("x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset")
_PER_LIMIT_RESETS: Final = (
    ("x-ratelimit-reset-requests", "x-ratelimit-remaining-requests"),
    ("x-ratelimit-reset-tokens", "x-ratelimit-remaining-tokens"),
    ("anthropic-ratelimit-requests-reset", "anthropic-ratelimit-requests-remaining"),
    ("anthropic-ratelimit-tokens-reset", "anthropic-ratelimit-tokens-remaining"),
    ("anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-input-tokens-remaining"),
    ("anthropic-ratelimit-output-tokens-reset", "anthropic-ratelimit-output-tokens-remaining"),
)
_REMAINING_HEADERS: Final = (
    "x-ratelimit-remaining",
    "ratelimit-remaining",
    "x-rate-limit-remaining",
)

_REQUEST_ID_HEADERS: Final = (
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-ms-request-id",
    "x-goog-request-id",
    "x-github-request-id",
    "apim-request-id",
    "twilio-request-id",
    "audit-id",
    "x-vercel-id",
    "x-amz-cf-id",
    "x-correlation-id",
    "x-trace-id",
    "x-cloud-trace-context",
    "cf-ray",
)
_BODY_REQUEST_ID_KEYS: Final = ("request_id", "requestId", "requestID", "request-id")
# An explicit retry verdict in the body, read like the `x-should-retry` header.
_BODY_VERDICT_KEYS: Final = (
    ("should_retry", False),
    ("shouldRetry", False),
    ("retryable", False),
    ("isRetryable", False),
    ("is_retryable", False),
    ("is_transient", False),
    ("isTransient", False),
    ("nonRetryable", True),
    ("non_retryable", True),
)
# "(Please include the request ID req_123 in your message.)": OpenAI's 5xx text. Bounded.
_MESSAGE_REQUEST_ID_RE: Final = re.compile(
    r"\brequest[ _-]?id:?\s{1,4}([A-Za-z0-9][A-Za-z0-9_.:-]{3,127})", re.IGNORECASE
)
_MAX_REQUEST_ID: Final = 256

# ASCII digits only: float() also reads other scripts' digits (Arabic-Indic "120"), which
# HTTP's DIGIT is not.
_NUMBER_RE: Final = re.compile(r"\A\s*\+?(?:\d+(?:\.\d*)?|\.\d+)\s*\Z", re.ASCII)
_UNIT_SECONDS: Final = {
    "ms": 0.001,
    "millisecond": 0.001,
    "milliseconds": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
}
# Every pattern here is linear on any input (tests/adversarial/test_time.py times them all): a
# number starts only where a run of digits starts (the lookbehind), so a long run is scanned
# once, not once per digit; repeats over untrusted text are bounded (a number of more than 20
# digits is no usable duration); whole-value patterns are anchored at both ends.
_DURATION_PART: Final = (
    r"(?<![\d.])(\d{1,20}(?:\.\d{1,20})?)\s{0,16}"
    r"(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)(?![a-z])"
)
_DURATION_RE: Final = re.compile(rf"\A\s*(?:{_DURATION_PART}\s*)+\Z", re.IGNORECASE)
_DURATION_PART_RE: Final = re.compile(_DURATION_PART, re.IGNORECASE)
# Searched in the lower-cased message: a case-sensitive search is several times faster.
_MESSAGE_RE: Final = re.compile(
    r"\b(?:retry|try\s+again|wait|available)\b(?:\s+(?:after|in|for))?[^0-9.]{0,16}?"
    rf"((?:{_DURATION_PART}\s*(?:and\s+)?){{1,3}})",
)
_RATELIMIT_T_RE: Final = re.compile(r"(?:^|[;,\s])t\s*=\s*(\d+(?:\.\d+)?)")


def _finite(value: float) -> float | None:
    if math.isfinite(value) and value >= 0:
        return value
    return None


def parse_duration(value: object) -> float | None:
    """Return seconds for a number or a duration string ("22s", "1.5s", "500ms", "6m0s").

    Plain numbers and numeric strings are seconds. Returns None for anything unusable.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return _finite(float(value))
        except OverflowError:
            return None
    if isinstance(value, Mapping):  # google.protobuf.Duration as a JSON object
        if "seconds" not in value and "nanos" not in value:
            return None  # an empty or unrelated object is not a duration of zero
        seconds, nanos = value.get("seconds", 0), value.get("nanos", 0)
        base = parse_duration(seconds) if seconds != 0 else 0.0
        extra = parse_duration(nanos) if nanos != 0 else 0.0
        if base is None or extra is None:
            return None
        return _finite(base + extra / 1e9)
    if not isinstance(value, str) or len(value) > 64:
        return None
    if _NUMBER_RE.match(value):
        return _finite(float(value))
    if not _DURATION_RE.match(value):
        return None
    total = 0.0
    for number, unit in _DURATION_PART_RE.findall(value):
        total += float(number) * _UNIT_SECONDS[unit.lower()]
    return _finite(total)


def parse_http_date(value: str) -> float | None:
    """Return the POSIX timestamp of an HTTP-date (IMF-fixdate, RFC 850 or asctime), or None."""
    if not value or len(value) > 64:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.timestamp()
    except (OverflowError, ValueError, OSError):
        return None


def parse_retry_after(value: str, *, now: float) -> float | None:
    """Return seconds to wait for a `Retry-After` value: delta-seconds or an HTTP-date.

    A date in the past is a wait of 0. Returns None for anything unusable.
    """
    value = value.strip()
    if _NUMBER_RE.match(value):
        try:
            return _finite(float(value))
        except OverflowError:  # pragma: no cover - float() of a digit string gives inf
            return None
    moment = parse_http_date(value)
    if moment is None:
        return None
    return _finite(max(0.0, moment - now))


def _parse_iso(value: str) -> float | None:
    if len(value) > 64:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.timestamp()
    except (OverflowError, ValueError, OSError):
        return None


def _reset_delta(value: object, *, now: float) -> float | None:
    """Seconds until a reset given as epoch seconds, epoch milliseconds, a delta or a duration."""
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER_RE.match(text):
            moment = _parse_iso(text)
            if moment is not None:
                return _finite(moment - now) if moment > now else None
            return parse_duration(text)
        try:
            number = float(text)
        except (ValueError, OverflowError):  # pragma: no cover - matched _NUMBER_RE
            return None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    if number >= 1e12:  # epoch milliseconds
        number = number / 1000.0 - now
        return number if number > 0 else None
    if number >= 1e9:  # epoch seconds (a delta of 31+ years is not a delta)
        number -= now
        return number if number > 0 else None
    return number


def _base_time(view: ResponseView, now: float | None) -> float:
    # The server wrote its dates against its own clock, so its Date header is the reference;
    # `now` (or the local clock) stands in only when the response has no usable Date.
    date = view.headers.get("date")
    if date:
        moment = parse_http_date(date)
        if moment is not None:
            return moment
    return time.time() if now is None else now


Containers = list[tuple[str, Mapping[str, Any]]]
"""(prefix, object) pairs of a document where hints are looked for."""

_EMPTY_CONTAINERS: Final[Containers] = []
_BODY_DELAY_KEYSET: Final = frozenset(key for key, _ in _BODY_DELAY_KEYS)
_BODY_RESET_KEYSET: Final = frozenset(_BODY_RESET_KEYS)
_BODY_REQUEST_ID_KEYSET: Final = frozenset(_BODY_REQUEST_ID_KEYS)
_BODY_VERDICT_KEYSET: Final = frozenset(key for key, _ in _BODY_VERDICT_KEYS)
_REMAINING_NAMES: Final = frozenset((*_REMAINING_HEADERS, *(name for _, name in _PER_LIMIT_RESETS)))
_REQUEST_ID_RANK: Final = {name: rank for rank, name in enumerate(_REQUEST_ID_HEADERS)}
_BODY_RETRY_KEYSET: Final = _BODY_DELAY_KEYSET | _BODY_RESET_KEYSET
# Every header `_retry_after_candidates` reads a wait from (or a reset's remaining count).
_RETRY_HEADER_NAMES: Final = frozenset(
    (
        *_MS_HEADERS,
        "retry-after",
        *_RESET_HEADERS,
        "ratelimit",
        *(name for pair in _PER_LIMIT_RESETS for name in pair),
        *_REMAINING_HEADERS,
    )
)


def _containers(doc: Any) -> Containers:
    """The objects of a document where hints may be: itself, `error`, and their details/meta.

    A run result, stream event or batch line carries its error one level down: an OpenAI
    Batch line in `response` (its `request_id`) and `response.body`, a Responses event in
    `response.error`, an Anthropic batch result in `result.error`, an Assistants run in
    `last_error`. Those are looked at after the document's own objects.
    """
    found = _own_containers(doc, "")
    if not found:
        return found
    response = doc.get("response")
    if isinstance(response, dict):
        found.append(("response.", response))
        body = response.get("body")
        if isinstance(body, dict):
            found += _own_containers(body, "response.body.")
        elif isinstance(response.get("error"), dict):
            found.append(("response.error.", response["error"]))
    result = doc.get("result")
    if isinstance(result, dict) and isinstance(result.get("error"), dict):
        found += _own_containers(result["error"], "result.error.")
    last_error = doc.get("last_error")
    if isinstance(last_error, dict):
        found.append(("last_error.", last_error))
    return found


def _own_containers(doc: Any, prefix: str) -> Containers:
    if not isinstance(doc, dict):
        return []
    names = _PREFIXES.get(prefix) or _prefixes(prefix)
    found: list[tuple[str, Mapping[str, Any]]] = [(prefix, doc)]
    err = doc.get("error")
    if isinstance(err, dict):
        found.append((names[0], err))
        details = err.get("details")
        if isinstance(details, dict):
            found.append((names[1], details))
        # Microsoft Graph and Azure carry the request id in `error.innerError["request-id"]`.
        for key, name in _INNER_KEYS:
            inner = err.get(key)
            if isinstance(inner, dict):
                found.append((names[name], inner))
    for key, name in _SIDE_KEYS:
        inner = doc.get(key)
        if isinstance(inner, dict):
            found.append((names[name], inner))
    return found


_INNER_KEYS: Final = (("innerError", 2), ("innererror", 3))
_SIDE_KEYS: Final = (("details", 4), ("meta", 5), ("metadata", 6))


def _prefixes(prefix: str) -> tuple[str, ...]:
    """The prefixes of the containers `_own_containers` finds under `prefix`, in index order."""
    return (
        f"{prefix}error.",
        f"{prefix}error.details.",
        *(f"{prefix}error.{key}." for key, _ in _INNER_KEYS),
        *(f"{prefix}{key}." for key, _ in _SIDE_KEYS),
    )


# The prefixes in use (a fixed set: the document's own, and the nested errors' in `_containers`).
_PREFIXES: Final = {prefix: _prefixes(prefix) for prefix in ("", "response.body.", "result.error.")}


def _google_details(doc: Any) -> list[Any]:
    if isinstance(doc, dict):
        err = doc.get("error")
        if isinstance(err, dict):
            details = err.get("details")
            if isinstance(details, list):
                return details
    return []


def _is_zero(value: object) -> bool:
    return isinstance(value, str) and value.strip() == "0"


def usable_retry_after(seconds: object) -> bool:
    """Return whether `seconds` is a usable wait: a finite number in 0..`MAX_RETRY_AFTER`."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return False
    return math.isfinite(seconds) and 0 <= seconds <= MAX_RETRY_AFTER


def retry_after_hint(
    view: ResponseView,
    kind: Kind,
    message: str = "",
    *,
    now: float | None = None,
    containers: Containers | None = None,
) -> RetryAfterHint:
    """Return (seconds, source) for the first usable retry-after hint, or (None, None).

    Dates are measured against the response's `Date` header; without one, against `now` (a
    POSIX timestamp, for tests) or the local clock. A source whose value is unusable (invalid,
    negative, NaN, infinite, or above `MAX_RETRY_AFTER`) is skipped and the next one is tried.
    Never raises on the view's content. `containers` (the document's objects that may hold a
    hint, as `gather_hints` finds them) saves walking the document again.
    """
    if containers is None:
        containers = _containers(view.json)
    if (
        _RETRY_HEADER_NAMES.isdisjoint(view.headers.lowered)
        and _no_retry_keys(containers)
        and not _google_details(view.json)
        and not _message_may_say_wait(message)
    ):
        return None, None  # the common error names no wait anywhere: skip the walk
    for seconds, source in _retry_after_candidates(view, kind, message, now, containers):
        if usable_retry_after(seconds):
            return seconds, source
    return None, None


_BODY_HINT_KEYSET: Final = _BODY_RETRY_KEYSET | _BODY_REQUEST_ID_KEYSET | _BODY_VERDICT_KEYSET


def gather_hints(
    view: ResponseView, kind: Kind, message: str
) -> tuple[float | None, str | None, str | None, str | None, bool | None]:
    """(retry_after, its source, request id, its source, verdict): the three hints at once.

    What `retry_after_hint`, `request_id_hint` and `should_retry_hint` return, with the
    document walked once and each skipped when no header, body field or message word could
    give it (the common error names none but a request id). Never raises on the view's content.
    """
    doc = view.json
    containers = _containers(doc)
    headers = view.headers.lowered
    keys = False  # a body field that may give a hint
    for _, container in containers:
        if not _BODY_HINT_KEYSET.isdisjoint(container):
            keys = True
            break
    in_body = keys or bool(_google_details(doc))  # google.rpc details give waits and ids too
    seconds: float | None = None
    source: str | None = None
    if in_body or not _RETRY_HEADER_NAMES.isdisjoint(headers) or _message_may_say_wait(message):
        seconds, source = retry_after_hint(view, kind, message, containers=containers)
    rid: str | None = None
    rid_source: str | None = None
    if in_body or not _REQUEST_ID_RANK.keys().isdisjoint(headers):
        rid, rid_source = request_id_hint(view, containers=containers)
    verdict: bool | None = None
    if keys or not _VERDICT_HEADER_SET.isdisjoint(headers):
        verdict = should_retry_hint(view, containers=containers)
    return seconds, source, rid, rid_source, verdict


def _no_retry_keys(containers: Containers) -> bool:
    for _, container in containers:  # noqa: SIM110 - a loop: no generator on the hot path
        if not _BODY_RETRY_KEYSET.isdisjoint(container):
            return False
    return True


def _message_may_say_wait(message: str) -> bool:
    """Whether the message has a word `_retry_after_candidates` reads a wait after."""
    low = message.lower() if message and len(message) < 4096 else ""
    return bool(low) and (
        "retry" in low
        or "again" in low
        or "wait" in low
        or "available" in low
        or "secondary rate limit" in low
    )


def _retry_after_candidates(
    view: ResponseView, kind: Kind, message: str, now: float | None, containers: Containers
) -> Iterator[RetryAfterHint]:
    """Every retry-after value the response offers, in priority order (unchecked)."""
    headers = view.headers.lowered  # names are lower-case here: plain dict lookups
    base: float | None = None

    for name in _MS_HEADERS:
        value = headers.get(name)
        if value is not None:
            # A bare number of milliseconds: "3s" here would otherwise be read as 3 ms.
            ms = parse_duration(value) if _NUMBER_RE.match(value) else None
            yield (None if ms is None else ms / 1000.0), f"header:{name}"

    value = headers.get("retry-after")
    if value is not None:
        base = _base_time(view, now)
        yield parse_retry_after(value, now=base), "header:retry-after"

    doc = view.json
    for prefix, container in containers:
        if _BODY_DELAY_KEYSET.isdisjoint(container):
            continue
        for key, scale in _BODY_DELAY_KEYS:
            if key in container:
                seconds = parse_duration(container[key])
                yield (None if seconds is None else seconds * scale), f"body:{prefix}{key}"
    for item in _google_details(doc):
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("google.rpc.RetryInfo"):
            yield parse_duration(item.get("retryDelay")), "body:RetryInfo.retryDelay"

    exhausted = not _REMAINING_NAMES.isdisjoint(headers) and (
        any(_is_zero(headers.get(name)) for name in _REMAINING_HEADERS)
        or any(_is_zero(headers.get(name)) for _, name in _PER_LIMIT_RESETS)
    )
    if kind in _RESET_KINDS or exhausted:
        if base is None:
            base = _base_time(view, now)
        for name in _RESET_HEADERS:
            value = headers.get(name)
            if value is not None:
                yield _reset_delta(value, now=base), f"header:{name}"
        value = headers.get("ratelimit")
        if value is not None:
            match = _RATELIMIT_T_RE.search(value)
            if match:
                yield float(match.group(1)), "header:ratelimit"
        best: RetryAfterHint = (None, None)
        for reset_name, remaining_name in _PER_LIMIT_RESETS:
            value = headers.get(reset_name)
            if value is None:
                continue
            remaining = headers.get(remaining_name)
            if remaining is not None and not _is_zero(remaining) and kind not in _RESET_KINDS:
                continue
            seconds = _reset_delta(value, now=base)
            # Several limits may be exhausted: never retry before the last of them resets.
            if (
                seconds is not None
                and usable_retry_after(seconds)
                and (best[0] is None or seconds > best[0])
            ):
                best = (seconds, f"header:{reset_name}")
        if best[0] is not None:
            yield best
        for prefix, container in containers:
            if _BODY_RESET_KEYSET.isdisjoint(container):
                continue
            for key in _BODY_RESET_KEYS:
                if key in container:
                    yield _reset_delta(container[key], now=base), f"body:{prefix}{key}"

    low = message.lower() if message and len(message) < 4096 else ""
    if low and ("retry" in low or "again" in low or "wait" in low or "available" in low):
        match = _wait_phrase(low)
        if match:
            total = 0.0
            for number, unit in _DURATION_PART_RE.findall(match.group(1)):
                total += float(number) * _UNIT_SECONDS[unit.lower()]
            yield total, "message"
    if low and "secondary rate limit" in low:
        yield SECONDARY_RATE_LIMIT_WAIT, "message:secondary-rate-limit"


def _wait_phrase(low: str) -> re.Match[str] | None:
    """`_MESSAGE_RE.search(low)`, trying the pattern only where one of its words begins.

    A match starts at "retry", "try", "wait" or "available", so the pattern is matched at those
    places alone, leftmost first: the same match, without the scan that tries the whole
    alternation at every character (about 2.5x slower on a sentence that names none).
    """
    starts: list[int] = []
    for word in _WAIT_WORDS:
        index = low.find(word)
        while index >= 0:
            starts.append(index)
            if word == "try" and index >= 2 and low.startswith("re", index - 2):
                starts.append(index - 2)
            index = low.find(word, index + 1)
    if len(starts) > 1:
        starts.sort()
    for start in starts:
        match = _MESSAGE_RE.match(low, start)
        if match is not None:
            return match
    return None


_WAIT_WORDS: Final = ("try", "wait", "available")


def clean_request_id(value: object) -> str | None:
    """Return `value` as a request id, or None when it cannot be one.

    A request id is printable text (no CR, LF, ESC, bidi or other control or format character:
    it reaches headers, logs and terminals) of at most 256 characters, or an integer.
    """
    return _clean_id(value)


def _clean_id(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _MAX_REQUEST_ID or not text.isprintable():
        return None
    return text


def message_request_id(message: str) -> str | None:
    """Return the request id a message names ("include the request ID req_123 in your message").

    The last source of a request id: only the first 4 KiB of the message are searched.
    """
    if not message or "request" not in message.lower()[:4096]:
        return None
    for match in _MESSAGE_REQUEST_ID_RE.finditer(message[:4096]):
        candidate = match.group(1).rstrip(".:-")
        # An id has a digit; "request ID when contacting support" names none.
        if any(char.isdigit() for char in candidate):
            return _clean_id(candidate)
    return None


def request_id_hint(
    view: ResponseView, *, containers: Containers | None = None
) -> tuple[str | None, str | None]:
    """Return (request id, source) from the usual headers, then the body; (None, None) if none."""
    headers = view.headers.lowered
    if headers and not _REQUEST_ID_RANK.keys().isdisjoint(headers):
        present = [name for name in headers if name in _REQUEST_ID_RANK]
        if len(present) > 1:
            present.sort(key=_REQUEST_ID_RANK.__getitem__)
        for name in present:
            clean = _clean_id(headers[name].split(",", 1)[0])
            if clean is not None:
                return clean, f"header:{name}"
    doc = view.json
    if containers is None:
        containers = _containers(doc)
    for prefix, container in containers:
        if _BODY_REQUEST_ID_KEYSET.isdisjoint(container):
            continue
        for key in _BODY_REQUEST_ID_KEYS:
            if key in container:
                clean = _clean_id(container[key])
                if clean is not None:
                    return clean, f"body:{prefix}{key}"
    for item in _google_details(doc):
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("google.rpc.RequestInfo"):
            clean = _clean_id(item.get("requestId"))
            if clean is not None:
                return clean, "body:RequestInfo.requestId"
    return None, None


VERDICT_HEADERS: Final = ("x-should-retry", "stripe-should-retry")
"""Headers that carry the server's retry verdict, in the order they are read."""
_VERDICT_HEADER_SET: Final = frozenset(VERDICT_HEADERS)


def should_retry_hint(view: ResponseView, *, containers: Containers | None = None) -> bool | None:
    """Return the server's retry verdict (True/False), or None when it gave none.

    The headers first: `x-should-retry` (OpenAI, Anthropic), then `Stripe-Should-Retry`; then an
    explicit verdict in the body (`should_retry`, `retryable`, `isRetryable`, `is_transient`, …,
    or a negated `nonRetryable`), in the document, its error object or their details. Only a
    JSON boolean (or the text "true" / "false") counts.
    """
    headers = view.headers.lowered
    for name in VERDICT_HEADERS:
        value = headers.get(name)
        if value is not None:
            verdict = _verdict(value)
            if verdict is not None:
                return verdict
    if containers is None:
        containers = _containers(view.json)
    for _, container in containers:
        if _BODY_VERDICT_KEYSET.isdisjoint(container):
            continue
        for key, negated in _BODY_VERDICT_KEYS:
            if key in container:
                verdict = _verdict(container[key])
                if verdict is not None:
                    return verdict is not negated
    return None


def _verdict(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "true":
            return True
        if text == "false":
            return False
    return None


def envoy_rate_limited(view: ResponseView) -> bool:
    """Return whether Envoy's rate-limit filter marked the response (`x-envoy-ratelimited`).

    Envoy sends the header with its own 429 and, for gRPC (`UNAVAILABLE` unless configured
    otherwise), with a 503: either way the request was throttled, not failed.
    """
    return "x-envoy-ratelimited" in view.headers.lowered
