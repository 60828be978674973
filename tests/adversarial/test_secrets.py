"""Secrets, attacked: recall over a table of credential formats, precision over ordinary text.

Every credential format below (realistic, fake values) is sent in several contexts (the message,
a JSON string field, an error-type header that becomes the `code`, the request-id header,
nested `details`, a URL, fields split apart, a plain-text body) and looked for on every surface
a user can see: the canonical error's fields, its dict and repr, the exception, every render
format, the OpenTelemetry attributes, the logs and the CLI's outputs. Recall must be 100 %.
Ordinary API error messages must come out unchanged: precision 100 %. Every redaction rule is
timed on adversarial text at 8 KiB and 64 KiB: the ratio must stay near-linear.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import agent_errors as ae
from agent_errors import _cli
from agent_errors._core import _redact
from agent_errors._core._redact import REDACTED, redact, redact_value
from agent_errors._parsing import _normalize, _render
from agent_errors._parsing._view import ResponseView


class Secret(NamedTuple):
    name: str
    text: str  # the credential as it appears (with its field name when it needs one)
    cores: tuple[str, ...]  # parts that must never be seen again
    value: str  # the bare secret, for the split-fields context


def _s(name: str, text: str, *cores: str, value: str | None = None) -> Secret:
    return Secret(name, text, cores, value if value is not None else cores[0])


ZW = "\u200b"
AWS_ID = "AKIA2E0A8F3B244C9986"
S3_SIG = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)

FORMATS: list[Secret] = [
    _s(
        "OpenAI legacy", "sk-AbCdEfGhIjKlMnOpQrStT3BlbkFJuVwXyZ0123456789ab", "AbCdEfGhIjKlMnOpQrSt"
    ),
    _s(
        "OpenAI project",
        "sk-proj-Xy9kLm2Qp8Rt4Vw6Zb1Nc3Df5Gh7Jk0Lm2Np4Qr6St8Uv",
        "Xy9kLm2Qp8Rt4Vw6",
    ),
    _s("OpenAI service account", "sk-svcacct-Ab12Cd34Ef56Gh78Ij90Kl12Mn34", "Ab12Cd34Ef56Gh78"),
    _s(
        "Anthropic",
        "sk-ant-api03-Zq8Xw7Vu6Ts5Rq4Po3Nm2Lk1Ji0Hg9Fe8Dc7Ba6-Zx5Cv4Bn3MmAA",
        "Zq8Xw7Vu6Ts5Rq4Po3",
    ),
    _s("Stripe secret", "sk_live_51HqLyjWDarjtT1zdp7dcXyZ4AbCdEf", "51HqLyjWDarjtT1zdp7dc"),
    _s("Stripe test", "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    _s("Stripe restricted", "rk_live_51HqLyjRestrictedKey0123456789", "51HqLyjRestrictedKey"),
    _s("Stripe webhook secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8I"),
    _s("GitHub classic", "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", "wWPw5k4aXcaT4fNP0Ucn"),
    _s("GitHub OAuth", "gho_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F292c6912E771"),
    _s("GitHub app", "ghs_Kq3sQ1x2Yz9Ab8Cd7Ef6Gh5Ij4Kl3Mn2Op1", "Kq3sQ1x2Yz9Ab8Cd7Ef6"),
    _s("GitHub user-to-server", "ghu_Ab9Cd8Ef7Gh6Ij5Kl4Mn3Op2Qr1St0Uv9Wx8", "Ab9Cd8Ef7Gh6Ij5Kl4Mn"),
    _s(
        "GitHub fine-grained",
        "github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789",
        "aBcDeFgHiJkL",
    ),
    _s("GitLab", "glpat-x9Yz8Wv7Ut6Sr5Qp4On3", "x9Yz8Wv7Ut6Sr5Qp4On3"),
    _s(
        "Slack bot",
        "xoxb-2637488231-5193782365-Zq8Xw7Vu6Ts5Rq4Po3Nm2Lk1",
        "Zq8Xw7Vu6Ts5Rq4Po3Nm2Lk1",
    ),
    _s(
        "Slack user",
        "xoxp-2637488231-2637488233-5193782365-a1b2c3d4e5f6a7b8c9d0",
        "a1b2c3d4e5f6a7b8c9d0",
    ),
    _s(
        "Slack app",
        "xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef0123",
        "abcdef0123456789abcdef",
    ),
    _s(
        "Slack webhook",
        "https://hooks.slack.com/services/T0A1B2C3D/B0E1F2G3H/Zk4yQm9uV2FsbGV0S2V5aaa",
        "Zk4yQm9uV2FsbGV0S2V5",
    ),
    _s(
        "Discord bot token",
        "MTA4NjEyMzQ1Njc4OTAxMjM0NQ.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789ab",
        "abcdefghijklmnopqrstuvwxyz0123",
    ),
    _s(
        "Discord webhook",
        "https://discord.com/api/webhooks/1234567890123456789/AbCdEfGhIjKlMnOpQrStUvWxYz01234",
        "AbCdEfGhIjKlMnOpQrStUvWxYz",
    ),
    _s("AWS access key id", AWS_ID, "2E0A8F3B244C9986"),
    _s("AWS session key id", "ASIAY34FZKBOKMUTVV7A", "Y34FZKBOKMUTVV7A"),
    _s(
        "AWS secret key (env)",
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
        "wJalrXUtnFEMI",
        "bPxRfiCYzEXAMPLEKEY",
    ),
    _s(
        "AWS secret key (JSON)",
        '"SecretAccessKey": "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"',
        "je7MtGbClwBF",
        "h3yCo8nvbEXAMPLEKEY",
    ),
    _s("Google API key", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "SyD-9tSrke72PouQMnMX"),
    _s(
        "Google OAuth access",
        "ya29.a0AfH6SMBx3kXe-Lq9Zr2Vt8Wn4Pj6Ys1Ku0Hb5Gc7Fd3Ea",
        "a0AfH6SMBx3kXe",
    ),
    _s(
        "Google OAuth refresh",
        "1//0gLm3Nq5Rs7Tu9Vw1Xy3Za5Bc7De9Fg1Hi3Jk5Lm7No",
        "gLm3Nq5Rs7Tu9Vw1Xy3Z",
    ),
    _s("Google OAuth client secret", "GOCSPX-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9", "Ab1Cd2Ef3Gh4Ij5Kl6Mn"),
    _s("Hugging Face", "hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "AbCdEfGhIjKlMnOpQrSt"),
    _s("npm", "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "a1B2c3D4e5F6g7H8i9J0"),
    _s(
        "PyPI",
        "pypi-AgEIcHlwaS5vcmcCJDU3ZjE5YjNjLTk4ZDctNGJhMS1hYmNkLTEyMzQ1Njc4OTBhYgACKlszLCJ"
        "hYmNkZWZnaGlqa2xtbm9wIl0AAAYgQmFzZTY0RW5jb2RlZFNpZ25hdHVyZUhlcmU",
        "cHlwaS5vcmcCJDU3ZjE5",
    ),
    _s(
        "SendGrid",
        "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",
        "ngeVfQFYQlKU0ufo8x5d1A",
        "TwL2iGABf9DHoTf",
    ),
    _s("Twilio API key", "SKa1b2c3d4e5f60718293a4b5c6d7e8f90", "a1b2c3d4e5f60718293a4b5c6d7e8f90"),
    _s(
        "Twilio account and auth token",
        "AC1f2e3d4c5b6a79880123456789abcdef auth_token=9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    ),
    _s("JWT", JWT, "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ", "SflKxwRJSMeKKF2QT4fwpMeJf36"),
    _s("Bearer opaque", "Bearer 7f3a9c2e1b8d4f6a0c5e", "7f3a9c2e1b8d4f6a0c5e"),
    _s("Bearer letters only", "Bearer zxcvbnmasdfghjklqwer", "zxcvbnmasdfghjklqwer"),
    _s("Bearer mixed-case letters", "Bearer qWeRtYuIoPaS", "qWeRtYuIoPaS"),
    _s(
        "Basic auth header",
        "Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l",
        "YWxhZGRpbjpvcGVuc2VzYW1l",
    ),
    _s("Token scheme", "Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "9944b09199c62bcf9418"),
    _s("x-api-key header echo", "x-api-key: 4f9d2c1a8b7e6f5d4c3b2a19", "4f9d2c1a8b7e6f5d4c3b2a19"),
    _s(
        "URL api_key parameter",
        "https://api.example.com/v1/search?q=cats&api_key=9f8e7d6c5b4a3928",
        "9f8e7d6c5b4a3928",
    ),
    _s(
        "URL key parameter",
        "https://maps.example.com/api/geocode/json?key=Zm9vYmFyYmF6cXV4MTIz&address=x",
        "Zm9vYmFyYmF6cXV4MTIz",
    ),
    _s(
        "URL token parameter",
        "wss://stream.example.com/events?token=c2VjcmV0LXN0cmVhbS10b2tlbg",
        "c2VjcmV0LXN0cmVhbS10b2tlbg",
    ),
    _s(
        "URL access_token parameter",
        "https://graph.example.com/me?fields=id&access_token=EAAGm0PX4ZCpsBAKcZBzZA",
        "EAAGm0PX4ZCpsBAKcZBzZA",
    ),
    _s(
        "S3 presigned URL",
        "https://bucket.s3.amazonaws.com/obj?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
        + AWS_ID
        + "%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature="
        + S3_SIG,
        S3_SIG[:24],
        "2E0A8F3B244C9986",
        value=S3_SIG,
    ),
    _s(
        "Azure SAS URL",
        "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&ss=b&sp=r&se=2025-01-01"
        "&sig=Zm9vJTJCYmFyJTJGYmF6cXV4JTNE",
        "Zm9vJTJCYmFyJTJGYmF6cXV4",
    ),
    _s(
        "Azure storage connection string",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEt"
        "lCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core",
        "Eby8vdM02xNOcqFlqUwJ",
    ),
    _s(
        "Azure Service Bus connection string",
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        "SharedAccessKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdo=",
        "Zm9vYmFyYmF6cXV4MTIzNDU2",
    ),
    _s(
        "Azure subscription key",
        "Ocp-Apim-Subscription-Key: 0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    ),
    _s(
        "PostgreSQL URL",
        "postgres://app_user:S3cr3tPassw0rd@db.internal:5432/app",
        "S3cr3tPassw0rd",
    ),
    _s("MySQL URL", "mysql://root:hunter2hunter2@10.0.0.5:3306/db", "hunter2hunter2"),
    _s("Redis URL without user", "redis://:p4ssw0rdRedis@cache:6379/0", "p4ssw0rdRedis"),
    _s(
        "MongoDB URL",
        "mongodb+srv://admin:Mng0Pass2024x@cluster0.abcde.mongodb.net/test",
        "Mng0Pass2024x",
    ),
    _s("HTTPS user-info", "https://deploy:Gh9tok9a8b7c6d@git.example.com/r.git", "Gh9tok9a8b7c6d"),
    _s("password= pair", "password=Tr0ub4dor3x", "Tr0ub4dor3x"),
    _s("password: pair", "password: correcthorse42", "correcthorse42"),
    _s("JSON password", '"password": "correct horse battery staple"', "horse battery staple"),
    _s("token= pair", "token=a1b2c3d4e5f6", "a1b2c3d4e5f6"),
    _s("secret= pair", "secret=topsecretvalue99", "topsecretvalue99"),
    _s(
        "JSON client_secret",
        '"client_secret": "8Q~xYz.AbCdEfGhIjKlMnOpQrStUvWx_yz"',
        "AbCdEfGhIjKlMnOp",
    ),
    _s(
        "PEM RSA key",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi\n"
        "Z1BjP5CE8Wf2RhWpLnkTq\n-----END RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi",
        "Z1BjP5CE8Wf2RhWpLnkTq",
    ),
    _s(
        "PEM PKCS#8 key, truncated",
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
    ),
    _s(
        "PEM OpenSSH key",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAA\n"
        "-----END OPENSSH PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUA",
    ),
    _s(
        "PEM EC key with escaped newlines",
        "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIBkg4LVWM9nuwNSk3yBMNPShX7hSuxLKbQPnWa6L\\n"
        "-----END EC PRIVATE KEY-----",
        "MHcCAQEEIBkg4LVWM9nuwNSk3yBMNPShX7",
    ),
    _s(
        "Zero-width inside a key", f"sk-proj-Xy9kLm2Qp8{ZW}Rt4Vw6Zb1Nc3Df5Gh7", "Rt4Vw6Zb1Nc3Df5Gh7"
    ),
    _s(
        "Word joiner inside a key",
        "ghp_wWPw5k4aXc\u2060aT4fNP0UcnZwJUVFk6LO0pINUx",
        "aT4fNP0UcnZwJUVFk6",
    ),
    _s("DigitalOcean", "dop_v1_" + "9f8e7d6c5b4a3928" * 4, "9f8e7d6c5b4a39289f8e"),
    _s("Shopify", "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", "1a2b3c4d5e6f7a8b9c0d"),
    _s("Replicate", "r8_Hk3Lm9Pq2Rs7Tv4Wx1Yz6Ab8Cd5Ef0Gh3Ij", "Hk3Lm9Pq2Rs7Tv4Wx1Yz"),
    _s("Mailgun", "key-3ax6xnjp29jd6fds4gc373sgvjxteol0", "3ax6xnjp29jd6fds4gc373"),
    _s(
        "Authorization header split across fields",
        '{"scheme": "Bearer", "token": "c2VjcmV0LXNwbGl0LXRva2Vu"}',
        "c2VjcmV0LXNwbGl0LXRva2Vu",
    ),
    _s(
        "JWT split across fields",
        '{"header": "eyJhbGciOiJIUzI1NiJ9", "payload": "eyJzdWIiOiJ1c2VyLTQyIn0", '
        '"signature": "dBjftJeZ4CVPmB92K27uhbUJU1p1rwW1gFWFOEjXk"}',
        "eyJzdWIiOiJ1c2VyLTQyIn0",
        "dBjftJeZ4CVPmB92K27uhbUJU1p1rwW1gFWFOEjXk",
    ),
]

PLACEHOLDER = "PLACEHOLDERxyzzy"


def _contexts(secret: Secret) -> Iterator[tuple[str, int, dict[str, str], str]]:
    """(context, status, headers, body) for every context `secret` can appear in."""
    text = secret.text

    def err(**fields: Any) -> str:
        return json.dumps({"error": {"type": "invalid_request_error", **fields}})

    yield "message", 401, {}, err(message=f"Invalid credentials: {text} (request rejected)")
    yield "json field", 400, {}, err(message="Invalid parameter", param=text)
    yield "url", 502, {}, err(message=f"Upstream https://api.example.com/v1/auth/{text} failed")
    yield (
        "details",
        422,
        {},
        err(message="Validation failed", details=[{"reason": "x", "context": {"input": text}}]),
    )
    yield (
        "split fields",
        401,
        {},
        err(message="Unauthorized", provided={"scheme": "Bearer", "token": secret.value}),
    )
    yield "plain text body", 401, {"content-type": "text/plain"}, f"Unauthorized: {text}\n"
    if "\n" not in text and text.isascii():  # header values are single-line
        aws = json.dumps({"message": "The security token included in the request is invalid."})
        yield "error-type header", 403, {"x-amzn-errortype": text}, aws
        yield "request-id header", 500, {"x-request-id": text}, err(message="Internal error")


def _capture(status: int, headers: dict[str, str], body: str) -> bytes:
    lines = [f"HTTP/1.1 {status} Error", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def _run_cli(argv: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        _cli.main(argv)
    return out.getvalue() + err.getvalue()


def _surfaces(
    status: int,
    headers: dict[str, str],
    body: str,
    tmp_path: Path,
    caplog: Any,
    *,
    cli: bool = True,
) -> dict[str, str]:
    """Everything a user can see of this response, by surface."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="agent_errors"):
        error = ae.normalize_parts(status, headers, body)
    assert error is not None
    exc = ae.AgentAPIError.from_error(error)
    seen = {
        "message": error.message,
        "code": error.code or "",
        "param": error.param or "",
        "request_id": error.request_id or "",
        "to_dict": json.dumps(ae.to_dict(error), ensure_ascii=False),
        "repr": repr(error),
        "str": str(error),
        "exception": f"{exc!s} {exc!r}",
        "otel": json.dumps(ae.otel_attributes(error), ensure_ascii=False),
        "logs": caplog.text,
    }
    for fmt in _render.formats():
        rendered = ae.render(error, to=fmt)
        seen[f"render:{fmt}"] = rendered.body.decode("utf-8", "replace") + repr(rendered.headers)
    if not cli:
        return seen
    capture = tmp_path / "capture.http"
    capture.write_bytes(_capture(status, headers, body))
    for fmt in ("json", "text", "problem"):
        seen[f"cli normalize {fmt}"] = _run_cli(["normalize", str(capture), "--format", fmt])
    seen["cli render canonical"] = _run_cli(["render", str(capture), "--to", "canonical"])
    return seen


