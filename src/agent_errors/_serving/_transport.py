"""httpx transports that retry per the engine: `RetryTransport` and `AsyncRetryTransport`.

The whole retry flow is one I/O-free generator (`RetryFlow.run`), like httpx's `Auth.auth_flow`: it
yields operations (send, inspect an error response, close, sleep, store calls) and the thin sync
and async shells carry them out. The one shortcut, and all the two shells mirror: each shell
carries out a request's first attempt itself (`RetryFlow.begin`, the store's cooldown, the send,
the budget refund, `RetryFlow.first`), the same steps `run` would yield, and starts `run` only
when the scope cools down or that attempt failed, handing it what it already has. They take
`begin`'s answer as a plain tuple (`RetryFlow.resolve`), and a success without an idempotency
key gets its route's shared first-try record without `first`: most requests make no `Plan`.

What the flow guarantees:

- a response below 400 is passed through untouched and unread (a stream stays a stream);
- an error response is read only as far as the view's cap (decoded with an output bound, at most
  the cap plus 64 KiB of raw bytes, whatever Content-Length says) and for at most `read_deadline`
  seconds, to decide on it; it is closed unread past that when it is discarded, and when it is
  the one returned the caller still reads the whole body as a stream (what was read, then the
  rest; a stream that broke midway raises its own httpx error after the bytes that arrived);
- a request is re-sent only when the engine says so, and never once its response was handed over
  (an established stream is never re-sent: that is the caller's to resume);
- writes to providers that honour an idempotency header get one, the same on every retry;
- every attempt's decision is recorded on the response
  (`response.extensions["agent_errors.retry"]`), logged on the `agent_errors` logger and
  passed to `on_retry`;
- a scope (provider and host, or route with ``cooldown_scope="route"``) that a server asked to
  wait (`shared_cooldown`: a throttled or unavailable server, with a header or body-field hint;
  never message text nor a non-retryable error) is waited for before sending, when
  the wait fits the policy's `max_server_delay` and deadline; otherwise the request is not sent
  and the caller gets a 429 made here (`rate_limited`, `Retry-After` = the time left, and
  `response.extensions["agent_errors.cooldown"]`), with `RetryRecord.attempts` counting only
  what was sent.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple

import attrs
import httpx

from agent_errors._core._escape import LOG_FIELD_LIMIT, escape_text
from agent_errors._core._json import dumps
from agent_errors._core._model import CanonicalError
from agent_errors._core._reading import DEFAULT_READ_DEADLINE, check_deadline
from agent_errors._core._testing_mode import is_testing
from agent_errors._parsing._network import error_from_exception
from agent_errors._parsing._normalize import headers_only, normalize_view
from agent_errors._parsing._registry import BUILTIN_ADAPTERS, provider_for_host
from agent_errors._parsing._view import ResponseView
from agent_errors._retrying._flow import in_testing_mode
from agent_errors._retrying._retry import IDEMPOTENCY_HEADERS, PROFILE_NAMES, Decision, RetryPolicy
from agent_errors._retrying._store import (
    MemoryStore,
    Store,
    credential_fingerprint,
    route_of,
    shared_cooldown,
)

from . import _telemetry

__all__ = [
    "COOLDOWN_EXTENSION",
    "EXTENSION",
    "SEND",
    "AsyncRetryTransport",
    "Close",
    "Cooldown",
    "Deposit",
    "Extend",
    "Inspect",
    "Plan",
    "RetryFlow",
    "RetryRecord",
    "RetryTransport",
    "Send",
    "Sleep",
    "Step",
    "Withdraw",
]

EXTENSION: Final = "agent_errors.retry"
"""The key of the `RetryRecord` in `response.extensions`."""
COOLDOWN_EXTENSION: Final = "agent_errors.cooldown"
"""Set, to the seconds left, on a 429 the transport made itself because the scope cools down."""
_CREDENTIAL_HEADERS: Final = ("authorization", "x-api-key", "api-key")

_logger = logging.getLogger("agent_errors")
_READ_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_MAX_ROUTES: Final = 1024
_MAX_CACHED_PATH: Final = 256
_FIRST_TRY: dict[str | None, RetryRecord] = {}  # the one record every first-try success shares


@attrs.frozen
class RetryRecord:
    """What the transport did for one request, attached to the response it returned.

    Attributes:
        attempts: How many times the request was sent.
        decisions: The decision taken after each failed attempt, in order.
        idempotency_key: The idempotency key the request carried (added or the caller's).
        provider: The provider whose rules applied, when known.
    """

    attempts: int
    decisions: tuple[Decision, ...] = ()
    idempotency_key: str | None = None
    provider: str | None = None


_PROFILE_ONLY: Final = PROFILE_NAMES - frozenset(BUILTIN_ADAPTERS)
OnRetry = Callable[[Decision, httpx.Request], object]
CooldownScope = Literal["host", "route"]
_COOLDOWN_SCOPES: Final = ("host", "route")


# The steps the flow yields. Each shell carries them out and sends back the answer named on
# each; nothing else does I/O. The constant ones are built once (`SEND`) or once per route (its
# Cooldown and Deposit), so a 2xx allocates no step at all.


@dataclass(frozen=True, slots=True)
class Send:
    """Send the flow's request through the wrapped transport.

    -> `httpx.Response | httpx.TransportError`. Always the one request the flow was started
    with (the same object on every attempt, its idempotency key set once), so the step carries
    nothing: it is the constant `SEND`.
    """


SEND: Final = Send()


@dataclass(frozen=True, slots=True)
class Cooldown:
    """Ask the store how long `scope` still cools down -> seconds (float)."""

    scope: str


@dataclass(frozen=True, slots=True)
class Deposit:
    """Put `amount` tokens back in `scope`'s retry budget (of `capacity`) -> None."""

    scope: str
    amount: float
    capacity: float


@dataclass(frozen=True, slots=True)
class Inspect:
    """Read an error response (to the cap) and normalize it -> `CanonicalError | None`."""

    response: httpx.Response
    provider: str | None


@dataclass(frozen=True, slots=True)
class Close:
    """Close a response that is discarded for a retry -> None."""

    response: httpx.Response


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait `seconds` -> None."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Withdraw:
    """Take `cost` tokens from `scope`'s retry budget (of `capacity`) -> bool (allowed)."""

    scope: str
    cost: float
    capacity: float


@dataclass(frozen=True, slots=True)
class Extend:
    """Make `scope` cool down for at least `seconds` more -> float (seconds now left)."""

    scope: str
    seconds: float


Step = Send | Cooldown | Deposit | Inspect | Close | Sleep | Withdraw | Extend
"""Everything the flow may yield."""


class Plan(NamedTuple):
    """What applies to one request, resolved once before its first attempt (`RetryFlow.begin`).

    Attributes:
        route: The provider, policy and store scopes of the request's host.
        key: The idempotency key the request carries (added or the caller's), or None.
        start: The clock's reading when the request began (for the policy's deadline).
    """

    route: _Route
    key: str | None
    start: float


def _replayable(request: httpx.Request) -> bool:
    try:
        request.content  # noqa: B018 - raises RequestNotRead for a one-shot stream body
    except httpx.RequestNotRead:
        return False
    return True


def _credential(request: httpx.Request) -> str | None:
    for name in _CREDENTIAL_HEADERS:
        value: str | None = request.headers.get(name)
        if value:
            return value
    return None


def _cooldown_response(request: httpx.Request, left: float) -> httpx.Response:
    # What the upstream would say, in the envelope every adapter reads (kind rate_limited,
    # retry_after = the time left), so callers handle it like any other 429. Whole
    # milliseconds, rounded up, so the header and the extension say the same.
    left = math.ceil(left * 1000) / 1000
    body = {
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": f"{request.url.host} is cooling down; retry after {left:.3f}s "
            "(not sent: a server asked this scope to wait)",
        },
    }
    return httpx.Response(
        429,
        headers={
            "content-type": "application/json",
            "retry-after": str(math.ceil(left)),
            "retry-after-ms": str(round(left * 1000)),
        },
        content=dumps(body),
        request=request,
        extensions={COOLDOWN_EXTENSION: left},
    )


