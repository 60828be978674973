"""The four speed targets of issue 10, measured side by side in one run, with a verdict each.

1. `normalize_parts`, auto-detected, on the four seed formats (the cases of
   `bench_normalize.py`): median ratio to `json.loads` of the same body, target <= 2.5x.
2. `RetryPolicy().decide(normalize(response), attempt=1, method="GET")` on an OpenAI-style 429
   from an unmapped host, against the openai SDK's own error path on the same `httpx.Response`
   objects (`_make_status_error_from_response`, `_should_retry`, `_calculate_retry_timeout`):
   target at least 2x faster. Skipped, with a line saying so, when openai is not installed
   (`pip install '.[bench]'`).
3. `RetryTransport` on 2xx over the bare transport, both around the same `httpx.MockTransport`
   so that only our overhead is measured: target <= 5 % slower.
4. `ErrorMiddleware` on an error response against the same ASGI app without it, called
   directly in process (no server, no sockets): target <= 3x.

Every comparison alternates baseline and subject within the run, so the ratios do not depend
on the machine; medians over repeats. `--quick` is a smoke run (CI, and the test suite, which
checks that the harness works and never looks at the times).

    python benchmarks/bench_targets.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

import agent_errors as ae
from agent_errors import normalize_parts
from agent_errors._core import _json

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _floor import minimal_qoder
from bench_normalize import CASES

NORMALIZE_TARGET = 2.5  # normalize_parts / json.loads, at most
SDK_TARGET = 2.0  # openai SDK / ours, at least
TRANSPORT_TARGET = 1.05  # RetryTransport / bare, at most
MIDDLEWARE_TARGET = 3.0  # with ErrorMiddleware / bare app, at most

Row = tuple[str, float, float, float, str, bool]  # name, base µs, ours µs, ratio, target, met


def _per_call_ns(func: Callable[[], object], number: int) -> float:
    start = time.perf_counter_ns()
    for _ in range(number):
        func()
    return (time.perf_counter_ns() - start) / number


def _calibrate(func: Callable[[], object], budget_ns: float) -> int:
    """How many calls of `func` take about `budget_ns`."""
    number = 1
    while True:
        start = time.perf_counter_ns()
        for _ in range(number):
            func()
        spent = time.perf_counter_ns() - start
        if spent >= budget_ns / 4 or number >= 1 << 20:
            return max(1, int(number * budget_ns / max(1, spent)))
        number *= 2


def _interleaved(
    base: Callable[[], object], subject: Callable[[], object], repeats: int, budget_ns: float
) -> tuple[float, float, float]:
    """Median ns per call of each, and the median of the paired ratios subject / base."""
    n_base, n_subject = _calibrate(base, budget_ns), _calibrate(subject, budget_ns)
    bases: list[float] = []
    subjects: list[float] = []
    enabled = gc.isenabled()
    gc.disable()  # a collection landing in one side and not the other is noise
    try:
        for index in range(repeats):
            if index % 2 == 0:  # alternate the order: drift hits both alike
                bases.append(_per_call_ns(base, n_base))
                subjects.append(_per_call_ns(subject, n_subject))
            else:
                subjects.append(_per_call_ns(subject, n_subject))
                bases.append(_per_call_ns(base, n_base))
            gc.collect()
    finally:
        if enabled:
            gc.enable()
    ratios = [s / b for s, b in zip(subjects, bases, strict=True)]
    return statistics.median(bases), statistics.median(subjects), statistics.median(ratios)


# 1. normalize_parts vs json.loads ---------------------------------------------------------------


def target_normalize(repeats: int, budget_ns: float) -> tuple[list[Row], Row]:
    """One row per seed case, and the verdict row (the median of their ratios)."""
    rows: list[Row] = []
    for name, status, headers, body in CASES:
        error = normalize_parts(status, headers, body)
        assert error is not None, name
        assert error.provider != "generic", (name, error.provider)  # auto-detected

        def base(body: bytes = body) -> object:
            return json.loads(body)

        def subject(
            status: int | None = status, headers: Any = headers, body: bytes = body
        ) -> object:
            return normalize_parts(status, headers, body)

        b, s, ratio = _interleaved(base, subject, repeats, budget_ns)
        rows.append(
            (
                f"  {name} ({error.provider})",
                b,
                s,
                ratio,
                f"<= {NORMALIZE_TARGET}",
                ratio <= NORMALIZE_TARGET,
            )
        )
    ratio = statistics.median(row[3] for row in rows)
    verdict = (
        "normalize_parts / json.loads (median)",
        statistics.median(row[1] for row in rows),
        statistics.median(row[2] for row in rows),
        ratio,
        f"<= {NORMALIZE_TARGET}",
        ratio <= NORMALIZE_TARGET,
    )
    return rows, verdict


def floor_row(repeats: int, budget_ns: float) -> Row:
    """The hand-written minimal Qoder pass (`_floor.py`) against `json.loads`, for reference.

    Not a target: the least any normalizer can cost here, with the same result asserted.
    """
    name, status, headers, body = CASES[0]
    assert status is not None
    expected = normalize_parts(status, headers, body)
    assert minimal_qoder(status, headers, body) == expected, name

    def base() -> object:
        return json.loads(body)

    def subject() -> object:
        return minimal_qoder(status, headers, body)

    b, s, ratio = _interleaved(base, subject, repeats, budget_ns)
    return (f"  floor: hand-written pass, {name}", b, s, ratio, "info", True)


# 2. normalize + decide vs the openai SDK's error path ------------------------------------------

OPENAI_429_BODY = (
    b'{"error":{"message":"Rate limit reached for requests. Please try again in 20s.",'
    b'"type":"rate_limit_error","code":"rate_limit_exceeded"}}'
)


def openai_429() -> httpx.Response:
    """An OpenAI-style 429 from a host no adapter maps, with Retry-After and a request id."""
    request = httpx.Request("GET", "https://llm.example.net/v1/chat/completions")
    return httpx.Response(
        429,
        headers={
            "content-type": "application/json",
            "retry-after": "20",
            "x-request-id": "req_5f0c2d9e8b7a4c31",
        },
        content=OPENAI_429_BODY,
        request=request,
    )


def target_sdk(repeats: int, number: int) -> Row | None:
    """The openai SDK's error path and ours on the same fresh responses; None without openai."""
    try:
        import openai  # noqa: PLC0415 - optional: the `bench` extra
        from openai._models import FinalRequestOptions  # noqa: PLC0415
    except ImportError:
        return None
    client = openai.OpenAI(api_key="sk-bench", base_url="http://127.0.0.1:9/v1", max_retries=2)
    options = FinalRequestOptions.construct(method="get", url="/chat/completions")
    policy = ae.RetryPolicy()

    def ours(responses: Sequence[httpx.Response]) -> None:
        for response in responses:
            error = ae.normalize(response)
            assert error is not None
            policy.decide(error, attempt=1, method="GET")

    def theirs(responses: Sequence[httpx.Response]) -> None:
        for response in responses:
            client._make_status_error_from_response(response)
            if client._should_retry(response):
                client._calculate_retry_timeout(2, options, response.headers)

    assert ae.provider_for_host(openai_429().request.url.host) is None  # unmapped, as asked
    check = ae.normalize(openai_429())
    assert check is not None
    assert check.kind is ae.Kind.RATE_LIMITED, check.kind
    assert check.retry_after == 20.0, check.retry_after
    assert policy.decide(check, attempt=1, method="GET").retry
    ours([openai_429() for _ in range(max(10, number // 10))])  # warm up both
    theirs([openai_429() for _ in range(max(10, number // 10))])
    our_times: list[float] = []
    their_times: list[float] = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for index in range(repeats):
            # Fresh objects for each side: neither reuses what the other parsed or cached.
            mine, yours = (
                [openai_429() for _ in range(number)],
                [openai_429() for _ in range(number)],
            )
            order = [(ours, mine, our_times), (theirs, yours, their_times)]
            for run, responses, times in order if index % 2 == 0 else order[::-1]:
                start = time.perf_counter_ns()
                run(responses)
                times.append((time.perf_counter_ns() - start) / number)
            del mine, yours
            gc.collect()
    finally:
        if enabled:
            gc.enable()
    ratios = [t / o for t, o in zip(their_times, our_times, strict=True)]
    ratio = statistics.median(ratios)
    return (
        "openai SDK / (normalize + decide), 429",
        statistics.median(their_times),
        statistics.median(our_times),
        ratio,
        f">= {SDK_TARGET}",
        ratio >= SDK_TARGET,
    )


# 3. RetryTransport on 2xx ----------------------------------------------------------------------


def target_transport(repeats: int, budget_ns: float) -> Row:
    """A GET answered 200 through the bare MockTransport and through RetryTransport around it."""
    mock = httpx.MockTransport(lambda request: httpx.Response(200, content=b'{"ok":true}'))
    wrapped = ae.RetryTransport(mock)
    request = httpx.Request("GET", "https://api.example.com/v1/things")

    def through(transport: httpx.BaseTransport) -> Callable[[], object]:
        def call() -> object:
            response = transport.handle_request(request)
            response.read()
            response.close()
            return response

        return call

    assert through(wrapped)().status_code == 200  # type: ignore[attr-defined]
    b, s, ratio = _interleaved(through(mock), through(wrapped), repeats, budget_ns)
    return (
        "RetryTransport / bare transport, 2xx",
        b,
        s,
        ratio,
        f"<= {TRANSPORT_TARGET}",
        ratio <= TRANSPORT_TARGET,
    )


# 4. ErrorMiddleware on an error response ------------------------------------------------------

SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/v1/sessions",
    "raw_path": b"/v1/sessions",
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"gateway.test"), (b"content-type", b"application/json")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}
ERROR_BODY = b'{"error": {"code": "RATE_LIMITED", "message": "Rate limit exceeded"}}'
ERROR_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(ERROR_BODY)).encode()),
    (b"retry-after", b"30"),
]


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Any) -> None:
    return None


async def error_app(scope: Any, receive: Any, send: Any) -> None:
    """A bare ASGI app that answers every request with a 429 in its own JSON format."""
    await send({"type": "http.response.start", "status": 429, "headers": ERROR_HEADERS})
    await send({"type": "http.response.body", "body": ERROR_BODY})


def starlette_error_app() -> Any:
    """The same 429 from a Starlette endpoint; None when Starlette is not installed."""
    try:
        from starlette.applications import Starlette  # noqa: PLC0415 - optional
        from starlette.responses import Response  # noqa: PLC0415
        from starlette.routing import Route  # noqa: PLC0415
    except ImportError:
        return None

    async def endpoint(request: Any) -> Response:
        return Response(
            ERROR_BODY,
            status_code=429,
            media_type="application/json",
            headers={"retry-after": "30"},
        )

    return Starlette(routes=[Route("/v1/sessions", endpoint, methods=["POST"])])


async def _requests(app: Any, count: int) -> int:
    start = time.perf_counter_ns()
    for _ in range(count):
        await app(dict(SCOPE), _receive, _send)
    return time.perf_counter_ns() - start


def _middleware_row(name: str, app: Any, requests: int, repeats: int) -> Row:
    wrapped = ae.ErrorMiddleware(app)
    seen: list[Any] = []

    async def record(message: Any) -> None:
        seen.append(message)

    loop = asyncio.new_event_loop()
    enabled = gc.isenabled()
    try:
        loop.run_until_complete(wrapped(dict(SCOPE), _receive, record))
        assert seen[0]["status"] == 429, seen  # rewritten, still a 429
        assert dict(seen[0]["headers"])[b"content-type"] == b"application/problem+json", seen
        loop.run_until_complete(_requests(app, max(10, requests // 10)))  # warm up both
        loop.run_until_complete(_requests(wrapped, max(10, requests // 10)))
        gc.disable()
        bare: list[float] = []
        ours: list[float] = []
        for index in range(repeats):
            pair = [(app, bare), (wrapped, ours)]
            for subject, times in pair if index % 2 == 0 else pair[::-1]:
                times.append(loop.run_until_complete(_requests(subject, requests)) / requests)
            gc.collect()
    finally:
        if enabled:
            gc.enable()
        loop.close()
    ratio = statistics.median(o / b for o, b in zip(ours, bare, strict=True))
    return (
        name,
        statistics.median(bare),
        statistics.median(ours),
        ratio,
        f"<= {MIDDLEWARE_TARGET}",
        ratio <= MIDDLEWARE_TARGET,
    )


def target_middleware(requests: int, repeats: int) -> list[Row]:
    """ErrorMiddleware around a bare ASGI app, and around a Starlette app (when installed)."""
    rows = [_middleware_row("ErrorMiddleware / bare ASGI app, 429", error_app, requests, repeats)]
    starlette = starlette_error_app()
    if starlette is not None:
        rows.append(
            _middleware_row("ErrorMiddleware / Starlette app, 429", starlette, requests, repeats)
        )
    return rows


# the table -------------------------------------------------------------------------------------


def _print(rows: Sequence[Row], width: int) -> None:
    for name, base, subject, ratio, target, met in rows:
        verdict = "" if name.startswith("  ") else ("PASS" if met else "MISS")
        print(
            f"{name:<{width}} {base / 1000:>9.2f} {subject / 1000:>9.2f} {ratio:>7.2f}x "
            f"{target:<8} {verdict}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the four targets and print one table; returns 0 (times are never asserted)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    if args.quick:
        repeats, budget_ns, sdk_number, requests = 3, 2e6, 200, 300
    else:
        repeats, budget_ns, sdk_number, requests = 21, 40e6, 2000, 10_000

    print(
        f"issue 10 speed targets  (agent-errors {ae.__version__}, Python {sys.version.split()[0]}, "
        f"JSON backend {_json.BACKEND}, {'quick' if args.quick else 'full'} run: "
        f"median of {repeats})"
    )
    width = 42
    print(f"{'measure':<{width}} {'base µs':>9} {'ours µs':>9} {'ratio':>8} {'target':<8} verdict")
    cases, verdict = target_normalize(repeats, budget_ns)
    _print([*cases, verdict, floor_row(repeats, budget_ns)], width)
    sdk = target_sdk(repeats, sdk_number)
    if sdk is None:
        print(
            f"{'openai SDK / (normalize + decide), 429':<{width}} skipped: openai not installed "
            "(pip install '.[bench]')"
        )
    else:
        _print([sdk], width)
    _print([target_transport(repeats, budget_ns)], width)
    _print(target_middleware(requests, repeats), width)
    print(
        "(base = json.loads / the openai SDK / the bare transport / the bare app; for the SDK "
        "row the ratio is base / ours)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
