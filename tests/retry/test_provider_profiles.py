"""Provider attribution by host and the big AI APIs' retry profiles (issue 11, items 13-14).

The host says who the provider is, and so which retry profile applies; the body's shape says
only which format it is in (DESIGN, Adapter). Each profile follows the provider's own guidance,
cited in docs/providers.md.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

import agent_errors as ae
from agent_errors._parsing import _registry as registry
from agent_errors._parsing._registry import PROVIDER_HOSTS, provider_for_host
from agent_errors._retrying._retry import PROFILE_NAMES
from agent_errors._serving._transport import EXTENSION
from agent_errors.adapter_kit import ProviderPack

# --- 13. Attribution by host ------------------------------------------------------------

HOSTS = [
    ("api.openai.com", "openai"),
    ("my-resource.openai.azure.com", "azure_openai"),
    ("eastus2.api.cognitive.openai.azure.com", "azure_openai"),
    ("api.anthropic.com", "anthropic"),
    ("generativelanguage.googleapis.com", "google_rpc"),
    ("aiplatform.googleapis.com", "google_rpc"),
    ("us-central1-aiplatform.googleapis.com", "google_rpc"),
    ("europe-west4-aiplatform.googleapis.com", "google_rpc"),
    ("bedrock-runtime.us-east-1.amazonaws.com", "bedrock"),
    ("bedrock-runtime-fips.us-gov-west-1.amazonaws.com", "bedrock"),
    ("sqs.eu-west-1.amazonaws.com", "aws"),
    ("dynamodb.us-east-1.amazonaws.com", "aws"),
    ("api.mistral.ai", "mistral"),
    ("api.groq.com", "groq"),
    ("openrouter.ai", "openrouter"),
    ("api.together.xyz", "together"),
    ("api.deepseek.com", "deepseek"),
    ("api.x.ai", "xai"),
    ("api.qoder.com", "qoder"),
    ("API.Anthropic.COM.", "anthropic"),  # as users may type it
    # Not theirs: lookalikes and bare parents.
    ("api.anthropic.com.evil.example", None),
    ("openai.azure.com", None),
    ("aiplatform.googleapis.com.evil.example", None),
    ("-aiplatform.googleapis.com", None),
    ("bedrock-runtime.amazonaws.com", "aws"),
    ("example.com", None),
    ("", None),
]


@pytest.mark.parametrize(("host", "provider"), HOSTS)
def test_provider_for_host(host: str, provider: str | None) -> None:
    assert provider_for_host(host) == provider


def test_every_host_names_a_profile() -> None:
    names = set(PROVIDER_HOSTS.values()) | {"google_rpc"}
    assert names <= PROFILE_NAMES
    for name in PROFILE_NAMES:
        assert ae.RetryPolicy.for_provider(name) != ae.RetryPolicy() or name == "agents_sdk"


def _anthropic_body(kind: str, message: str) -> bytes:
    return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()


def test_anthropic_body_from_its_host_is_read_by_its_format() -> None:
    # The format (Anthropic's typed envelope, shared with Qoder) is found by sniffing; the host
    # does not force an adapter it has none of.
    body = _anthropic_body("overloaded_error", "Overloaded")
    error = ae.normalize_parts(
        529,
        {"request-id": "req_018EeWyXxfu5pfWkrYcMdjWG"},
        body,
        url="https://api.anthropic.com/v1/messages",
    )
    assert error is not None
    assert (error.kind, error.code, error.retryable) == (
        ae.Kind.UNAVAILABLE,
        "overloaded_error",
        True,
    )
    assert error.request_id == "req_018EeWyXxfu5pfWkrYcMdjWG"


def test_register_host_accepts_a_profile_name() -> None:
    try:
        ae.register_host("llm-gateway.internal.example", "anthropic")
        assert provider_for_host("llm-gateway.internal.example") == "anthropic"
        # Detection still sniffs the format: no adapter is called "anthropic".
        error = ae.normalize_parts(
            429,
            {},
            _anthropic_body("rate_limit_error", "Number of requests has exceeded your rate limit"),
            url="https://llm-gateway.internal.example/v1/messages",
        )
        assert error is not None
        assert (error.kind, error.provider) == (ae.Kind.RATE_LIMITED, "qoder")
        with pytest.raises(ValueError, match="unknown provider"):
            ae.register_host("x.example", "no-such-provider")
    finally:
        registry.reload()


@pytest.mark.parametrize(
    "pattern", ["*-aiplatform.example.com", "bedrock.*.example.com", "*.example.com"]
)
def test_register_host_patterns(pattern: str) -> None:
    try:
        ae.register_host(pattern, "anthropic")
        probe = pattern.replace("*", "us-east-1" if ".*." in pattern else "eu")
        assert provider_for_host(probe) == "anthropic"
    finally:
        registry.reload()


@pytest.mark.parametrize("pattern", ["*.*.example.com", "a.*.*.b", "*-", "bedrock.*"])
def test_register_host_rejects_bad_patterns(pattern: str) -> None:
    with pytest.raises(ValueError, match="not a host name"):
        ae.register_host(pattern, "qoder")


class Script:
    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _send(url: str, method: str, response: httpx.Response, **kwargs: Any) -> tuple[Script, Any]:
    script = Script(response)
    transport = ae.RetryTransport(httpx.MockTransport(script), sleep=lambda _s: None, **kwargs)
    with httpx.Client(transport=transport) as client:
        final = client.request(method, url)
    return script, final.extensions[EXTENSION]


def _overloaded() -> httpx.Response:
    return httpx.Response(
        503,
        headers={"content-type": "application/json"},
        content=_anthropic_body("overloaded_error", "Overloaded"),
    )


def test_qoder_shaped_body_from_an_unknown_host_gets_the_default_profile() -> None:
    # Qoder's profile adds an Idempotency-Key to writes and retries them; the default profile
    # adds none, so a POST is not re-sent. The body alone must not pick Qoder's profile.
    script, record = _send("https://llm.example.net/v1/messages", "POST", _overloaded())
    assert (record.provider, record.idempotency_key) == (None, None)
    assert len(script.requests) == 1
    assert record.decisions[0].reason == "unsafe_method"
    script, record = _send("https://api.qoder.com/v1/sessions", "POST", _overloaded())
    assert record.provider == "qoder"
    assert record.idempotency_key is not None
    assert len(script.requests) == 4
    assert [d.delay for d in record.decisions[:3]] == [1.0, 2.0, 4.0]
    # A GET shows the schedules apart: Qoder's fixed 1 s, or the default's jittered <= 0.5 s.
    script, record = _send("https://llm.example.net/v1/sessions", "GET", _overloaded())
    assert len(script.requests) == 4
    assert record.decisions[0].delay <= 0.5


def test_anthropic_host_gets_anthropics_profile() -> None:
    script, record = _send("https://api.anthropic.com/v1/messages", "GET", _overloaded())
    assert record.provider == "anthropic"
    assert len(script.requests) == 3  # the SDK's 2 retries
    assert [d.reason for d in record.decisions] == ["backoff", "backoff", "max_retries"]


def test_explicit_profile_provider_leaves_the_format_to_detection() -> None:
    script, record = _send(
        "https://proxy.example.net/anthropic/v1/messages",
        "GET",
        _overloaded(),
        provider="anthropic",
    )
    assert record.provider == "anthropic"
    assert len(script.requests) == 3
    assert record.decisions[0].kind is ae.Kind.UNAVAILABLE


# --- 14. Profiles from each provider's documented guidance ---------------------------------

STAINLESS = {"max_retries": 2, "initial_delay": 0.5, "multiplier": 2.0, "max_delay": 8.0}


@pytest.mark.parametrize(
    ("provider", "fields"),
    [
        # openai-python / anthropic-sdk-python _constants.py: DEFAULT_MAX_RETRIES = 2,
        # INITIAL_RETRY_DELAY = 0.5, MAX_RETRY_DELAY = 8.0; openai's MAX_RETRY_AFTER_DELAY 120,
        # anthropic's honoured Retry-After up to 60.
        ("openai", {**STAINLESS, "max_server_delay": 120.0}),
        ("azure_openai", {**STAINLESS, "max_server_delay": 120.0}),
        ("anthropic", {**STAINLESS, "max_server_delay": 60.0}),
        ("groq", STAINLESS),
        ("together", STAINLESS),
        ("deepseek", STAINLESS),
        ("xai", STAINLESS),
        ("openrouter", STAINLESS),
        # botocore retries/standard.py: DEFAULT_MAX_ATTEMPTS = 3, _MAX_BACKOFF = 20, base 2.
        ("aws", {"max_retries": 2, "initial_delay": 1.0, "max_delay": 20.0, "jitter": "full"}),
        ("bedrock", {"max_retries": 2, "initial_delay": 1.0, "max_delay": 20.0}),
        # google-genai HttpRetryOptions: 5 attempts, 1 s initial, base 2, 60 s max.
        ("google_rpc", {"max_retries": 4, "initial_delay": 1.0, "max_delay": 60.0}),
        # mistralai (Speakeasy) BackoffStrategy: 500 ms initial, exponent 1.5, 60 s interval.
        ("mistral", {"initial_delay": 0.5, "multiplier": 1.5, "max_delay": 60.0}),
    ],
)
def test_profile_values(provider: str, fields: dict[str, Any]) -> None:
    policy = ae.RetryPolicy.for_provider(provider)
    for name, value in fields.items():
        assert getattr(policy, name) == value, name


def _decide(provider: str, status: int, headers: dict[str, str], body: object, **kw: Any) -> Any:
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    error = ae.normalize_parts(status, headers, raw)
    assert error is not None
    policy = ae.RetryPolicy.for_provider(provider)
    return error, policy.decide(error, attempt=kw.pop("attempt", 1), **kw)


def test_anthropic_529_overloaded_is_retried() -> None:
    # docs.anthropic.com "Errors": 529 overloaded_error, "temporarily overloaded".
    error, decision = _decide(
        "anthropic", 529, {}, _anthropic_body("overloaded_error", "Overloaded")
    )
    assert (error.kind, decision.retry, decision.reason) == (ae.Kind.UNAVAILABLE, True, "backoff")
    assert 0.375 <= decision.delay <= 0.625


def test_anthropic_x_should_retry_false_is_obeyed() -> None:
    # anthropic-sdk-python _base_client.py _should_retry: x-should-retry wins over the status.
    _, decision = _decide(
        "anthropic", 529, {"x-should-retry": "false"}, _anthropic_body("overloaded_error", "x")
    )
    assert decision.reason == "server_says_no"
    _, decision = _decide(
        "anthropic", 400, {"x-should-retry": "true"}, _anthropic_body("invalid_request_error", "x")
    )
    assert decision.retry


def test_anthropic_rate_limit_waits_retry_after() -> None:
    _, decision = _decide(
        "anthropic",
        429,
        {"retry-after": "7", "anthropic-ratelimit-requests-remaining": "0"},
        _anthropic_body("rate_limit_error", "Number of request tokens has exceeded your limit"),
    )
    assert (decision.retry, decision.delay, decision.reason) == (True, 7.0, "server_delay")


def test_anthropic_credit_balance_is_not_retried() -> None:
    _, decision = _decide(
        "anthropic",
        402,
        {},
        _anthropic_body("billing_error", "Your credit balance is too low to access the API."),
    )
    assert decision.reason == "not_retryable"


def test_openai_quota_is_not_a_rate_limit() -> None:
    # platform.openai.com "Error codes": 429 "You exceeded your current quota" is billing.
    body = {
        "error": {
            "message": "You exceeded your current quota, please check your plan and billing "
            "details.",
            "type": "insufficient_quota",
            "param": None,
            "code": "insufficient_quota",
        }
    }
    error, decision = _decide("openai", 429, {"x-request-id": "req_9f3e"}, body)
    assert (error.kind, decision.reason) == (ae.Kind.PAYMENT_REQUIRED, "not_retryable")
    assert error.request_id == "req_9f3e"


def test_openai_rate_limit_waits_for_the_limit_that_ran_out() -> None:
    body = {
        "error": {
            "message": "Rate limit reached for gpt-4o in organization org-abc on tokens per min "
            "(TPM): Limit 30000, Used 29800, Requested 900. Please try again in 1.4s.",
            "type": "tokens",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
    headers = {
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": "1.4s",
        "x-ratelimit-remaining-requests": "499",
        "x-ratelimit-reset-requests": "120ms",
    }
    error, decision = _decide("openai", 429, headers, body)
    assert error.retry_after == pytest.approx(1.4)
    assert (decision.retry, decision.reason) == (True, "server_delay")


def test_openai_server_delay_above_two_minutes_is_refused() -> None:
    _, decision = _decide("openai", 429, {"retry-after": "121"}, b"")
    assert decision.reason == "server_delay_too_long"
    _, decision = _decide("openai", 429, {"retry-after": "120"}, b"")
    assert (decision.delay, decision.reason) == (120.0, "server_delay")


def test_azure_openai_waits_retry_after_ms() -> None:
    body = {
        "error": {
            "code": "429",
            "message": "Requests to the ChatCompletions_Create Operation under Azure OpenAI API "
            "version 2024-02-01 have exceeded token rate limit of your current OpenAI S0 pricing "
            "tier. Please retry after 6 seconds.",
        }
    }
    headers = {"retry-after-ms": "5730", "retry-after": "6", "apim-request-id": "7c1a-55"}
    error, decision = _decide("azure_openai", 429, headers, body)
    assert (error.retry_after, error.request_id) == (5.73, "7c1a-55")
    assert (decision.delay, decision.reason) == (5.73, "server_delay")


def test_bedrock_throttling_and_model_not_ready() -> None:
    # Bedrock Runtime API reference, InvokeModel errors: ThrottlingException 429,
    # ModelNotReadyException 429 ("the SDK automatically retries"), ServiceUnavailable 503.
    throttled = {"message": "Too many requests, please wait before trying again."}
    error, decision = _decide(
        "bedrock",
        429,
        {"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/"},
        throttled,
    )
    assert (error.kind, error.code, decision.retry) == (
        ae.Kind.RATE_LIMITED,
        "ThrottlingException",
        True,
    )
    assert 0.0 <= decision.delay <= 1.0  # rand() * 2**0
    _, decision = _decide(
        "bedrock",
        429,
        {"x-amzn-ErrorType": "ModelNotReadyException"},
        {"message": "Model is not ready for inference. Wait and try your request again."},
    )
    assert decision.retry
    error, decision = _decide(
        "bedrock",
        400,
        {"x-amzn-ErrorType": "ValidationException"},
        {"message": "Malformed input request"},
    )
    assert decision.reason == "not_retryable"


def test_gemini_unavailable_and_retry_info() -> None:
    body = {
        "error": {
            "code": 503,
            "message": "The model is overloaded. Please try again later.",
            "status": "UNAVAILABLE",
        }
    }
    error, decision = _decide("google_rpc", 503, {"content-type": "application/json"}, body)
    assert (error.kind, decision.retry) == (ae.Kind.UNAVAILABLE, True)
    assert 0.5 <= decision.delay <= 1.0  # equal jitter of 1 s
    _, decision = _decide("google_rpc", 503, {}, body, attempt=5)
    assert decision.reason == "max_retries"


@pytest.mark.parametrize(
    ("provider", "status", "body", "retry"),
    [
        # OpenRouter "Errors": 402 credits, 403 moderation final; 408, 429, 502, 503 transient.
        ("openrouter", 402, {"error": {"code": 402, "message": "Insufficient credits"}}, False),
        ("openrouter", 502, {"error": {"code": 502, "message": "Provider returned error"}}, True),
        ("openrouter", 503, {"error": {"code": 503, "message": "No allowed providers"}}, True),
        # DeepSeek "Error Codes": 402 Insufficient Balance; 429 pacing; 500/503 retry later.
        (
            "deepseek",
            402,
            {"error": {"message": "Insufficient Balance", "type": "unknown_error"}},
            False,
        ),
        (
            "deepseek",
            503,
            {"error": {"message": "Server overloaded", "type": "unknown_error"}},
            True,
        ),
        # Groq "Errors": 498 flex tier capacity; 429 with retry-after; 503 maintenance.
        (
            "groq",
            503,
            {"error": {"message": "Service Unavailable", "type": "internal_server_error"}},
            True,
        ),
        # Mistral: 429 and 5xx retried by the SDK; 422 validation is final.
        ("mistral", 429, {"message": "Requests rate limit exceeded", "type": "rate_limited"}, True),
        (
            "mistral",
            422,
            {"object": "error", "message": "Invalid model", "type": "invalid_model"},
            False,
        ),
        # Together "Error codes": 429, 500, 502, 503 retried.
        (
            "together",
            503,
            {"error": {"message": "The server is overloaded", "type": "server_error"}},
            True,
        ),
        # xAI: an invalid key is final.
        (
            "xai",
            400,
            {"code": "Client specified an invalid argument", "error": "Incorrect API key provided"},
            False,
        ),
    ],
)
def test_documented_statuses(provider: str, status: int, body: object, retry: bool) -> None:
    _, decision = _decide(provider, status, {}, body)
    assert decision.retry is retry


def test_hostile_hosts_are_bounded() -> None:
    # Each pattern lookup copies a suffix of the host: a host of n labels would cost O(n^2).
    # Past the longest DNS name (253 characters) no lookup is made at all.
    longest = ("a." * 110) + "openai.azure.com"  # 236 characters, 112 labels
    assert len(longest) <= 253
    assert provider_for_host(longest) == "azure_openai"
    hostile = ("a." * 50_000) + "openai.azure.com"  # 100 KB
    assert provider_for_host(hostile) is None
    error = ae.normalize_parts(503, {}, b"", url=f"https://{hostile}/v1")
    assert error is not None
    assert error.kind is ae.Kind.UNAVAILABLE
    assert provider_for_host(None) is None
    assert provider_for_host(42) is None  # type: ignore[arg-type]


class _Overloaded(http.server.BaseHTTPRequestHandler):
    """Answers 529 overloaded_error until `left` runs out, then 200."""

    left = 0
    seen = 0

    def do_GET(self) -> None:
        cls = type(self)
        cls.seen += 1
        if cls.left > 0:
            cls.left -= 1
            body = _anthropic_body("overloaded_error", "Overloaded")
            self.send_response(529)
            self.send_header("request-id", f"req_{cls.seen}")
        else:
            body = b'{"ok": true}'
            self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Overloaded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(("left", "attempts", "status"), [(2, 3, 200), (5, 3, 529)])
def test_loopback_host_mapped_to_a_profile(
    loopback: http.server.ThreadingHTTPServer, left: int, attempts: int, status: int
) -> None:
    # A real server, its host mapped to Anthropic's profile: 2 retries, then the last answer.
    _Overloaded.left, _Overloaded.seen = left, 0
    port = loopback.server_address[1]
    slept: list[float] = []
    try:
        ae.register_host("127.0.0.1", "anthropic")
        transport = ae.RetryTransport(sleep=slept.append)
        with httpx.Client(transport=transport) as client:
            response = client.get(f"http://127.0.0.1:{port}/v1/models")
    finally:
        registry.reload()
    record = response.extensions[EXTENSION]
    assert (response.status_code, record.attempts, record.provider) == (
        status,
        attempts,
        "anthropic",
    )
    assert _Overloaded.seen == attempts
    assert len(slept) == 2
    assert all(0.375 <= s <= 0.625 for s in slept[:1])
    assert all(0.75 <= s <= 1.25 for s in slept[1:])


BY_HOST = sorted((Path(__file__).resolve().parent.parent / "corpus").glob("*/*_by_host.json"))


@pytest.mark.parametrize("path", BY_HOST, ids=lambda p: p.stem)
def test_corpus_hosts_name_a_profile(path: Path) -> None:
    # The golden cases captured with their URL: the error is the same with or without it
    # (tests/adapters), and the host names the provider whose profile the transports apply.
    case = json.loads(path.read_text(encoding="utf-8"))
    host = httpx.URL(case["url"]).host
    provider = provider_for_host(host)
    assert provider in PROFILE_NAMES
    assert provider != case["expected"]["provider"] or provider == "google_rpc"


def test_a_third_party_pack_with_a_bad_profile_gets_the_default_policy(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Loose:
        name = "loose_profile"
        hosts = ("api.loose.example",)
        codes: ClassVar[dict[str, Any]] = {}
        pack = ProviderPack("loose_profile", retry={"max_retrys": 7})

        def sniff(self, view: Any) -> float:
            return 0.0

        def parse(self, view: Any) -> None:
            return None

        def render(self, error: ae.CanonicalError) -> Any:
            return ae.get_adapter("generic").render(error)

    ae.register_adapter(Loose())
    try:
        with caplog.at_level("WARNING", logger="agent_errors"):
            policy = ae.RetryPolicy.for_provider("loose_profile")
        assert policy == ae.RetryPolicy()
        assert "not valid" in caplog.text
        transport = ae.RetryTransport(httpx.MockTransport(lambda r: httpx.Response(200)))
        with httpx.Client(transport=transport) as client:
            assert client.get("https://api.loose.example/v1").status_code == 200
    finally:
        registry.reload()  # the run-time registration gone
