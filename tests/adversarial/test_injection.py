"""Injection: no CR, LF or other control character from a response reaches a header, a log line
or a terminal unescaped (DESIGN, "Guarantees under hostile input").

Every hostile string below goes through every surface: the retry transport's log (a real
loopback server, real log records), the middleware's warnings (uvicorn on loopback), exception
`str`/`repr`, the CLI's text/json/problem/render output (`main()` with argv), and the headers of
`render()` in every format and of the middleware's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import json
import logging
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

import agent_errors as ae
from _asgi import serve
from agent_errors import _cli
from agent_errors._core._escape import escape_json_text, escape_text
from agent_errors._parsing._render import formats

HOSTILE: dict[str, str] = {
    "crlf": "bad\r\nagent_errors FORGED line",
    "encoded-crlf-decoded": "x\r\n\r\nHTTP/1.1 200 OK",
    "esc-clear": "\x1b[2J\x1b[Hscreen wiped",
    "osc8-link": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "c1-csi": "\x9b2J\x9b31m red",
    "bidi-override": "invoice \u202egpj.exe",
    "bidi-isolates": "\u2066x\u2069 \u200ey\u200f \u202a\u202b\u202c\u202d",
    "zero-width": "to\u200bken\ufeff\u2060",
    "line-separators": "one\u2028two\u2029three\x85four",
    "nul-del-c1": "a\x00b\x7fc\x80d\x9fe",
    "tabs-vt-ff": "a\tb\x0bc\x0cd\x08e\x07",
    "very-long": "A" * 70_000 + "\r\nFORGED",
}

# Characters that must never appear raw on a surface. (LF is allowed only where we write it.)
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def bad_characters(text: str, *, newlines: bool = False) -> list[str]:
    """Every character of `text` a terminal or a log reader could act on."""
    found = []
    for ch in text:
        code = ord(ch)
        if ch == "\n" and newlines:
            continue
        if (
            code < 0x20
            or 0x7F <= code <= 0x9F
            or ch in _BIDI
            or ch in "\u2028\u2029"
            or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")
        ):
            found.append(ch)
    return found


def test_the_table_is_hostile() -> None:
    # Every row carries something to escape: the test below cannot pass on harmless input.
    for name, value in HOSTILE.items():
        assert bad_characters(value), name


# --- the helper -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_escape_text_leaves_no_control_and_keeps_printable_text(name: str) -> None:
    value = HOSTILE[name]
    escaped = escape_text(value)
    assert bad_characters(escaped) == []
    assert escape_text("plain text, déjà vu — 日本語 🙂") == "plain text, déjà vu — 日本語 🙂"
    assert escape_text("a\r\nb") == "a\\x0d\\x0ab"
    assert escape_text("\u202e") == "\\u202e"
    assert escape_text("\U000e0001") == "\\U000e0001"
    cut = escape_text(value, limit=100)
    assert len(cut) <= 101
    assert bad_characters(cut) == []


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_escape_json_text_keeps_json_meaning(name: str) -> None:
    doc = {"message": HOSTILE[name], "nested": [HOSTILE[name]]}
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    escaped = escape_json_text(text)
    assert bad_characters(escaped, newlines=True) == []
    assert json.loads(escaped) == doc


# --- the retry transport's log, against a real loopback server ------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    message = ""

    def do_GET(self) -> None:
        body = json.dumps({"error": {"message": self.message, "type": "overloaded_error"}})
        data = body.encode()
        self.send_response(503)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


@contextlib.contextmanager
def loopback(message: str) -> Iterator[str]:
    handler = type("Handler", (_Handler,), {"message": message})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    names = ("event", "method", "host", "path", "kind", "reason", "provider", "request_id")
    return {name: getattr(record, name, None) for name in names}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_retry_log_cannot_be_forged(name: str, caplog: pytest.LogCaptureFixture) -> None:
    value = HOSTILE[name][:4000]  # a request line must fit the server's limit
    path = "/v1/" + quote(value, safe="")
    with loopback(HOSTILE[name]) as base, caplog.at_level(logging.INFO, logger="agent_errors"):
        transport = ae.RetryTransport(sleep=lambda seconds: None)
        with httpx.Client(transport=transport) as client:
            response = client.get(base + path, headers={"x-request-id": "client-side"})
    assert response.status_code == 503
    records = [r for r in caplog.records if r.name == "agent_errors"]
    assert len(records) >= 2  # retries, then the give-up
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    lines = [formatter.format(r) for r in records]
    for record, line in zip(records, lines, strict=True):
        assert bad_characters(line) == [], line[:200]
        assert "FORGED" not in line or "\\x0d\\x0a" in line or "%0D%0A" in line
        assert record.event in ("agent_errors.retry", "agent_errors.give_up")  # type: ignore[attr-defined]
        for key, field in _fields(record).items():
            if isinstance(field, str):
                assert bad_characters(field) == [], key
    # The whole log is exactly one line per record: nothing forged a line of its own.
    assert "\n".join(lines).count("\n") == len(records) - 1


# --- the middleware's warnings and answer, under uvicorn --------------------------------------


def _upstream(value: str) -> Any:
    """An app that fails with `value` everywhere it can: message, provider header, or a raise."""
    encoded = value.encode("utf-8")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["path"].endswith("raise"):
            raise RuntimeError(value)
        body = json.dumps({"error": {"message": value, "type": "api_error"}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"x-upstream", encoded[:200]),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_middleware_warnings_cannot_be_forged(name: str, caplog: pytest.LogCaptureFixture) -> None:
    value = HOSTILE[name]
    app = ae.ErrorMiddleware(_upstream(value), provider_header="x-upstream")
    path = "/p/" + quote(value[:4000], safe="")
    with (
        serve(app) as base,
        caplog.at_level(logging.INFO, logger="agent_errors"),
        httpx.Client(base_url=base) as client,
    ):
        first = client.get(path)
        second = client.get(path + "/raise")
    assert (first.status_code, second.status_code) == (500, 500)
    records = [r for r in caplog.records if r.name == "agent_errors"]
    events = {getattr(r, "event", None) for r in records}
    assert "agent_errors.middleware.app_error" in events
    if value[:200].strip():
        assert "agent_errors.middleware.unknown_provider" in events
    for record in records:
        line = logging.Formatter("%(message)s").format(record).split("\nTraceback", 1)[0]
        assert bad_characters(line) == [], line[:200]
        for key in ("path", "method", "provider"):
            field = getattr(record, key, None)
            if isinstance(field, str):
                assert bad_characters(field) == [], key
        assert (record.args or ()) == () or all(
            bad_characters(str(arg)) == [] for arg in record.args or ()
        )


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_middleware_answer_carries_no_header_breaker(name: str) -> None:
    value = HOSTILE[name]
    raw = value.encode("utf-8", "surrogatepass")[:500]

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"x-request-id", raw),
                    (b"set-cookie", raw),
                    (b"x-app" + raw[:5], b"v"),
                ],
            }
        )
        body = json.dumps({"error": {"message": value, "request_id": value}})
        await send({"type": "http.response.body", "body": body.encode()})

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/" + value[:100], "headers": []}
    for render_as in formats():
        sent.clear()
        asyncio.run(ae.ErrorMiddleware(inner, render_as=render_as)(scope, receive, send))
        start = sent[0]
        assert start["status"] == 429
        for header, header_value in start["headers"]:
            for breaker in (b"\r", b"\n", b"\x00"):
                assert breaker not in header, (render_as, header)
                assert breaker not in header_value, (render_as, header, header_value)


# --- exceptions and the canonical error ----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_exception_text_is_one_clean_line(name: str) -> None:
    value = HOSTILE[name]
    body = json.dumps({"error": {"message": value, "type": "invalid_request_error"}})
    error = ae.normalize_parts(400, {"x-request-id": value}, body)
    assert error is not None
    built = ae.CanonicalError(
        kind=ae.Kind.INTERNAL, message=value, request_id=value, param=value, status=500
    )
    for canonical in (error, built):
        exc = ae.AgentAPIError.from_error(canonical)
        assert bad_characters(str(exc)) == []
        assert bad_characters(repr(exc)) == []
        assert exc.error is canonical  # the error itself keeps the text as it came


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_request_id_is_printable_and_bounded(name: str) -> None:
    value = HOSTILE[name]
    shapes = [
        (400, {"x-request-id": value}, b"{}"),
        (400, {}, json.dumps({"request_id": value, "error": {"message": "m"}})),
        (
            500,
            {},
            json.dumps(
                {
                    "type": "error",
                    "error": {"type": "api_error", "message": "m"},
                    "request_id": value,
                }
            ),
        ),
        (500, {}, json.dumps({"status": "INTERNAL", "message": "m", "requestId": value})),
        (
            500,
            {},
            json.dumps({"code": "x", "message": "m", "details": {"requestId": value}}),
        ),
    ]
    for status, headers, body in shapes:
        error = ae.normalize_parts(status, headers, body)
        assert error is not None
        if error.request_id is not None:
            assert error.request_id.isprintable()
            assert len(error.request_id) <= 256


def test_a_printable_request_id_is_kept() -> None:
    error = ae.normalize_parts(500, {"x-request-id": "req_01 ABC-é"}, b"")
    assert error is not None
    assert error.request_id == "req_01 ABC-é"
    assert ae.normalize_parts(500, {"x-request-id": "r" * 257}, b"").request_id is None  # type: ignore[union-attr]


# --- render headers, every format -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_rendered_headers_never_carry_a_breaker(name: str) -> None:
    value = HOSTILE[name]
    error = ae.CanonicalError(
        kind=ae.Kind.RATE_LIMITED,
        message=value,
        code=value,
        param=value,
        request_id=value,
        retry_after=3.0,
        status=429,
        details={"feature": value, value[:20]: value},
    )
    for fmt in formats():
        rendered = ae.render(error, to=fmt)
        for header, header_value in rendered.headers:
            assert bad_characters(header) == [], (fmt, header)
            assert bad_characters(header_value) == [], (fmt, header, header_value)


# --- the CLI --------------------------------------------------------------------------------------


def _capture(value: str) -> bytes:
    error = {"message": value, "type": "invalid_request_error", "code": value, value[:30]: value}
    body = json.dumps({"error": error})
    safe_value = value.encode("utf-8", "surrogatepass").replace(b"\r", b"").replace(b"\n", b"")
    return (
        b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
        b"x-request-id: " + safe_value[:300] + b"\r\nx-note: " + safe_value[:300] + b"\r\n\r\n"
    ) + body.encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("fmt", ["text", "json", "problem", "render"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_cli_output_has_no_terminal_control(
    name: str, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "capture.http"
    path.write_bytes(_capture(HOSTILE[name]))
    if fmt == "render":
        argv = ["render", str(path), "--to", "canonical"]
    else:
        argv = ["normalize", str(path), "--format", fmt, "--exit-code"]
    code = _cli.main(argv)
    out, err = capsys.readouterr()
    assert code == (0 if fmt == "render" else 1), err
    assert bad_characters(out, newlines=True) == []
    assert bad_characters(err, newlines=True) == []
    if fmt == "text":
        # One line per field: a line break in the message did not start a line of its own.
        assert all(":" in line for line in out.splitlines())
        assert not any(line.startswith("agent_errors FORGED") for line in out.splitlines())
    if fmt == "json":
        doc = json.loads(out)  # still valid JSON, and it means the same text
        assert doc["message"].strip() == HOSTILE[name].strip() or doc["message"] != ""


def test_cli_bad_input_messages_are_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.http"
    path.write_bytes(b"HTTP/1.1 400 Bad\r\nbad header \x1b[2J\x9b: x\r\n\r\n{}")
    assert _cli.main(["normalize", str(path)]) == _cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "malformed header line" in err
    assert bad_characters(err, newlines=True) == []
    assert _cli.main(["normalize", str(tmp_path / "no\x1b[2Jfile")]) == _cli.EXIT_BAD_INPUT
    assert bad_characters(capsys.readouterr().err, newlines=True) == []
