"""JSON decoding and encoding: orjson when it is installed (the `fast` extra), else the stdlib."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["BACKEND", "dumps", "loads"]

try:
    import orjson
except ImportError:  # pragma: no cover - exercised by the no-extras CI job
    orjson = None  # type: ignore[assignment]

_HAVE_ORJSON: bool = orjson is not None

if _HAVE_ORJSON:
    BACKEND = "orjson"
    _orjson_loads = orjson.loads
    _orjson_dumps = orjson.dumps
    _OPTS = orjson.OPT_NON_STR_KEYS
    _LONG_DIGITS_STR = re.compile(r"\d{19}", re.ASCII)
    # Every digit becomes "0", so a run of 19 digits is a run of 19 zeros: one C-level translate
    # and one substring search instead of a regex trying every position.
    _DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
    _NINETEEN_ZEROS = b"0" * 19

    def _may_hold_long_integer(data: bytes | str) -> bool:
        if isinstance(data, bytes):
            return _NINETEEN_ZEROS in data.translate(_DIGITS_TO_ZERO)
        return _LONG_DIGITS_STR.search(data) is not None

    def loads(data: bytes | str) -> Any:
        """Decode JSON text; raises ValueError on invalid input."""
        # orjson reads integers beyond 64 bits as floats, losing digits; a run of 19+ digits
        # may be one, so such documents go to the stdlib, which keeps them exact.
        if not _may_hold_long_integer(data):
            try:
                return _orjson_loads(data)
            except orjson.JSONDecodeError:
                # orjson rejects what the stdlib accepts (NaN, lone surrogates); fall back so
                # both backends agree on what is valid JSON.
                pass
        return json.loads(data)

    def dumps(obj: Any) -> bytes:
        """Encode `obj` as compact UTF-8 JSON bytes."""
        try:
            return _orjson_dumps(obj, option=_OPTS)
        except TypeError:  # lone surrogates, integers beyond 64 bits, unknown types
            return _std_dumps(obj)

else:  # pragma: no cover - exercised by the no-extras CI job
    BACKEND = "json"

    def loads(data: bytes | str) -> Any:
        """Decode JSON text; raises ValueError on invalid input."""
        return json.loads(data)

    def dumps(obj: Any) -> bytes:
        """Encode `obj` as compact UTF-8 JSON bytes."""
        return _std_dumps(obj)


def _std_dumps(obj: Any) -> bytes:
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate has no UTF-8 form: escape it (\udXXX), which is still valid JSON
        # and decodes back to the same string, instead of emitting bytes that are not UTF-8.
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=True, default=str).encode()
