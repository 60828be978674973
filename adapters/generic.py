"""Everything else: the shapes many APIs share, and bodies in no known format at all.

OpenAI-style `{"error": {message, type, param, code}}` (with Microsoft's `innerError`, OpenRouter's
`metadata`), flat `{"error": "…"}`, `{"message"}` and `{"detail"}` bodies, FastAPI's
`{"detail": [...]}` (also nested in a `message` object, as Mistral sends it), JSON:API, GraphQL,
Twilio and Cloudflare `errors` lists, Shopify's `errors` string or field map, Salesforce's bare
list of `{errorCode, message, fields}`, Kubernetes `Status` objects (`reason`, `details.causes`),
PostgREST's `{code, message, details, hint}`, Slack's `{"ok": false, "error": "<code>"}` (also
behind a 200), OAuth `error_description`, AWS `__type`/`x-amzn-ErrorType` codes, plain text, HTML
error pages and empty bodies. Errors inside results are read too: an OpenAI Batch output line, an
Anthropic message batch result, a Responses `response.failed` / `response.incomplete` event or
failed Response, an Assistants run or step's `last_error`, a Responses stream `error` event with
its fields at the top, LangGraph's `{"__error__": …}` behind a 200; the status such a document
names counts. OpenRouter-style gateways' `error.metadata.raw` (the upstream body) is looked at for
the phrases below when the gateway's own message says nothing.

The code table below holds codes that many APIs share. Codes are matched case-insensitively.
A code that only names a class of errors (`invalid_request_error`, `server_error`, …) gives way to
a status that says more (a 402, 404 or 429 sent with `invalid_request_error`). A code that is only
digits ("400") repeats the status, so a word beside it (`type`) is kept instead. When neither a
code nor the status says what happened, a few unambiguous phrases in the message decide
(quota/credits/budget -> payment_required, but a quota per second, minute or hour ->
rate_limited; "concurrent" -> concurrency_limited; "rate limit exceeded" behind a 400 or 403 ->
rate_limited); the message never overrides a recognized specific code, but a class code
(`invalid_request_error`, `rate_limit_exceeded`) gives way to a payment phrase (`_phrases`), and
a request larger than the whole limit ("Limit 6000, Requested 14368", or a 413) is
invalid_request and not retried, whatever code it came with.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from agent_errors._core._error_document import is_error_document
from agent_errors._core._model import CanonicalError, Kind, kind_for_status
from agent_errors._core._phrases import Phrase, asks_for_payment, too_large
from agent_errors.adapter_kit import (
    CLASS_CODES,
    ErrorCode,
    Parsed,
    ProviderPack,
    Rendered,
    ResponseView,
    Shape,
    body_status,
    code_table,
    default_status,
    finish_error,
    first_str,
    from_status,
    json_rendered,
    pointer_param,
    retry_after_seconds,
    status_says_more,
    synthesize_message,
)

NAME: Final = "generic"
HOSTS: Final[tuple[str, ...]] = ()

CODES: Final = code_table(
    # OpenAI-style types and codes.
    ErrorCode("invalid_request_error", Kind.INVALID_REQUEST, 400, "The request was invalid"),
    ErrorCode("authentication_error", Kind.AUTHENTICATION, 401, "Authentication failed"),
    ErrorCode("invalid_api_key", Kind.AUTHENTICATION, 401, "The API key is invalid"),
    ErrorCode("permission_error", Kind.PERMISSION, 403, "Not allowed"),
    ErrorCode("permission_denied", Kind.PERMISSION, 403, "Not allowed"),
    ErrorCode("not_found_error", Kind.NOT_FOUND, 404, "Not found"),
    ErrorCode("model_not_found", Kind.NOT_FOUND, 404, "The model does not exist"),
    ErrorCode("conflict_error", Kind.CONFLICT, 409, "State conflict"),
    ErrorCode("idempotency_error", Kind.CONFLICT, 400, "Idempotency key reused differently"),
    ErrorCode("invalid_credentials", Kind.AUTHENTICATION, 400, "The credentials are wrong"),
    ErrorCode("insufficient_quota", Kind.PAYMENT_REQUIRED, 429, "Quota exhausted; check billing"),
    ErrorCode("billing_hard_limit_reached", Kind.PAYMENT_REQUIRED, 429, "Billing limit reached"),
    ErrorCode("billing_not_active", Kind.PAYMENT_REQUIRED, 429, "Billing is not active"),
    ErrorCode("quota_exceeded", Kind.PAYMENT_REQUIRED, None, "Quota exhausted"),
    ErrorCode("rate_limit_exceeded", Kind.RATE_LIMITED, 429, "Too many requests"),
    ErrorCode("rate_limit_error", Kind.RATE_LIMITED, 429, "Too many requests"),
    ErrorCode("rate_limited", Kind.RATE_LIMITED, 429, "Too many requests"),
    ErrorCode("too_many_requests", Kind.RATE_LIMITED, 429, "Too many requests"),
    ErrorCode("tokens", Kind.RATE_LIMITED, 429, "Token rate limit"),
    ErrorCode("requests", Kind.RATE_LIMITED, 429, "Request rate limit"),
    ErrorCode("context_length_exceeded", Kind.INVALID_REQUEST, 400, "Input too long for the model"),
    ErrorCode("request_too_large", Kind.INVALID_REQUEST, 413, "Request too large"),
    ErrorCode("server_error", Kind.INTERNAL, 500, "Server error"),
    ErrorCode("api_error", Kind.INTERNAL, 500, "Server error"),
    ErrorCode("internal_error", Kind.INTERNAL, 500, "Server error"),
    ErrorCode("internal_server_error", Kind.INTERNAL, 500, "Server error"),
    ErrorCode("overloaded_error", Kind.UNAVAILABLE, 529, "Overloaded"),
    ErrorCode("service_unavailable", Kind.UNAVAILABLE, 503, "Temporarily unavailable"),
    ErrorCode("engine_overloaded", Kind.UNAVAILABLE, 503, "Overloaded"),
    ErrorCode("server_is_overloaded", Kind.UNAVAILABLE, 503, "Overloaded"),
    ErrorCode("service_unavailable_error", Kind.UNAVAILABLE, 503, "Temporarily unavailable"),
    # OpenAI's runs and Responses: `last_error.code` / `response.error.code`, and Codex's plan
    # window (`usage_limit_reached`, with `resets_in_seconds`).
    ErrorCode("invalid_prompt", Kind.INVALID_REQUEST, 400, "The prompt was rejected"),
    ErrorCode("usage_limit_reached", Kind.RATE_LIMITED, 429, "Usage limit reached"),
    # Moonshot (Kimi) and Alibaba DashScope (Qwen): a spent balance, a rate window.
    ErrorCode("exceeded_current_quota_error", Kind.PAYMENT_REQUIRED, 429, "Balance exhausted"),
    ErrorCode("rate_limit_reached_error", Kind.RATE_LIMITED, 429, "Too many requests"),
    ErrorCode("Arrearage", Kind.PAYMENT_REQUIRED, 400, "The account is in arrears"),
    # OpenAI Batch error-file lines (`error.code` of a line with no response).
    ErrorCode("batch_expired", Kind.TIMEOUT, None, "The batch window ended first"),
    ErrorCode("batch_cancelled", Kind.CANCELLED, None, "The batch was cancelled first"),
    # A failed OpenAI batch (`errors.data[]`): the organization's enqueued-token limit is held by
    # batches in progress; it clears when one of them completes.
    ErrorCode("token_limit_exceeded", Kind.CONCURRENCY_LIMITED, None, "Enqueued tokens at limit"),
    ErrorCode("request_timeout", Kind.TIMEOUT, 408, "The model call timed out"),
    ErrorCode("timeout", Kind.TIMEOUT, 504, "Timed out"),
    ErrorCode("timeout_error", Kind.TIMEOUT, 504, "Timed out"),
    # LiteLLM's proxy (ProxyErrorTypes), in front of any provider. It sends the same type with
    # different statuses (a denied model as 401 or 403, a spent budget as 400 or 429, an expired
    # key as 400 or 401), so the type decides.
    ErrorCode("budget_exceeded", Kind.PAYMENT_REQUIRED, None, "A spend budget ran out"),
    ErrorCode("key_model_access_denied", Kind.PERMISSION, None, "The key may not use the model"),
    ErrorCode("team_model_access_denied", Kind.PERMISSION, None, "The team may not use it"),
    ErrorCode("user_model_access_denied", Kind.PERMISSION, None, "The user may not use it"),
    ErrorCode("org_model_access_denied", Kind.PERMISSION, None, "The org may not use it"),
    ErrorCode("team_member_permission_error", Kind.PERMISSION, None, "Not allowed in the team"),
    ErrorCode("expired_key", Kind.AUTHENTICATION, None, "The key has expired"),
    ErrorCode("token_not_found_in_db", Kind.AUTHENTICATION, 401, "Unknown key"),
    ErrorCode("auth_error", Kind.AUTHENTICATION, 401, "Authentication failed"),
    # OAuth 2.0 (RFC 6749 5.2, RFC 6750 3.1).
    ErrorCode("invalid_token", Kind.AUTHENTICATION, 401, "The access token is invalid"),
    ErrorCode("invalid_client", Kind.AUTHENTICATION, 401, "Client authentication failed"),
    ErrorCode("invalid_grant", Kind.AUTHENTICATION, 400, "The grant is invalid or expired"),
    ErrorCode("unauthorized_client", Kind.PERMISSION, 400, "The client may not use this grant"),
    ErrorCode("insufficient_scope", Kind.PERMISSION, 403, "The token lacks a scope"),
    ErrorCode("access_denied", Kind.PERMISSION, 403, "Access denied"),
    ErrorCode("invalid_scope", Kind.INVALID_REQUEST, 400, "The scope is invalid"),
    ErrorCode("unsupported_grant_type", Kind.INVALID_REQUEST, 400, "Unsupported grant type"),
    ErrorCode("invalid_request", Kind.INVALID_REQUEST, 400, "The request was invalid"),
    # Common upper-case codes.
    ErrorCode("UNAUTHENTICATED", Kind.AUTHENTICATION, 401, "Not authenticated"),
    ErrorCode("UNAUTHORIZED", Kind.AUTHENTICATION, 401, "Not authenticated"),
    ErrorCode("FORBIDDEN", Kind.PERMISSION, 403, "Not allowed"),
    ErrorCode("NOT_FOUND", Kind.NOT_FOUND, 404, "Not found"),
    ErrorCode("CONFLICT", Kind.CONFLICT, 409, "State conflict"),
    ErrorCode("VALIDATION_ERROR", Kind.INVALID_REQUEST, 400, "Validation failed"),
    ErrorCode("BAD_REQUEST", Kind.INVALID_REQUEST, 400, "Bad request"),
    ErrorCode("PAYMENT_REQUIRED", Kind.PAYMENT_REQUIRED, 402, "Payment required"),
    ErrorCode("INTERNAL_SERVER_ERROR", Kind.INTERNAL, 500, "Server error"),
    # AWS JSON protocols (`__type` in the body, or the `x-amzn-ErrorType` header).
    ErrorCode("ThrottlingException", Kind.RATE_LIMITED, 400, "Request rate too high"),
    ErrorCode("TooManyRequestsException", Kind.RATE_LIMITED, 429, "Too many requests"),
    ErrorCode("ServiceQuotaExceededException", Kind.PAYMENT_REQUIRED, 400, "Quota exhausted"),
    ErrorCode("AccessDeniedException", Kind.PERMISSION, 403, "Not allowed"),
    ErrorCode("UnrecognizedClientException", Kind.AUTHENTICATION, 400, "Unknown credentials"),
    ErrorCode("ExpiredTokenException", Kind.AUTHENTICATION, 400, "The token has expired"),
    ErrorCode("ValidationException", Kind.INVALID_REQUEST, 400, "Validation failed"),
    ErrorCode("ResourceNotFoundException", Kind.NOT_FOUND, 404, "Not found"),
    ErrorCode("ConflictException", Kind.CONFLICT, 409, "State conflict"),
    ErrorCode("ModelTimeoutException", Kind.TIMEOUT, 408, "The model timed out"),
    ErrorCode("ModelNotReadyException", Kind.UNAVAILABLE, 429, "The model is not ready"),
    ErrorCode("ServiceUnavailableException", Kind.UNAVAILABLE, 503, "Temporarily unavailable"),
    ErrorCode("InternalServerException", Kind.INTERNAL, 500, "Server error"),
    ErrorCode("InternalFailure", Kind.INTERNAL, 500, "Server error"),
    # AWS XML protocols (S3, query APIs): codes whose status alone would mislead.
    ErrorCode("Throttling", Kind.RATE_LIMITED, 400, "Request rate too high"),
    ErrorCode("RequestLimitExceeded", Kind.RATE_LIMITED, 503, "Request rate too high"),
    ErrorCode("SlowDown", Kind.RATE_LIMITED, 503, "Reduce the request rate"),
    # The rest of botocore's throttling codes (retries/standard.py, data/_retry.json): rate
    # limits whatever status they come with (a 400, SQS's 403, EC2's 503, CloudSearch's 509).
    ErrorCode("ThrottledException", Kind.RATE_LIMITED, 400, "Request rate too high"),
    ErrorCode("RequestThrottledException", Kind.RATE_LIMITED, 400, "Request rate too high"),
    ErrorCode("RequestThrottled", Kind.RATE_LIMITED, 403, "Request rate too high"),
    ErrorCode("EC2ThrottledException", Kind.RATE_LIMITED, 503, "Request rate too high"),
    ErrorCode("BandwidthLimitExceeded", Kind.RATE_LIMITED, 509, "Bandwidth limit reached"),
    ErrorCode("LimitExceededException", Kind.RATE_LIMITED, 400, "Request rate too high"),
    ErrorCode(
        "ProvisionedThroughputExceededException",
        Kind.RATE_LIMITED,
        400,
        "Provisioned throughput exceeded",
    ),
    # Still working on an earlier request (DynamoDB transactions, Route 53 changes): botocore
    # retries them as throttles; waiting is what helps.
    ErrorCode(
        "TransactionInProgressException", Kind.RATE_LIMITED, 400, "Earlier request in progress"
    ),
    ErrorCode("PriorRequestNotComplete", Kind.RATE_LIMITED, 400, "Earlier request in progress"),
    # botocore's transient codes: the request timed out, or STS could not reach the identity
    # provider.
    ErrorCode("RequestTimeout", Kind.TIMEOUT, 400, "The request timed out"),
    ErrorCode("RequestTimeoutException", Kind.TIMEOUT, 408, "The request timed out"),
    ErrorCode("IDPCommunicationError", Kind.UNAVAILABLE, 400, "Identity provider unreachable"),
    ErrorCode("InvalidAccessKeyId", Kind.AUTHENTICATION, 403, "Unknown access key"),
    ErrorCode("SignatureDoesNotMatch", Kind.AUTHENTICATION, 403, "The signature is wrong"),
    ErrorCode("ExpiredToken", Kind.AUTHENTICATION, 400, "The token has expired"),
    # Slack Web API (`{"ok": false, "error": "<code>"}`, behind a 200 except for ratelimited).
    ErrorCode("ratelimited", Kind.RATE_LIMITED, 429, "Too many requests"),
    ErrorCode("invalid_auth", Kind.AUTHENTICATION, None, "The token is invalid"),
    ErrorCode("not_authed", Kind.AUTHENTICATION, None, "No token was given"),
    ErrorCode("token_revoked", Kind.AUTHENTICATION, None, "The token was revoked"),
    ErrorCode("token_expired", Kind.AUTHENTICATION, None, "The token has expired"),
    ErrorCode("account_inactive", Kind.AUTHENTICATION, None, "The account was deactivated"),
    ErrorCode("missing_scope", Kind.PERMISSION, None, "The token lacks a scope"),
    ErrorCode("not_allowed_token_type", Kind.PERMISSION, None, "Wrong kind of token"),
    ErrorCode("channel_not_found", Kind.NOT_FOUND, None, "The channel does not exist"),
    # Salesforce: the org's rolling 24-hour API request limit, sent as a 403.
    ErrorCode("REQUEST_LIMIT_EXCEEDED", Kind.RATE_LIMITED, 403, "API request limit reached"),
)
_CODES_FOLDED: Final = {code.lower(): row for code, row in CODES.items()}

# Phrases that settle the kind when no code was recognized and the status is ambiguous.
_PAYMENT_RE: Final = Phrase(
    r"\b(?:insufficient (?:credits?|funds|balance|quota)|quota (?:exceeded|exhausted)|"
    r"exceeded your (?:current )?quota|out of credits|billing|budget (?:has been )?exceeded|"
    r"credit balance)\b",
    ("insufficient", "quota", "credit", "billing", "budget"),
)
# How much of a message the phrase patterns read (as the retry-hint search in _hints.py).
_MESSAGE_SCAN: Final = 4096
# A quota measured over a short window is a rate limit: the next window brings it back.
_WINDOW_RE: Final = Phrase(
    r"(?:\b|_)per[ _-]?(?:second|minute|min|hour)(?:\b|_)|\b(?:rpm|tpm|rps)\b",
    ("per", "rpm", "tpm", "rps"),
)
_CONCURRENCY_RE: Final = Phrase(r"\bconcurren(?:t|cy)\b", ("concurren",))
# GitHub sends its primary and secondary rate limits as 403s with no code.
_RATE_LIMIT_RE: Final = Phrase(
    r"\b(?:rate limit (?:exceeded|reached)|exceeded a (?:secondary )?rate limit)\b",
    ("rate limit",),
)
# Codes that give way to an unambiguous phrase in the message (`_phrases`): the class codes,
# and `rate_limit_exceeded`, which OpenAI's run `last_error` also sends for a spent quota.
_MESSAGE_YIELDING_CODES: Final = CLASS_CODES | {"rate_limit_exceeded", "rate_limit_error"}
_PAYMENT_PHRASE_STATUSES: Final = frozenset({None, 400, 401, 403, 412, 429})
_MAX_UPSTREAM_RAW: Final = 8192
# Kinds a request too large for the limit is not, whatever its code says: waiting cannot help.
_SIZE_BLIND_KINDS: Final = frozenset(
    {Kind.RATE_LIMITED, Kind.CONCURRENCY_LIMITED, Kind.UNAVAILABLE, Kind.UNKNOWN}
)
_NO_PARAM: Final = frozenset({"None", "null", "undefined"})
# XML error documents: AWS `<Error><Code>…</Code><Message>…</Message>`, Azure Storage, Twilio's
# `<RestException>`. Bounded, tag-only patterns: no XML parser runs on untrusted bytes.
_XML_MARKERS: Final = ("<error>", "<errorresponse", "<restexception>")
# The value starts and ends with a non-blank, so the blanks around it have one owner each: no
# two quantifiers compete for the same run of spaces (that was cubic in the run's length).
_XML_CODE_RE: Final = re.compile(r"<Code>\s*([^<\s](?:[^<]{0,198}[^<\s])?)\s*</Code>")
_XML_MESSAGE_RE: Final = re.compile(r"<Message>\s*([^<\s](?:[^<]{0,3998}[^<\s])?)\s*</Message>")
_XML_REQUEST_ID_RE: Final = re.compile(
    r"<RequestI[dD]>\s*([^<\s](?:[^<]{0,254}[^<\s])?)\s*</RequestI[dD]>"
)
# A Slack-style `error` value is a code, not a sentence (one word, with an underscore when it
# stands alone as a plain-text body).
_TOKEN_RE: Final = re.compile(r"\A[a-z][a-z0-9_.]*\Z")
_TEXT_TOKEN_RE: Final = re.compile(r"\A[a-z][a-z0-9]*(?:_[a-z0-9]+)+\Z")
# Top-level members worth keeping in `details`: links to documentation, PostgREST's hint, what a
# Slack token lacked.
_DOC_EXTRAS: Final = ("documentation_url", "more_info", "doc_url", "hint", "needed", "provided")
_AMBIGUOUS_STATUSES: Final = frozenset({None, 400, 403, 429})
_KNOWN_TYPES: Final = {kind.value: kind for kind in Kind}
# A pydantic `loc` tuple inside a stringified error list; searched in a bounded slice.
_STRING_LOC_RE: Final = re.compile(r"'loc': \(([^()]{1,300})\)")
_MAX_LOC_TEXT: Final = 4096
_LOCATION_PREFIXES: Final = frozenset(
    {"body", "query", "path", "header", "headers", "cookie", "form"}
)


def _code_row(*candidates: object) -> tuple[str | None, ErrorCode | None]:
    """The first string candidate is the verbatim code; the first that is known gives the kind."""
    verbatim: str | None = None
    number: str | None = None
    found: ErrorCode | None = None
    for candidate in candidates:
        if isinstance(candidate, bool) or candidate is None:
            continue
        value = str(candidate) if isinstance(candidate, int) else candidate
        if not isinstance(value, str) or not value.strip():
            continue
        # A numeric code ("code": 400, or "400" as LiteLLM's proxy sends it) only repeats the
        # status: a word says more.
        text = value.strip()
        if isinstance(candidate, int) or (text.isascii() and text.isdigit()):
            number = number or value
        elif verbatim is None:
            verbatim = value
        if found is None:
            found = _CODES_FOLDED.get(text.lower())
    return verbatim or number, found


def _status_free_error(view: ResponseView, doc: object) -> bool:
    """Without a status (a run result, an event), a plain error document is an error."""
    return view.status is None and is_error_document(doc)


def _aws_type(value: object) -> str | None:
    """`ThrottlingException` from `com.amazon.coral#ThrottlingException` or `…Exception:http://…`."""
    text = first_str(value)
    if text is None:
        return None
    return text.split(":", 1)[0].rsplit("#", 1)[-1] or None


def _param_from_loc(loc: object) -> str | None:
    if isinstance(loc, list):
        parts = [str(p) for p in loc if isinstance(p, (str, int)) and not isinstance(p, bool)]
        if parts and parts[0] in _LOCATION_PREFIXES and len(parts) > 1:
            parts = parts[1:]
        return ".".join(parts) or None
    return first_str(loc)


def _validation_param(errors: object, message: str | None) -> str | None:
    """The parameter a validation error names outside FastAPI's own `detail` list.

    A pydantic `loc` in an error list of any envelope (`error.details`, `errors`), or in a
    pydantic error list that arrived stringified inside the message (vLLM and other
    OpenAI-compatible servers: `"[{'type': 'missing', 'loc': ('body', 'model'), …}]"`).
    """
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        loc = errors[0].get("loc")
        if loc is not None:
            return _param_from_loc(loc)
    if message and "'loc': (" in message[:_MAX_LOC_TEXT]:
        match = _STRING_LOC_RE.search(message[:_MAX_LOC_TEXT])
        if match is not None:
            parts = [part.strip().strip("'\"") for part in match.group(1).split(",")]
            return _param_from_loc([int(p) if p.isdigit() else p for p in parts if p])
    return None


def _from_item(item: Mapping[str, Any]) -> tuple[str | None, str | None, object]:
    """(message, param, code) from one entry of an `errors`/`detail` list."""
    message = first_str(item.get("message"), item.get("msg"), item.get("detail"), item.get("title"))
    param = _param_from_loc(item.get("loc")) or first_str(
        item.get("field"),
        item.get("param"),
        item.get("parameter"),
        item.get("path") if isinstance(item.get("path"), str) else None,
    )
    fields = item.get("fields")
    if param is None and isinstance(fields, list):
        param = first_str(*fields)  # Salesforce: the fields the error is about
    source = item.get("source")
    if param is None and isinstance(source, dict):
        param = pointer_param(source.get("pointer")) or first_str(source.get("parameter"))
    if param is None and isinstance(item.get("path"), list):
        param = _param_from_loc(item.get("path"))
    code = item.get("code") or item.get("type") or item.get("errorCode")
    extensions = item.get("extensions")
    if not code and isinstance(extensions, dict):
        code = extensions.get("code")  # GraphQL (Apollo, Linear, Shopify Admin)
    return message, param, code


def _from_detail(
    detail: object,
) -> tuple[bool | str, str | None, str | None, list[object], list[Any] | None]:
    """(found, message, param, code candidates, listed errors) from a FastAPI-style `detail`.

    `found` is the string "text" for a bare string (an error only behind an error status), True
    for a list or object (an error document in any response), False for anything else.
    """
    if isinstance(detail, str) and detail.strip():
        return "text", detail.strip(), None, [], None
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        m, p, c = _from_item(detail[0])
        return True, m, p, [c], detail
    if isinstance(detail, dict):
        m = first_str(detail.get("message"), detail.get("msg"), detail.get("detail"))
        p = first_str(detail.get("param"), detail.get("field"))
        # ElevenLabs: `{"detail": {"status": "quota_exceeded", "message": …}}` behind a 401.
        codes = [detail.get("code"), detail.get("type"), detail.get("status")]
        return True, m, p, codes, None
    return False, None, None, [], None


_STATUS_PREFIX_RE: Final = re.compile(r"([45][0-9]{2}): ")
# Where a run, a stream event or a batch line says it failed (see `_result_document`).
_FAILED_EVENTS: Final = frozenset({"response.failed", "response.incomplete"})
_FAILED_RUN_OBJECTS: Final = frozenset({"thread.run", "thread.run.step", "response", "batch"})
_FAILED_STATES: Final = frozenset({"failed", "incomplete", "expired", "cancelled"})
# A result that never ran, or a run that ended without an error object: (kind, message).
_UNRUN_RESULTS: Final = {
    "canceled": (Kind.CANCELLED, "The batch was canceled before this request ran"),
    "expired": (Kind.TIMEOUT, "The batch expired before this request ran"),
}
_UNFINISHED_RUNS: Final = {
    "cancelled": (Kind.CANCELLED, "The run was cancelled"),
    "expired": (Kind.TIMEOUT, "The run expired before it finished"),
    "failed": (Kind.RUN_FAILED, "The run failed"),
    "incomplete": (Kind.RUN_FAILED, "The response is incomplete"),
}


def _result_document(doc: Mapping[str, Any]) -> tuple[dict[str, Any], int | None] | None:
    """The error document a run result, stream event or batch line carries, and its status.

    None when `doc` is none of those (it is read as it is). A wrapper that reports success
    gives an empty document. The shapes:

    - an OpenAI Batch output line: `{custom_id, response: {status_code, request_id, body},
      error}`; a `status_code` of 400 or more makes `body` the error, a top-level `error`
      object is a failure with no HTTP response;
    - an Anthropic message batch result: `{custom_id, result: {type: "errored", error}}`,
      where `error` is the usual `{"type": "error", "error": {...}}` envelope;
    - an OpenAI Responses `response.failed` / `response.incomplete` event, or a failed
      Response object: `response.error`, else `incomplete_details.reason`;
    - an Assistants run or run step that failed: its `last_error`;
    - an OpenAI Batch object that failed: the first of its `errors.data`;
    - a Responses stream `error` event with its fields at the top: `{type: "error", code,
      message, param}`.
    """
    if "custom_id" in doc:
        return _batch_line(doc)
    kind_of = doc.get("type")
    if _member(kind_of, _FAILED_EVENTS) and isinstance(doc.get("response"), dict):
        return _failed_run(doc["response"])
    if _member(doc.get("object"), _FAILED_RUN_OBJECTS) and _member(
        doc.get("status"), _FAILED_STATES
    ):
        return _failed_run(doc)
    wrapped = doc.get("__error__")
    if isinstance(wrapped, dict):
        # LangGraph's API: `{"__error__": {"error": "HTTPException", "message": "404: …"}}`
        # behind a 200 (a run's join/wait); the message names the status it stands for.
        message = wrapped.get("message")
        fields = {"type": wrapped.get("error"), "message": message}
        match = _STATUS_PREFIX_RE.match(message) if isinstance(message, str) else None
        return {"error": fields}, (int(match.group(1)) if match else None)
    if kind_of == "error" and "error" not in doc and ("code" in doc or "message" in doc):
        fields = {key: doc[key] for key in ("code", "message", "param") if key in doc}
        return {"error": fields}, None
    return None


def _member(value: object, names: frozenset[str]) -> bool:
    return isinstance(value, str) and value in names


def _batch_line(doc: Mapping[str, Any]) -> tuple[dict[str, Any], int | None] | None:
    response = doc.get("response")
    if isinstance(response, dict):
        code = response.get("status_code")
        status = code if isinstance(code, int) and not isinstance(code, bool) else None
        body = response.get("body")
        if status is not None and status >= 400:
            return (body if isinstance(body, dict) else {}), status
        if status is not None:
            return {}, None  # a line that succeeded
    result = doc.get("result")
    if isinstance(result, dict):
        outcome = result.get("type")
        if isinstance(outcome, str) and outcome in _UNRUN_RESULTS:
            # Anthropic: the batch was canceled, or expired, before this request ran.
            kind, text = _UNRUN_RESULTS[outcome]
            return {"error": {"type": outcome, "kind": kind.value, "message": text}}, None
        if outcome != "errored":
            return {}, None  # succeeded
        err = result.get("error")
        if isinstance(err, dict) and isinstance(err.get("error"), dict):
            return err, None
        return ({"error": err} if isinstance(err, dict) else {}), None
    err = doc.get("error")
    if isinstance(err, dict) and err:
        return {"error": err}, None
    return None


def _failed_run(run: Mapping[str, Any]) -> tuple[dict[str, Any], int | None]:
    for key in ("error", "last_error"):
        err = run.get(key)
        if isinstance(err, dict) and err:
            return {"error": err}, None
    listed = run.get("errors")
    data = listed.get("data") if isinstance(listed, dict) else None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return {"error": data[0]}, None
    incomplete = run.get("incomplete_details")
    reason = incomplete.get("reason") if isinstance(incomplete, dict) else None
    if isinstance(reason, str) and reason:
        text = f"The response is incomplete: {reason}"
        return {"error": {"code": reason, "kind": Kind.RUN_FAILED.value, "message": text}}, None
    state = run.get("status")
    if isinstance(state, str) and state in _UNFINISHED_RUNS:
        kind, text = _UNFINISHED_RUNS[state]
        return {"error": {"code": state, "kind": kind.value, "message": text}}, None
    return {}, None


def _error_status(*values: object) -> int | None:
    """The first integer 400-599 among `values` (an error object's own `code`/`status`)."""
    for value in values:
        found = body_status(value, errors_only=True)
        if found is not None:
            return found
    return None


def _upstream_message(metadata: object) -> str | None:
    """The upstream provider's message in an OpenRouter-style `error.metadata.raw`.

    `raw` is the upstream body, as text or as an object; only a short one is decoded.
    """
    raw = metadata.get("raw") if isinstance(metadata, dict) else None
    if isinstance(raw, str):
        if not raw.startswith("{") or len(raw) > _MAX_UPSTREAM_RAW:
            return raw[:_MAX_UPSTREAM_RAW] or None
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):  # deep nesting in 8 KiB is possible
            return raw
    if isinstance(raw, dict):
        inner = raw.get("error")
        if isinstance(inner, dict):
            return first_str(inner.get("message"))
        return first_str(inner, raw.get("message"))
    return None


