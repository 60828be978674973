"""OneCLI: a flat `{"error": "…"}` string or an `{"error": {"message", "type"}}` envelope.

Route-level validation answers with the first validator issue as a flat string
(`{"error": "Label is required"}`); everything else uses the envelope. OneCLI has no error codes:
the kind follows the HTTP status (the table below is OneCLI's status reference); of those statuses
only 500 is retryable (a proxy's 502-504 keeps its own kind). The message reference names the
cause of each message, so `param` is recovered from the messages that name a field or header
(`MESSAGES` below); a message is never allowed to override the status.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import attrs

from agent_errors._core._model import CanonicalError, Kind, kind_for_status
from agent_errors.adapter_kit import (
    ErrorCode,
    Parsed,
    ProviderPack,
    Rendered,
    ResponseView,
    Shape,
    code_table,
    default_status,
    finish_error,
    first_str,
    json_rendered,
)

NAME: Final = "onecli"
HOSTS: Final = ("api.onecli.sh",)

# OneCLI documents statuses, not codes: the table is keyed by the status, as a string.
CODES: Final = code_table(
    ErrorCode(
        "400",
        Kind.INVALID_REQUEST,
        400,
        "Missing required field, invalid value, body fails validation",
    ),
    ErrorCode("401", Kind.AUTHENTICATION, 401, "Missing or invalid API key, expired session"),
    ErrorCode("403", Kind.PERMISSION, 403, "Insufficient permissions for this resource"),
    ErrorCode("404", Kind.NOT_FOUND, 404, "Resource ID doesn't exist, wrong provider name"),
    ErrorCode("409", Kind.CONFLICT, 409, "Duplicate agent identifier"),
    ErrorCode("500", Kind.INTERNAL, 500, "Unexpected server failure; retry with backoff"),
)


@attrs.frozen
class Message:
    """One documented message: its pattern, the status it comes with, and the param it names.

    `param` may contain `{name}` placeholders filled from the pattern's named groups; the other
    named groups are kept in `details` (e.g. the unknown `toolId`). A `template` message is one
    other APIs send too (`{field} is required`, Zod's wording): it is weak evidence of OneCLI.
    """

    pattern: re.Pattern[str]
    status: int
    param: str | None = None
    template: bool = False


def _msg(pattern: str, status: int, param: str | None = None, *, template: bool = False) -> Message:
    # Anchored at both ends: whatever a caller does with it (search included), it is linear.
    full = rf"\A(?:{pattern})\Z"
    return Message(re.compile(full, re.IGNORECASE | re.DOTALL), status, param, template)


# OneCLI's "Common error messages", in its own order. The first pattern that matches wins, so the
# specific entries come before the `{field} is required` template.
MESSAGES: Final = (
    # General
    _msg(r"Invalid API key or token\.?", 401),
    _msg(r"X-Project-Id header is required", 400, "X-Project-Id"),
    _msg(r"Insufficient permissions", 403),
    # Agents
    _msg(r"Identifier must be .*", 400, "identifier"),
    _msg(r"An agent with this identifier already exists", 409, "identifier"),
    _msg(r"Cannot delete the default agent", 400),
    _msg(r"Agent is already the default", 400),
    _msg(r"One or more secrets not found", 400),
    _msg(r"Agent not found", 404),
    # Secrets
    _msg(r"Enter a hostname, not a URL.*", 400, "hostPattern"),
    _msg(r"Enter a hostname only, not a path.*", 400, "hostPattern"),
    _msg(r"Host pattern must not contain spaces", 400, "hostPattern"),
    _msg(
        r"Header name, parameter name, or URL path template is required for generic secrets",
        400,
        "injectionConfig",
    ),
    _msg(r"1Password is only available for project-scoped secrets", 400, "valueSource"),
    _msg(r"No fields to update", 400),
    _msg(r"Secret not found", 404),
    # Rules
    _msg(r"rateLimit and rateLimitWindow are required when action is rate_limit", 400, "rateLimit"),
    _msg(r"Rate limit rules require a rate limit and window", 400, "rateLimit"),
    _msg(r"At least one field must be provided", 400),
    _msg(r"Policy rule not found", 404),
    _msg(r"Unknown tool: (?P<toolId>.+)", 400, "toolId"),
    _msg(r"Only agent-scoped app permissions can be set to inherit", 400, "agentId"),
    # Apps
    _msg(r"Unknown provider: (?P<provider>.+)", 404, "provider"),
    _msg(r"Provider \"(?P<provider>[^\"]+)\" is not available", 400, "provider"),
    _msg(r"Missing fields in request body", 400, "fields"),
    _msg(r"Connection not found", 404),
    _msg(r"Label is required", 400, "label"),
    _msg(r"Invalid request body", 400),
    # Zod's wording for a name that is empty or too long (Agents, User): it names no field.
    _msg(r"(?:Too small|Too big|String must contain)\b.*", 400, template=True),
    # `{field} is required`: a required credential field is empty.
    _msg(r"(?P<field>[A-Za-z_][\w.\-]*) is required", 400, "{field}", template=True),
)


_GROUP_RE: Final = re.compile(r"\(\?P<(\w+)>")
_ANCHORED_RE: Final = re.compile(r"\A\\A\(\?:(.*)\)\\Z\Z", re.DOTALL)


def _indexed(entries: tuple[Message, ...]) -> tuple[re.Pattern[str], dict[int, int]]:
    """One alternation of every entry, in order, and which entry each outer group is.

    A single C-level match instead of a Python loop over the patterns: the first alternative
    that matches the whole text wins, as the first pattern did. Each entry's named groups are
    renamed `_<entry>_<name>`, so that two entries may capture the same name.
    """
    parts: list[str] = []
    owners: dict[int, int] = {}
    group = 0
    for index, entry in enumerate(entries):
        found = _ANCHORED_RE.match(entry.pattern.pattern)
        assert found is not None  # every entry comes from `_msg`
        inner = found.group(1)
        group += 1
        owners[group] = index
        group += re.compile(inner).groups
        parts.append(f"({_GROUP_RE.sub(lambda m, i=index: f'(?P<_{i}_{m.group(1)}>', inner)})")
    pattern = re.compile(r"\A(?:" + "|".join(parts) + r")\Z", re.IGNORECASE | re.DOTALL)
    return pattern, owners


_MESSAGES_RE, _OWNERS = _indexed(MESSAGES)


_Match = tuple[Message, dict[str, str]] | None
# The last message matched and its answer: `sniff` and `read` look at the same string, so the
# second match is free. (A pure function of an immutable string; swapped in one assignment.)
_last: tuple[str, _Match] = ("", None)


def match_message(message: str) -> _Match:
    """Return the documented message `message` is, with its captured values; None if none."""
    global _last  # noqa: PLW0603 - a one-entry memo, see above
    last = _last
    if message is last[0]:
        answer = last[1]
        return None if answer is None else (answer[0], dict(answer[1]))  # the caller's own
    answer = _match(message)
    _last = (message, answer)
    return answer


def _match(message: str) -> _Match:
    found = _MESSAGES_RE.match(message.strip())
    if found is None:
        return None
    index = _OWNERS[found.lastindex or 0]
    values: dict[str, str] = {}
    prefix = f"_{index}_"
    for key, value in found.groupdict().items():
        if value and key.startswith(prefix):
            values[key[len(prefix) :]] = value.strip()
    return MESSAGES[index], values


def _shape(view: ResponseView) -> tuple[str | None, Mapping[str, Any] | None]:
    """(message, envelope) when the body is OneCLI's shape: flat string or {message, type}."""
    doc = view.json
    if not isinstance(doc, dict):
        return None, None
    err = doc.get("error")
    if isinstance(err, str):
        return first_str(err), None
    if isinstance(err, dict):
        return first_str(err.get("message")), err
    return None, None


# Documented: of OneCLI's own statuses (400-409, 500) only 500 is retryable ("retry with
# exponential backoff"); no idempotency keys. OneCLI documents no 429/502-504: those come from the
# proxies and load balancers in front of it, and are transient like anywhere else.
RETRY_PROFILE: Final[Mapping[str, Any]] = {
    "retry_on": {
        Kind.INTERNAL,
        Kind.NETWORK,
        Kind.UNAVAILABLE,
        Kind.TIMEOUT,
        Kind.RATE_LIMITED,
        Kind.CONCURRENCY_LIMITED,
    },
    "jitter": "equal",
}

PACK: Final = ProviderPack(NAME, codes=CODES, retry=RETRY_PROFILE, hosts=HOSTS)
"""Everything about OneCLI: its statuses, its retry profile and its host."""


class OneCLIAdapter:
    """Adapter for the OneCLI API: kind from the status, param from the documented messages."""

    name = NAME
    hosts = HOSTS
    codes = CODES
    shapes = frozenset({Shape.FLAT_STRING, Shape.ERROR_OBJECT})
    pack = PACK

    def sniff(self, view: ResponseView) -> float:
        """0.9 for a documented message in OneCLI's shape, 0.55 for a templated one, else ≤ 0.3.

        The flat string and a `{message, type}` envelope are shared by many APIs, so the shape
        alone never claims a body: only OneCLI's own messages do.
        """
        message, envelope = _shape(view)
        if message is None:
            return 0.0
        # Both shapes are the whole body: a top-level "type" is the Qoder/Anthropic envelope.
        if set(view.json) != {"error"}:
            return 0.0
        if envelope is not None and not set(envelope) <= {"message", "type"}:
            return 0.0
        found = match_message(message)
        if found is not None:
            return 0.55 if found[0].template else 0.9  # the documented ones come first
        return 0.3 if envelope is not None else 0.2

    def read(self, view: ResponseView) -> Parsed | None:
        """Parse either shape; None when the body has neither."""
        message, envelope = _shape(view)
        if message is None and envelope is None:
            return None
        status = view.status
        param: str | None = None
        details: dict[str, Any] = {}
        documented_status: int | None = None
        if message is not None:
            found = match_message(message)
            if found is not None:
                entry, values = found
                documented_status = entry.status
                if entry.param is not None:
                    param = entry.param.format(**values)
                named = entry.param or ""
                details.update({k: v for k, v in values.items() if f"{{{k}}}" not in named})
        code = first_str(envelope.get("type")) if envelope is not None else None
        if envelope is not None:
            details.update({k: v for k, v in envelope.items() if k not in {"message", "type"}})
        kind = kind_for_status(status if status is not None else documented_status)
        return Parsed(
            kind=kind,
            message=message,
            code=code,
            param=param,
            details=details,
        )

    def parse(self, view: ResponseView) -> CanonicalError | None:
        """Return the finished error `read` finds; None when it finds none."""
        parsed = self.read(view)
        return None if parsed is None else finish_error(view, parsed, NAME)

    def render(self, error: CanonicalError) -> Rendered:
        """Render in the envelope shape: `{"error": {"message", "type"}}`.

        The format has no place for `param`: it survives only where the message names it.
        """
        body = {"error": {"message": error.message, "type": error.code or error.kind.value}}
        return json_rendered(default_status(error), body, error=error)


ADAPTER: Final = OneCLIAdapter()
