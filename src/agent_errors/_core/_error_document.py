"""The one rule for "is this body an error?" when no status says so.

A run result or a stream event has no HTTP status (status None), so the body alone decides. A
body is an error when it is *plainly* an error document:

- it says so: `"object": "error"` (OpenAI-style, Mistral) or `"type": "error"` (Anthropic);
- an `error` envelope: `{"error": {...}}` with a message, code or type in it, or
  `{"error": "some text"}`;
- a `type`/`code`/`message` triple (a provider's flat error object), unless its code says
  success (`0`, `"ok"`, `"success"`, a 1xx-3xx number).

Anything else (a run, a message, a list, `{"error": null}`, `{"message": "hello"}`) is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["is_error_document"]

_SUCCESS_CODES: Final = frozenset({"0", "ok", "success", "succeeded", "none", "null", ""})
_ENVELOPE_KEYS: Final = ("message", "code", "type", "detail", "description", "status")


def _present(value: object) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, (int, float, Mapping, list))


def _success_code(code: object) -> bool:
    text = str(code).strip().lower()
    if text in _SUCCESS_CODES:
        return True
    return text.isdigit() and len(text) == 3 and text[0] in "123"


def is_error_document(doc: Any) -> bool:
    """Return whether a decoded JSON document is plainly an error report (see the module doc)."""
    if not isinstance(doc, dict):
        return False
    marker = doc.get("object")
    if isinstance(marker, str) and marker.strip().lower() == "error":
        return True
    marker = doc.get("type")
    if isinstance(marker, str) and marker.strip().lower() == "error":
        return True
    envelope = doc.get("error")
    if isinstance(envelope, dict):
        return any(_present(envelope.get(key)) for key in _ENVELOPE_KEYS)
    if isinstance(envelope, str) and envelope.strip():
        return True
    code, message, kind = doc.get("code"), doc.get("message"), doc.get("type")
    return (
        _present(code)
        and not isinstance(code, (Mapping, list))
        and not _success_code(code)
        and isinstance(message, str)
        and bool(message.strip())
        and isinstance(kind, str)
        and bool(kind.strip())
    )