def _said_by_message(
    kind: Kind,
    retryable: bool | None,
    row: ErrorCode | None,
    status: int | None,
    message: str | None,
) -> tuple[Kind, bool | None]:
    """Let an unambiguous message overrule a class code, and a too-large request any throttle."""
    if kind in _SIZE_BLIND_KINDS and too_large(message, status):
        return Kind.INVALID_REQUEST, False
    if kind is Kind.PAYMENT_REQUIRED or not asks_for_payment(message):
        return kind, retryable
    if row is not None and row.code.lower() in _MESSAGE_YIELDING_CODES:
        return Kind.PAYMENT_REQUIRED, None
    if row is None and status in _PAYMENT_PHRASE_STATUSES:
        # No code that says what happened, and a status that does not either: a 401, 412 or
        # 429 whose message says credits, balance or the spending limit ran out (ElevenLabs,
        # Fireworks, Zhipu's "余额不足").
        return Kind.PAYMENT_REQUIRED, None
    return kind, retryable


class _Reading:
    """What the readers found so far in one document: one per `GenericAdapter.read`.

    Each reader fills what is still missing (a message or param found earlier wins), adds
    code candidates in the order they count, and may learn the status the document stands for.
    """

    __slots__ = (
        "codes",
        "details",
        "document",
        "failed",
        "kind_hint",
        "late_codes",
        "message",
        "param",
        "slack_code",
        "status",
        "upstream",
    )

    def __init__(self, status: int | None, failed: bool) -> None:
        self.status = status
        self.failed = failed  # the status (the response's or the document's) is an error
        self.document = False  # the body holds an error document of a known family
        self.message: str | None = None
        self.param: str | None = None
        self.codes: list[object] = []
        self.late_codes: list[object] = []
        self.details: dict[str, Any] = {}
        self.kind_hint: Kind | None = None
        self.slack_code = False
        self.upstream: str | None = None


