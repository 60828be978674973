"""ErrorMiddleware under a real server (uvicorn on loopback) and in process (ASGITransport)."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

import agent_errors as ae
from _asgi import serve

pytestmark = pytest.mark.anyio

GATE_TIMEOUT = 5.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- a real server -----------------------------------------------------------------------------


class Gate:
    """Lets a test hold the app mid-response until the client has seen the first chunk."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.app_finished = threading.Event()

    async def wait(self) -> None:
        opened = await asyncio.get_running_loop().run_in_executor(
            None, self.open.wait, GATE_TIMEOUT
        )
        assert opened, "the test never opened the gate"


async def send_json(send: Any, status: int, body: object, headers: Any = ()) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def bare_app(gate: Gate) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        path = scope["path"]
        if path == "/limited":
            await send_json(
                send,
                429,
                {"error": {"message": "Slow down", "type": "rate_limit_exceeded"}},
                [(b"retry-after", b"7"), (b"x-request-id", b"req_429"), (b"set-cookie", b"a=b")],
            )
        elif path == "/stream":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/plain")],
                }
            )
            await send({"type": "http.response.body", "body": b"chunk-1;", "more_body": True})
            await gate.wait()
            await send({"type": "http.response.body", "body": b"chunk-2;", "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            gate.app_finished.set()
        elif path == "/sse":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")],
                }
            )
            await send({"type": "http.response.body", "body": b"data: one\n\n", "more_body": True})
            await gate.wait()
            await send({"type": "http.response.body", "body": b"data: two\n\n"})
            gate.app_finished.set()
        elif path == "/boom":
            msg = "db password hunter2 at /srv/app/secret.py line 12"
            raise RuntimeError(msg)
        else:
            await send_json(send, 200, {"ok": True})

    return app


def test_real_server_429_becomes_problem_json() -> None:
    app = ae.ErrorMiddleware(bare_app(Gate()))
    with serve(app) as base, httpx.Client(base_url=base, timeout=GATE_TIMEOUT) as client:
        response = client.get("/limited")
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-request-id"] == "req_429"
    assert response.headers["set-cookie"] == "a=b"
    doc = response.json()
    assert doc["status"] == 429
    assert doc["detail"] == "Slow down"
    assert doc["kind"] == "rate_limited"
    assert doc["code"] == "rate_limit_exceeded"
    assert doc["request_id"] == "req_429"
    assert doc["retry_after"] == 7
    assert int(response.headers["content-length"]) == len(response.content)


def test_real_server_streams_chunk_by_chunk() -> None:
    gate = Gate()
    app = ae.ErrorMiddleware(bare_app(gate))
    with (
        serve(app) as base,
        httpx.Client(base_url=base, timeout=GATE_TIMEOUT) as client,
        client.stream("GET", "/stream") as response,
    ):
        assert response.status_code == 200
        chunks = response.iter_raw()
        first = next(chunks)
        assert first == b"chunk-1;"
        assert not gate.app_finished.is_set()  # the first chunk came while the app was running
        gate.open.set()
        rest = b"".join(chunks)
    assert rest == b"chunk-2;"
    assert gate.app_finished.wait(GATE_TIMEOUT)


def test_real_server_sse_passes_through_unbuffered() -> None:
    gate = Gate()
    app = ae.ErrorMiddleware(bare_app(gate))
    with (
        serve(app) as base,
        httpx.Client(base_url=base, timeout=GATE_TIMEOUT) as client,
        client.stream("GET", "/sse") as response,
    ):
        assert response.headers["content-type"] == "text/event-stream"
        events = ae.raise_for_error_events(response)
        assert next(events).data == "one"
        assert not gate.app_finished.is_set()
        gate.open.set()
        assert [event.data for event in events] == ["two"]


def test_real_server_exception_becomes_clean_500(caplog: pytest.LogCaptureFixture) -> None:
    app = ae.ErrorMiddleware(bare_app(Gate()))
    with serve(app) as base, httpx.Client(base_url=base, timeout=GATE_TIMEOUT) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    doc = response.json()
    assert doc["kind"] == "internal"
    assert doc["detail"] == "The server failed unexpectedly."
    for leak in ("hunter2", "secret.py", "RuntimeError", "Traceback"):
        assert leak not in response.text
    assert any("unhandled exception" in r.message for r in caplog.records)


