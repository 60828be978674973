"""Google's `google.rpc.Status` as JSON: `{"error": {"code", "message", "status", "details"}}`.

Used by Google APIs (Gemini, Vertex AI, Cloud) and by gRPC gateways; `code` is the HTTP status,
`status` the canonical code name, and `details` a list of typed messages (`@type`
`type.googleapis.com/google.rpc.<Name>`). gRPC-gateway sends the Status itself, unwrapped, with
the numeric gRPC code: `{"code": 5, "message", "details": [...]}`; that form is read too, and so is
a one-element list around the wrapped form (Gemini's OpenAI-compatible endpoints send that).

The kind comes from, in order: `ErrorInfo.reason` (the table's first part: API_KEY_INVALID is
authentication even though the status says INVALID_ARGUMENT; billing and resource-quota reasons
are payment_required), the canonical status (all sixteen codes), a legacy `errors[].reason`, and
last the HTTP status. `code` is the reason when there is one, else the status name.
`BadRequest.fieldViolations[0].field` is the param; RetryInfo and RequestInfo are read by the
core's hints. Every decoded detail is kept in `details`, keyed by its type's short name.
"""

from __future__ import annotations

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
    whole_seconds,
)

NAME: Final = "google_rpc"
# Gemini API and Vertex AI (global and regional endpoints, `us-central1-aiplatform…`).
HOSTS: Final = (
    "generativelanguage.googleapis.com",
    "aiplatform.googleapis.com",
    "*-aiplatform.googleapis.com",
)
TYPE_PREFIX: Final = "type.googleapis.com/google.rpc."

# The sixteen canonical codes (google/rpc/code.proto), with their HTTP mapping.
STATUSES: Final = code_table(
    ErrorCode("CANCELLED", Kind.CANCELLED, 499, "The operation was cancelled by the caller"),
    # AIP-194: UNKNOWN and DATA_LOSS are not retried (neither clears by sending again).
    ErrorCode("UNKNOWN", Kind.INTERNAL, 500, "Unknown error", retryable=False),
    ErrorCode("INVALID_ARGUMENT", Kind.INVALID_REQUEST, 400, "The client gave an invalid argument"),
    ErrorCode("DEADLINE_EXCEEDED", Kind.TIMEOUT, 504, "The deadline expired"),
    ErrorCode("NOT_FOUND", Kind.NOT_FOUND, 404, "A requested entity was not found"),
    ErrorCode("ALREADY_EXISTS", Kind.CONFLICT, 409, "The entity already exists"),
    ErrorCode("PERMISSION_DENIED", Kind.PERMISSION, 403, "The caller lacks permission"),
    ErrorCode("RESOURCE_EXHAUSTED", Kind.RATE_LIMITED, 429, "A quota or rate limit ran out"),
    ErrorCode(
        "FAILED_PRECONDITION", Kind.INVALID_REQUEST, 400, "The system is not in a required state"
    ),
    ErrorCode("ABORTED", Kind.CONFLICT, 409, "Concurrency conflict (sequencer, transaction)"),
    ErrorCode("OUT_OF_RANGE", Kind.INVALID_REQUEST, 400, "Operation past the valid range"),
    ErrorCode("UNIMPLEMENTED", Kind.FEATURE_NOT_AVAILABLE, 501, "Not implemented or not enabled"),
    ErrorCode("INTERNAL", Kind.INTERNAL, 500, "Internal error"),
    ErrorCode("UNAVAILABLE", Kind.UNAVAILABLE, 503, "The service is currently unavailable"),
    ErrorCode(
        "DATA_LOSS", Kind.INTERNAL, 500, "Unrecoverable data loss or corruption", retryable=False
    ),
    ErrorCode("UNAUTHENTICATED", Kind.AUTHENTICATION, 401, "No valid credentials"),
)