_ERROR_OBJECT_FIELDS: Final = frozenset(
    {"message", "detail", "description", "param", "code", "type", "details", "kind"}
)


def _read_error(doc: Mapping[str, Any], found: _Reading, view: ResponseView) -> None:
    """`error`: an OpenAI-style object, an OAuth or Slack code, or a flat message."""
    err = doc["error"]
    if isinstance(err, dict) and (err or found.failed):
        # An empty `error` object in a success response reports nothing.
        found.upstream = _upstream_message(err.get("metadata"))
        found.document = True
        found.message = first_str(err.get("message"), err.get("detail"), err.get("description"))
        found.param = first_str(err.get("param"), err.get("field"), err.get("parameter"))
        found.codes += [err.get("code"), err.get("type"), err.get("status")]
        declared = err.get("kind")
        found.kind_hint = _KNOWN_TYPES.get(declared) if isinstance(declared, str) else None
        details = found.details
        inner = err.get("details")
        if isinstance(inner, dict):
            details.update(inner)
        elif isinstance(inner, list) and inner:
            details["errors"] = inner
        for key, value in err.items():
            if key not in _ERROR_OBJECT_FIELDS:
                details.setdefault(key, value)
        if not found.failed:
            # An error document in a 200 (OpenRouter, once the model has started) carries
            # the status it stands for in its own `code`.
            embedded = _error_status(err.get("code"), err.get("status"))
            if embedded is not None:
                found.status, found.failed = embedded, True
    elif isinstance(err, str) and err.strip():
        found.document = True
        described = first_str(doc.get("error_description"), doc.get("message"))
        if described is not None:
            # OAuth: `error` is the code and `error_description` the text.
            found.message = described
            found.codes.append(err)
        elif doc.get("ok") is False and _TOKEN_RE.match(err.strip()):
            # Slack: `{"ok": false, "error": "invalid_auth"}`; the error is a code.
            found.codes.append(err.strip())
            found.slack_code = True
        else:
            found.message = err.strip()
            # Text Generation Inference adds `error_type` ("validation", "overloaded").
            found.codes += [doc.get("code"), doc.get("type"), doc.get("error_type")]


