"""Secret redaction: no credential reaches a message, details or a repr; prose stays readable."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agent_errors as ae
from agent_errors._core import _redact
from agent_errors._core._redact import REDACTED, might_contain_secret, redact, redact_value

# (text containing a secret, the secret part that must disappear, what must remain)
SECRETS = [
    ("pt-3f9a8b7c6d5e4f3a2b1c", "3f9a8b7c6d5e4f3a2b1c", "pt-"),
    ("oc_Zx81kPq2Lm9vTt4R", "Zx81kPq2Lm9vTt4R", "oc_"),
    ("oc_org_Zx81kPq2Lm9vTt4R", "Zx81kPq2Lm9vTt4R", "oc_org_"),
    ("oc_partner_Zx81kPq2Lm9vTt4R", "Zx81kPq2Lm9vTt4R", "oc_partner_"),
    ("org_live_AbC123dEf456GhI789", "AbC123dEf456GhI789", "org_live_"),
    ("org_test_AbC123dEf456GhI789", "AbC123dEf456GhI789", "org_test_"),
    ("sk-abcdefghij1234567890", "abcdefghij1234567890", "sk-"),
    ("sk-proj-ABCdef_GHI-jkl123", "ABCdef_GHI-jkl123", "sk-proj-"),
    ("sk-ant-api03-abcdefghijkl", "api03-abcdefghijkl", "sk-ant-"),
    ("sk_live_abcdefgh12345678", "abcdefgh12345678", "sk_live_"),
    ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123456789", "ghp_"),
    ("github_pat_11ABCDEFG0123456789_abcdef", "11ABCDEFG0123456789_abcdef", "github_pat_"),
    ("glpat-abcdefghij1234567890", "abcdefghij1234567890", "glpat-"),
    ("xoxb-123456789012-abcdef", "123456789012-abcdef", "xoxb-"),
    ("hf_abcdefghijklmnopqrstu", "abcdefghijklmnopqrstu", "hf_"),
    ("AIzaSyA-abcdefghijklmnop1234567", "SyA-abcdefghijklmnop1234567", "AIza"),
    ("AKIAIOSFODNN7EXAMPLE", "IOSFODNN7EXAMPLE", "AKIA"),
    ("Bearer abc.def.ghi-jkl", "abc.def.ghi-jkl", "Bearer "),
    ("Bearer pt-invalid-token", "invalid-token", "Bearer "),
    ("Bearer abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz", "Bearer "),
    ("bearer\tabcd1234efgh5678", "abcd1234efgh5678", "bearer\t"),
    ("Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA==", "Basic "),
    (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
        "eyJ",
    ),
    ("api_key=abcd1234efgh", "abcd1234efgh", "api_key="),
    ("apiKey: abcd1234efgh", "abcd1234efgh", "apiKey: "),
    ("x-api-key: abcd1234efgh5678", "abcd1234efgh5678", "x-api-key: "),
    ("password: hunter2hunter2", "hunter2hunter2", "password: "),
    ("secret_key=abcd1234efgh", "abcd1234efgh", "secret_key="),
    ("client_secret=abcd1234efgh5678", "abcd1234efgh5678", "client_secret="),
    ("access_token=ya29.a0AfH6SMB", "ya29.a0AfH6SMB", "access_token="),
    ('"api_key": "abcd1234efgh5678"', "abcd1234efgh5678", '"api_key": "'),
    ('Token token="abcd1234efgh"', "abcd1234efgh", "Token token="),
]


@pytest.mark.parametrize(("text", "secret", "kept"), SECRETS)
def test_secret_formats_are_redacted(text: str, secret: str, kept: str):
    sentence = f"Invalid credentials ({text}) for this request."
    out = redact(sentence)
    assert secret not in out
    assert REDACTED in out
    assert kept in out
    assert out.startswith("Invalid credentials (")
    assert out.endswith(") for this request.")


@pytest.mark.parametrize(
    "text",
    [
        "Invalid API key or token.",
        "Missing bearer token",
        "bearer token required",
        "use a bearer token instead",
        "Authorization header must use the Bearer scheme.",
        "Your token expired.",
        "The token has expired",
        "locale pt-br not supported",
        "Supported locales: pt-BR, pt-PT, en-US",
        "check key format (should start with org_live_)",
        "an organization key (oc_org_) used on a project endpoint without X-Project-Id",
        "Your API key sk-...abcd is invalid",
        "Keys start with sk-, pt- or oc_",
        "Token limit exceeded: 8192 tokens",
        "The password is too short.",
        "Secret not found",
        "",
        "Rate limit reached for gpt-4 in organization org-abc on tokens per min.",
    ],
)
def test_prose_is_not_over_redacted(text: str):
    assert redact(text) == text


def test_redact_value_walks_nested_details():
    details = {
        "headers": {"Authorization": "Bearer abc", "X-Api-Key": "short", "Accept": "json"},
        "errors": [{"msg": "bad key sk-abcdefghij1234567890"}, ("Bearer abcd1234efgh",)],
        "count": 3,
        "ok": None,
        "nested": {"deeper": {"token": "t"}},
    }
    out = redact_value(details)
    assert out == {
        "headers": {"Authorization": REDACTED, "X-Api-Key": REDACTED, "Accept": "json"},
        "errors": [{"msg": "bad key sk-" + REDACTED}, ("Bearer " + REDACTED,)],
        "count": 3,
        "ok": None,
        "nested": {"deeper": {"token": REDACTED}},
    }
    assert details["headers"]["Authorization"] == "Bearer abc"  # the input is not changed


def test_redact_value_returns_unchanged_containers_as_they_are():
    details = {"a": [1, "two", {"b": "three"}]}
    assert redact_value(details) is details


def test_redact_value_redacts_keys_and_stops_at_depth():
    assert redact_value({"sk-abcdefghij1234567890": 1}) == {"sk-" + REDACTED: 1}
    deep: Any = "leaf"
    for _ in range(100):
        deep = [deep]
    out = redact_value(deep)
    for _ in range(65):
        out = out[0]
    assert out == REDACTED  # 65 levels down, the rest is not walked


SECRET_TEXT = "Invalid key sk-abcdefghij1234567890 sent as Bearer oc_org_Zx81kPq2Lm9vTt4R"
LEAKED = ("abcdefghij1234567890", "Zx81kPq2Lm9vTt4R")


def _assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in LEAKED:
            assert secret not in text


@pytest.mark.parametrize(
    "body",
    [
        {"type": "error", "error": {"type": "authentication_error", "message": SECRET_TEXT}},
        {"error": {"message": SECRET_TEXT, "type": "invalid_request_error", "key": SECRET_TEXT}},
        {"error": SECRET_TEXT},
        {"detail": [{"msg": SECRET_TEXT, "loc": ["header", "authorization"]}]},
        {"message": "bad", "errors": [{"message": SECRET_TEXT}]},
    ],
)
def test_normalize_redacts_message_details_and_reprs(body: dict[str, Any]):
    error = ae.normalize_parts(401, {"x-request-id": "req_1"}, json.dumps(body))
    assert error is not None
    exc = ae.AgentAPIError.from_error(error)
    _assert_clean(
        error.message,
        json.dumps(ae.to_dict(error)),
        repr(error),
        str(error),
        repr(exc),
        str(exc),
    )
    assert REDACTED in repr(error)


def test_normalize_redacts_plain_text_and_utf16_bodies():
    for body in (
        SECRET_TEXT.encode(),
        SECRET_TEXT.encode("utf-16"),
        SECRET_TEXT.encode("utf-16-le"),
    ):
        error = ae.normalize_parts(401, {}, body)
        assert error is not None
        _assert_clean(error.message, repr(error))


def test_normalize_redacts_json_escaped_secrets():
    body = '{"error": {"message": "key \\u0073k-abcdefghij1234567890", "type": "x"}}'
    error = ae.normalize_parts(401, {}, body)
    assert error is not None
    _assert_clean(error.message)


def test_normalize_redacts_param_code_and_request_id():
    body = {
        "error": {"message": "m", "param": "Bearer abcd1234efgh5678", "code": "sk-abcdef123456"}
    }
    error = ae.normalize_parts(400, {"x-request-id": "Bearer zyxw9876vuts5432"}, json.dumps(body))
    assert error is not None
    assert error.param == "Bearer " + REDACTED
    assert error.code == "sk-" + REDACTED
    assert error.request_id == "Bearer " + REDACTED


def test_a_body_without_secrets_is_left_as_sent():
    body = {
        "error": {"message": "Bearer token required; see docs", "type": "invalid_request_error"}
    }
    error = ae.normalize_parts(401, {}, json.dumps(body))
    assert error is not None
    assert error.message == "Bearer token required; see docs"


@settings(max_examples=3000)
@given(
    st.lists(
        st.sampled_from(
            [
                "Bearer",
                "bearer",
                "Token",
                "Bot",
                "Basic",
                "api_key",
                "x-api-key",
                "passwd",
                "private_key",
                "access-key",
                "secret",
                "=",
                ":",
                " ",
                "\t",
                '"',
                "sk-",
                "pt-",
                "oc_",
                "AKIA",
                "eyJ",
                ".",
                "-",
                "_",
                "1",
                "a" * 20,
                "ABCDEFGHIJKLMNOP",
                "0123456789",
                REDACTED,
                "(",
                ")",
            ]
        )
        | st.text(max_size=4),
        max_size=12,
    ).map("".join)
)
def test_the_byte_precheck_never_misses_what_redact_would_change(text: str):
    # Built-in adapters skip redaction when might_contain_secret() says no; it must never
    # say no to a text that redact() would change.
    once = redact(text)
    if once != text:
        assert might_contain_secret(text.encode("utf-8", "surrogatepass"))
        assert might_contain_secret(text.encode("utf-16"))
    # Redacting twice changes nothing more: logs of already-redacted errors stay stable.
    assert redact(once) == once


def test_redaction_stays_linear_on_adversarial_input():
    # A 64 KiB message built to make a backtracking pattern quadratic; compared with plain
    # text of the same length in the same run, not against a wall-clock limit.
    size = 64 * 1024
    adversarial = [
        "a-" * (size // 2),
        "api-" * (size // 4) + "x",
        "Bearer " + "a." * (size // 2),
        "token " * (size // 6),
        "sk-" * (size // 3),
    ]

    def best_of(text: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            redact(text)
            times.append(time.perf_counter() - start)
        return min(times)

    baseline = max(best_of("plain words " * (size // 12)), 1e-4)
    for text in adversarial:
        assert best_of(text) < 200 * baseline, text[:20]


_FLAT_ANCHORS = re.compile(
    "|".join(re.escape(token.decode("latin-1")) for token in _redact._ANCHORS)
)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-\\ \x00kyeotpsr", max_size=80))
def test_the_factored_anchor_expression_matches_exactly_where_the_plain_one_does(text: str) -> None:
    found = _FLAT_ANCHORS.search(text) is not None
    assert (_redact._ANCHOR_RE.search(text) is not None) == found
    assert (_redact._ANCHOR_BYTES_RE.search(text.encode("latin-1")) is not None) == found
