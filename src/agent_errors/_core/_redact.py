"""Secret redaction: credentials never reach a message, `details` or a repr.

Gateways log canonical errors, and providers echo credentials back in error messages ("Invalid
API key: sk-...") more often than one would hope. Each rule keeps what names the credential (its
prefix, the `Bearer ` scheme, the `password=` field, the URL around it), so a log still says
*which kind* of key was wrong, and replaces the secret part with `[REDACTED]`.

How it works: each rule in `_RULES` matches a short head (a prefix, a scheme, a field name)
and looks ahead, with bounded repetition, at the value after it;
a small Python check per rule then decides whether that value is a credential ("Bearer
abcd1234efgh" is, "Bearer authentication" is not; `sk-abcdef123456` is, `sk-learning-v2` is
not). Rules are tried only where a head can start: every head contains an anchor word, and one
scan of the lower-cased text (`_PRECHECK_RE`) finds them; without one (the common case, decided
by one search of `_FAST_RE`) the text is returned as it is. A rejected candidate consumes
nothing, so whatever follows it is still examined. Every rule is linear: literal heads, single
character classes with bounded counts, no nested or overlapping quantifiers. Each start is tried
once per rule, and at most `_BUDGET` anchors and candidates per text: past that the rest of the
text is replaced whole, so a flood of decoys costs little and hides nothing.

Invisible format characters (U+200B ZERO WIDTH SPACE and its kin) can split a key so that no
rule sees it: text that holds one is examined with them removed, and when that finds a secret
the redacted text is returned without them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["REDACTED", "might_contain_secret", "needs_redaction", "redact", "redact_value"]

REDACTED: Final = "[REDACTED]"

# Prefixes that name a credential on their own: what follows (6+ token characters) is the secret.
# Longest prefixes first so that `oc_org_…` is not reported as `oc_…`.
_STRONG_PREFIXES: Final = (
    r"oc_partner_",
    r"oc_org_",
    r"org_live_",
    r"org_test_",
    r"sk-proj-",
    r"sk-svcacct-",
    r"sk-admin-",
    r"sk-ant-",
    r"sk_live_",
    r"sk_test_",
    r"rk_live_",
    r"rk_test_",
    r"pk_live_",
    r"whsec_",
    r"ghp_",
    r"gho_",
    r"ghs_",
    r"ghu_",
    r"ghr_",
    r"github_pat_",
    r"glpat-",
    r"gldt-",
    r"glrt-",
    r"xox[abposre]-",
    r"xapp-",
    r"GOCSPX-",
    r"AIza",
    r"dop_v1_",
    r"lin_api_",
    r"shpat_",
    r"sq0csp-",
)
# Short prefixes that ordinary words share (`sk-learning-v2`, `pt-online-schema-change`,
# `hf_transfer`): the part after them must look random (see `_random_part`).
_WEAK_PREFIXES: Final = (r"sk-", r"pt-", r"oc_", r"hf_", r"r8_", r"key-")

# Field names whose value is a secret. `_PREFIX_WORD`s may precede a name (`client_secret`,
# `x-api-key`, `aws_secret_access_key`, `AccountKey`); a bare `key`, `sig` or `signature` counts
# only after such a word, or as a URL query parameter.
_PREFIX_WORD: Final = (
    r"(?:aws|client|app|api|access|refresh|auth|session|id|bearer|oauth|csrf|xsrf|bot|personal"
    r"|private|secret|account|shared|security|sas|master|admin|root|db|ocp|apim|subscription"
    r"|storage|signing|webhook|github|slack|twilio|stripe|openai|anthropic|service|encryption"
    r"|consumer|license|primary|secondary)[_\-]?"
)
_STANDALONE_NAME: Final = (
    r"(?:api[_\-]?key|token|secret|password|passwd|pwd|passphrase|credentials?|authorization"
    r"|auth[_\-]?token|private[_\-]?key|signature)"
)
_TAIL_NAME: Final = r"(?:key|sig|signature|token|secret|password|credentials?)"
_FIELD_NAME: Final = (
    r"(?:(?:x[_\-])?(?:" + _PREFIX_WORD + r"){0,4}" + _STANDALONE_NAME
    + r"|(?:x[_\-])?(?:" + _PREFIX_WORD + r"){1,4}" + _TAIL_NAME + r")"
)  # fmt: skip
# URL query parameters that carry a credential.
_QUERY_NAME: Final = (
    r"(?:key|sig|signature|token|access_token|id_token|refresh_token|api_key|apikey|api-key"
    r"|auth_token|password|passwd|secret|client_secret"
    r"|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature"
    r"|x-goog-credential)"
)

_KEY_CHAR: Final = r"[A-Za-z0-9_\-]"
_BARE: Final = r"[^\s\"',;&()<>\[\]{}]"  # a value's characters when it is not quoted
_B64: Final = r"[A-Za-z0-9+/]"
_QUERY_VALUE: Final = r"[^\s&#\"'<>()\[\]{}]"
_PEM_BODY: Final = r"[A-Za-z0-9+/=\s\\:,.]"  # base64 lines (with `\n` escapes), headers
_PEM_END: Final = r"(?:-----END[ A-Z0-9]{0,40}PRIVATE KEY[ A-Z]{0,10}-----)?"
_NO_KEY_CHAR_BEFORE: Final = r"(?<![A-Za-z0-9_\-.])"

# name: (head, value). The head is matched; the value is only looked at (a lookahead), so a
# rejected candidate does not hide what follows its head.
_RULES: Final[dict[str, tuple[str, str]]] = {
    "pem": (
        r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY[ A-Z]{0,10}-----",
        _PEM_BODY + r"{0,16384}" + _PEM_END,
    ),
    "prefix": (
        r"(?<![A-Za-z0-9_\-])(?:" + "|".join(_STRONG_PREFIXES) + r")",
        _KEY_CHAR + r"{6,256}",
    ),
    "weak": (
        _NO_KEY_CHAR_BEFORE + r"(?:" + "|".join(_WEAK_PREFIXES) + r")",
        _KEY_CHAR + r"{6,256}",
    ),
    "npm": (_NO_KEY_CHAR_BEFORE + r"npm_", r"[A-Za-z0-9]{30,256}"),
    "pypi": (_NO_KEY_CHAR_BEFORE + r"pypi-(?=AgE)", _KEY_CHAR + r"{16,1024}"),
    "sendgrid": (_NO_KEY_CHAR_BEFORE + r"SG\.", _KEY_CHAR + r"{16,64}\." + _KEY_CHAR + r"{16,128}"),
    "google": (_NO_KEY_CHAR_BEFORE + r"(?:ya29\.|1//0)", r"[A-Za-z0-9_\-.]{10,2048}"),
    "scheme": (r"\b(?:Bearer|Token|Bot)[ \t]{1,8}", _BARE + r"{8,512}"),
    "basic": (r"\bBasic[ \t]{1,8}", _B64 + r"{8,1024}={0,2}"),
    "aws": (r"\b(?-i:AKIA|ASIA)", r"(?-i:[A-Z0-9]{16})(?![A-Za-z0-9])"),
    "jwt": (
        r"(?<![A-Za-z0-9_\-])(?-i:eyJ)",
        _KEY_CHAR + r"{8,4096}(?:\." + _KEY_CHAR + r"{0,4096}){0,2}",
    ),
    "discord": (
        _NO_KEY_CHAR_BEFORE + r"(?-i:[MNO])(?=" + _KEY_CHAR + r"{23,27}\.)",
        _KEY_CHAR
        + r"{23,27}\."
        + _KEY_CHAR
        + r"{6,7}\."
        + _KEY_CHAR
        + r"{27,40}(?![A-Za-z0-9_\-])",
    ),
    "twilio": (r"(?<![A-Za-z0-9])(?-i:SK|AC)", r"[0-9a-fA-F]{32}(?![A-Za-z0-9])"),
    "hook": (
        (
            r"(?:hooks\.slack\.com/(?:services|workflows|triggers)"
            r"|discord(?:app)?\.com/api/webhooks)/"
        ),
        r"[A-Za-z0-9_\-/]{8,256}",
    ),
    "userinfo": (r"(?<=[A-Za-z0-9])://[^\s/:@\"'<>]{0,256}:", r"[^\s/@\"'<>]{1,256}@"),
    "query": (r"[?&;]" + _QUERY_NAME + r"=", _QUERY_VALUE + r"{1,2048}"),
    "kv": (
        r"(?<![A-Za-z0-9_\-.])" + _FIELD_NAME + r"[\"']?[ \t]{0,4}[=:][ \t]{0,4}",
        r"(?:\"[^\"\r\n]{1,512}|'[^'\r\n]{1,512}|" + _BARE + r"{1,512})",
    ),
}

# A value that filled its bounded lookahead is read on to its real end before it is replaced.
_MORE: Final[dict[str, re.Pattern[str]]] = {
    "prefix": re.compile(_KEY_CHAR + "*"),
    "weak": re.compile(_KEY_CHAR + "*"),
    "npm": re.compile("[A-Za-z0-9]*"),
    "pypi": re.compile(_KEY_CHAR + "*"),
    "google": re.compile(r"[A-Za-z0-9_\-.]*"),
    "scheme": re.compile(_BARE + "*"),
    "basic": re.compile(_B64 + "*={0,2}"),
    "jwt": re.compile(r"[A-Za-z0-9_\-.]*"),
    "hook": re.compile(r"[A-Za-z0-9_\-/]*"),
    "query": re.compile(_QUERY_VALUE + "*"),
    "kv": re.compile(_BARE + "*"),
    "pem": re.compile(_PEM_BODY + "*" + _PEM_END),
}
_QUOTED_MORE: Final = {'"': re.compile(r"[^\"\r\n]*"), "'": re.compile(r"[^'\r\n]*")}
_LIMIT: Final = {"pem": 16384, "prefix": 256, "weak": 256, "npm": 256, "pypi": 1024}
_LIMIT.update({"google": 2048, "scheme": 512, "basic": 1026, "hook": 256, "query": 2048})
_LIMIT.update({"kv": 512})
_SYMBOLS: Final = frozenset("0123456789-_=+/.")


def _credential_like(value: str) -> bool:
    """A run of key characters: 8+ with a digit or symbol inside, or 20+ letters."""
    if len(value) >= 20:
        return True
    if len(value) < 8:
        return False
    return any(ch in _SYMBOLS for ch in value)


def _random_part(value: str) -> bool:
    """True for `abcd1234efgh…`-like text, False for `online-schema-change` or `transfer`."""
    for chunk in re.split(r"[_\-]", value):
        if len(chunk) >= 16:
            return True
        if len(chunk) >= 8 and not chunk.isalpha() and not chunk.isdigit():
            return True
    return False


def _scheme_value(value: str) -> bool:
    if _credential_like(value):
        return True
    # Letters only (an opaque token): 16+ letters, or mixed case inside a 10+ letter word, is
    # not English ("Bearer authentication" stays).
    if len(value) >= 16:
        return True
    return len(value) >= 10 and any(ch.isupper() for ch in value[1:]) and not value.isupper()


def _basic_value(value: str) -> bool:
    return any(ch.isdigit() or ch in "+/=" or ch.isupper() for ch in value[1:])


# Per rule: does the value (trailing full stops removed) hold a credential?
_ACCEPT: Final[dict[str, Callable[[str], bool]]] = {
    "weak": _random_part,
    "scheme": _scheme_value,
    "basic": _basic_value,
}


def _redact_all(text: str, lowered: str) -> str:
    """Replace every credential in `text`; `lowered` is `text` lower-cased, of the same length.

    The candidates are tried only near the pre-check's anchors: each head contains an anchor
    word, at most `_HEAD_REACH` characters after the head's start. Trying the whole expression at
    every position of the text costs far more than finding the anchors.

    A start is not tried twice for the same rule: a field word's `kv` candidate is decided at its
    anchor, so a later anchor's reaching heads skip that start (`settled`); a query parameter's
    `?`/`&`/`;` is tried from its own name only; and no rule is tried where it cannot begin (a
    bare `key` is no field name, only `key-` a prefix). Text dense with anchor words
    (`password: token= key:` repeated) so costs about one match per anchor, not three.
    """
    out: list[str] = []
    pos = 0  # the text before `pos` is decided (copied to `out` or replaced)
    tried = 0  # reaching heads starting below this were tried already
    settled = -1  # the start of the last field word whose `kv` candidate is decided
    budget = _BUDGET
    for anchor in _PRECHECK_RE.finditer(lowered):
        where = anchor.start()
        if where < pos:
            continue  # inside a value already replaced
        budget -= 1
        if budget < 0:
            # No message holds this many candidates: the rest goes, unread rather than leaked.
            # Every head starting before `cut` reaches an anchor already decided.
            cut = max(pos, where - _HEAD_REACH)
            out.append(text[pos:cut])
            out.append(REDACTED)
            pos = len(text)
            break
        word = anchor.group()
        before = lowered[where - 1] if where else ""
        field = word in _FIELD_WORDS
        # A query parameter starts one character before its name (`?key=`).
        query_before = field and before in "?&;"
        candidates: list[tuple[int, re.Pattern[str]]] = []
        reaching = _REACHING.get(word)
        # A field name ends at its anchor (`client_secret`, `AccountKey`, `private key-----`)
        # unless it goes on to a later anchor (`SecretAccessKey`), or is `signature`.
        if reaching is not None and (
            word not in _ENDS or lowered[anchor.end() : anchor.end() + 1] in _NAME_ENDS
        ):
            first = max(pos, tried, where - _HEAD_REACH)
            tried = where
            skip = where - 1 if query_before else -1  # tried below, with the query rule alone
            for found in _START_RE.finditer(text, first, where):
                start = found.start()
                if start not in (settled, skip):
                    candidates.append((start, reaching))
        if query_before:
            candidates.append((where - 1, _QUERY_RE))
        budget -= len(candidates)
        for start, pattern in candidates:
            if start >= pos and start >= 0:
                pos = _try(text, pattern.match(text, start), pos, out)
        # Heads that start with their anchor; only `://` and a hook URL may be glued to a word
        # before them (nor can `kv` begin there: its head is not glued either).
        decided = before in _GLUE and word not in _GLUED_HEADS
        here = _HERE.get(word)
        if here is not None and not decided and where >= pos:
            gate = _GATE.get(word)
            if gate is not None and not lowered.startswith(gate, anchor.end()):
                decided = True  # nothing else can begin here (`kv` cannot begin with `key`)
            else:
                match = here.match(text, where)
                decided = match is None or match.lastgroup == "kv_v" or word in _NO_KV
                pos = _try(text, match, pos, out)
        if field:
            settled = where if decided else -1
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _try(text: str, match: re.Match[str] | None, pos: int, out: list[str]) -> int:
    """Replace the candidate `match` if accepted (appending to `out`); return the new `pos`."""
    if match is None:
        return pos
    replaced = _replacement(text, match)
    if replaced is None:
        return pos
    head, end = replaced
    out.append(text[pos : match.start()])
    out.append(head)
    out.append(REDACTED)
    return end


def _replacement(text: str, match: re.Match[str]) -> tuple[str, int] | None:
    """Return (what stays of the head, end of the secret) for an accepted candidate, or None."""
    start = match.start()
    group = match.lastgroup  # the value's group, `<rule>_v`: the last one to close
    if group is None:  # pragma: no cover - every alternative has named groups
        return None
    rule = group[:-2]
    head = match.group(rule)
    value = match.group(group)
    value_start = match.end()
    if text.startswith(REDACTED, value_start) or text.startswith(REDACTED, value_start + 1):
        return None  # redacted already
    if rule == "kv" and value[0] in "\"'":
        if _JSON_KEY_RE.match(text, value_start + len(value)):
            return None  # `credentials: "password": "..."`: a key, whose value comes next
        head, value, value_start = head + value[0], value[1:], value_start + 1
    elif rule == "kv":
        trimmed = value.rstrip(".")
        if not trimmed or trimmed[-1] == ":" or trimmed.startswith("-----"):
            return None  # a field name (`x-api-key:`) or a PEM block: their own rules apply
        if not _kv_value(head, trimmed):
            return None
    elif rule == "userinfo":
        value = value[:-1]  # the `@` stays
    elif rule == "discord":
        head = ""
        value = text[start : value_start + len(value)]
        value_start = start
    else:
        check = _ACCEPT.get(rule)
        if check is not None:
            trimmed = value.rstrip(".")
            if not trimmed or not check(trimmed):
                return None
    end = value_start + len(value)
    if rule in _MORE and len(value) >= _LIMIT.get(rule, 1 << 30) - 1:
        quote = text[value_start - 1] if rule == "kv" else ""
        more = (_QUOTED_MORE[quote] if quote in _QUOTED_MORE else _MORE[rule]).match(text, end)
        if more is not None:
            end = more.end()
    if rule not in _KEEPS_DOTS:
        # A trailing full stop ends the sentence, not the key.
        while end > value_start and text[end - 1] == ".":
            end -= 1
    return head, end


# Anchors and candidates examined per text before the rest is replaced whole: an ordinary
# message has a few dozen; 64 KiB of `password: token= key:` has about 20,000, which would cost
# about 70 ms. The bound keeps the worst text to about 10 ms and lets nothing through.
_BUDGET: Final = 2048
_KEEPS_DOTS: Final = frozenset({"pem", "hook", "discord", "userinfo", "jwt"})
_JSON_KEY_RE: Final = re.compile(r"[\"'][ \t]{0,4}:")
# How far before its anchor word a head may start (`x-ocp-apim-subscription-key`, a PEM line).
_HEAD_REACH: Final = 72
# Where a head that starts before its anchor may start: a field name, a PEM line, a Discord token.
_START_RE: Final = re.compile(r"(?<![A-Za-z0-9_\-.])[A-Za-z0-9\-]|[?&;]")
_GOES_ON: Final = frozenset({"sig", "credential"})
# Field-name anchors: where a name can end (the `sig` of `signature` and the `credential` of
# `credentials` cannot, so they are not in `_ENDS`).
_FIELD_WORDS: Final = frozenset(
    {"token", "key", "sig", "secret", "password", "passwd", "pwd", "passphrase", "credential"}
    | {"authorization"}
)
_ENDS: Final = _FIELD_WORDS - {"sig", "credential"}
# What may follow a name that ends at its anchor (the empty string: the end of the text).
_NAME_ENDS: Final = frozenset({"", '"', "'", " ", "\t", "=", ":", "-"})
_GLUE: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
_GLUED_HEADS: Final = frozenset({"://", "hooks.slack"})
# The anchors such heads contain (and the `.` of a Discord token's middle part).
_REACHING_ANCHORS: Final = frozenset(
    {"token", "key", "sig", "secret", "password", "passwd", "pwd", "passphrase", "credential"}
    | {"authorization", "webhooks/"}
)


def _kv_value(head: str, value: str) -> bool:
    """`name=value`: any value of 6+ characters or with a digit; `name: value`: a key-like one."""
    if "=" in head:
        return len(value) >= 6 or any(ch.isdigit() for ch in value)
    return _credential_like(value)


# Zero-width and other invisible format characters that can hide a key from every rule.
_INVISIBLE: Final = (
    "\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
)
_INVISIBLE_RE: Final = re.compile("[" + _INVISIBLE + "]")

# Pre-check: words that every head in `_RULES` contains, lower-cased. JSON escapes (\\u)
# and UTF-16/32 text (NULs between the letters) hide words, so they count too.
_WORDS: Final = (
    *(p.lower().replace("\\", "") for p in (*_STRONG_PREFIXES, *_WEAK_PREFIXES) if "[" not in p),
    "xox",
    "npm_",
    "pypi-",
    "sg.",
    "ya29.",
    "1//0",
    "bearer",
    "basic",
    "token",
    "bot",
    "akia",
    "asia",
    "eyj",
    "key",
    "sig",
    "secret",
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "credential",
    "authorization",
    "private key",
    "hooks.slack",
    "webhooks/",
    "://",
    "\\u",
    "\x00",
)
# Tokens that contain another token add nothing to "does any occur".
_ANCHORS: Final = tuple(
    sorted(
        {
            word.encode("latin-1")
            for word in _WORDS
            if not any(other != word and other in word for other in _WORDS)
        }
    )
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
# The words alone (a property test pins the trie against the plain alternation).
_ANCHOR_RE: Final = re.compile(_ANCHOR_TEXT)
_ANCHOR_BYTES_RE: Final = re.compile(_ANCHOR_TEXT.encode("latin-1"))
# Heads that are shapes rather than words: Twilio keys (SK/AC + 32 hex) and the middle part of
# a Discord token, on lower-cased text.
# One character each (the rest is a lookahead): a shape must not hide an anchor inside it.
_SHAPES: Final = r"(?=(?:sk|ac)[0-9a-f]{32})[sa]|(?=\.[a-z0-9_\-]{6,7}\.[a-z0-9_\-]{27})\."
_PRECHECK_RE: Final = re.compile(_ANCHOR_TEXT + "|" + _SHAPES + "|[" + _INVISIBLE + "]")

# Which rules may start at an anchor word (`_AT`), or before it (`_REACHING`).
_RULE_WORDS: Final[dict[str, frozenset[str]]] = {
    "npm": frozenset({"npm_"}),
    "pypi": frozenset({"pypi-"}),
    "sendgrid": frozenset({"sg."}),
    "google": frozenset({"ya29.", "1//0"}),
    "scheme": frozenset({"bearer", "token", "bot"}),
    "basic": frozenset({"basic"}),
    "aws": frozenset({"akia", "asia"}),
    "jwt": frozenset({"eyj"}),
    "hook": frozenset({"hooks.slack"}),
    "userinfo": frozenset({"://"}),
    "twilio": frozenset({"s", "a"}),
    "query": _FIELD_WORDS,
    "kv": _FIELD_WORDS,
}


@functools.cache
def _rules_re(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(
        "|".join(
            rf"(?P<{name}>{head})(?=(?P<{name}_v>{value}))"
            for name, (head, value) in _RULES.items()
            if name in names
        ),
        re.IGNORECASE | re.ASCII,
    )


def _starting_with(word: str) -> tuple[str, ...]:
    names = [name for name, words in _RULE_WORDS.items() if word in words]
    if len(word) == 1:  # a shape's character
        return tuple(names)
    if any(_plain(p).startswith(word) for p in _STRONG_PREFIXES):
        names.append("prefix")
    if any(_plain(p).startswith(word) for p in _WEAK_PREFIXES):
        names.append("weak")
    return tuple(sorted(names))


def _plain(prefix: str) -> str:
    return prefix.replace("[abposre]", "").replace("\\", "").lower()


_AT: Final = {
    word: _rules_re(names)
    for word in (*(token.decode("latin-1") for token in _ANCHORS), "s", "a")
    if (names := _starting_with(word))
}
_REACHING: Final = {
    **{word: _rules_re(("hook", "kv", "pem", "query")) for word in _FIELD_WORDS},
    "webhooks/": _rules_re(("hook",)),
    ".": _rules_re(("discord",)),
}
# At an anchor: the rules that may begin with its word. A query parameter begins one character
# before it (`_QUERY_RE`, tried only there); `kv` never begins with a bare `key` (a field name
# ends with `key` only after a prefix word: `api_key`), where only `key-` (a weak prefix) can.
_NO_KV: Final = frozenset({"key"})
_HERE: Final = {
    word: _rules_re(names)
    for word in (*(token.decode("latin-1") for token in _ANCHORS), "s", "a")
    if (
        names := tuple(
            name
            for name in _starting_with(word)
            if name != "query" and not (name == "kv" and word in _NO_KV)
        )
    )
}
# What must follow a word for any rule in `_HERE` to begin with it.
_GATE: Final = {"key": "-"}
_QUERY_RE: Final = _rules_re(("query",))
# The invisible characters as UTF-8 bytes.
_INVISIBLE_BYTES: Final = (
    rb"\xc2\xad|\xcd\x8f|\xd8\x9c|\xe1\xa0\x8e|\xe2\x80[\x8b-\x8f\xaa-\xae]"
    rb"|\xe2\x81[\xa0-\xa4\xa6-\xa9]|\xef\xbb\xbf"
)
_PRECHECK_BYTES_RE: Final = re.compile(
    _ANCHOR_TEXT.encode("latin-1") + b"|" + _SHAPES.encode() + b"|" + _INVISIBLE_BYTES
)
_SHAPES_BYTES_RE: Final = re.compile(_SHAPES.encode() + b"|" + _INVISIBLE_BYTES)
_SHORT_BODY: Final = 4096  # below this one expression is faster; above, substring searches


def might_contain_secret(raw: bytes) -> bool:
    """Return False only when `raw` certainly contains no secret `redact` would replace."""
    lowered = raw.lower()
    if len(lowered) < _SHORT_BODY:
        return _PRECHECK_BYTES_RE.search(lowered) is not None
    return any(token in lowered for token in _ANCHORS) or (
        _SHAPES_BYTES_RE.search(lowered) is not None
    )


# The pre-check of short text in one expression whose first characters are few and rare in
# prose: each word is found from its rarest letter, looking behind for what precedes it
# (`authorization` from its `z`, `token` from its `k`), so that the scan stops at about one
# character in seven of ordinary text instead of nearly half; the shapes are folded in (`sk`/`ac`
# + 32 hex digits, a Discord token's middle part), and every other anchor is found from its
# first `_`, `-`, `.` or `/`. It finds every anchor word (a test pins this) and the shapes,
# except two whose rules need more: `sk-`/`pt-` only with the six key characters every prefix
# rule needs after them (`gpt-4` is no key), and `://` only with the `user:pass@` the
# `userinfo` rule needs.
_FAST_RE: Final = re.compile(
    r"z(?:(?<=aiz)a|(?<=authoriz)ation)"
    r"|k(?:ey|(?<=ak)ia|(?<=tok)en|(?<=sk)[0-9a-f]{32})"
    r"|s(?:ecret|ig|(?<=as)ia)"
    r"|c(?:redential|(?<=ac)[0-9a-f]{32})"
    r"|b(?:asic|earer|ot)|j(?<=eyj)|xox"
    r"|p(?:ass(?:phrase|w(?:d|ord))|wd)"
    r"|_(?:(?<=hf_|oc_|r8_|pk_|rk_|sk_)|(?<=gh[oprsu]_|dop_|lin_|npm_|org_)"
    r"|(?<=shpat_|whsec_)|(?<=github_))"
    r"|-(?:(?<=sk-|pt-)[a-z0-9_\-]{6}|(?<=xapp-|gldt-|glrt-|pypi-)|(?<=glpat-)"
    r"|(?<=gocspx-|sq0csp-))"
    r"|\.(?:(?<=sg\.)|(?<=ya29\.)|(?<=hooks\.)slack|(?=[a-z0-9_\-]{6,7}\.[a-z0-9_\-]{27}))"
    r"|/(?:(?<=1//)0|(?<=webhooks/))|\\u|\x00"
    r"|://[^\s/:@\"'<>]{0,256}:[^\s/@\"'<>]{1,256}@"
)


def _maybe_secret(lowered: str) -> bool:
    """True whenever `_PRECHECK_RE` would find an anchor in `lowered` that can begin a secret.

    Cheaper than that expression: `_FAST_RE`, faster on ordinary text than the earlier pre-check
    with half as many anchors, and faster than substring searches for each word on long text.
    Invisible characters only matter in text that is not ASCII.
    """
    if _FAST_RE.search(lowered) is not None:
        return True
    return not lowered.isascii() and _INVISIBLE_RE.search(lowered) is not None


def redact(text: str) -> str:
    """Return `text` with every credential replaced by its prefix and `[REDACTED]`."""
    if not text:
        return text
    lowered = text.lower()
    # `_maybe_secret`, inlined: the common path is this one search.
    if _FAST_RE.search(lowered) is None and (
        lowered.isascii() or _INVISIBLE_RE.search(lowered) is None
    ):
        return text
    if _INVISIBLE_RE.search(text) is not None:
        visible = _INVISIBLE_RE.sub("", text)
        out = _redact_all(visible, _lower_same_length(visible))
        return text if out is visible else out
    if len(lowered) != len(text):
        lowered = _lower_same_length(text)
    return _redact_all(text, lowered)


def _lower_same_length(text: str) -> str:
    """ASCII letters lower-cased, everything else as is: the indices stay those of `text`."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER: Final = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


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
    return _maybe_secret("\n".join(strings).lower())


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
                verdict = _KEY_VERDICTS.get(key)
                if verdict is None:
                    verdict = _secret_key_name(key)
                if verdict:
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

    A string under a key that names a secret (`token`, `client_secret`, `Authorization`,
    `signature`, ...) is replaced whole: a credential split across fields (`{"scheme": "Bearer",
    "token": "..."}`, a JWT's parts) has no shape of its own. Containers are copied only where
    something changed; values nested deeper than 64 levels are replaced by `[REDACTED]` rather
    than walked.
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


# Anchored (it is only ever matched whole against a short key): on long text it is tried once.
_SECRET_KEY_RE: Final = re.compile(
    r"\A(?:" + _FIELD_NAME + r"|proxy-authorization|cookie|set-cookie|sig|signature"
    r"|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature)\Z",
    re.IGNORECASE | re.ASCII,
)


# Verdicts on `details` keys, remembered: the same few keys recur in every error. A plain dict
# (a lookup as cheap as a set's), filled up to `_KEY_VERDICTS_MAX` keys and never evicted.
_KEY_VERDICTS: Final[dict[str, bool]] = {}
_KEY_VERDICTS_MAX: Final = 2048


def _secret_key_name(key: str) -> bool:
    verdict = _KEY_VERDICTS.get(key)
    if verdict is None:
        if len(key) > 80:
            return False  # never remembered: the cache holds 2048 short keys at most
        verdict = _SECRET_KEY_RE.fullmatch(key) is not None
        if len(_KEY_VERDICTS) < _KEY_VERDICTS_MAX:
            _KEY_VERDICTS[key] = verdict
    return verdict


def _is_secret_key(key: object) -> bool:
    """True for a `details` key whose string value is a credential (`token`, `x-api-key`, ...)."""
    return isinstance(key, str) and _secret_key_name(key)
