"""ErrorMiddleware's overhead, against the bare app, in the same run.

On success responses (passed through: the target is <= 1.05) and on an error response (an
OpenAI-style 429 the middleware reads, normalizes and renders as problem+json: the target is
<= 3x the bare app that sends it, Starlette's being the realistic one).

Each ASGI app is called directly in process (no server, no sockets): a request is one call of
`app(scope, receive, send)` with a no-op `send`. Bare and wrapped apps are timed alternately,
each repeat over the same number of requests, and the table reports medians per request and
their ratio.

    python benchmarks/bench_middleware.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import agent_errors as ae

SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/v1/sessions",
    "raw_path": b"/v1/sessions",
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"gateway.test"), (b"accept", b"application/json")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}
BODY = b'{"id": "sess_123", "status": "running", "agent": "agent_42", "events": []}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]

ERROR_BODY = (
    b'{"error":{"message":"Rate limit reached for requests","type":"requests",'
    b'"param":null,"code":"rate_limit_exceeded"}}'
)
ERROR_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(ERROR_BODY)).encode()),
    (b"retry-after", b"3"),
    (b"x-request-id", b"req_0123456789"),
]


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: Any) -> None:
    return None


async def json_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


async def streaming_app(scope: Any, receive: Any, send: Any) -> None:
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for _ in range(10):
        await send({"type": "http.response.body", "body": b"data: {}\n\n", "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def error_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 429, "headers": ERROR_HEADERS})
    await send({"type": "http.response.body", "body": ERROR_BODY})


def starlette_error_app() -> Any:
    try:
        from starlette.applications import Starlette  # noqa: PLC0415 - optional
        from starlette.responses import Response  # noqa: PLC0415
        from starlette.routing import Route  # noqa: PLC0415
    except ImportError:
        return None

    async def endpoint(request: Any) -> Response:
        headers = {"retry-after": "3", "x-request-id": "req_0123456789"}
        return Response(ERROR_BODY, 429, headers=headers, media_type="application/json")

    return Starlette(routes=[Route("/v1/sessions", endpoint)])


def starlette_app() -> Any:
    try:
        from starlette.applications import Starlette  # noqa: PLC0415 - optional
        from starlette.responses import Response  # noqa: PLC0415
        from starlette.routing import Route  # noqa: PLC0415
    except ImportError:
        return None

    async def endpoint(request: Any) -> Response:
        return Response(BODY, media_type="application/json")

    return Starlette(routes=[Route("/v1/sessions", endpoint)])


def fastapi_app() -> Any:
    try:
        from fastapi import FastAPI  # noqa: PLC0415 - optional
    except ImportError:
        return None

    api = FastAPI()

    @api.get("/v1/sessions")
    async def endpoint() -> dict[str, Any]:
        return {"id": "sess_123", "status": "running", "agent": "agent_42", "events": []}

    return api


async def run(app: Any, requests: int) -> int:
    scope = SCOPE
    started = time.perf_counter_ns()
    for _ in range(requests):
        await app(dict(scope), receive, send)
    return time.perf_counter_ns() - started


def measure(app: Any, wrapped: Any, requests: int, repeats: int) -> tuple[float, float, float]:
    """Return median ns per request (bare, wrapped) and the median of the paired ratios."""
    loop = asyncio.new_event_loop()
    gc.disable()  # a collection landing in one run and not the other is noise, not overhead
    try:
        loop.run_until_complete(run(app, requests // 10))  # warm up both
        loop.run_until_complete(run(wrapped, requests // 10))
        bare: list[float] = []
        with_mw: list[float] = []
        for _ in range(repeats):
            bare.append(loop.run_until_complete(run(app, requests)) / requests)
            with_mw.append(loop.run_until_complete(run(wrapped, requests)) / requests)
            gc.collect()
    finally:
        gc.enable()
        loop.close()
    ratios = [w / b for w, b in zip(with_mw, bare, strict=True)]
    return statistics.median(bare), statistics.median(with_mw), statistics.median(ratios)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    requests, repeats = (2_000, 5) if args.quick else (20_000, 15)

    cases: list[tuple[str, Callable[[], Any]]] = [
        ("bare ASGI, JSON 200", lambda: json_app),
        ("bare ASGI, SSE 200 (11 messages)", lambda: streaming_app),
        ("Starlette, JSON 200", starlette_app),
        ("FastAPI, JSON 200", fastapi_app),
        ("bare ASGI, JSON 429 (rewritten)", lambda: error_app),
        ("Starlette, JSON 429 (rewritten)", starlette_error_app),
    ]
    print(f"{requests} requests x {repeats} repeats; medians per request; ratio = wrapped / bare")
    print(f"{'case':<34} {'bare ns':>10} {'middleware ns':>14} {'ratio':>7} {'added ns':>9}")
    for name, factory in cases:
        app = factory()
        if app is None:
            print(f"{name:<34} (skipped: not installed)")
            continue
        bare, wrapped, ratio = measure(app, ae.ErrorMiddleware(app), requests, repeats)
        added = wrapped - bare
        print(f"{name:<34} {bare:>10.0f} {wrapped:>14.0f} {ratio:>7.3f} {added:>9.0f}")


if __name__ == "__main__":
    main()