RETRY_EVENT: Final = "agent_errors.retry"
"""The event name of the log record for a decision to retry."""
GIVE_UP_EVENT: Final = "agent_errors.give_up"
"""The event name of the log record for a decision not to retry."""


def _log(decision: Decision, request: httpx.Request, provider: str | None) -> None:
    if not _logger.isEnabledFor(logging.INFO):
        return
    url = request.url
    # Scheme, host, port and path only: credentials hide in user-info and query strings. The
    # path stays percent-encoded (a decoded `%0D%0A` would end the line), and every value from
    # the request or the response is escaped.
    port = f":{url.port}" if url.port is not None else ""
    path = url.raw_path.split(b"?", 1)[0].decode("ascii", "replace")
    host = escape_text(url.host, limit=LOG_FIELD_LIMIT)
    path = escape_text(path, limit=LOG_FIELD_LIMIT)
    method = escape_text(request.method, limit=32)
    where = f"{escape_text(url.scheme, limit=32)}://{host}{port}{path}"
    request_id = decision.request_id
    extra = {
        "event": RETRY_EVENT if decision.retry else GIVE_UP_EVENT,
        "method": method,
        "host": host,
        "path": path,
        "attempt": decision.attempt,
        "delay": decision.delay,
        "reason": decision.reason,
        "kind": decision.kind.value,
        "request_id": None if request_id is None else escape_text(request_id, limit=256),
        "provider": None if provider is None else escape_text(provider, limit=LOG_FIELD_LIMIT),
    }
    if decision.retry:
        _logger.info(
            "retrying %s %s in %.2fs after attempt %d (%s, %s)",
            method,
            where,
            decision.delay,
            decision.attempt,
            decision.kind.value,
            decision.reason,
            extra=extra,
        )
    else:
        _logger.info(
            "not retrying %s %s after attempt %d (%s, %s)",
            method,
            where,
            decision.attempt,
            decision.kind.value,
            decision.reason,
            extra=extra,
        )


