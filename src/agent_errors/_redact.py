"""Secret redaction: credentials never reach a message, `details` or a repr.

Gateways log canonical errors, and providers echo credentials back in error messages ("Invalid
API key: sk-...") more often than one would hope. Each pattern keeps the credential's prefix, so a
log still says *which kind* of key was wrong, and replaces the secret part with `[REDACTED]`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["REDACTED", "redact", "redact_value"]

REDACTED: Final = "[REDACTED]"

# Prefixed keys: (prefix, minimum length of the secret part). Longest prefixes first so that
# `oc_org_…` is not reported as `oc_…`.
_PREFIXES: Final = (
    r"oc_partner_",
    r"oc_org_",
    r"org_live_",
    r"org_test_",
    r"sk-proj-",
    r"sk-ant-",
    r"sk_live_",
    r"sk_test_",
    r"rk_live_",
    r"pk_live_",
    r"sk-",
    r"pt-",
    r"oc_",
    r"ghp_",
    r"gho_",
    r"ghs_",
    r"github_pat_",
    r"glpat-",
    r"xox[abposr]-",
    r"hf_",
    r"AIza",
)

# What follows a scheme or a `key=`: at least 8 characters with a digit or symbol in them, so
# that prose ("use a bearer token instead") stays readable.
_CREDENTIAL: Final = r"(?!\[REDACTED\])(?=[^\s\"',;&]*[0-9\-_.=+/])[^\s\"',;&]{8,}"

_SECRET_RE: Final = re.compile(
    # A prefixed key not glued to a preceding word character, with at least 6 key characters.
    r"(?<![A-Za-z0-9_\-])(?P<prefix>" + "|".join(_PREFIXES) + r")[A-Za-z0-9_\-]{6,}"
    # Authorization schemes: everything up to whitespace or a quote.
    r"|(?P<scheme>\b(?:Bearer|Basic|Token|Bot)\s+)" + _CREDENTIAL +
    # AWS access key ids.
    r"|(?P<aws>\b(?:AKIA|ASIA))[A-Z0-9]{16}\b"
    # JSON Web Tokens.
    r"|(?P<jwt>\beyJ)[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"
    # key=value pairs whose key names a secret.
    r"|(?P<kv>\b(?:api[_\-]?key|access[_\-]?token|secret|password|token)\s*[=:]\s*)" + _CREDENTIAL,
    re.IGNORECASE,
)
# Quick pre-check on raw bytes: a body that contains none of these needs no redaction at all.
# Matched against the lower-cased bytes: a case-sensitive search of those is several times faster
# than an IGNORECASE one, with the same answer (both fold ASCII only).
_MAYBE_SECRET_RE: Final = re.compile(
    rb"oc_|org_|sk[-_]|pt-|rk_|pk_|gh[pos]_|github_pat|glpat|xox|hf_|aiza|bearer|basic|token"
    rb"|bot |akia|asia|eyj|api.?key|secret|password|\\u"
)


def _replace(match: re.Match[str]) -> str:
    for group in ("prefix", "scheme", "aws", "jwt", "kv"):
        value = match.group(group)
        if value is not None:
            return value + REDACTED
    return REDACTED  # pragma: no cover - every alternative has a named group


def might_contain_secret(raw: bytes) -> bool:
    """Return False only when `raw` certainly contains no secret `redact` would replace."""
    return _MAYBE_SECRET_RE.search(raw.lower()) is not None


def redact(text: str) -> str:
    """Return `text` with every credential replaced by its prefix and `[REDACTED]`."""
    if not text:
        return text
    return _SECRET_RE.sub(_replace, text)


def redact_value(value: Any, _depth: int = 0) -> Any:
    """Return `value` (JSON-like: dicts, lists, strings) with every string redacted.

    Containers are copied only where something changed; values nested deeper than 64 levels are
    replaced by `[REDACTED]` rather than walked.
    """
    if isinstance(value, str):
        return redact(value)
    if _depth > 64:
        return REDACTED
    if isinstance(value, Mapping):
        changed = False
        out: dict[Any, Any] = {}
        for key, item in value.items():
            new_key = redact(key) if isinstance(key, str) else key
            if _is_secret_key(new_key) and isinstance(item, str) and item:
                new_item: Any = REDACTED
            else:
                new_item = redact_value(item, _depth + 1)
            changed = changed or new_item is not item or new_key is not key
            out[new_key] = new_item
        return out if changed else value
    if isinstance(value, (list, tuple)):
        items = [redact_value(item, _depth + 1) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else tuple(items)
    return value


_SECRET_KEYS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api_key",
        "apikey",
        "api-key",
        "access_token",
        "accesstoken",
        "refresh_token",
        "client_secret",
        "password",
        "secret",
        "token",
        "cookie",
        "set-cookie",
    }
)


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and key.lower() in _SECRET_KEYS