# --- Starlette ---------------------------------------------------------------------------------


def starlette_app(gate: Gate, **options: Any) -> Starlette:
    async def limited(request: Request) -> Response:
        return JSONResponse(
            {"type": "error", "error": {"type": "rate_limit_error", "message": "Too fast"}},
            status_code=429,
            headers={"retry-after": "3", "request-id": "req_star"},
        )

    async def stream(request: Request) -> Response:
        async def body() -> Any:
            yield b"chunk-1;"
            await gate.wait()
            yield b"chunk-2;"
            gate.app_finished.set()

        return StreamingResponse(body(), media_type="text/plain")

    async def boom(request: Request) -> Response:
        msg = "internal detail: token=abc"
        raise ValueError(msg)

    async def agent_error(request: Request) -> Response:
        error = ae.CanonicalError(
            kind=ae.Kind.FEATURE_NOT_AVAILABLE, message="Enable the beta", status=501
        )
        raise ae.FeatureNotAvailableError(error)

    routes = [
        Route("/limited", limited),
        Route("/stream", stream),
        Route("/boom", boom),
        Route("/agent-error", agent_error),
    ]
    return Starlette(routes=routes, middleware=[Middleware(ae.ErrorMiddleware, **options)])


def test_starlette_under_a_real_server() -> None:
    gate = Gate()
    app = starlette_app(gate)
    with serve(app) as base, httpx.Client(base_url=base, timeout=GATE_TIMEOUT) as client:
        limited = client.get("/limited")
        boom = client.get("/boom")
        agent_error = client.get("/agent-error")
        with client.stream("GET", "/stream") as response:
            chunks = response.iter_raw()
            assert next(chunks) == b"chunk-1;"
            assert not gate.app_finished.is_set()
            gate.open.set()
            assert b"".join(chunks) == b"chunk-2;"

    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.headers["retry-after"] == "3"
    assert limited.headers["x-request-id"] == "req_star"
    assert limited.json()["request_id"] == "req_star"
    assert limited.json()["code"] == "rate_limit_error"

    assert boom.status_code == 500
    assert "token" not in boom.text
    assert boom.json()["kind"] == "internal"

    assert agent_error.status_code == 501
    assert agent_error.json()["detail"] == "Enable the beta"
    assert agent_error.json()["kind"] == "feature_not_available"


def test_starlette_renders_in_a_providers_format_per_route() -> None:
    app = starlette_app(Gate(), render_as={"/limited": "qoder"})
    with serve(app) as base, httpx.Client(base_url=base, timeout=GATE_TIMEOUT) as client:
        limited = client.get("/limited")
        boom = client.get("/boom")
    assert limited.json() == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "Too fast"},
        "request_id": "req_star",
    }
    assert boom.headers["content-type"] == "application/problem+json"


# --- FastAPI -----------------------------------------------------------------------------------


def test_fastapi_under_a_real_server() -> None:
    api = FastAPI()
    api.add_middleware(ae.ErrorMiddleware, render_as="canonical")

    @api.get("/sessions/{session_id}")
    async def get_session(session_id: str) -> dict[str, str]:
        if session_id == "limited":
            raise HTTPException(429, "Slow down", headers={"Retry-After": "2"})
        return {"id": session_id}

    with serve(api) as base, httpx.Client(base_url=base, timeout=GATE_TIMEOUT) as client:
        ok = client.get("/sessions/s1")
        limited = client.get("/sessions/limited")
        invalid = client.post("/sessions/s1")
    assert ok.json() == {"id": "s1"}
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2"
    error = ae.from_dict(limited.json()["error"])
    assert (error.kind, error.message, error.retry_after) == (ae.Kind.RATE_LIMITED, "Slow down", 2)
    assert invalid.status_code == 405
    assert invalid.json()["error"]["kind"] == "invalid_request"
    assert invalid.headers["allow"] == "GET"  # the app's own headers stay


# --- in process --------------------------------------------------------------------------------


