"""Secret redaction: credentials never reach a message, `details` or a repr.

Gateways log canonical errors, and providers echo credentials back in error messages ("Invalid
API key: sk-...") more often than one would hope. Each pattern keeps the credential's prefix, so a
log still says *which kind* of key was wrong, and replaces the secret part with `[REDACTED]`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["REDACTED", "needs_redaction", "redact", "redact_value"]

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

# What follows a scheme or a `key=`: a run of token characters that is either long (20+, random
# keys of that length are rarely all letters) or has a digit or symbol inside it; a trailing
# full stop is prose, not key. So "use a bearer token instead" and "Your token expired." stay
# readable while "Bearer abc.def" and "token=hunter22" do not.
_KEY_CHAR: Final = r"[^\s\"',;&()<>\[\]{}]"
_CREDENTIAL: Final = (
    r"(?!\[REDACTED\])"
    r"(?:(?="
    + _KEY_CHAR
    + r"*?(?:[0-9\-_=+/]|\.(?="
    + _KEY_CHAR
    + r")))"
    + _KEY_CHAR
    + r"{8,}|[A-Za-z]{20,})"
    r"(?<!\.)"
)
# Names of fields whose value is a secret, with an optional prefix (`client_secret`,
# `x-api-key`, `session_token`) and optional JSON quotes around the name and the value.
_SENSITIVE_FIELD: Final = (
    r"(?:[A-Za-z0-9]+[_\-]){0,3}"
    r"(?:api[_\-]?key|access[_\-]?key|(?:access|refresh|auth|session|id|api)?[_\-]?token"
    r"|secret(?:[_\-]?key)?|private[_\-]?key|password|passwd)"
)

_SECRET_RE: Final = re.compile(
    # A prefixed key not glued to a preceding word character, with at least 6 key characters.
    r"(?<![A-Za-z0-9_\-])(?P<prefix>" + "|".join(_PREFIXES) + r")[A-Za-z0-9_\-]{6,}"
    # Authorization schemes: the credential after them.
    r"|(?P<scheme>\b(?:Bearer|Basic|Token|Bot)\s+)" + _CREDENTIAL +
    # AWS access key ids.
    r"|(?P<aws>\b(?:AKIA|ASIA))[A-Z0-9]{16}\b"
    # JSON Web Tokens.
    r"|(?P<jwt>\beyJ)[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"
    # key=value pairs (or "key": "value") whose key names a secret.
    r"|(?P<kv>\b" + _SENSITIVE_FIELD + r"[\"']?\s*[=:]\s*[\"']?)" + _CREDENTIAL,
    # ASCII: credentials are ASCII, and Unicode case folding would let "\u017fecret" (long s)
    # match "secret" where the byte pre-check below cannot see it.
    re.IGNORECASE | re.ASCII,
)
# Quick pre-check on raw bytes: a body that contains none of these (in any ASCII case) needs no
# redaction at all. Plain substring tests on the lower-cased bytes: a regex alternation took
# milliseconds on a 64 KiB body, longer than redacting it. Each pattern of `_SECRET_RE` starts
# with one of these (`key` covers api_key, x-api-key, access-key, private_key ...); JSON
# escapes (\\u) and UTF-16/32 text (NULs between the letters) hide words, so they count too.
_MAYBE_SECRET: Final = (
    *(prefix.lower().encode() for prefix in _PREFIXES if prefix.isascii() and "[" not in prefix),
    b"xox",
    b"akia",
    b"asia",
    b"eyj",
    b"bearer",
    b"basic",
    b"bot",
    b"token",
    b"key",
    b"secret",
    b"password",
    b"passwd",
    b"\\u",
    b"\x00",
)


def _replace(match: re.Match[str]) -> str:
    for group in ("prefix", "scheme", "aws", "jwt", "kv"):
        value = match.group(group)
        if value is not None:
            return value + REDACTED
    return REDACTED  # pragma: no cover - every alternative has a named group


# Tokens that contain another token add nothing to "does any occur".
_ANCHORS: Final = tuple(
    token for token in _MAYBE_SECRET if not any(o != token and o in token for o in _MAYBE_SECRET)
)


def _trie(words: list[str]) -> str:
    """An alternation of `words` factored by first characters (`a(?:iza|kia)|bot|...`).

    The same language as `"|".join(words)`, but at each position the regex engine tries one
    branch per first character instead of one per word: about twice as fast for these anchors.
    `words` must not contain one another (true of `_ANCHORS`).
    """
    groups: dict[str, list[str]] = {}
    for word in sorted(words):
        groups.setdefault(word[0], []).append(word[1:])
    parts = []
    for first, rests in groups.items():
        if len(rests) == 1:
            parts.append(re.escape(first + rests[0]))
        else:
            parts.append(re.escape(first) + "(?:" + _trie(rests) + ")")
    return "|".join(parts)


_ANCHOR_TEXT: Final = _trie([token.decode("latin-1") for token in _ANCHORS])
_ANCHOR_BYTES_RE: Final = re.compile(_ANCHOR_TEXT.encode("latin-1"))
# The same anchors for text: every secret `_SECRET_RE` matches contains one, lower-cased.
_ANCHOR_RE: Final = re.compile(_ANCHOR_TEXT)
_SHORT_BODY: Final = 4096  # below this one expression is faster; above, substring searches


def might_contain_secret(raw: bytes) -> bool:
    """Return False only when `raw` certainly contains no secret `redact` would replace."""
    lowered = raw.lower()
    if len(lowered) < _SHORT_BODY:
        return _ANCHOR_BYTES_RE.search(lowered) is not None
    return any(token in lowered for token in _ANCHORS)


def redact(text: str) -> str:
    """Return `text` with every credential replaced by its prefix and `[REDACTED]`."""
    if not text or _ANCHOR_RE.search(text.lower()) is None:
        return text
    return _SECRET_RE.sub(_replace, text)


def needs_redaction(*texts: str | None, details: Any = None) -> bool:
    """Return False only when none of `texts` nor any key or string in `details` needs redacting.

    One search over all the text at once: far cheaper than redacting field by field when, as
    almost always, nothing is secret.
    """
    strings = [text for text in texts if text]
    if details and _collect(details, strings, 0):
        return True
    if not strings:
        return False
    return _ANCHOR_RE.search("\n".join(strings).lower()) is not None


_SCALARS: Final = frozenset({int, float, bool, type(None)})


def _collect(value: Any, out: list[str], depth: int) -> bool:
    """Append the strings in `value` to `out`; True when a key names a secret or it is too deep."""
    if depth > 64:
        return True
    kind = type(value)
    if kind is str:
        out.append(value)
    elif kind is dict or (kind is not list and isinstance(value, Mapping)):
        for key, item in value.items():
            if type(key) is str:
                if key.lower() in _SECRET_KEYS:
                    return True
                out.append(key)
            item_kind = type(item)
            if item_kind is str:
                out.append(item)
            elif item_kind not in _SCALARS and _collect(item, out, depth + 1):
                return True
    elif kind is list or kind is tuple:
        for item in value:
            item_kind = type(item)
            if item_kind is str:
                out.append(item)
            elif item_kind not in _SCALARS and _collect(item, out, depth + 1):
                return True
    elif isinstance(value, str):  # a str subclass
        out.append(value)
    return False


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