# ErrorInfo reasons (domain googleapis.com) that say more than the status.
REASONS: Final = code_table(
    ErrorCode("API_KEY_INVALID", Kind.AUTHENTICATION, 400, "The API key is not valid"),
    ErrorCode("API_KEY_EXPIRED", Kind.AUTHENTICATION, 400, "The API key has expired"),
    ErrorCode("ACCESS_TOKEN_EXPIRED", Kind.AUTHENTICATION, 401, "The access token has expired"),
    ErrorCode("ACCESS_TOKEN_TYPE_UNSUPPORTED", Kind.AUTHENTICATION, 401, "Unsupported token"),
    ErrorCode("CREDENTIALS_MISSING", Kind.AUTHENTICATION, 401, "No credentials were sent"),
    ErrorCode("SESSION_COOKIE_INVALID", Kind.AUTHENTICATION, 401, "The session cookie is invalid"),
    ErrorCode("ACCESS_TOKEN_SCOPE_INSUFFICIENT", Kind.PERMISSION, 403, "The token lacks a scope"),
    ErrorCode("IAM_PERMISSION_DENIED", Kind.PERMISSION, 403, "IAM permission denied"),
    ErrorCode("SERVICE_DISABLED", Kind.PERMISSION, 403, "The API is not enabled for the project"),
    ErrorCode("CONSUMER_SUSPENDED", Kind.PERMISSION, 403, "The project is suspended"),
    ErrorCode("CONSUMER_INVALID", Kind.PERMISSION, 403, "The project is invalid"),
    ErrorCode("USER_PROJECT_DENIED", Kind.PERMISSION, 403, "The quota project is not usable"),
    ErrorCode("API_KEY_SERVICE_BLOCKED", Kind.PERMISSION, 403, "The key may not call this API"),
    ErrorCode("API_KEY_HTTP_REFERRER_BLOCKED", Kind.PERMISSION, 403, "Referrer not allowed"),
    ErrorCode("API_KEY_IP_ADDRESS_BLOCKED", Kind.PERMISSION, 403, "IP address not allowed"),
    ErrorCode("LOCATION_POLICY_VIOLATED", Kind.PERMISSION, 403, "Location policy forbids it"),
    ErrorCode("SECURITY_POLICY_VIOLATED", Kind.PERMISSION, 403, "Security policy forbids it"),
    ErrorCode("RESOURCE_PROJECT_INVALID", Kind.INVALID_REQUEST, 400, "The project is invalid"),
    ErrorCode("BILLING_DISABLED", Kind.PAYMENT_REQUIRED, 403, "Billing is disabled"),
    ErrorCode("BILLING_NOT_ACTIVE", Kind.PAYMENT_REQUIRED, 403, "Billing is not active"),
    ErrorCode("RESOURCE_QUOTA_EXCEEDED", Kind.PAYMENT_REQUIRED, 429, "A resource quota ran out"),
    ErrorCode("INSUFFICIENT_QUOTA", Kind.PAYMENT_REQUIRED, 429, "Not enough quota"),
    ErrorCode("RATE_LIMIT_EXCEEDED", Kind.RATE_LIMITED, 429, "Too many requests per window"),
    # Legacy `errors[].reason` values of the older Google JSON error format.
    ErrorCode("keyInvalid", Kind.AUTHENTICATION, 400, "The API key is not valid"),
    ErrorCode("authError", Kind.AUTHENTICATION, 401, "Invalid credentials"),
    ErrorCode("rateLimitExceeded", Kind.RATE_LIMITED, 403, "Too many requests"),
    ErrorCode("userRateLimitExceeded", Kind.RATE_LIMITED, 403, "Too many requests for the user"),
    ErrorCode("dailyLimitExceeded", Kind.PAYMENT_REQUIRED, 403, "The daily quota ran out"),
    ErrorCode("quotaExceeded", Kind.PAYMENT_REQUIRED, 403, "The quota ran out"),
)

CODES: Final = code_table(*STATUSES.values(), *REASONS.values())

