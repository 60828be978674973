"""One escaping rule for every surface a person or a log reader sees: logs, exceptions, terminals.

Text from a response is untrusted. Written raw, a CR or LF forges a log line, an ESC or an
8-bit CSI (U+009B) drives a terminal, and a bidi override (U+202E) makes text read backwards.
Whatever `str.isprintable()` refuses (the C0 and C1 controls, DEL, the format characters such
as bidi controls and zero-width characters, line and paragraph separators, surrogates and
unassigned code points) is written as a visible escape instead; spaces of every kind stay.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["LOG_FIELD_LIMIT", "escape_json_text", "escape_text"]

LOG_FIELD_LIMIT: Final = 1024
"""How many characters of one untrusted value a log record carries (a longer one is cut)."""

_ELLIPSIS: Final = "…"


def _visible(ch: str) -> bool:
    # Spaces (U+00A0, U+2009, ...) are harmless; every other non-printable is not.
    return ch.isprintable() or unicodedata.category(ch) == "Zs"


def _python_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_text(value: object, *, limit: int | None = None) -> str:
    r"""Return `value` as one line of text in which no character can act on a terminal or a log.

    Every character `str.isprintable()` refuses, except spaces, is written as a Python-style
    escape (`\x1b`, `\u202e`, `\U000e0001`), so CR, LF and ESC become visible text. With
    `limit`, at most that many characters of the result are kept, and a cut is marked with an
    ellipsis.
    """
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit]
        cut = True
    else:
        cut = False
    if not text.isprintable():
        text = "".join(ch if _visible(ch) else _python_escape(ch) for ch in text)
    if limit is not None and len(text) > limit:
        text, cut = text[:limit], True
    return text + _ELLIPSIS if cut else text


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def escape_json_text(text: str) -> str:
    r"""Return serialized JSON (or text shaped like it) safe for a terminal, meaning unchanged.

    Every character `str.isprintable()` refuses, except line feeds and spaces, is written as a
    JSON `\uXXXX` escape (a surrogate pair above U+FFFF). JSON writes such characters only
    inside strings, where the escape means the same character, so valid JSON stays valid and
    equal once parsed; the line feeds of indentation stay.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch == "\n" or _visible(ch) else _json_escape(ch) for ch in text)