def _read_errors(doc: Mapping[str, Any], found: _Reading, view: ResponseView) -> None:
    """`errors`: JSON:API, GraphQL, Twilio and Cloudflare lists; Shopify and Jira."""
    errors = doc["errors"]
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        found.document = True
        m, p, c = _from_item(errors[0])
        found.message = found.message or m
        found.param = found.param or p
        found.codes.append(c)
        found.details.setdefault("errors", errors)
    elif isinstance(errors, str) and errors.strip() and found.failed:
        # Shopify: `{"errors": "[API] Invalid API key …"}`; only an error behind an error
        # status (a 200 may carry warnings under that name).
        found.message = found.message or errors.strip()
    elif isinstance(errors, dict) and errors and found.failed:
        # Shopify: `{"errors": {"title": ["can't be blank"]}}`.
        # Jira: `{"errorMessages": [], "errors": {"summary": "You must specify …"}}`.
        field, problems = next(iter(errors.items()))
        problem = first_str(*problems) if isinstance(problems, list) else first_str(problems)
        if isinstance(field, str) and field != "base":
            found.param = found.param or field
        if isinstance(field, str) and problem is not None:
            # Rails sends fragments ("can't be blank") that read after the field's name.
            whole = field == "base" or problem[:1].isupper()
            found.message = found.message or (problem if whole else f"{field} {problem}")
        found.details.setdefault("errors", errors)


