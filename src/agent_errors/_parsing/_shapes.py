"""Document shapes: what a decoded error body looks like, decided once, before any sniffing.

Detection asks only the adapters whose `sniff` can score a body of that shape (their `shapes`),
so a body is classified once instead of being taken apart by every sniffer in turn.
"""

from __future__ import annotations

import enum
from typing import Any, Final

from ._view import ResponseView

__all__ = ["DICT_SHAPES", "PROBLEM_MEDIA_TYPE", "Shape", "is_problem_media", "shape_of"]


class Shape(str, enum.Enum):
    """The shape of a decoded body, as detection sees it.

    An adapter's `shapes` lists those its `sniff` can score above zero; the shapes are
    exclusive, so each body has exactly one.
    """

    TYPED_ENVELOPE = "typed_envelope"
    """`{"type": "error", "error": {...}}`: Qoder's and Anthropic's envelope."""
    CANONICAL = "canonical"
    """`{"error": {"kind", "retryable", ...}}`: agent-errors' own form (its `canonical` render)."""
    FLAT_STRING = "flat_string"
    """`{"error": "<text>", ...}`: the error is a string."""
    CODE_STATUS = "code_status"
    """`{"error": {"code": "<text>", "status": <HTTP status>, ...}}`."""
    CODE_DETAILS = "code_details"
    """`{"error": {"code": "<text>", ...}}` without an HTTP status beside the code."""
    GOOGLE_STATUS = "google_status"
    """`{"error": {"code": <integer>, ...}}`: a wrapped google.rpc.Status (or an operation's)."""
    ERROR_OBJECT = "error_object"
    """`{"error": {...}}` with no code of those kinds (`{"message", "type"}`)."""
    BARE_STATUS = "bare_status"
    """An object with no error object, an integer `code` and a `details` list (gRPC-gateway)."""
    PROBLEM = "problem"
    """An object with no `error` member: RFC 9457 problem details, FastAPI's `detail`, …"""
    LIST = "list"
    """A list of exactly one object (Gemini's OpenAI-compatible endpoints wrap errors so)."""
    OTHER = "other"
    """Anything else: no JSON, a scalar, a longer list, an `error` that is neither object nor
    string."""


DICT_SHAPES: Final = frozenset(
    {
        Shape.TYPED_ENVELOPE,
        Shape.CANONICAL,
        Shape.FLAT_STRING,
        Shape.CODE_STATUS,
        Shape.CODE_DETAILS,
        Shape.GOOGLE_STATUS,
        Shape.ERROR_OBJECT,
        Shape.BARE_STATUS,
        Shape.PROBLEM,
        Shape.OTHER,
    }
)
"""The shapes a JSON object can have (`OTHER` included: an object with an odd `error`)."""

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"


def shape_of(doc: Any) -> Shape:
    """Return the shape of a decoded document (`ResponseView.json`). Never raises."""
    if type(doc) is not dict:
        if type(doc) is list and len(doc) == 1 and type(doc[0]) is dict:
            return Shape.LIST
        if isinstance(doc, dict):  # a subclass: decoders never make one, but be exact
            return shape_of(dict(doc))
        return Shape.OTHER
    err = doc.get("error")
    if type(err) is dict:
        if doc.get("type") == "error":
            return Shape.TYPED_ENVELOPE
        if "kind" in err and "retryable" in err:
            return Shape.CANONICAL
        code = err.get("code")
        if isinstance(code, str):
            status = err.get("status")
            if type(status) is int and 100 <= status <= 599:
                return Shape.CODE_STATUS
            return Shape.CODE_DETAILS
        if isinstance(code, int) and not isinstance(code, bool):
            return Shape.GOOGLE_STATUS
        return Shape.ERROR_OBJECT
    if isinstance(err, str):
        return Shape.FLAT_STRING
    if err is None:
        code = doc.get("code")
        if (
            isinstance(code, int)
            and not isinstance(code, bool)
            and type(doc.get("details")) is list
        ):
            return Shape.BARE_STATUS
        if "error" not in doc:
            return Shape.PROBLEM
    elif isinstance(err, dict):
        return shape_of({**doc, "error": dict(err)})
    return Shape.OTHER


def is_problem_media(view: ResponseView) -> bool:
    """Whether the response says its body is `application/problem+json`."""
    value = view.headers.lowered.get("content-type")
    return value is not None and "+" in value and view.content_type == PROBLEM_MEDIA_TYPE
