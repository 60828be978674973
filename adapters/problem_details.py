"""RFC 9457 problem details (`application/problem+json`), the successor of RFC 7807.

Members: `type` (a URI; "about:blank" when the status says it all), `title`, `status`, `detail`,
`instance`, and any extension members. This adapter reads back the extensions that
`render(error, to="problem+json")` writes: `kind`, `param`, `code`, `request_id`, `retry_after`,
`retryable` and `details`. Validation problems name their fields in `invalid-params` (RFC 9457's
example: `[{"name", "reason"}]`) or in `errors` (a list of `{detail, pointer}`, or ASP.NET's
`{"Field": ["message"]}`); the first one becomes `param`.

Problem types carry no kind of their own, so the kind is the `kind` extension when present, then
the codes below (matched case-insensitively against `code` and the type's last path segment),
then the status.
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import Any, Final

from agent_errors._core._model import CanonicalError, Kind, kind_for_status
from agent_errors.adapter_kit import (
    ErrorCode,
    Parsed,
    ProviderPack,
    Rendered,
    ResponseView,
    Shape,
    body_status,
    code_table,
    default_status,
    error_status,
    finish_error,
    first_str,
    json_rendered,
    pointer_param,
    provider_details,
    retry_after_seconds,
    whole_seconds,
)

NAME: Final = "problem_details"
HOSTS: Final[tuple[str, ...]] = ()
MEDIA_TYPE: Final = "application/problem+json"

# Problem type names (the last segment of the `type` URI, or the `code` extension) that settle a
# kind the status alone would get wrong or could not give.
CODES: Final = code_table(
    ErrorCode("out-of-credit", Kind.PAYMENT_REQUIRED, 403, "RFC 9457's example: no credit left"),
    ErrorCode("insufficient-credits", Kind.PAYMENT_REQUIRED, 402, "Not enough credits"),
    ErrorCode("quota-exceeded", Kind.PAYMENT_REQUIRED, 429, "Quota exhausted"),
    ErrorCode("rate-limited", Kind.RATE_LIMITED, 429, "Too many requests"),
    ErrorCode("too-many-requests", Kind.RATE_LIMITED, 429, "Too many requests"),
    ErrorCode("concurrency-limited", Kind.CONCURRENCY_LIMITED, 429, "Too many at once"),
    ErrorCode("validation-error", Kind.INVALID_REQUEST, 400, "The request failed validation"),
)
_CODES_FOLDED: Final = {code.lower(): row for code, row in CODES.items()}
_MEMBERS: Final = ("type", "title", "status", "detail", "instance")
_OURS: Final = frozenset(
    {*_MEMBERS, "kind", "param", "code", "request_id", "retry_after", "retryable", "details"}
)
_KINDS: Final = {kind.value: kind for kind in Kind}
# RFC 9457 members `parse` keeps in `details`, and `render` writes back as members.
_KEPT_MEMBERS: Final = ("type", "title", "instance")
_POINTER_SKIP: Final = frozenset({"", "#", "body", "query", "path", "header", "data", "attributes"})


def _problem(view: ResponseView) -> Mapping[str, Any] | None:
    """The document, when it may be a problem: a JSON object, and an error by some sign.

    With a success status (or none, as for a stream event) only the media type or an error
    `status` member makes an object a problem: `{"type": "article", "title": "…"}` is not one.
    """
    doc = view.json
    if not isinstance(doc, dict):
        return None
    if view.status is not None and view.status >= 400:
        return doc
    if view.content_type == MEDIA_TYPE:
        return doc
    status = doc.get("status")
    if isinstance(status, int) and not isinstance(status, bool) and status >= 400:
        return doc
    return None


def _member_count(doc: Mapping[str, Any]) -> int:
    """How many RFC 9457 members the document has, each with its specified JSON type."""
    count = 0
    for name in ("type", "title", "detail", "instance"):
        if isinstance(doc.get(name), str):
            count += 1
    status = doc.get("status")
    if isinstance(status, int) and not isinstance(status, bool):
        count += 1
    return count


def _field_errors(doc: Mapping[str, Any]) -> tuple[str | None, Any]:
    """(first field, the entries) from `invalid-params` or `errors`, in whichever form."""
    for key in ("invalid-params", "invalid_params", "invalidParams", "errors", "violations"):
        value = doc.get(key)
        if isinstance(value, list) and value:
            for item in value:
                if isinstance(item, dict):
                    field = first_str(
                        item.get("name"),
                        item.get("field"),
                        item.get("param"),
                        item.get("propertyPath"),
                    ) or pointer_param(
                        item.get("pointer") or item.get("jsonPointer"), skip=_POINTER_SKIP
                    )
                    if field is None and isinstance(item.get("source"), dict):
                        field = pointer_param(item["source"].get("pointer"), skip=_POINTER_SKIP)
                    if field is not None:
                        return field, value
            return None, value
        if isinstance(value, dict) and value:
            return first_str(*value), value  # ASP.NET: {"Field": ["message", ...]}
    return None, None


def _type_name(type_uri: str | None) -> str | None:
    if not type_uri or type_uri == "about:blank":
        return None
    return type_uri.rstrip("/").rsplit("/", 1)[-1].split("#")[-1] or None


PACK: Final = ProviderPack(NAME, codes=CODES, hosts=HOSTS)
"""The problem type names this format settles a kind with; no retry profile of its own."""


class ProblemDetailsAdapter:
    """Adapter for RFC 9457 problem details, ours and everyone else's."""

    name = NAME
    hosts = HOSTS
    codes = CODES
    shapes = frozenset({Shape.PROBLEM, Shape.BARE_STATUS})
    media_types = frozenset({MEDIA_TYPE})
    pack = PACK

    def sniff(self, view: ResponseView) -> float:
        """0.95 for `application/problem+json`; 0.7 for two or more members with `type`/`title`.

        A lone `detail` (FastAPI) or a body with an `error` member is not a problem document.
        """
        doc = _problem(view)
        if doc is None:
            return 0.0
        if view.content_type == MEDIA_TYPE:
            return 0.95
        if "error" in doc or ("errors" in doc and not ("type" in doc or "title" in doc)):
            return 0.0
        count = _member_count(doc)
        if count >= 2 and (isinstance(doc.get("type"), str) or isinstance(doc.get("title"), str)):
            return 0.7
        return 0.2 if count else 0.0

    def read(self, view: ResponseView) -> Parsed | None:
        """Parse a problem document; None when the body is not a JSON object."""
        doc = _problem(view)
        if doc is None:
            return None
        if _member_count(doc) == 0 and view.content_type != MEDIA_TYPE:
            return None
        # A problem in a stream event, or wrapped in a 200, names its status.
        status = error_status(view, body_status(doc.get("status")))
        type_uri = first_str(doc.get("type"))
        code = first_str(doc.get("code")) or (
            type_uri if type_uri is not None and type_uri != "about:blank" else None
        )
        declared = doc.get("kind")
        kind = _KINDS.get(declared) if isinstance(declared, str) else None
        retryable: bool | None = None
        if kind is None:
            row = None
            for name in (first_str(doc.get("code")), _type_name(type_uri)):
                if name is not None:
                    row = _CODES_FOLDED.get(name.lower())
                    if row is not None:
                        break
            kind = row.kind if row is not None else kind_for_status(status)
        if isinstance(doc.get("retryable"), bool):
            retryable = doc["retryable"]
        param, field_errors = _field_errors(doc)
        param = first_str(doc.get("param")) or param
        details: dict[str, Any] = {
            key: value for key, value in doc.items() if key not in _OURS and key != "errors"
        }
        if field_errors is not None:
            details["errors"] = field_errors
        if type_uri is not None:
            details["type"] = type_uri
        title = first_str(doc.get("title"))
        if title is not None:
            details["title"] = title
        instance = first_str(doc.get("instance"))
        if instance is not None:
            details["instance"] = instance
        ours = doc.get("details")
        if isinstance(ours, dict):
            details.update(ours)  # the error's own details, as `render` wrote them
        return Parsed(
            kind=kind,
            message=first_str(doc.get("detail")) or title,
            code=code,
            param=param,
            details=details,
            retryable=retryable,
            status=status,
            retry_after=retry_after_seconds(doc.get("retry_after")),
            request_id=first_str(doc.get("request_id"), doc.get("traceId")),
        )

    def parse(self, view: ResponseView) -> CanonicalError | None:
        """Return the finished error `read` finds; None when it finds none."""
        parsed = self.read(view)
        return None if parsed is None else finish_error(view, parsed, NAME)

    def render(self, error: CanonicalError) -> Rendered:
        """Render RFC 9457 with our fields as extension members, as `application/problem+json`.

        `type`, `title` and `instance` are the ones `parse` kept in `details`, when there; else
        `type` is the error's code when that is an absolute URI, or "about:blank" (the status and
        title then say what happened), and `title` is the status phrase. `details` holds the
        rest of `provider_details(error)`, so normalizing then rendering gives back the same
        document.
        """
        status = default_status(error)
        code = error.code
        details = provider_details(error)
        members = {
            name: details.pop(name) for name in _KEPT_MEMBERS if isinstance(details.get(name), str)
        }
        is_uri = code is not None and "://" in code
        body: dict[str, Any] = {
            "type": members.get("type") or (code if is_uri else "about:blank"),
            "title": members.get("title") or _title(status),
            "status": status,
            "detail": error.message,
        }
        if "instance" in members:
            body["instance"] = members["instance"]
        body["kind"] = error.kind.value
        if code is not None:
            body["code"] = code
        if error.param is not None:
            body["param"] = error.param
        if error.request_id is not None:
            body["request_id"] = error.request_id
        if error.retry_after is not None:
            body["retry_after"] = whole_seconds(error.retry_after)
        body["retryable"] = error.retryable
        if details:
            body["details"] = details
        return json_rendered(status, body, error=error, content_type=MEDIA_TYPE)


_TITLES: Final = {status.value: status.phrase for status in http.HTTPStatus}


def _title(status: int) -> str:
    return _TITLES.get(status, "Error")


ADAPTER: Final = ProblemDetailsAdapter()