def _read_error_messages(doc: Mapping[str, Any], found: _Reading, view: ResponseView) -> None:
    """Jira's `errorMessages` list: its first message wins over what came before."""
    listed = doc["errorMessages"]
    if isinstance(listed, list) and found.failed:
        found.message = first_str(*listed) or found.message


def _read_detail(doc: Mapping[str, Any], found: _Reading, view: ResponseView) -> None:
    """FastAPI's `detail`: a message, a validation list, or an object."""
    kind_of, m, p, codes, listed = _from_detail(doc["detail"])
    if kind_of:
        found.document = found.document or found.failed or isinstance(kind_of, bool)
        found.message = found.message or m
        found.param = found.param or p
        found.codes += codes
        if listed is not None:
            found.details.setdefault("errors", listed)


def _read_nested_message(doc: Mapping[str, Any], found: _Reading, view: ResponseView) -> None:
    """Mistral: `{"object": "error", "message": {"detail": [...]}, "type": ...}`."""
    nested = doc["message"]
    if isinstance(nested, dict):
        kind_of, m, p, codes, listed = _from_detail(nested.get("detail"))
        if kind_of:
            found.message = found.message or m
            found.param = found.param or p
            found.late_codes += codes
            if listed is not None:
                found.details.setdefault("errors", listed)


