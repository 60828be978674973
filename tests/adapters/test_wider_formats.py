"""The wider world: errors inside streams, run results and batch lines, and the fields and
phrases real AI APIs use (issue 11, items 1-7).

Every body here is a real one (the corpus files under tests/corpus/agent_results and
tests/corpus/ai_apis name their sources); the tests put them where users meet them: a stream
read into memory with no headers, a single line of a results file, a run object.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import agent_errors as ae
from _timing import growth
from agent_errors._core._phrases import asks_for_payment, too_large
from agent_errors._core._sse import looks_like_event_stream
from agent_errors._parsing._hints import message_request_id

CREDIT = (
    "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing "
    "to upgrade or purchase credits."
)
GROQ_TOO_LARGE = (
    "Request too large for model `llama-3.1-70b-versatile` in organization "
    "`org_01hw8f0aa0ekmrn70ffm2zkdv1` on tokens per minute (TPM): Limit 6000, Requested 14368, "
    "please reduce your message size and try again."
)
GROQ_TRANSIENT = (
    "Rate limit reached for model `llama-3.1-8b-instant` in organization "
    "`org_01j5b4pz9jff492fq686vypsx6` service tier `on_demand` on tokens per minute (TPM): "
    "Limit 6000, Used 5034, Requested 1443. Please try again in 4.77s."
)
OPENAI_500 = (
    "The server had an error while processing your request. Sorry about that! You can retry "
    "your request, or contact us through our help center at help.openai.com if the error "
    "persists. (Please include the request ID req_9e5be7d84b972df525ab75827f1ccc37 in your "
    "message.)"
)


def _parts(
    status: int | None, body: Any, headers: dict[str, str] | None = None
) -> ae.CanonicalError | None:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return ae.normalize_parts(status, headers or {}, raw)


def _found(status: int | None, body: Any, headers: dict[str, str] | None = None) -> Any:
    error = _parts(status, body, headers)
    assert error is not None
    return error


# -- 1. failures inside streams and results ---------------------------------------------------


def test_a_stream_read_into_memory_with_no_headers_is_searched_for_its_error_event() -> None:
    # Anthropic's documented overloaded event, as a log or a test fixture holds it.
    body = (
        'event: message_start\ndata: {"type": "message_start"}\n\n'
        'event: ping\ndata: {"type": "ping"}\n\n'
        'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", '
        '"message": "Overloaded"}}\n\n'
    )
    error = _found(None, body.encode())
    assert (error.kind, error.code, error.retryable) == (
        ae.Kind.UNAVAILABLE,
        "overloaded_error",
        True,
    )
    assert error.details["source"] == "stream"
    assert error.status is None


def test_a_responses_stream_that_fails_is_an_error_whatever_its_event_line() -> None:
    failed = {
        "type": "response.failed",
        "response": {
            "status": "failed",
            "error": {
                "code": "rate_limit_exceeded",
                "message": "Requests to the ... Operation have exceeded token rate limit ...",
            },
        },
    }
    for body in (
        f"event: response.failed\ndata: {json.dumps(failed)}\n\n",
        f"data: {json.dumps(failed)}\n\n",
    ):
        error = _found(None, body)
        assert (error.kind, error.code) == (ae.Kind.RATE_LIMITED, "rate_limit_exceeded")
        assert error.details["event"] in {"response.failed", "message"}


def test_a_responses_stream_that_succeeds_is_no_error() -> None:
    done = {"type": "response.completed", "response": {"status": "completed", "error": None}}
    body = (
        'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", '
        '"delta": "error handling"}\n\n'
        f"event: response.completed\ndata: {json.dumps(done)}\n\n"
    )
    assert _parts(None, body) is None
    assert _parts(200, body, {"content-type": "text/event-stream"}) is None


def test_an_incomplete_response_is_a_failed_run_not_a_retry() -> None:
    # The documented response.incomplete event: max_output_tokens ran out.
    event = {
        "type": "response.incomplete",
        "response": {
            "id": "resp_123",
            "object": "response",
            "status": "incomplete",
            "error": None,
            "incomplete_details": {"reason": "max_tokens"},
        },
        "sequence_number": 1,
    }
    error = _found(None, event)
    assert (error.kind, error.code, error.retryable) == (ae.Kind.RUN_FAILED, "max_tokens", False)


@pytest.mark.parametrize(
    ("last_error", "kind"),
    [
        ({"code": "rate_limit_exceeded", "message": "Rate limit reached"}, ae.Kind.RATE_LIMITED),
        ({"code": "server_error", "message": "Sorry, something went wrong."}, ae.Kind.INTERNAL),
        ({"code": "invalid_prompt", "message": "Invalid prompt"}, ae.Kind.INVALID_REQUEST),
        # A spent quota under the category code: the message says more (item 7).
        (
            {
                "code": "rate_limit_exceeded",
                "message": "You exceeded your current quota, please check your plan and "
                "billing details.",
            },
            ae.Kind.PAYMENT_REQUIRED,
        ),
    ],
)
def test_a_failed_assistants_run_reports_its_last_error(
    last_error: dict[str, str], kind: ae.Kind
) -> None:
    run = {"id": "run_abc", "object": "thread.run", "status": "failed", "last_error": last_error}
    error = _found(None, run)
    assert (error.kind, error.code, error.message) == (
        kind,
        last_error["code"],
        last_error["message"],
    )
    # The same run as a stream event.
    event = f"event: thread.run.failed\ndata: {json.dumps(run)}\n\n"
    assert _found(None, event).kind is kind


def test_runs_that_ended_without_an_error_object_say_how_they_ended() -> None:
    for status, kind in (("expired", ae.Kind.TIMEOUT), ("cancelled", ae.Kind.CANCELLED)):
        error = _found(None, {"object": "thread.run", "status": status, "last_error": None})
        assert (error.kind, error.code) == (kind, status)
    assert _parts(None, {"object": "thread.run", "status": "completed", "last_error": None}) is None


def test_an_openai_batch_line_carries_its_own_status_and_request_id() -> None:
    line = {
        "id": "batch_req_67fe330d8b5481908f01ae063d9b8e2e",
        "custom_id": "sou_2003_115",
        "response": {
            "status_code": 429,
            "request_id": "97d81ac7354608175784538d9d367611",
            "body": {
                "error": {
                    "message": "You exceeded your current quota, please check your "
                    "plan and billing details.",
                    "type": "insufficient_quota",
                    "param": None,
                    "code": "insufficient_quota",
                }
            },
        },
        "error": None,
    }
    error = _found(None, line)
    assert (error.kind, error.status) == (ae.Kind.PAYMENT_REQUIRED, 429)
    assert error.request_id == "97d81ac7354608175784538d9d367611"
    assert error.details["request_id_source"] == "body:response.request_id"
    # A line that succeeded is no error, though it is an object with a response.
    ok = {
        "custom_id": "a",
        "response": {"status_code": 200, "request_id": "r", "body": {}},
        "error": None,
    }
    assert _parts(None, ok) is None


def test_the_status_in_the_document_counts_over_a_success_status() -> None:
    # LangGraph's join answers 200 with the 404 it means inside.
    body = {"__error__": {"error": "HTTPException", "message": "404: Run with ID 'x' not found."}}
    error = _found(200, body)
    assert (error.kind, error.status) == (ae.Kind.NOT_FOUND, 404)
    # Codex's stream error event names its status beside the error.
    event = {
        "type": "error",
        "status_code": 429,
        "error": {
            "type": "usage_limit_reached",
            "message": "The usage limit has been reached",
            "resets_in_seconds": 9568,
        },
    }
    error = _found(None, event)
    assert (error.kind, error.status, error.retry_after) == (ae.Kind.RATE_LIMITED, 429, 9568)


def test_anthropic_batch_results_read_like_the_synchronous_error() -> None:
    nested = {
        "custom_id": "ticket-0",
        "result": {
            "type": "errored",
            "error": {
                "type": "error",
                "error": {
                    "type": "invalid_request_error",
                    "message": "messages.0.content: Input should be a valid string",
                },
                "request_id": "req_011CbrFTcXhtiMzr3s6EocF7",
            },
        },
    }
    error = _found(None, nested)
    assert (error.kind, error.code) == (ae.Kind.INVALID_REQUEST, "invalid_request_error")
    assert error.request_id == "req_011CbrFTcXhtiMzr3s6EocF7"
    assert (
        _found(None, {"custom_id": "c", "result": {"type": "canceled"}}).kind is ae.Kind.CANCELLED
    )
    assert _found(None, {"custom_id": "e", "result": {"type": "expired"}}).kind is ae.Kind.TIMEOUT
    assert _parts(None, {"custom_id": "s", "result": {"type": "succeeded", "message": {}}}) is None


def test_event_stream_sniffing_needs_a_field_name_at_the_start() -> None:
    assert looks_like_event_stream(b"\xef\xbb\xbf\r\nevent: error\ndata: {}\n\n")
    assert looks_like_event_stream(b": keep-alive\n\ndata: x\n\n")
    assert not looks_like_event_stream(b"eventually consistent")
    assert not looks_like_event_stream(b"::1 is not allowed")
    assert not looks_like_event_stream(b'{"data": 1}')


# -- 2. reset delays and request ids under other names ----------------------------------------


@pytest.mark.parametrize(
    ("body", "seconds", "source"),
    [
        (
            {"error": {"type": "usage_limit_reached", "resets_in_seconds": 602705}},
            602705.0,
            "body:error.resets_in_seconds",
        ),
        (
            {"message": "You are being rate limited.", "reset_after": 64.57},
            64.57,
            "body:reset_after",
        ),
        (
            {"error": {"message": "slow down", "retry_after_seconds": 12}},
            12.0,
            "body:error.retry_after_seconds",
        ),
        ({"error": {"message": "slow down"}, "retryAfterMs": 1500}, 1.5, "body:retryAfterMs"),
    ],
)
def test_reset_delays_under_other_names(body: dict[str, Any], seconds: float, source: str) -> None:
    error = _found(429, body)
    assert error.retry_after == pytest.approx(seconds)
    assert error.details["retry_after_source"] == source


def test_a_request_id_named_only_in_the_message_is_the_last_resort() -> None:
    error = _found(500, {"error": {"message": OPENAI_500, "type": None, "code": None}})
    assert error.request_id == "req_9e5be7d84b972df525ab75827f1ccc37"
    assert error.details["request_id_source"] == "message"
    # A header says it first.
    error = _found(500, {"error": {"message": OPENAI_500}}, {"x-request-id": "req_header"})
    assert (error.request_id, error.details["request_id_source"]) == (
        "req_header",
        "header:x-request-id",
    )
    # A codex message ("Please include the request ID 255519c3-… in your message.").
    assert (
        message_request_id("Please include\nthe request ID 255519c3-c423-44d4-8bc6-896d40304295 in")
        == "255519c3-c423-44d4-8bc6-896d40304295"
    )
    # Words after "request id" are not ids.
    assert message_request_id("Send the request ID when contacting support.") is None
    assert message_request_id("") is None


# -- 3. an explicit verdict in the body -------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "recorded", "retried"),
    [
        # Verdicts that overrule the kind are kept for the engine ...
        (500, {"error": {"message": "bad input", "is_transient": False}}, False, False),
        (500, {"message": "Activity failed", "nonRetryable": True}, False, False),
        (
            400,
            {"error": {"message": "try me", "code": "invalid_request", "retryable": True}},
            True,
            True,
        ),
        # ... verdicts that agree with it add nothing (a problem+json `retryable` member is the
        # error's own field), and the decision is the same.
        (
            400,
            {
                "type": "error",
                "code": "context_length_exceeded",
                "message": "Too many tokens",
                "retryable": False,
            },
            None,
            False,
        ),
        (500, {"error": {"message": "upstream blip", "isRetryable": True}}, None, True),
        (500, {"error": {"message": "x"}, "meta": {"should_retry": "true"}}, None, True),
        (500, {"error": {"message": "x"}, "meta": {"should_retry": "false"}}, False, False),
    ],
)
def test_an_explicit_verdict_in_the_body_is_kept_for_the_engine(
    status: int, body: dict[str, Any], recorded: bool | None, retried: bool
) -> None:
    error = _found(status, body)
    assert error.details.get("should_retry") is recorded
    decision = ae.RetryPolicy().decide(error, attempt=1, method="GET")
    assert decision.retry is retried
    if recorded is False:
        assert decision.reason == "server_says_no"


def test_the_header_verdict_wins_and_non_booleans_are_no_verdict() -> None:
    error = _found(500, {"error": {"message": "x", "retryable": True}}, {"x-should-retry": "false"})
    assert error.details["should_retry"] is False
    for value in ("yes", 1, None, [], {"a": 1}):
        error = _found(500, {"error": {"message": "x", "retryable": value}})
        assert "should_retry" not in error.details, value
    # A problem+json document renders `retryable`; read back, it is the same error.
    error = _found(403, {"error": {"message": "no", "code": "FORBIDDEN"}})
    rendered = ae.render(error, to="problem+json")
    assert ae.normalize_parts(rendered.status, rendered.headers, rendered.body) is not None


# -- 4. a status or code inside the body ------------------------------------------------------


def test_a_401_that_says_the_quota_is_spent_is_payment_required() -> None:
    body = {
        "detail": {
            "status": "quota_exceeded",
            "message": "This request exceeds your quota "
            "of 10000. You have 0 credits remaining, while 91 credits are required.",
        }
    }
    error = _found(401, body)
    assert (error.kind, error.code, error.retryable) == (
        ae.Kind.PAYMENT_REQUIRED,
        "quota_exceeded",
        False,
    )


# -- 5. parameters from validation details ----------------------------------------------------


def test_params_from_loc_in_any_envelope() -> None:
    stringified = (
        "[{'type': 'missing', 'loc': ('body', 'messages', 1, 'role'), 'msg': 'Field required', "
        "'input': {'content': 'hi'}}]"
    )
    assert _found(400, {"object": "error", "message": stringified, "code": 400}).param == (
        "messages.1.role"
    )
    nested = {
        "error": {
            "message": "Validation failed",
            "details": [{"loc": ["body", "tools", 0, "name"], "msg": "Field required"}],
        }
    }
    assert _found(400, nested).param == "tools.0.name"
    # A loc that is only a location is no parameter; a message without one gives none.
    assert _found(400, {"error": {"message": "'loc': (body) broken"}}).param == "body"
    assert _found(400, {"error": {"message": "no location here"}}).param is None


# -- 6. a request too large for the limit is not retryable ------------------------------------


def test_a_request_larger_than_the_limit_is_not_retried_whatever_its_code() -> None:
    body = {"error": {"message": GROQ_TOO_LARGE, "type": "tokens", "code": "rate_limit_exceeded"}}
    for status in (413, 429):
        error = _found(status, body)
        assert (error.kind, error.retryable, error.code) == (
            ae.Kind.INVALID_REQUEST,
            False,
            "rate_limit_exceeded",
        )
        assert not ae.RetryPolicy().decide(error, attempt=1, method="GET").retry
    # The transient form names what was used: a real rate limit, retried after its delay.
    transient = {
        "error": {"message": GROQ_TRANSIENT, "type": "tokens", "code": "rate_limit_exceeded"}
    }
    error = _found(429, transient)
    assert (error.kind, error.retry_after) == (ae.Kind.RATE_LIMITED, pytest.approx(4.77))
    # Anthropic's envelope behind a 429 with the same words.
    error = _found(
        429,
        {
            "type": "error",
            "error": {"type": "rate_limit_error", "message": "Request too large for the limit"},
        },
    )
    assert error.kind is ae.Kind.INVALID_REQUEST


def test_too_large_reads_numbers_and_phrases() -> None:
    assert too_large(None, 413)
    assert too_large("Limit 10,000, Requested 12,000")
    assert not too_large("Limit 10000, Requested 9000")
    assert too_large("Limit 7000, Used 0, Requested ~12903. Please try again in 50.6s.")
    assert not too_large("Limit 6000, Used 5034, Requested 1443. Please try again in 4.77s.")
    assert too_large("Payload Too Large")
    assert not too_large("your request is large")
    assert not too_large(None)


# -- 7. category codes give way to unambiguous messages ---------------------------------------


def test_a_gateways_upstream_reason_counts_when_its_own_message_is_generic() -> None:
    raw = json.dumps(
        {
            "error": {
                "message": "Your account is suspended due to insufficient balance",
                "type": "exceeded_current_quota_error",
            }
        }
    )
    body = {"error": {"message": "Provider returned error", "code": 429, "metadata": {"raw": raw}}}
    assert _found(429, body).kind is ae.Kind.PAYMENT_REQUIRED
    # An upstream rate limit stays one; a raw text that is not JSON is read as text.
    body["error"]["metadata"] = {"raw": "temporarily rate-limited upstream"}
    assert _found(429, body).kind is ae.Kind.RATE_LIMITED
    body["error"]["metadata"] = {"raw": "Insufficient credits"}
    assert _found(429, body).kind is ae.Kind.PAYMENT_REQUIRED


def test_anthropic_credit_balance_is_payment_required() -> None:
    body = {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": CREDIT},
        "request_id": "req_011CbrFTcXhtiMzr3s6EocF7",
    }
    error = _found(400, body)
    assert (error.kind, error.code, error.retryable) == (
        ae.Kind.PAYMENT_REQUIRED,
        "invalid_request_error",
        False,
    )
    # The same through the generic reader (OpenAI-style envelope).
    error = _found(400, {"error": {"type": "invalid_request_error", "message": CREDIT}})
    assert error.kind is ae.Kind.PAYMENT_REQUIRED
    # A specific code is never overruled by its message.
    error = _found(400, {"error": {"code": "context_length_exceeded", "message": CREDIT}})
    assert error.kind is ae.Kind.INVALID_REQUEST


def test_payment_phrases_leave_windowed_quotas_to_the_rate_limit() -> None:
    assert asks_for_payment(CREDIT)
    assert asks_for_payment("Insufficient Balance")
    assert not asks_for_payment("You exceeded your current quota for requests per minute")
    assert not asks_for_payment("Rate limit reached")
    assert not asks_for_payment(None)


# -- hostile input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "request id " * (n // 11),
        lambda n: "Limit 1, Requested " * (n // 19),
        lambda n: "'loc': (" + "a" * n,
        lambda n: "request too " * (n // 12),
        lambda n: "insufficient " * (n // 13),
    ],
)
def test_the_new_message_patterns_are_linear(make: Callable[[int], str]) -> None:
    small, large = make(8 * 1024), make(64 * 1024)

    def scan(text: str) -> Callable[[], object]:
        def run() -> object:
            body = {"error": {"message": text, "code": "rate_limit_exceeded"}}
            return ae.normalize_parts(429, {}, json.dumps(body), cap=256 * 1024)

        return run

    ratio = growth(scan(small), scan(large), limit=24)
    assert ratio < 24, ratio


def test_deeply_odd_wrappers_never_raise() -> None:
    odd: list[Any] = [
        {"custom_id": 1, "response": {"status_code": True, "body": []}},
        {"custom_id": "x", "response": {"status_code": 999, "body": "x"}},
        {"custom_id": "x", "result": {"type": ["errored"], "error": 3}},
        {"custom_id": "x", "result": {"type": "errored", "error": None}},
        {"type": "response.failed", "response": {"error": "boom", "incomplete_details": []}},
        {"object": "thread.run", "status": {"a": 1}, "last_error": []},
        {"__error__": {"message": 404}},
        {"__error__": {"message": "999: nope"}},
        {"type": "error", "code": {"deep": [1, 2]}, "message": None},
        {"type": "error", "status_code": "429", "error": {"type": 5}},
        {"error": {"message": "x", "metadata": {"raw": "{" + '"a":{' * 1600}}},
        {"error": {"message": "x", "metadata": {"raw": "[" * 8000}}},
        {"error": {"message": "x", "metadata": {"raw": {"error": "insufficient balance"}}}},
    ]
    for body in odd:
        for status in (None, 200, 400):
            ae.normalize_parts(status, {}, json.dumps(body))


def _batch(status: str, errors: object) -> bytes:
    return json.dumps(
        {"id": "batch_1", "object": "batch", "status": status, "errors": errors}
    ).encode()


def test_a_failed_batch_object_reports_its_first_listed_error() -> None:
    text = (
        "Enqueued token limit reached for gpt-4o-mini in organization org-1. Limit: 2,000,000 "
        "enqueued tokens. Please try again once some in_progress batches have been completed."
    )
    listed = {
        "object": "list",
        "data": [
            {"code": "token_limit_exceeded", "line": None, "message": text, "param": None},
            {"code": "invalid_json_line", "line": 3, "message": "second", "param": None},
        ],
    }
    error = ae.normalize_parts(200, {}, _batch("failed", listed))
    assert error is not None
    assert (error.kind, error.code, error.message) == (
        ae.Kind.CONCURRENCY_LIMITED,
        "token_limit_exceeded",
        text,
    )
    assert error.retryable is True
    # A batch that is still running, or done, is no error, whatever it lists.
    assert ae.normalize_parts(200, {}, _batch("in_progress", listed)) is None
    assert ae.normalize_parts(200, {}, _batch("completed", {"object": "list", "data": []})) is None
    # A failed batch with an empty or odd list still fails, with the run's own words.
    for odd in ({"object": "list", "data": []}, {"data": ["x"]}, None, "x"):
        failed = ae.normalize_parts(200, {}, _batch("failed", odd))
        assert failed is not None
        assert failed.kind is ae.Kind.RUN_FAILED


@pytest.mark.parametrize(
    ("code", "kind", "name", "retryable"),
    [
        (13, ae.Kind.INTERNAL, "INTERNAL", True),
        (3, ae.Kind.INVALID_REQUEST, "INVALID_ARGUMENT", False),
        (8, ae.Kind.RATE_LIMITED, "RESOURCE_EXHAUSTED", True),
        (15, ae.Kind.INTERNAL, "DATA_LOSS", False),
    ],
)
def test_a_failed_long_running_operation_reads_its_grpc_code(
    code: int, kind: ae.Kind, name: str, retryable: bool
) -> None:
    body = json.dumps(
        {"name": "operations/1", "done": True, "error": {"code": code, "message": "m"}}
    )
    error = ae.normalize_parts(200, {}, body)
    assert error is not None
    assert (error.provider, error.kind, error.code, error.retryable) == (
        "google_rpc",
        kind,
        name,
        retryable,
    )
    assert error.details["grpc_code"] == code


def test_an_operation_that_is_not_a_failure_is_left_alone() -> None:
    done = json.dumps({"name": "operations/1", "done": True, "response": {"ok": 1}})
    assert ae.normalize_parts(200, {}, done) is None
    # A code outside the gRPC numbers (OK, 17, an HTTP status) is not read as one.
    for code, kind in ((0, ae.Kind.UNKNOWN), (17, ae.Kind.UNKNOWN), (404, ae.Kind.NOT_FOUND)):
        body = json.dumps({"done": True, "error": {"code": code, "message": "m"}})
        error = ae.normalize_parts(200, {}, body)
        assert error is not None
        assert (error.provider, error.kind, error.code) == ("generic", kind, str(code))
        assert "grpc_code" not in error.details


_SSE = {"content-type": "text/event-stream"}
_CHUNK = 'data: {"candidates": [{"content": {"parts": [{"text": "Okay"}]}}]}\r\n\r\n'
_STATUS_503 = (
    '{\n  "error": {\n    "code": 503,\n    "message": "The model is overloaded.",\n'
    '    "status": "UNAVAILABLE"\n  }\n}\n'
)


def test_a_status_written_after_the_events_of_a_stream_is_its_error() -> None:
    error = ae.normalize_parts(200, _SSE, _CHUNK * 2 + _STATUS_503)
    assert error is not None
    assert (error.provider, error.kind, error.code, error.retryable) == (
        "google_rpc",
        ae.Kind.UNAVAILABLE,
        "UNAVAILABLE",
        True,
    )
    assert error.message == "The model is overloaded."
    assert error.details["source"] == "stream"


@pytest.mark.parametrize(
    "tail",
    [
        "",  # a stream that simply ended
        '{\n  "candidates": []\n}\n',  # JSON that is no error
        '{\n  "error": {\n    "code": 503,\n',  # a Status cut off by the cap
        "{not json}\n",
        "{",
    ],
)
def test_a_tail_that_is_no_whole_error_document_is_no_error(tail: str) -> None:
    assert ae.normalize_parts(200, _SSE, _CHUNK * 2 + tail) is None


def test_an_error_event_still_wins_over_a_trailing_document() -> None:
    event = (
        'event: error\ndata: {"type": "error", "error": {"type": "api_error", "message": "x"}}\n\n'
    )
    error = ae.normalize_parts(200, _SSE, _CHUNK + event + _STATUS_503)
    assert error is not None
    assert error.code == "api_error"


def test_finding_the_trailing_document_is_linear() -> None:
    # Many lines that start with "{" and never close: one search from the end, one decode.
    def body(size: int) -> str:
        return _CHUNK + "\n{" * (size // 2) + "\n" + _STATUS_503

    small, large = body(8 * 1024), body(64 * 1024)

    def read(text: str) -> Callable[[], object]:
        return lambda: ae.normalize_parts(200, _SSE, text, cap=256 * 1024)

    assert ae.normalize_parts(200, _SSE, large, cap=256 * 1024) is not None
    ratio = growth(read(small), read(large), limit=24)
    assert ratio < 24, ratio
