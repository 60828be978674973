"""Unambiguous phrases in error messages that say more than a category code.

DESIGN (Adapter): a code that only names a class of errors (`invalid_request_error`,
`api_error`, `rate_limit_exceeded` as OpenAI's run `last_error` uses it) gives way to an
unambiguous phrase in the message. Two families are read here, for every adapter alike:

- money: "credit balance is too low", "exceeded your current quota", "insufficient balance" —
  payment_required, unless the quota is measured over a short window (per minute: a rate limit);
- size: the request itself is larger than the limit ("Request too large for gpt-4 … Limit
  10000, Requested 12000"). Waiting cannot help, whatever code it came with.

Every pattern is linear: literal alternatives and bounded digit runs, searched in a bounded slice.
Each is a `Phrase`: ASCII text that holds none of its words is answered without the pattern.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["MAX_PHRASE_TEXT", "Phrase", "asks_for_payment", "too_large"]

MAX_PHRASE_TEXT: Final = 4096
"""Only this many leading characters of a message are searched."""


class Phrase:
    """A case-insensitive pattern, and the words (lower-case ASCII) one of which each match holds.

    `search` answers ASCII text that holds none of the words at once, without running the
    pattern: a few substring tests instead of a regex search with case folding, several times
    slower. Text that is not ASCII always goes to the pattern (case folding matches U+017F,
    the long s, for `s`, which no substring test sees). `tests/test_fast_paths.py` checks every
    phrase's words against strings generated from its pattern.
    """

    __slots__ = ("pattern", "words")

    def __init__(self, pattern: str, words: tuple[str, ...]) -> None:
        self.pattern: Final = re.compile(pattern, re.IGNORECASE)
        self.words: Final = words

    def search(self, text: str) -> re.Match[str] | None:
        """The pattern's first match in `text`, or None."""
        if text.isascii():
            low = text.lower()
            for word in self.words:
                if word in low:
                    break
            else:
                return None
        return self.pattern.search(text)


_PAYMENT_RE: Final = Phrase(
    r"\b(?:insufficient (?:credits?|funds|balance|quota)|quota (?:exceeded|exhausted)|"
    r"exceeded your (?:current )?quota|out of credits|credit balance (?:is )?too low|"
    r"budget (?:has been )?exceeded|exhausted your (?:credits?|quota|balance)|"
    r"monthly spending limit|failure to pay|balance is insufficient)\b"
    # Chinese APIs (Zhipu, Qwen): "insufficient balance", "in arrears".
    r"|余额不足|欠费",
    ("insufficient", "quota", "credit", "budget", "exhausted", "spending", "failure", "balance"),
)
# A quota measured over a short window is a rate limit: the next window brings it back.
_WINDOW_RE: Final = Phrase(
    r"(?:\b|_)per[ _-]?(?:second|minute|min|hour)(?:\b|_)|\b(?:rpm|tpm|rps)\b",
    ("per", "rpm", "tpm", "rps"),
)
_TOO_LARGE_RE: Final = Phrase(
    r"\b(?:request (?:entity )?too large|payload too large|request body too large|"
    r"exceeds the (?:maximum|max) (?:request|payload|body) size)\b",
    ("too large", "exceeds the"),
)
# "Limit 10000, Requested 12000" (OpenAI, Groq), also with what was used in between ("Limit
# 7000, Used 0, Requested ~12903"): a request larger than the whole limit never fits in a
# window. "Limit 6000, Used 5034, Requested 1443" is a plain rate limit: the next window has room.
_LIMIT_REQUESTED_RE: Final = Phrase(
    r"\blimit:?\s{0,3}([0-9][0-9,]{0,15}),\s{0,3}(?:used:?\s{0,3}[0-9][0-9,]{0,15},\s{0,3})?"
    r"requested:?\s{0,3}~?([0-9][0-9,]{0,15})",
    ("requested",),
)


def asks_for_payment(message: str | None) -> bool:
    """Return whether `message` says credits, balance or a non-windowed quota ran out."""
    if not message:
        return False
    text = message[:MAX_PHRASE_TEXT]
    return _PAYMENT_RE.search(text) is not None and _WINDOW_RE.search(text) is None


def too_large(message: str | None, status: int | None = None) -> bool:
    """Return whether the request itself exceeds a limit: a 413, or a message that says so."""
    if status == 413:
        return True
    if not message:
        return False
    text = message[:MAX_PHRASE_TEXT]
    if _TOO_LARGE_RE.search(text) is not None:
        return True
    match = _LIMIT_REQUESTED_RE.search(text)
    if match is None:
        return False
    limit, requested = (int(group.replace(",", "")) for group in match.groups())
    return requested > limit