def _read_top_level(doc: Mapping[str, Any], found: _Reading, view: ResponseView) -> None:
    """A message and param at the top (`{"message"}`, `{"title"}`, `{"msg"}`)."""
    found.message = found.message or first_str(doc.get("message"), doc.get("title"), doc.get("msg"))
    found.param = found.param or first_str(doc.get("param"), doc.get("field"))


def _read_kubernetes(doc: Mapping[str, Any], found: _Reading, view: ResponseView) -> None:
    """Kubernetes `Status`: `reason` is the code, `details` names the object and its causes."""
    if doc.get("kind") != "Status":
        return
    found.codes.append(doc.get("reason"))
    status_details = doc.get("details")
    if isinstance(status_details, dict):
        found.details.update(status_details)
        causes = status_details.get("causes")
        if found.param is None and isinstance(causes, list) and causes:
            cause = causes[0]
            found.param = first_str(cause.get("field")) if isinstance(cause, dict) else None


def _read_codes(doc: Mapping[str, Any], found: _Reading, view: ResponseView) -> None:
    """Codes at the top, AWS's `__type` (or `x-amzn-ErrorType`), then Mistral's nested ones."""
    found.codes += [
        doc.get("code"),
        doc.get("error_code"),
        doc.get("errorCode"),
        doc.get("type"),
        _aws_type(doc.get("__type")),
        _aws_type(view.headers.get("x-amzn-errortype")),
        *found.late_codes,
    ]