def make_app(status: int, body: bytes, headers: Any = (), chunks: int = 1) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": list(headers)})
        size = max(1, len(body) // chunks)
        parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
        for index, part in enumerate(parts):
            more = index < len(parts) - 1
            await send({"type": "http.response.body", "body": part, "more_body": more})

    return app


async def call(app: Any, path: str = "/", method: str = "GET") -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        return await client.request(method, path)


QODER_404 = json.dumps(
    {"type": "error", "error": {"type": "not_found_error", "message": "No such session"}}
).encode()
JSON = [(b"content-type", b"application/json")]


async def test_success_passes_through_byte_for_byte() -> None:
    body = b'{"error": {"message": "looks like an error but is a 200"}}'
    headers = [*JSON, (b"x-custom", b"1")]
    response = await call(ae.ErrorMiddleware(make_app(200, body, headers, chunks=3)))
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["x-custom"] == "1"
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("render_as", "content_type", "check"),
    [
        ("problem+json", "application/problem+json", lambda d: d["detail"] == "No such session"),
        ("canonical", "application/json", lambda d: d["error"]["kind"] == "not_found"),
        ("qoder", "application/json", lambda d: d["error"]["type"] == "not_found_error"),
        ("generic", "application/json", lambda d: d["error"]["message"] == "No such session"),
    ],
)
async def test_error_rendered_in_each_format(render_as: str, content_type: str, check: Any) -> None:
    app = ae.ErrorMiddleware(make_app(404, QODER_404, JSON, chunks=4), render_as=render_as)
    response = await call(app)
    assert response.status_code == 404
    assert response.headers["content-type"] == content_type
    assert check(response.json())


async def test_statuses_option_limits_what_is_rewritten() -> None:
    app = ae.ErrorMiddleware(make_app(404, QODER_404, JSON), statuses={500, 502})
    response = await call(app)
    assert response.content == QODER_404
    app = ae.ErrorMiddleware(make_app(404, QODER_404, JSON), statuses=lambda s: s == 404)
    assert (await call(app)).headers["content-type"] == "application/problem+json"


async def test_provider_per_route_and_from_upstream_header() -> None:
    # A bare 503 page: the provider hint decides who "said" it.
    def provider_of(response: httpx.Response) -> str:
        return str(response.json()["error"]["provider"])

    inner = make_app(503, b"<html><title>Down</title></html>", [(b"x-upstream", b"qoder")])
    app = ae.ErrorMiddleware(
        inner, render_as="canonical", provider={"/v1/": "generic"}, provider_header="X-Upstream"
    )
    response = await call(app, "/v1/x")
    assert provider_of(response) == "qoder"
    assert "x-upstream" not in response.headers
    app = ae.ErrorMiddleware(
        make_app(503, b"Down"), render_as="canonical", provider={"/v1/": "qoder", "/": "generic"}
    )
    assert provider_of(await call(app, "/v1/x")) == "qoder"
    assert provider_of(await call(app, "/other")) == "generic"
    app = ae.ErrorMiddleware(
        make_app(503, b"Down"), render_as="canonical", provider=lambda s: "qoder"
    )
    assert provider_of(await call(app)) == "qoder"


async def test_on_error_sees_and_may_replace_the_error() -> None:
    seen: list[tuple[ae.CanonicalError, str, BaseException | None]] = []

    def hook(error: ae.CanonicalError, scope: Any, exc: BaseException | None) -> Any:
        seen.append((error, scope["path"], exc))
        return ae.CanonicalError(kind=error.kind, message="Rewritten", status=error.status)

    app = ae.ErrorMiddleware(make_app(404, QODER_404, JSON), on_error=hook)
    response = await call(app, "/sessions/1")
    assert response.json()["detail"] == "Rewritten"
    assert seen[0][0].message == "No such session"
    assert seen[0][1:] == ("/sessions/1", None)


async def test_a_failing_on_error_hook_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    def hook(error: ae.CanonicalError, scope: Any, exc: BaseException | None) -> Any:
        raise RuntimeError

    app = ae.ErrorMiddleware(make_app(404, QODER_404, JSON), on_error=hook)
    response = await call(app)
    assert response.json()["detail"] == "No such session"
    assert "on_error raised" in caplog.text


async def test_body_over_the_cap_is_answered_from_status_and_headers() -> None:
    big = json.dumps({"error": {"message": "x" * 5000, "type": "invalid_request_error"}}).encode()
    headers = [*JSON, (b"retry-after", b"4")]
    app = ae.ErrorMiddleware(make_app(429, big, headers, chunks=10), cap=1024)
    response = await call(app)
    doc = response.json()
    assert response.status_code == 429
    assert doc["kind"] == "rate_limited"  # from the status: the body was never parsed
    assert doc["retry_after"] == 4
    # Nothing of the body is rendered, nor `body_truncated`: it describes that one parse.
    assert "details" not in doc
    assert "xxxx" not in response.text