def _unescaped(text: str) -> str:
    """JSON and repr escapes undone, so that an escaped secret is still found."""
    return text.replace("\\/", "/").replace("\\\\", "\\")


def _leaks(secret: Secret, seen: dict[str, str]) -> list[str]:
    cores = set(secret.cores) | {core.replace(ZW, "") for core in secret.cores}
    return [
        f"{surface}: {core}"
        for surface, text in seen.items()
        for core in cores
        if core in text or core in _unescaped(text)
    ]


def test_the_table_has_at_least_51_formats() -> None:
    assert len(FORMATS) >= 51
    assert len({secret.name for secret in FORMATS}) == len(FORMATS)
    for secret in FORMATS:
        assert all(
            core in secret.text.replace(ZW, "").replace("\u2060", "") or (core in secret.text)
            for core in secret.cores
        ), secret.name


@pytest.mark.parametrize(
    "context", ["message", "json field", "url", "details", "split fields", "plain text body",
                "error-type header", "request-id header"]
)  # fmt: skip
def test_every_context_carries_its_text_to_a_surface(
    context: str, tmp_path: Path, caplog: Any
) -> None:
    # The control: with a harmless placeholder in place of the secret, the placeholder is seen
    # somewhere, so a context whose secret is not seen was redacted, not dropped.
    probe = _s("probe", PLACEHOLDER, PLACEHOLDER)
    for name, status, headers, body in _contexts(probe):
        if name == context:
            seen = _surfaces(status, headers, body, tmp_path, caplog)
            if context == "split fields":  # the placeholder is under "token": redacted by name
                assert '"scheme": "Bearer"' in seen["to_dict"]
                assert '"token": "[REDACTED]"' in seen["to_dict"]
            else:
                assert _leaks(probe, seen), context
            return
    pytest.fail(f"no context {context!r}")