def _read_extras(doc: Mapping[str, Any], found: _Reading, view: ResponseView) -> None:
    """Links to documentation, PostgREST's hint and DETAIL, what a Slack token lacked."""
    details = found.details
    for key in _DOC_EXTRAS:
        value = doc.get(key)
        if value is not None and value != "":
            details.setdefault(key, value)
    if isinstance(doc.get("details"), str) and doc.get("kind") != "Status":
        details.setdefault("details", doc["details"])  # PostgREST's DETAIL


def _read_validation_param(doc: Mapping[str, Any], found: _Reading, view: ResponseView) -> None:
    """A param from a validation list or a stringified pydantic error; LiteLLM's "None" none."""
    if found.param is None:
        found.param = _validation_param(found.details.get("errors"), found.message)
    if found.param in _NO_PARAM and found.kind_hint is None:
        # LiteLLM writes a missing param as the string "None"; a body this adapter rendered
        # (it names its kind) means what it says.
        found.param = None


_Reader = Callable[[Mapping[str, Any], _Reading, ResponseView], None]

_DOCUMENT_READERS: Final[tuple[tuple[str, _Reader], ...]] = (
    ("error", _read_error),
    ("errors", _read_errors),
    ("errorMessages", _read_error_messages),
    ("detail", _read_detail),
    ("message", _read_nested_message),
)
"""The body families that make a document an error document, each read when its member is
there, in this order (what an earlier one found wins)."""

_FIELD_READERS: Final[tuple[_Reader, ...]] = (
    _read_top_level,
    _read_kubernetes,
    _read_codes,
    _read_extras,
    _read_validation_param,
)
"""What an error document may carry besides, read once it is known to be one."""


def _resolve_kind(found: _Reading, view: ResponseView) -> tuple[str | None, Kind, bool | None]:
    """(code, kind, retryable): the one place the generic format decides the kind.

    A kind the document names (a body this adapter rendered) wins; then a known code, unless
    it only names a class of errors and the status says more; then the status, with a few
    unambiguous phrases for the statuses that say little; then the message may overrule a
    class code (`_said_by_message`), and so may an upstream provider's message.
    """
    status = found.status
    message = found.message
    code, row = _code_row(*found.codes)
    if row is not None and status_says_more(row.code, row.kind, status):
        row = None  # `invalid_request_error` behind a 402, 404 or 429
    kind_hint = found.kind_hint
    if kind_hint is not None:
        return code, kind_hint, None
    if row is not None:
        kind, retryable = row.kind, row.retryable
    else:
        kind, retryable = kind_for_status(status), None
        if message and status in _AMBIGUOUS_STATUSES:
            scan = message[:_MESSAGE_SCAN]  # a bounded slice: the phrases open a message
            if _PAYMENT_RE.search(scan):
                windowed = _WINDOW_RE.search(scan)
                kind = Kind.RATE_LIMITED if windowed else Kind.PAYMENT_REQUIRED
            elif status == 429 and _CONCURRENCY_RE.search(scan):
                kind = Kind.CONCURRENCY_LIMITED
            elif status != 429 and _RATE_LIMIT_RE.search(scan):
                kind = Kind.RATE_LIMITED
        if (
            status == 403
            and kind is Kind.PERMISSION
            and view.headers.get("x-ratelimit-remaining", "").strip() == "0"
        ):
            kind = Kind.RATE_LIMITED  # GitHub: the primary rate limit, spent
    kind, retryable = _said_by_message(kind, retryable, row, status, message)
    if found.upstream is not None and kind is not Kind.PAYMENT_REQUIRED:
        # OpenRouter-style gateways: "Provider returned error", the reason upstream.
        kind, retryable = _said_by_message(kind, retryable, row, status, found.upstream)
    return code, kind, retryable


