"""Serialization: a cattrs converter to and from plain JSON, and the JSON Schema of that form."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import attrs
import cattrs

from . import _json
from ._model import CanonicalError, Kind

__all__ = ["converter", "from_dict", "from_json", "json_schema", "to_dict", "to_json"]

converter: Final = cattrs.Converter(forbid_extra_keys=False)
"""The cattrs converter for `CanonicalError` (and `Kind`), to and from JSON-ready values."""


def _unstructure(error: CanonicalError) -> dict[str, Any]:
    return {
        "kind": error.kind.value,
        "message": error.message,
        "param": error.param,
        "retryable": error.retryable,
        "retry_after": error.retry_after,
        "request_id": error.request_id,
        "status": error.status,
        "code": error.code,
        "provider": error.provider,
        "details": dict(error.details),
    }


_OPTIONAL_STR: Final = ("param", "request_id", "code")


def _structure(data: object, _: object) -> CanonicalError:
    """Build a `CanonicalError` from `to_dict` output, checking each field's JSON type.

    Strict where a lax conversion would change meaning: `"false"` is not a boolean and `null`
    is not the message "None". Missing optional fields take the model's defaults; unknown
    fields are ignored, so newer payloads still load.
    """
    if not isinstance(data, Mapping):
        msg = f"a serialized canonical error is an object, not {type(data).__name__}"
        raise ValueError(msg)
    problems: list[str] = []
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in _KIND_VALUES:
        problems.append(f"kind must be one of {sorted(_KIND_VALUES)}, not {kind!r}")
    message = data.get("message")
    if not isinstance(message, str) or not message:
        problems.append(f"message must be a non-empty string, not {message!r}")
    for name in _OPTIONAL_STR:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            problems.append(f"{name} must be a string or null, not {value!r}")
    retryable = data.get("retryable")
    if retryable is not None and not isinstance(retryable, bool):
        problems.append(f"retryable must be a boolean, not {retryable!r}")
    retry_after = data.get("retry_after")
    if retry_after is not None and not (
        isinstance(retry_after, (int, float))
        and not isinstance(retry_after, bool)
        and math.isfinite(retry_after)
        and retry_after >= 0
    ):
        problems.append(f"retry_after must be a finite number >= 0 or null, not {retry_after!r}")
    status = data.get("status")
    if status is not None and not (
        isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 999
    ):
        problems.append(f"status must be an integer in 100-999 or null, not {status!r}")
    provider = data.get("provider", "generic")
    if not isinstance(provider, str) or not provider:
        problems.append(f"provider must be a non-empty string, not {provider!r}")
    details = data.get("details", {})
    if not isinstance(details, Mapping):
        problems.append(f"details must be an object, not {details!r}")
    if problems:
        msg = "not a serialized canonical error: " + "; ".join(problems)
        raise ValueError(msg)
    fields: dict[str, Any] = {
        "kind": Kind(kind),
        "message": message,
        "retry_after": None if retry_after is None else float(retry_after),
        "status": status,
        "provider": provider,
        "details": dict(details),
    }
    fields.update((name, data.get(name)) for name in _OPTIONAL_STR)
    if retryable is not None:
        fields["retryable"] = retryable
    return CanonicalError(**fields)


_KIND_VALUES: Final = frozenset(k.value for k in Kind)

converter.register_unstructure_hook(CanonicalError, _unstructure)
converter.register_structure_hook(CanonicalError, _structure)


def to_dict(error: CanonicalError) -> dict[str, Any]:
    """Return `error` as a JSON-ready dict (every field present; None where unset)."""
    return converter.unstructure(error)  # type: ignore[no-any-return]


def from_dict(data: Mapping[str, Any]) -> CanonicalError:
    """Return the `CanonicalError` a `to_dict` result describes.

    Missing optional fields take their defaults (`retryable` the kind's); unknown ones are
    ignored.

    Raises:
        ValueError: `data` is not a serialized canonical error (a field is missing or has the
            wrong type or an invalid value).
    """
    return converter.structure(data, CanonicalError)


def to_json(error: CanonicalError) -> bytes:
    """Return `error` as UTF-8 JSON bytes."""
    return _json.dumps(to_dict(error))


def from_json(data: bytes | str) -> CanonicalError:
    """Return the `CanonicalError` encoded in JSON by `to_json`.

    Raises:
        ValueError: `data` is not JSON, or not a serialized canonical error.
    """
    return from_dict(_json.loads(data))


_DESCRIPTIONS: Final[dict[str, str]] = dict(
    zip(
        [f.name for f in attrs.fields(CanonicalError)],
        (
            "What went wrong.",
            "Human-readable description; never empty; secrets redacted.",
            "The offending request parameter or header, when known.",
            "Whether the error is transient by nature.",
            "Seconds the server asked the caller to wait (>= 0), or null.",
            "The provider's request id, for support tickets.",
            "The HTTP status; null for errors from run results or stream events.",
            "The provider's own code or type, verbatim.",
            "Name of the adapter that parsed the error.",
            "Provider extras and the sources of the hints.",
        ),
        strict=True,
    )
)


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of `to_dict`'s output, derived from the model."""
    types: dict[str, dict[str, Any]] = {
        "kind": {"type": "string", "enum": [k.value for k in Kind]},
        "message": {"type": "string", "minLength": 1},
        "param": {"type": ["string", "null"]},
        "retryable": {"type": "boolean"},
        "retry_after": {"type": ["number", "null"], "minimum": 0},
        "request_id": {"type": ["string", "null"]},
        "status": {"type": ["integer", "null"], "minimum": 100, "maximum": 999},
        "code": {"type": ["string", "null"]},
        "provider": {"type": "string", "minLength": 1},
        "details": {"type": "object"},
    }
    names = [f.name for f in attrs.fields(CanonicalError)]
    if set(names) != set(types):  # pragma: no cover - guards the model and schema drifting apart
        msg = f"schema out of date with the model: {sorted(set(names) ^ set(types))}"
        raise RuntimeError(msg)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://agent-errors.readthedocs.io/schema/canonical-error.schema.json",
        "title": "CanonicalError",
        "description": "One error from any agent platform, as serialized by agent_errors.to_dict.",
        "type": "object",
        "properties": {name: {**types[name], "description": _DESCRIPTIONS[name]} for name in names},
        "required": names,
        "additionalProperties": False,
    }