def _first_try(provider: str | None) -> RetryRecord:
    """The one record every first-try success without an idempotency key shares."""
    record = _FIRST_TRY.get(provider)
    if record is None:
        record = _FIRST_TRY[provider] = RetryRecord(1, (), None, provider)
    return record


class _Route:
    """Where a host's requests go: provider, policy, store scope, and the constant operations.

    `scope` keys the retry budget; `cooldown_scope` the cooldown (the same, or narrowed to a route).
    """

    __slots__ = (
        "cooldown",
        "cooldown_scope",
        "deposit",
        "first_try",
        "policy",
        "provider",
        "scope",
    )

    def __init__(
        self, provider: str | None, policy: RetryPolicy, scope: str, cooldown_scope: str = ""
    ) -> None:
        self.provider = provider
        self.policy = policy
        self.scope = scope
        self.cooldown_scope = cooldown_scope or scope
        self.cooldown = Cooldown(self.cooldown_scope)
        budget = policy.budget
        self.deposit = None if budget is None else Deposit(scope, budget.refund, budget.capacity)
        self.first_try = _first_try(provider)


class RetryFlow:
    """The retry flow shared by both transports: configuration plus the `run` generator.

    I/O-free: `run(request)` yields `Step`s and is sent each one's answer; the transports'
    shells carry the steps out. Drive it by hand to test the flow without a transport.
    """

    def __init__(
        self,
        *,
        policy: RetryPolicy | None,
        provider: str | None,
        clock: Callable[[], float],
        on_retry: OnRetry | None,
        scope_by_credential: bool = False,
        cooldown_scope: CooldownScope = "host",
    ) -> None:
        if cooldown_scope not in _COOLDOWN_SCOPES:
            raise ValueError(f"cooldown_scope must be 'host' or 'route', got {cooldown_scope!r}")
        self.policy = policy
        self.scope_by_credential = scope_by_credential
        self.by_route = cooldown_scope == "route"
        # A read's plan is then its host's route alone (`resolve`'s short path).
        self.plain = not scope_by_credential and not self.by_route
        self.provider = provider
        # A provider with a profile but no adapter (`openai`) leaves the format to detection.
        self.adapter = None if provider in _PROFILE_ONLY else provider
        self.clock = clock
        self.on_retry = on_retry
        self.routes: dict[str, _Route] = {}
        self.credential_routes: dict[str, _Route] = {}
        self.path_routes: dict[tuple[str, str], _Route] = {}

    def route(self, host: str) -> _Route:
        """Return the provider, policy and store scope for a host, cached per transport."""
        route = self.routes.get(host)
        if route is None:
            provider = self.provider
            if provider is None:
                # The host says who the provider is, and so whose profile applies.
                provider = provider_for_host(host)
            policy = self.policy or RetryPolicy.for_provider(provider)
            if len(self.routes) >= _MAX_ROUTES:  # a proxy to endless hosts must not grow forever
                self.routes.clear()
            route = self.routes[host] = _Route(provider, policy, f"{provider or 'generic'}:{host}")
        return route

    def credential_route(self, route: _Route, credential: str) -> _Route:
        """Return `route` narrowed to one credential: its scope gains the credential's hash."""
        scope = f"{route.scope}:{credential_fingerprint(credential)}"
        narrowed = self.credential_routes.get(scope)
        if narrowed is None:
            if len(self.credential_routes) >= _MAX_ROUTES:
                self.credential_routes.clear()
            narrowed = self.credential_routes[scope] = _Route(route.provider, route.policy, scope)
        return narrowed

    def path_route(self, route: _Route, path: str) -> _Route:
        """Return `route` with its cooldown narrowed to the path's route (`route_of`)."""
        narrowed = self.path_routes.get((route.scope, path))
        if narrowed is None:
            cooldown_scope = f"{route.scope}:{route_of(path)}"
            narrowed = _Route(route.provider, route.policy, route.scope, cooldown_scope)
            if len(path) <= _MAX_CACHED_PATH:  # the cache holds paths: long ones stay out
                if len(self.path_routes) >= _MAX_ROUTES:
                    self.path_routes.clear()
                self.path_routes[route.scope, path] = narrowed
        return narrowed

    def begin(self, request: httpx.Request) -> Plan:
        """Resolve what applies to `request` (route, idempotency key) and start its clock.

        Sets the idempotency key on a write that needs one, once: every attempt re-sends the
        same request object.
        """
        return Plan(*self.resolve(request))

    def resolve(self, request: httpx.Request) -> tuple[_Route, str | None, float]:
        """`begin` as a plain tuple, for the shells: most requests never need their `Plan`."""
        if self.plain and request.method in _READ_METHODS:
            # A read in a host-wide scope (the default): its host's route, and no key.
            host = request.url.host
            return self.routes.get(host) or self.route(host), None, self.clock()
        route = self.route(request.url.host)
        if self.scope_by_credential:
            credential = _credential(request)
            if credential:
                route = self.credential_route(route, credential)
        if self.by_route:
            route = self.path_route(route, request.url.path)
        method = request.method
        key = None if method in _READ_METHODS else self._idempotency_key(request, route.policy)
        return route, key, self.clock()

    def first(self, plan: Plan, response: httpx.Response) -> httpx.Response:
        """Return a first attempt's success (below 400) with its record; the shell deposits.

        What `run` does when its first `SEND` is answered so, for the shells' fast path: they
        ask the store for the cooldown and send the first attempt themselves, and start `run`
        only when the scope cools down or the attempt failed.
        """
        return self._finish(response, 1, [], plan.key, plan.route.provider)

    def run(
        self,
        request: httpx.Request,
        plan: Plan | None = None,
        *,
        wait: float | None = None,
        sent: httpx.Response | httpx.TransportError | None = None,
    ) -> Generator[Step, Any, httpx.Response]:
        """Send `request` until it succeeds or the engine says stop; return the last response.

        `plan` is what `begin` returned (by default `run` begins itself). A shell that already
        asked the store for the cooldown passes its answer as `wait`; one that already sent the
        first attempt (the scope was not cooling down) passes what came back as `sent`.

        Raises the last transport exception when the final attempt got no response.
        """
        if plan is None:
            plan = self.begin(request)
        route, key, start = plan.route, plan.key, plan.start
        provider, policy, scope = route.provider, route.policy, route.scope
        method = request.method
        budget = policy.budget
        clock = self.clock
        decisions: list[Decision] = []
        attempt = 0
        while True:
            if attempt == 0 and sent is not None:
                result: Any = sent
            else:
                if attempt == 0:
                    # Before the first attempt only: a retry's own delay already covers the
                    # server's.
                    if wait is None:
                        wait = yield route.cooldown
                    if wait > 0 and not is_testing():
                        ceiling = policy.max_server_delay
                        late = (
                            policy.deadline is not None and clock() - start + wait > policy.deadline
                        )
                        # Another request in this scope was told to wait: honour it, within
                        # the same ceiling a server's own delay gets. Beyond that, answer at
                        # once without sending: the upstream would only refuse, and each
                        # refusal adds to its load.
                        if late or (ceiling is not None and wait > ceiling):
                            _telemetry.record_cooldown("refused", provider)
                            refused = _cooldown_response(request, wait)
                            return self._finish(refused, attempt, decisions, key, provider)
                        yield Sleep(wait)
                result = yield SEND
            attempt += 1
            exc: httpx.TransportError | None = None
            response: httpx.Response | None = None
            if isinstance(result, httpx.Response):
                response = result
                if response.status_code < 400:
                    if route.deposit is not None:
                        yield route.deposit
                    return self._finish(response, attempt, decisions, key, provider)
                error: CanonicalError | None = yield Inspect(response, self.adapter)
                if error is None:
                    return self._finish(response, attempt, decisions, key, provider)
            else:
                exc = result
                error = error_from_exception(result, provider=provider or "generic", method=method)
            _telemetry.record_error(error)
            decision = in_testing_mode(
                policy.decide(
                    error,
                    attempt=attempt,
                    method=method,
                    idempotency_key=key,
                    elapsed=clock() - start,
                )
            )
            if decision.retry and not _replayable(request):
                decision = decision.refuse("body_not_replayable")
            if decision.retry and budget is not None:
                allowed = yield Withdraw(scope, budget.cost(error), budget.capacity)
                if not allowed:
                    decision = decision.refuse("budget_exhausted")
            decisions.append(decision)
            _log(decision, request, provider)
            _telemetry.record_decision(decision)
            shared = shared_cooldown(error)
            if shared:
                # Everyone sharing this scope waits too, not only this request.
                _telemetry.record_cooldown("set", provider)
                yield Extend(route.cooldown_scope, shared)
            if not decision.retry:
                if response is not None:
                    return self._finish(response, attempt, decisions, key, provider)
                assert exc is not None
                raise exc
            if self.on_retry is not None:
                self.on_retry(decision, request)
            if response is not None:
                yield Close(response)
            if decision.delay > 0:
                yield Sleep(decision.delay)

    @staticmethod
    def _idempotency_key(request: httpx.Request, policy: RetryPolicy) -> str | None:
        headers = request.headers
        for name in IDEMPOTENCY_HEADERS:
            value: str | None = headers.get(name)
            if value:
                return value
        header = policy.idempotency_header
        if header is None:
            return None
        key = str(uuid.uuid4())
        headers[header] = key  # set once: every retry re-sends this same request object
        return key

    @staticmethod
    def _finish(
        response: httpx.Response,
        attempts: int,
        decisions: list[Decision],
        key: str | None,
        provider: str | None,
    ) -> httpx.Response:
        if attempts == 1 and not decisions and key is None:
            record = _first_try(provider)
        else:
            record = RetryRecord(attempts, tuple(decisions), key, provider)
        response.extensions[EXTENSION] = record
        return response