# Numeric gRPC codes, for the unwrapped gRPC-gateway form.
_GRPC_NUMBERS: Final = (
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
)
# Kind -> canonical status, for rendering.
_RENDER_STATUSES: Final[Mapping[Kind, str]] = {
    Kind.INVALID_REQUEST: "INVALID_ARGUMENT",
    Kind.AUTHENTICATION: "UNAUTHENTICATED",
    Kind.PERMISSION: "PERMISSION_DENIED",
    Kind.NOT_FOUND: "NOT_FOUND",
    Kind.CONFLICT: "ALREADY_EXISTS",
    Kind.PAYMENT_REQUIRED: "RESOURCE_EXHAUSTED",
    Kind.RATE_LIMITED: "RESOURCE_EXHAUSTED",
    Kind.CONCURRENCY_LIMITED: "RESOURCE_EXHAUSTED",
    Kind.FEATURE_NOT_AVAILABLE: "UNIMPLEMENTED",
    Kind.TIMEOUT: "DEADLINE_EXCEEDED",
    Kind.UNAVAILABLE: "UNAVAILABLE",
    Kind.INTERNAL: "INTERNAL",
    Kind.CANCELLED: "CANCELLED",
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _status_object(view: ResponseView) -> tuple[Mapping[str, Any], bool] | None:
    """(Status object, wrapped) when the body is a google.rpc.Status, wrapped or not."""
    doc = view.json
    if isinstance(doc, list) and len(doc) == 1:
        doc = doc[0]  # Gemini's OpenAI-compatible endpoints wrap the error in a list
    if not isinstance(doc, dict):
        return None
    err = doc.get("error")
    if isinstance(err, dict) and _operation_error(doc, err):
        return err, False
    if isinstance(err, dict) and _is_int(err.get("code")):
        return err, True
    if (
        err is None
        and _is_int(doc.get("code"))
        and 0 <= doc["code"] < len(_GRPC_NUMBERS)
        and isinstance(doc.get("details"), list)
    ):
        return doc, False
    return None


def _operation_error(doc: Mapping[str, Any], err: object) -> bool:
    """Whether `doc` is a finished google.longrunning.Operation whose `error` is a Status.

    An operation's `error` carries the numeric gRPC code (`{"done": true, "error": {"code": 13,
    "message": …}}`, as Vertex AI Agent Engine deployments end), not an HTTP status.
    """
    return (
        doc.get("done") is True
        and isinstance(err, dict)
        and _is_int(err.get("code"))
        and 0 < err["code"] < len(_GRPC_NUMBERS)
    )


def _typed(details: object) -> dict[str, Any]:
    """Detail entries by short type name ("ErrorInfo"); a repeated type keeps the first."""
    found: dict[str, Any] = {}
    if isinstance(details, list):
        for item in details:
            if isinstance(item, dict):
                name = str(item.get("@type", "")).rsplit("/", 1)[-1].rsplit(".", 1)[-1]
                if name:
                    found.setdefault(name, {k: v for k, v in item.items() if k != "@type"})
    return found


def _per_day(quota: object) -> bool:
    """Whether a QuotaFailure names a daily quota (Gemini: `…PerDayPerProjectPerModel…`)."""
    violations = quota.get("violations") if isinstance(quota, Mapping) else None
    if not isinstance(violations, list):
        return False
    for item in violations[:16]:
        if isinstance(item, Mapping):
            for key in ("quotaId", "quotaMetric", "description"):
                text = item.get(key)
                if isinstance(text, str) and len(text) < 512:
                    low = text.lower()
                    if "perday" in low or "per day" in low or "per_day" in low:
                        return True
    return False


def _first(entries: object, key: str) -> Mapping[str, Any] | None:
    if isinstance(entries, Mapping):
        items = entries.get(key)
        if isinstance(items, list) and items and isinstance(items[0], dict):
            return items[0]
    return None


# Gemini / Vertex AI: "retry with exponential backoff" on 429 RESOURCE_EXHAUSTED, 500, 503 and
# 504; google-genai's HttpRetryOptions default to 5 attempts, 1 s doubling to 60 s.
# RetryInfo.retryDelay (read as retry_after) is honoured.
RETRY_PROFILE: Final[Mapping[str, Any]] = {
    "max_retries": 4,
    "initial_delay": 1.0,
    "multiplier": 2.0,
    "max_delay": 60.0,
    "jitter": "equal",
    "max_server_delay": 120.0,
}

PACK: Final = ProviderPack(
    NAME, codes=CODES, render_codes=_RENDER_STATUSES, retry=RETRY_PROFILE, hosts=HOSTS
)
"""Everything about google.rpc.Status: statuses and reasons, the status written for each kind,
the Gemini / Vertex AI retry profile and their hosts."""


class GoogleRpcAdapter:
    """Adapter for google.rpc.Status JSON errors."""

    name = NAME
    hosts = HOSTS
    codes = CODES
    shapes = frozenset(
        {Shape.TYPED_ENVELOPE, Shape.CANONICAL, Shape.GOOGLE_STATUS, Shape.BARE_STATUS, Shape.LIST}
    )
    pack = PACK

    def sniff(self, view: ResponseView) -> float:
        """0.95 with a canonical `status` name, 0.8 with typed details, 0.6 for legacy `errors`.

        gRPC-gateway's bare Status (exactly `code`, `message`, `details`) scores 0.6 too.

        An integer `code` alone (`{"error": {"code": 404, "message": ...}}`) is too common a shape
        to claim.
        """
        found = _status_object(view)
        if found is None:
            return 0.0
        status, wrapped = found
        if status.get("status") in STATUSES:
            return 0.95
        details = status.get("details")
        if isinstance(details, list) and any(
            isinstance(item, dict) and "@type" in item for item in details
        ):
            return 0.8
        if wrapped and isinstance(status.get("errors"), list):
            return 0.6
        if not wrapped and set(status) == {"code", "message", "details"}:
            return 0.6  # gRPC-gateway's bare Status: exactly its three fields
        doc = view.json
        if not wrapped and isinstance(doc, dict) and _operation_error(doc, status):
            return 0.6  # a finished long-running operation that failed
        return 0.0

    def read(self, view: ResponseView) -> Parsed | None:
        """Parse a Status; None when the body is not one."""
        found = _status_object(view)
        if found is None:
            return None
        err, wrapped = found
        typed = _typed(err.get("details"))
        details: dict[str, Any] = dict(typed)
        http_code: int = err["code"]
        name = first_str(err.get("status"))
        if not wrapped and name is None:
            name = _GRPC_NUMBERS[http_code]
            details["grpc_code"] = http_code
        # A wrapped Status's `code` is the HTTP status (an operation's is a gRPC code).
        status = error_status(view, body_status(http_code, errors_only=True) if wrapped else None)
        if name is not None:
            details["status"] = name

        info = typed.get("ErrorInfo")
        reason = first_str(info.get("reason")) if isinstance(info, dict) else None
        legacy = _first(err, "errors")
        if reason is not None:
            details["reason"] = reason
            domain = first_str(info.get("domain")) if isinstance(info, dict) else None
            if domain is not None:
                details["domain"] = domain
        elif legacy is not None:
            reason = first_str(legacy.get("reason"))
            details["errors"] = err["errors"]

        row = None
        for candidate in (reason, name):
            if candidate is not None:
                row = _row(candidate)
                if row is not None:
                    break
        kind = row.kind if row is not None else kind_for_status(status)
        if kind_for_status(status) is Kind.PAYMENT_REQUIRED and (reason not in REASONS):
            kind = Kind.PAYMENT_REQUIRED  # a 402 says more than RESOURCE_EXHAUSTED does
        if kind is Kind.RATE_LIMITED and _per_day(typed.get("QuotaFailure")):
            kind = Kind.PAYMENT_REQUIRED  # a daily quota: the next minute brings nothing back
        code = reason or name

        violation = _first(typed.get("BadRequest"), "fieldViolations")
        param = first_str(violation.get("field")) if violation is not None else None
        if param is None and legacy is not None and legacy.get("locationType") == "parameter":
            param = first_str(legacy.get("location"))
        message = first_str(err.get("message"))
        localized = typed.get("LocalizedMessage")
        if message is None and isinstance(localized, dict):
            message = first_str(localized.get("message"))
        return Parsed(
            kind=kind,
            message=message,
            code=code,
            param=param,
            details=details,
            retryable=row.retryable if row is not None else None,
            status=status,
        )

    def parse(self, view: ResponseView) -> CanonicalError | None:
        """Return the finished error `read` finds; None when it finds none."""
        parsed = self.read(view)
        return None if parsed is None else finish_error(view, parsed, NAME)

    def render(self, error: CanonicalError) -> Rendered:
        """Render a wrapped Status with ErrorInfo, BadRequest, RetryInfo and RequestInfo."""
        http_status = default_status(error)
        code = error.code
        # The code, or else the status this adapter read (kept in details), is written back as
        # it came when `parse` would read the same kind from it.
        payment = error.kind is Kind.PAYMENT_REQUIRED and http_status == 402
        name: str | None = None
        for candidate in (code, error.details.get("status")):
            row = STATUSES.get(candidate) if isinstance(candidate, str) else None
            if row is not None and (row.kind is error.kind or payment):
                name = candidate
                break
        if name is None:
            name = PACK.render_codes.get(error.kind, "UNKNOWN")
        entries: list[dict[str, Any]] = []
        if code is not None and code != name and _reads_as(code, error.kind, http_status):
            entries.append(
                {"@type": TYPE_PREFIX + "ErrorInfo", "reason": code, "domain": "googleapis.com"}
            )
        if error.param is not None:
            entries.append(
                {
                    "@type": TYPE_PREFIX + "BadRequest",
                    "fieldViolations": [{"field": error.param, "description": error.message}],
                }
            )
        if error.retry_after is not None:
            entries.append(
                {
                    "@type": TYPE_PREFIX + "RetryInfo",
                    "retryDelay": f"{whole_seconds(error.retry_after)}s",
                }
            )
        if error.request_id is not None:
            entries.append({"@type": TYPE_PREFIX + "RequestInfo", "requestId": error.request_id})
        inner: dict[str, Any] = {"code": http_status, "message": error.message, "status": name}
        if entries:
            inner["details"] = entries
        return json_rendered(http_status, {"error": inner}, error=error)


def _row(code: str) -> ErrorCode | None:
    """The table row `read` takes a reason or status name's kind from (a reason's first)."""
    return REASONS.get(code) or STATUSES.get(code)


def _reads_as(reason: str, kind: Kind, http_status: int) -> bool:
    """Whether `reason` in an ErrorInfo leaves `read` with `kind`.

    A reason of the tables decides the kind (a status name too), so one of another kind, such
    as an invalid_request error's `RATE_LIMIT_EXCEEDED`, is not written: it would read back as
    its own kind. At 402 anything but a table's reason yields to the payment the status says.
    """
    row = _row(reason)
    if row is None:
        return True
    if http_status == 402 and reason not in REASONS:
        return kind is Kind.PAYMENT_REQUIRED
    return row.kind is kind


ADAPTER: Final = GoogleRpcAdapter()