@pytest.mark.parametrize("secret", FORMATS, ids=[secret.name for secret in FORMATS])
def test_no_credential_reaches_any_surface(secret: Secret, tmp_path: Path, caplog: Any) -> None:
    leaks = []
    for context, status, headers, body in _contexts(secret):
        seen = _surfaces(status, headers, body, tmp_path, caplog)
        leaks.extend(f"{context} -> {leak}" for leak in _leaks(secret, seen))
    assert not leaks


def test_recall_is_100_percent_over_the_table(tmp_path: Path, caplog: Any) -> None:
    # The figure for docs/security.md: (format, context) pairs whose credential is seen on no
    # surface at all, over every pair the table makes (the CLI is checked per format above).
    total = clean = 0
    for secret in FORMATS:
        for _context, status, headers, body in _contexts(secret):
            total += 1
            seen = _surfaces(status, headers, body, tmp_path, caplog, cli=False)
            clean += not _leaks(secret, seen)
    assert total >= 51 * 6
    assert clean == total, f"recall {clean}/{total}"


def test_redact_alone_finds_every_format_in_prose() -> None:
    for secret in FORMATS:
        for template in ("{}", "Invalid key: {}.", "({}) was rejected", "a\n{}\nb", '"{}"'):
            out = redact(template.format(secret.text))
            assert not any(core in out for core in secret.cores), (secret.name, template, out)