class RetryTransport(httpx.BaseTransport):
    """An httpx transport that retries per `RetryPolicy`, wrapping any other transport.

    ```python
    client = httpx.Client(transport=ae.RetryTransport(provider="qoder"))
    ```

    Args:
        transport: The transport to wrap (default: a new `httpx.HTTPTransport`).
        policy: The rules (default: the provider's, from `RetryPolicy.for_provider`).
        provider: The provider's adapter name; by default found from the request host.
        sleep: Called with the seconds to wait (default `time.sleep`).
        store: Where cooldowns and the retry budget live (default: a `MemoryStore` of its own;
            share one `MemoryStore` between transports, or a `RedisStore` across a fleet).
        clock: Monotonic seconds, for the deadline (default `time.monotonic`).
        on_retry: Called with the `Decision` and the request before each retry's wait.
        scope_by_credential: Keep cooldowns and budgets per credential too: the scope gains a
            fingerprint (a hash, never the credential) of the request's ``Authorization``,
            ``X-Api-Key`` or ``Api-Key`` header.
        read_deadline: Seconds allowed for reading an error body to decide on it (default 5;
            None: no deadline), after which the error is classified from what arrived.
        cooldown_scope: ``"host"`` (default): a cooldown holds every request to the host (and
            credential); ``"route"``: only requests to the same route, the path with id-like
            segments collapsed (`route_of`). The retry budget stays per host either way.

    Raises:
        ValueError: `read_deadline` is neither None nor a positive number, or
            `cooldown_scope` is neither ``"host"`` nor ``"route"``.
    """

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        *,
        policy: RetryPolicy | None = None,
        provider: str | None = None,
        sleep: Callable[[float], object] | None = None,
        store: Store | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_retry: OnRetry | None = None,
        scope_by_credential: bool = False,
        read_deadline: float | None = DEFAULT_READ_DEADLINE,
        cooldown_scope: CooldownScope = "host",
    ) -> None:
        self._transport = transport if transport is not None else httpx.HTTPTransport()
        self._flow = RetryFlow(
            policy=policy,
            provider=provider,
            clock=clock,
            on_retry=on_retry,
            scope_by_credential=scope_by_credential,
            cooldown_scope=cooldown_scope,
        )
        self._sleep = sleep if sleep is not None else time.sleep
        self._read_deadline = check_deadline(read_deadline)
        self._store: Store = store if store is not None else MemoryStore(clock=clock)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request`, retrying as the policy decides; return the final response.

        Raises:
            httpx.TransportError: The last attempt got no response (the original exception).
        """
        # The first attempt is carried out here, as `run` would: most requests succeed at once,
        # and then no generator is started, nor a `Plan` made.
        flow = self._flow
        route, key, start = flow.resolve(request)
        store = self._store
        wait = store.cooldown_remaining(route.cooldown_scope)
        if wait > 0:
            return self._drive(flow.run(request, Plan(route, key, start), wait=wait), request)
        failed: httpx.TransportError | None = None
        try:
            response = self._transport.handle_request(request)
        except httpx.TransportError as exc:
            failed = exc
        if failed is not None:
            return self._drive(flow.run(request, Plan(route, key, start), sent=failed), request)
        if response.status_code < 400:
            deposit = route.deposit
            if deposit is not None:
                store.deposit(deposit.scope, deposit.amount, capacity=deposit.capacity)
            if key is None:
                response.extensions[EXTENSION] = route.first_try
                return response
            return flow.first(Plan(route, key, start), response)
        return self._drive(flow.run(request, Plan(route, key, start), sent=response), request)

    def _drive(
        self, flow: Generator[Step, Any, httpx.Response], request: httpx.Request
    ) -> httpx.Response:
        value: Any = None
        try:
            while True:
                value = self._perform(flow.send(value), request)
        except StopIteration as stop:
            response: httpx.Response = stop.value
            return response
        finally:
            flow.close()

    def _perform(self, step: Step, request: httpx.Request) -> Any:
        if type(step) is Send:
            try:
                return self._transport.handle_request(request)
            except httpx.TransportError as exc:
                return exc
        store = self._store
        if isinstance(step, Cooldown):
            return store.cooldown_remaining(step.scope)
        if isinstance(step, Deposit):
            return store.deposit(step.scope, step.amount, capacity=step.capacity)
        if isinstance(step, Inspect):
            try:
                view = ResponseView.from_response(
                    step.response, read_deadline=self._read_deadline, keep_content=False
                )
            except Exception:  # noqa: BLE001 - as normalize(): a status-only error
                view = headers_only(step.response)
            return normalize_view(view, provider=step.provider)
        if isinstance(step, Close):
            return step.response.close()
        if isinstance(step, Sleep):
            return self._sleep(step.seconds)
        if isinstance(step, Withdraw):
            return store.withdraw(step.scope, step.cost, capacity=step.capacity)
        assert isinstance(step, Extend)
        return store.extend_cooldown(step.scope, step.seconds)

    def close(self) -> None:
        """Close the wrapped transport."""
        self._transport.close()


async def _anyio_sleep(seconds: float) -> None:
    import anyio  # noqa: PLC0415 - httpx's own dependency; imported where it is needed

    await anyio.sleep(seconds)


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    """The async `RetryTransport`: same flow, same arguments; `sleep` is an async callable.

    Args:
        transport: The transport to wrap (default: a new `httpx.AsyncHTTPTransport`).
        policy: The rules (default: the provider's, from `RetryPolicy.for_provider`).
        provider: The provider's adapter name; by default found from the request host.
        sleep: Awaited with the seconds to wait (default `anyio.sleep`: asyncio or trio).
        store: Where cooldowns and the retry budget live (default: a `MemoryStore` of its own;
            share one `MemoryStore` between transports, or a `RedisStore` across a fleet).
        clock: Monotonic seconds, for the deadline (default `time.monotonic`).
        on_retry: Called with the `Decision` and the request before each retry's wait.
        scope_by_credential: Keep cooldowns and budgets per credential too: the scope gains a
            fingerprint (a hash, never the credential) of the request's ``Authorization``,
            ``X-Api-Key`` or ``Api-Key`` header.
        read_deadline: Seconds allowed for reading an error body to decide on it (default 5;
            None: no deadline), after which the error is classified from what arrived.
        cooldown_scope: ``"host"`` (default): a cooldown holds every request to the host (and
            credential); ``"route"``: only requests to the same route, the path with id-like
            segments collapsed (`route_of`). The retry budget stays per host either way.

    Raises:
        ValueError: `read_deadline` is neither None nor a positive number, or
            `cooldown_scope` is neither ``"host"`` nor ``"route"``.
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        policy: RetryPolicy | None = None,
        provider: str | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        store: Store | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_retry: OnRetry | None = None,
        scope_by_credential: bool = False,
        read_deadline: float | None = DEFAULT_READ_DEADLINE,
        cooldown_scope: CooldownScope = "host",
    ) -> None:
        self._transport = transport if transport is not None else httpx.AsyncHTTPTransport()
        self._flow = RetryFlow(
            policy=policy,
            provider=provider,
            clock=clock,
            on_retry=on_retry,
            scope_by_credential=scope_by_credential,
            cooldown_scope=cooldown_scope,
        )
        self._sleep = sleep if sleep is not None else _anyio_sleep
        self._read_deadline = check_deadline(read_deadline)
        self._store: Store = store if store is not None else MemoryStore(clock=clock)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request`, retrying as the policy decides; return the final response.

        Raises:
            httpx.TransportError: The last attempt got no response (the original exception).
        """
        flow = self._flow
        route, key, start = flow.resolve(request)  # as in RetryTransport
        store = self._store
        wait = await store.acooldown_remaining(route.cooldown_scope)
        if wait > 0:
            return await self._drive(flow.run(request, Plan(route, key, start), wait=wait), request)
        failed: httpx.TransportError | None = None
        try:
            response = await self._transport.handle_async_request(request)
        except httpx.TransportError as exc:
            failed = exc
        if failed is not None:
            return await self._drive(
                flow.run(request, Plan(route, key, start), sent=failed), request
            )
        if response.status_code < 400:
            deposit = route.deposit
            if deposit is not None:
                await store.adeposit(deposit.scope, deposit.amount, capacity=deposit.capacity)
            if key is None:
                response.extensions[EXTENSION] = route.first_try
                return response
            return flow.first(Plan(route, key, start), response)
        return await self._drive(flow.run(request, Plan(route, key, start), sent=response), request)

    async def _drive(
        self, flow: Generator[Step, Any, httpx.Response], request: httpx.Request
    ) -> httpx.Response:
        value: Any = None
        try:
            while True:
                value = await self._perform(flow.send(value), request)
        except StopIteration as stop:
            response: httpx.Response = stop.value
            return response
        finally:
            flow.close()

    async def _perform(self, step: Step, request: httpx.Request) -> Any:
        if type(step) is Send:
            try:
                return await self._transport.handle_async_request(request)
            except httpx.TransportError as exc:
                return exc
        store = self._store
        if isinstance(step, Cooldown):
            return await store.acooldown_remaining(step.scope)
        if isinstance(step, Deposit):
            return await store.adeposit(step.scope, step.amount, capacity=step.capacity)
        if isinstance(step, Inspect):
            try:
                view = await ResponseView.afrom_response(
                    step.response, read_deadline=self._read_deadline, keep_content=False
                )
            except Exception:  # noqa: BLE001 - as anormalize(): a status-only error
                view = headers_only(step.response)
            return normalize_view(view, provider=step.provider)
        if isinstance(step, Close):
            return await step.response.aclose()
        if isinstance(step, Sleep):
            return await self._sleep(step.seconds)
        if isinstance(step, Withdraw):
            return await store.awithdraw(step.scope, step.cost, capacity=step.capacity)
        assert isinstance(step, Extend)
        return await store.aextend_cooldown(step.scope, step.seconds)

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._transport.aclose()