def _read_document(doc: Mapping[str, Any], view: ResponseView) -> Parsed | None:
    """Read a JSON object: a run result, stream event or batch line first gives up its error.

    Then each body family's reader (`_DOCUMENT_READERS`) looks at its member; an object none of
    them recognizes is an error only behind an error status (or, without a status, when it is
    plainly an error document). Then the other fields (`_FIELD_READERS`) and the kind.
    """
    status = view.status
    is_error_status = status is not None and status >= 400
    unwrapped = _result_document(doc)
    if unwrapped is not None:
        doc, embedded = unwrapped
        if embedded is not None and not is_error_status:
            # The status in the result (a batch line's own) counts.
            status, is_error_status = embedded, True
    if not is_error_status:
        # A stream event or result that names its own status (`"status_code": 429`).
        embedded = _error_status(doc.get("status_code"), doc.get("statusCode"))
        if embedded is not None:
            status, is_error_status = embedded, True
    found = _Reading(status, is_error_status)
    for key, reader in _DOCUMENT_READERS:
        if key in doc:
            reader(doc, found, view)
    if not (found.document or found.failed or _status_free_error(view, doc)):
        return None
    for reader in _FIELD_READERS:
        reader(doc, found, view)
    code, kind, retryable = _resolve_kind(found, view)
    status = found.status
    message = found.message
    if found.slack_code and not message:
        message = synthesize_message(kind, status if found.failed else None, code)
    return Parsed(
        kind=kind,
        message=message,
        code=code,
        param=found.param,
        details=found.details,
        retryable=retryable,
        status=status,
        # Hugging Face: a model still loading says how long it will take.
        retry_after=retry_after_seconds(doc.get("estimated_time")),
    )


def _read_xml(view: ResponseView) -> Parsed | None:
    """An XML error document's code, message and request id; None for any other text."""
    text = view.text[:16384]
    head = text[:2048].lower()
    if not any(marker in head for marker in _XML_MARKERS):
        return None
    code_match = _XML_CODE_RE.search(text)
    message_match = _XML_MESSAGE_RE.search(text)
    if code_match is None and message_match is None:
        return None
    code = html.unescape(code_match.group(1)) if code_match else None
    message = None
    if message_match:
        # Azure Storage appends "RequestId:…" and "Time:…" lines to the message.
        message = html.unescape(message_match.group(1)).splitlines()[0].strip() or None
    request_match = _XML_REQUEST_ID_RE.search(text)
    code, row = _code_row(code)
    kind = row.kind if row is not None else kind_for_status(view.status)
    return Parsed(
        kind=kind,
        message=message,
        code=code,
        retryable=row.retryable if row is not None else None,
        request_id=html.unescape(request_match.group(1)) if request_match else None,
    )


def _read_list(view: ResponseView, doc: list[Any]) -> Parsed:
    """Salesforce's (and others') bare list of errors behind an error status: the first one."""
    message, param, raw_code = _from_item(doc[0])
    code, row = _code_row(raw_code)
    kind = row.kind if row is not None else kind_for_status(view.status)
    return Parsed(
        kind=kind,
        message=message,
        code=code,
        param=param,
        details={"errors": doc},
    )


def _read_token(view: ResponseView) -> Parsed | None:
    """Slack's incoming webhooks answer in plain text: a lone code such as `invalid_payload`."""
    token = view.text.strip() if len(view.body) <= 64 else ""
    if not _TEXT_TOKEN_RE.match(token):
        return None
    code, row = _code_row(token)
    kind = row.kind if row is not None else kind_for_status(view.status)
    return Parsed(kind=kind, message=token, code=code)


PACK: Final = ProviderPack(NAME, codes=CODES, hosts=HOSTS, too_large_at_413=True)
"""The shared codes `generic` reads; no retry profile of its own (the default policy)."""


class GenericAdapter:
    """The fallback adapter: reads the common shapes and always answers for an error status."""

    name = NAME
    hosts = HOSTS
    codes = CODES
    shapes = frozenset[Shape]()
    pack = PACK

    def sniff(self, view: ResponseView) -> float:
        """Generic is never chosen by sniffing; it is the fallback."""
        return 0.0

    def read(self, view: ResponseView) -> Parsed | None:
        """Read any common shape; for a success status, only an explicit error document counts."""
        doc = view.json
        if isinstance(doc, dict):
            return _read_document(doc, view)
        if view.status is None or view.status < 400:
            return None
        if isinstance(doc, list) and doc and isinstance(doc[0], dict):
            return _read_list(view, doc)
        if doc is None and view.body:
            found = _read_xml(view) or _read_token(view)
            if found is not None:
                return found
        return from_status(view)

    def parse(self, view: ResponseView) -> CanonicalError | None:
        """Return the finished error `read` finds; None when it finds none."""
        parsed = self.read(view)
        return None if parsed is None else finish_error(view, parsed, NAME)

    def render(self, error: CanonicalError) -> Rendered:
        """Render OpenAI-style: `{"error": {"message", "type", "param", "code", "kind"}}`.

        `kind` (read back by `parse`) keeps kinds that share a status apart (rate_limited and
        concurrency_limited are both 429).
        """
        body = {
            "error": {
                "message": error.message,
                "type": error.kind.value,
                "param": error.param,
                "code": error.code,
                "kind": error.kind.value,
            }
        }
        return json_rendered(default_status(error), body, error=error)


ADAPTER: Final = GenericAdapter()