def test_split_fields_are_redacted_in_details() -> None:
    details = {
        "echo": {"scheme": "Bearer", "token": "c2VjcmV0LXNwbGl0LXRva2Vu"},
        "jwt": {
            "header": "eyJhbGciOiJIUzI1NiJ9",
            "payload": "eyJzdWIiOiJ1c2VyLTQyIn0",
            "signature": "dBjftJeZ4CVPmB92K27uhbUJU1p1rwW1gFWFOEjXk",
        },
    }
    out = redact_value(details)
    assert out["echo"] == {"scheme": "Bearer", "token": REDACTED}
    assert out["jwt"] == {
        "header": "eyJ" + REDACTED,
        "payload": "eyJ" + REDACTED,
        "signature": REDACTED,
    }


def test_a_secret_code_from_a_header_is_redacted_even_when_the_body_is_clean() -> None:
    # The old pre-check looked at the body only; the code came from the header.
    key = "sk-proj-Xy9kLm2Qp8Rt4Vw6Zb1Nc3Df5Gh7Jk0"
    body = json.dumps({"message": "The security token included in the request is invalid."})
    error = ae.normalize_parts(403, {"x-amzn-errortype": key}, body)
    assert error is not None
    assert error.code == "sk-proj-" + REDACTED
    assert "Xy9kLm2Qp8" not in json.dumps(ae.otel_attributes(error))
    assert "Xy9kLm2Qp8" not in repr(error)


