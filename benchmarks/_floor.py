"""The floor: the least pure-Python work that turns a Qoder 400 into the same `CanonicalError`.

`minimal_qoder` is written by hand for one body family (Qoder's typed envelope) and one set of
headers (a content type and a request id, nothing that carries any other hint). It keeps what
`normalize_parts` guarantees on such a response and no more: headers read case-insensitively,
the JSON decoded with the big-integer guard, the kind from Qoder's table, the message checked
for a payment phrase, the request id checked before it is kept, every text field searched for
secrets, the error built through its own constructor. It detects nothing and reads no other
hint source, so no general normalizer can be faster than it: `bench_targets.py` prints its
ratio to `json.loads` beside the target, to show what this machine allows.

It returns None for anything outside that narrow case, and the benchmark asserts that its
result equals `normalize_parts`'s, so the two do the same work.
"""

from __future__ import annotations

from typing import Any

from agent_errors.adapters import qoder

from agent_errors import CanonicalError, Kind
from agent_errors._core import _json, _redact
from agent_errors._core._phrases import asks_for_payment

_CODES = qoder.CODES
_CLASS_TYPES = frozenset({"invalid_request_error", "api_error"})
_READ = frozenset({"type", "message", "param"})
_ALLOWED_HEADERS = frozenset({"content-type", "x-request-id", "content-length"})


def minimal_qoder(status: int, headers: list[tuple[str, str]], body: bytes) -> Any:
    """The `CanonicalError` of a Qoder error envelope with only a request-id header, or None."""
    lowered: dict[str, str] = {}
    for name, value in headers:
        key = name.strip().lower()
        lowered[key] = f"{lowered[key]}, {value.strip()}" if key in lowered else value.strip()
    if not _ALLOWED_HEADERS.issuperset(lowered) or not body or body[0] != 0x7B:
        return None
    try:
        doc = _json.loads(body)
    except ValueError:
        return None
    if type(doc) is not dict or doc.get("type") != "error" or len(doc) != 2:
        return None
    err = doc["error"]
    if type(err) is not dict or not _READ.issuperset(err):
        return None
    code = err.get("type")
    row = _CODES.get(code) if type(code) is str else None
    if row is None:
        return None
    kind = row.kind
    retryable = kind.retryable if row.retryable is None else row.retryable
    message = err.get("message")
    param = err.get("param")
    if type(message) is not str or not message or (param is not None and type(param) is not str):
        return None
    if code in _CLASS_TYPES and asks_for_payment(message):
        kind, retryable = Kind.PAYMENT_REQUIRED, Kind.PAYMENT_REQUIRED.retryable
    details: dict[str, Any] = {}
    request_id = lowered.get("x-request-id")
    if request_id is not None:
        request_id = request_id.split(",", 1)[0].strip()
        if not request_id or len(request_id) > 256 or not request_id.isprintable():
            request_id = None
        else:
            details["request_id_source"] = "header:x-request-id"
            request_id = _redact.redact(request_id)
    if _redact.needs_redaction(message, param, code):
        message = _redact.redact(message)
        param = _redact.redact(param) if param else param
    return CanonicalError(
        kind=kind,
        message=message,
        param=param,
        retryable=retryable,
        request_id=request_id,
        status=status,
        code=code,
        provider="qoder",
        details=details,
    )