async def test_one_answer_however_many_chunks_follow_the_cap() -> None:
    sent: list[Any] = []

    async def record(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request"}

    inner = make_app(500, b"x" * 10_000, JSON, chunks=20)
    await ae.ErrorMiddleware(inner, cap=100)({"type": "http", "path": "/"}, receive, record)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 500


async def test_statuses_below_400_are_never_rewritten() -> None:
    app = ae.ErrorMiddleware(make_app(302, b"", [(b"location", b"/x")]), statuses=lambda s: True)
    response = await call(app)
    assert response.status_code == 302
    assert response.headers["location"] == "/x"


async def test_compressed_error_body_is_answered_from_status() -> None:
    body = gzip.compress(QODER_404)
    headers = [*JSON, (b"content-encoding", b"gzip")]
    response = await call(ae.ErrorMiddleware(make_app(404, body, headers)))
    assert response.status_code == 404
    assert response.json()["kind"] == "not_found"
    assert "content-encoding" not in response.headers


async def test_head_request_gets_headers_only() -> None:
    response = await call(ae.ErrorMiddleware(make_app(404, QODER_404, JSON)), method="HEAD")
    assert response.status_code == 404
    assert response.content == b""
    assert response.headers["content-type"] == "application/problem+json"


async def test_exception_after_a_success_started_is_not_hidden() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError

    with pytest.raises(RuntimeError):
        await call(ae.ErrorMiddleware(app))


async def test_exception_after_error_response_started_is_rendered() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 502, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        error = ae.CanonicalError(kind=ae.Kind.TIMEOUT, message="Upstream timed out", status=504)
        raise ae.APITimeoutError(error)

    response = await call(ae.ErrorMiddleware(app))
    assert response.status_code == 504
    assert response.json()["detail"] == "Upstream timed out"


async def test_exception_after_error_response_was_replaced_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": JSON})
        await send({"type": "http.response.body", "body": QODER_404})
        raise RuntimeError

    response = await call(ae.ErrorMiddleware(app))
    assert response.status_code == 404
    assert "after its error response was replaced" in caplog.text


async def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    middleware = ae.ErrorMiddleware(app)
    await middleware({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    await middleware({"type": "websocket"}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan", "websocket"]


def test_options_are_checked_up_front() -> None:
    app = make_app(200, b"")
    with pytest.raises(ValueError, match="unknown format"):
        ae.ErrorMiddleware(app, render_as="nope")
    with pytest.raises(ValueError, match="unknown provider"):
        ae.ErrorMiddleware(app, provider={"/": "nope"})
    with pytest.raises(TypeError):
        ae.ErrorMiddleware(app, render_as=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ae.ErrorMiddleware(app, render_as=None)


async def test_an_unknown_provider_from_upstream_falls_back_to_detection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inner = make_app(404, QODER_404, [*JSON, (b"x-upstream", b"nobody")])
    app = ae.ErrorMiddleware(inner, render_as="canonical", provider_header="x-upstream")
    response = await call(app)
    assert response.json()["error"]["provider"] == "qoder"
    assert "unknown provider 'nobody'" in caplog.text


async def test_a_format_chosen_per_request_that_does_not_exist_falls_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = ae.ErrorMiddleware(make_app(404, QODER_404, JSON), render_as=lambda scope: "nobody")
    response = await call(app)
    assert response.headers["content-type"] == "application/problem+json"
    assert "could not render" in caplog.text


async def test_a_file_sent_as_an_error_body_is_answered_from_its_status() -> None:
    sent: list[Any] = []

    async def record(message: Any) -> None:
        sent.append(message)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 503, "headers": [], "trailers": True})
        await send({"type": "http.response.trailers", "headers": [], "more_trailers": True})
        await send({"type": "http.response.pathsend", "path": "/srv/www/503.html"})
        await send({"type": "http.response.trailers", "headers": []})

    await ae.ErrorMiddleware(app)({"type": "http", "path": "/"}, None, record)  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 503
    assert json.loads(sent[1]["body"])["kind"] == "unavailable"