# Ordinary API error messages: none may change.
ORDINARY = [
    "max_token: 12345678",
    "max_tokens: 4096 > 2048, which is the maximum allowed for this model",
    "Basic plan-limits exceeded",
    "pt-online-schema-change is running on table users; retry later",
    "model sk-learning-v2 not found",
    "hf_transfer is not installed; falling back to the default downloader",
    "Rate limit reached for gpt-4 in organization org-abc on tokens per min.",
    "The model `claude-3-5-sonnet-20241022` does not exist",
    "Request req_011CSHoEeqs5C35K2UUqR7Fy failed",
    "request id 4f1c2b9e-7a3d-4e8f-9b1c-2d3e4f5a6b7c",
    "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7",
    "Object id dGhpcyBpcyBub3QgYSBzZWNyZXQ not found",
    "invalid value for token_limit: must be at most 100000",
    "parameter secret_name must be a string",
    "field password_min_length must be at least 8",
    "api_key_id key_01HZX3K9Q8 is disabled",
    "Your API key was rejected. See https://docs.example.com/errors#invalid-api-key",
    "The token has expired; please sign in again.",
    "Missing bearer token",
    "Authorization header must use the Bearer scheme.",
    "Bearer authentication required",
    "Token limit exceeded: 8192 tokens",
    "Bot detection triggered for this request",
    "Secret not found: projects/p/secrets/db-password/versions/3",
    "password: must be at least 12 characters",
    "token: required",
    "Unsupported parameter: 'response_format' for this model",
    "context_length_exceeded: this model's maximum context length is 128000 tokens",
    "the key 'temperature' must be between 0 and 2",
    "Duplicate key: user_id",
    "insufficient_quota: You exceeded your current quota, please check your plan",
    "Upgrade to the Pro plan at https://example.com/pricing?plan=pro&ref=errors",
    "See https://docs.example.com/api/errors#rate_limit_exceeded (hash 9b2d4e1f)",
    "package agent-errors==1.2.3 requires httpx>=0.27",
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 mismatch",
    "The organization_verification_required_for_streaming_responses flag is set",
    "Asia-Pacific (Tokyo) region is unavailable",
    "locale pt-BR not supported; supported: pt-PT, en-US",
    "Keys start with sk-, pt- or oc_",
    "Your API key sk-...abcd is invalid",
    "Error at https://api.example.com:8443/v1/chat/completions",
    "Invalid base64 in field image_url.data",
    "Session sess_8f2k3j4h5g expired",
    "Quota for SKU Standard_D4s_v5 exceeded in region eastus",
    "Eyjafjallajokull eruption delays flights",
]


def test_the_ordinary_table_has_at_least_40_messages() -> None:
    assert len(ORDINARY) >= 40
    assert len(set(ORDINARY)) == len(ORDINARY)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_messages_are_left_as_they_are(text: str) -> None:
    assert redact(text) == text
    assert redact_value({"error": {"message": text, "items": [text]}}) == {
        "error": {"message": text, "items": [text]}
    }
    body = json.dumps({"error": {"message": text, "type": "invalid_request_error"}})
    error = ae.normalize_parts(400, {"x-request-id": "req_011CSHoEeqs5C35K2UUqR7Fy"}, body)
    assert error is not None
    assert error.message == text
    assert error.request_id == "req_011CSHoEeqs5C35K2UUqR7Fy"


def test_precision_is_100_percent() -> None:
    changed = [text for text in ORDINARY if redact(text) != text]
    assert changed == [], f"precision {len(ORDINARY) - len(changed)}/{len(ORDINARY)}"


@pytest.mark.parametrize("secret", FORMATS, ids=[secret.name for secret in FORMATS])
def test_redaction_is_idempotent_and_keeps_the_surrounding_text(secret: Secret) -> None:
    text = f"Request failed ({secret.text}) for this request."
    once = redact(text)
    assert redact(once) == once
    assert once.startswith("Request failed (")
    assert once.endswith(") for this request.")
    assert REDACTED in once


# Linearity: each rule and each pattern of the module on adversarial text.


def _adversarial(size: int) -> dict[str, str]:
    """Texts built to make a backtracking pattern slow, `size` characters each."""
    pieces = {
        "heads": "sk-pt-oc_hf_key-xoxb-npm_pypi-SG.ya29.1//0eyJAKIA",
        "schemes": "Bearer Basic Token Bot ",
        "schemes glued": "Bearer\tBearer\t",
        "field names": "x-api-secret-access-client-",
        "field pairs": "password: token= key:",
        "quoted pair": '"password": "',
        "urls": "https://a:b@c/?key=&sig=",
        "userinfo": "://" + "u" * 300 + ":",
        "pem": "-----BEGIN RSA PRIVATE KEY-----",
        "pem body": "-----BEGIN PRIVATE KEY-----" + "A" * 40,
        "hooks": "hooks.slack.com/services/",
        "discord": "MTA4NjEyMzQ1Njc4OTAxMjM0NQ.GAbCdE.",
        "twilio": "SK0123456789abcdef0123456789abcde ",
        "hyphen words": "pt-aaaaaaa-",
        "dots": "a." * 3,
        "invisible": "sk-\u200b",
        "letters": "a",
    }
    return {name: (piece * (size // len(piece) + 1))[:size] for name, piece in pieces.items()}


def _best(func: Callable[[], object], repeats: int = 5) -> float:
    """The least CPU time of this thread over `repeats` calls.

    CPU time, not wall time: on a loaded machine a call longer than a scheduler slice is
    preempted, which inflates long calls (64 KiB) and not short ones (8 KiB).
    """
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        func()
        times.append(time.thread_time() - start)
    return min(times)


def test_redact_is_linear_on_adversarial_text() -> None:
    small, large = _adversarial(8 * 1024), _adversarial(64 * 1024)
    ratios = {}
    for name in small:
        t8 = max(_best(lambda n=name: redact(small[n])), 2e-5)
        t64 = _best(lambda n=name: redact(large[n]))
        ratios[name] = t64 / t8
    assert max(ratios.values()) < 24, ratios


def _module_patterns() -> dict[str, re.Pattern[Any]]:
    """Every compiled pattern of `_redact`, also those kept in dicts, each once."""
    found: dict[str, re.Pattern[Any]] = {}
    seen: set[int] = set()
    for name, value in vars(_redact).items():
        items = value.items() if isinstance(value, dict) else [("", value)]
        for key, item in items:
            if isinstance(item, re.Pattern) and id(item) not in seen:
                seen.add(id(item))
                found[f"{name}[{key!r}]" if key else name] = item
    return found


def test_every_pattern_is_linear_on_adversarial_text() -> None:
    patterns = _module_patterns()
    assert len(patterns) >= 10
    small, large = _adversarial(8 * 1024), _adversarial(64 * 1024)
    worst = {}
    for pname, pattern in patterns.items():
        for name in small:

            def scan(text: str, p: re.Pattern[Any] = pattern) -> None:
                subject = text.encode() if isinstance(p.pattern, bytes) else text
                for _ in p.finditer(subject):
                    pass

            t8 = max(_best(lambda n=name: scan(small[n]), 2), 2e-5)
            t64 = _best(lambda n=name: scan(large[n]), 2)
            worst[f"{pname} on {name}"] = t64 / t8
    slow = {key: ratio for key, ratio in worst.items() if ratio >= 24}
    assert not slow, slow


def test_a_64_kib_adversarial_message_is_redacted_quickly_compared_with_plain_text() -> None:
    large = _adversarial(64 * 1024)
    plain = ("plain words " * (64 * 1024 // 12 + 1))[: 64 * 1024]
    baseline = max(_best(lambda: redact(plain + " key")), 1e-4)
    for name, text in large.items():
        assert _best(lambda t=text: redact(t), 3) < 400 * baseline, name


def test_otel_attributes_are_redacted_for_an_error_built_by_hand() -> None:
    error = ae.CanonicalError(
        kind=ae.Kind.AUTHENTICATION,
        message="m",
        code="sk-proj-Xy9kLm2Qp8Rt4Vw6Zb1Nc3Df5Gh7Jk0",
        request_id="Bearer 7f3a9c2e1b8d4f6a0c5e",
        provider="openai",
    )
    attributes = ae.otel_attributes(error)
    assert attributes["agent_errors.code"] == "sk-proj-" + REDACTED
    assert attributes["agent_errors.request_id"] == "Bearer " + REDACTED
    assert attributes["agent_errors.provider"] == "openai"


def test_a_third_party_adapters_fields_are_redacted_whatever_it_puts_where() -> None:
    class Leaky:
        name = "leaky-test-adapter"

        def sniff(self, view: Any) -> bool:
            return True

        def parse(self, view: Any) -> ae.CanonicalError:
            return ae.CanonicalError(
                kind=ae.Kind.AUTHENTICATION,
                message="bad key 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",
                code="xoxb-2637488231-5193782365-Zq8Xw7Vu6Ts5Rq4Po3Nm2Lk1",
                param="password=Tr0ub4dor3x",
                details={"nested": [{"token": "c2VjcmV0LXNwbGl0LXRva2Vu"}]},
                provider="oc_Zx81kPq2Lm9vTt4Rabcd",
            )

    view = ResponseView(401, {}, b"{}")
    error = _normalize._complete(Leaky().parse(view), view, trusted=False)
    text = repr(error) + json.dumps(ae.to_dict(error))
    for core in ("wWPw5k4aXcaT4fNP0Ucn", "Zq8Xw7Vu6Ts5Rq4Po3", "Tr0ub4dor3x", "c2VjcmV0LXNw"):
        assert core not in text
    assert "Zx81kPq2Lm9vTt4R" not in error.provider
