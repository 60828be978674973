"""`RedisStore`: cooldowns and the retry budget shared by every replica of a fleet, on Redis.

Each operation is one round trip and atomic: a cooldown check is a single ``PTTL`` (the key's
expiry *is* the end of the cooldown, measured by the Redis server's clock, so replicas with
skewed clocks agree); extending a cooldown and moving tokens are small Lua scripts.

Redis being down or slow never reaches the caller. Sockets time out in milliseconds; the first
failure opens a circuit, logs one warning, and the store answers from a local `MemoryStore` until
the circuit's retry interval has passed, when a single call probes Redis again. The probe that
succeeds closes the circuit (and logs that Redis is back).

A healthy Redis never looks down. Only a failure to reach the server opens the circuit: a pool
with no free connection left (more concurrent callers than connections, beyond the pool's
bounded wait) answers that one call locally (one warning per ten minutes says to size the
pool), and a server that answers with an error (a write refused under ``maxmemory`` with
``noeviction``, a read-only replica) is up: reads keep coming from Redis, the refused write is
kept locally, and one warning is logged per ten minutes.
`from_url` builds a blocking pool sized by *max_connections* (128 by default), so callers up to
that many never wait and more wait their turn, at most *pool_timeout* seconds.

Keys, under a prefix (``agent-errors:`` by default)::

    <prefix>cd:<scope>   a cooldown: value "1", expiry = the end of the cooldown
    <prefix>tb:<scope>   a retry budget: the tokens left; absent = full; expires when idle
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ._store import DEFAULT_BUDGET_TTL, MAX_COOLDOWN, MemoryStore, clamp_cooldown

if TYPE_CHECKING:
    import redis
    import redis.asyncio

__all__ = ["RedisStore"]

logger = logging.getLogger("agent_errors.store")

T = TypeVar("T")

#: Default socket timeouts: a store that answers slower than this is treated as down.
DEFAULT_SOCKET_TIMEOUT = 0.05
#: Seconds between probes of a Redis that failed.
DEFAULT_RETRY_INTERVAL = 5.0
#: Connections `RedisStore.from_url` keeps per client: size it for the concurrent callers.
DEFAULT_MAX_CONNECTIONS = 128
#: Seconds a caller waits for a free connection before answering locally (`from_url`).
DEFAULT_POOL_TIMEOUT = 1.0
#: At most one warning per this many seconds about refused writes, and as many about a busy pool.
REFUSED_WARNING_INTERVAL = 600.0
#: After a deposit finds a bucket full, further deposits from this process to it are skipped for
#: this long (saving a round trip per successful request; a withdrawal here ends it at once).
FULL_BUCKET_HINT = 1.0

# KEYS[1] cooldown key; ARGV[1] milliseconds. Extends, never shortens; returns ms left.
_EXTEND_COOLDOWN = """
local want = tonumber(ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left < want then
  redis.call('SET', KEYS[1], '1', 'PX', want)
  return want
end
return left
"""

# KEYS[1] bucket key; ARGV cost, capacity, ttl ms. Returns 1 if the tokens were taken.
_WITHDRAW = """
local cost = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local v = redis.call('GET', KEYS[1])
local tokens = capacity
if v then tokens = math.min(tonumber(v), capacity) end
if tokens < cost then
  if v then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
  return 0
end
redis.call('SET', KEYS[1], string.format('%.17g', tokens - cost), 'PX', ARGV[3])
return 1
"""

# KEYS[1] bucket key; ARGV amount, capacity, ttl ms. An absent bucket is full already.
# Returns 0 when the bucket is (now) full, 1 when it is still short.
_DEPOSIT = """
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local tokens = tonumber(v) + tonumber(ARGV[1])
if tokens >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('SET', KEYS[1], string.format('%.17g', tokens), 'PX', ARGV[3])
return 1
"""


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis.exceptions  # noqa: PLC0415 - redis is an optional extra

    # RedisError covers connection, timeout and server replies; OSError what slips past it.
    return (redis.exceptions.RedisError, OSError, asyncio.TimeoutError)


def _pool_exhausted(exc: BaseException) -> bool:
    # redis-py's pools: the default one raises MaxConnectionsError at once, the blocking one a
    # plain ConnectionError with this text once its wait is over. The server was not asked.
    import redis.exceptions  # noqa: PLC0415

    return isinstance(exc, redis.exceptions.MaxConnectionsError) or (
        type(exc) is redis.exceptions.ConnectionError and str(exc) == "No connection available."
    )


def _server_answered(exc: BaseException) -> bool:
    # An error reply (OOM under noeviction, READONLY, ...): the server is up and said no.
    import redis.exceptions  # noqa: PLC0415

    return isinstance(exc, redis.exceptions.ResponseError)


def _no_retry_kwargs(*, asyncio_client: bool) -> dict[str, Any]:
    # redis-py retries a failed command by default; a store on the request path must fail fast
    # and let the circuit decide instead.
    from redis.backoff import NoBackoff  # noqa: PLC0415

    if asyncio_client:
        from redis.asyncio.retry import Retry as AsyncRetry  # noqa: PLC0415

        return {"retry": AsyncRetry(NoBackoff(), 0)}
    from redis.retry import Retry  # noqa: PLC0415

    return {"retry": Retry(NoBackoff(), 0)}


class _Circuit:
    """When to talk to Redis: closed (always), open (never until *retry_at*), one probe then.

    I/O-free and shared by the sync and async shells; a lock makes the transitions, and so the
    one warning per outage, exact across threads.
    """

    def __init__(self, describe: str, retry_interval: float, clock: Callable[[], float]) -> None:
        self._describe = describe
        self._retry_interval = retry_interval
        self._clock = clock
        self._lock = threading.Lock()
        self.open = False
        self._retry_at = 0.0
        self.outages = 0

    def allow(self) -> bool:
        """Return True if this call should use Redis (always when closed; one probe when due)."""
        if not self.open:
            return True
        with self._lock:
            now = self._clock()
            if not self.open or now >= self._retry_at:
                # This caller probes; the others stay local until the next interval.
                self._retry_at = now + self._retry_interval
                return True
            return False

    def failure(self, exc: BaseException) -> None:
        """Record a failed Redis call: open the circuit, warning once per outage."""
        with self._lock:
            self._retry_at = self._clock() + self._retry_interval
            if self.open:
                return
            self.open = True
            self.outages += 1
        logger.warning(
            "Redis store %s unavailable (%s: %s); using a local memory store and retrying "
            "every %gs",
            self._describe,
            type(exc).__name__,
            exc,
            self._retry_interval,
        )

    def success(self) -> None:
        """Record a successful Redis call: close the circuit if it was open."""
        if not self.open:
            return
        with self._lock:
            # Another thread's probe may have closed it meanwhile: log the return once.
            was_open, self.open = self.open, False
        if was_open:
            logger.info("Redis store %s is back; leaving the local memory store", self._describe)


class RedisStore:
    """A `Store` on Redis, shared by every replica that uses the same server and prefix.

    Build one with `RedisStore.from_url` (which makes both a sync and an asyncio client with
    millisecond timeouts and no client-side retries), or pass your own clients: *client* (a
    ``redis.Redis``) serves the sync methods, *async_client* (a ``redis.asyncio.Redis``) the
    async ones; they keep their own settings, so give them millisecond timeouts and no retries
    (``retry=Retry(NoBackoff(), 0)``), or a slow Redis slows every request. Calling a sync method
    without *client*, or an async one without *async_client*, raises `TypeError`. Nothing else
    raises: when Redis fails, answers come from *fallback* (a fresh `MemoryStore` by default)
    and one warning is logged on the ``agent_errors.store`` logger per outage.

    Args:
        client: a sync ``redis.Redis``.
        async_client: a ``redis.asyncio.Redis``.
        prefix: prepended to every key, so several applications can share a server.
        budget_ttl: seconds an untouched retry budget is kept (its bucket is full again after).
        retry_interval: seconds between probes of a Redis that failed.
        fallback: the local store used while Redis is unavailable.
        clock: a monotonic clock for the circuit (injectable for tests).

    Attributes:
        fallback: the local store that answers while Redis cannot.
        local_answers: how many calls the fallback answered instead of Redis (0 on a healthy
            server with a pool sized for its callers).
    """

    def __init__(
        self,
        client: redis.Redis | None = None,
        *,
        async_client: redis.asyncio.Redis | None = None,
        prefix: str = "agent-errors:",
        budget_ttl: float = DEFAULT_BUDGET_TTL,
        retry_interval: float = DEFAULT_RETRY_INTERVAL,
        fallback: MemoryStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if client is None and async_client is None:
            raise TypeError("RedisStore needs a client, an async_client, or both")
        if not budget_ttl > 0:
            raise ValueError(f"budget_ttl must be > 0, got {budget_ttl!r}")
        if not retry_interval >= 0:
            raise ValueError(f"retry_interval must be >= 0, got {retry_interval!r}")
        self._client = client
        self._async_client = async_client
        self._async_factory: Callable[[], redis.asyncio.Redis] | None = None
        self._async_clients: dict[int, tuple[asyncio.AbstractEventLoop, redis.asyncio.Redis]] = {}
        self._prefix = prefix
        self._budget_ttl_ms = max(1, math.ceil(budget_ttl * 1000))
        self.fallback = fallback if fallback is not None else MemoryStore(budget_ttl=budget_ttl)
        self._errors = _redis_errors()
        self._circuit = _Circuit(_describe(client, async_client), retry_interval, clock)
        self._clock = clock
        self._full_until: dict[str, float] = {}
        self._sync_scripts: dict[str, Any] = {}
        self._async_scripts: dict[int, dict[str, Any]] = {}
        self._count_lock = threading.Lock()
        self._next_warning: dict[str, float] = {}
        self.local_answers = 0
        """How many calls the fallback answered instead of Redis (circuit open, Redis failing,
        no free connection, or a write the server refused)."""

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        socket_timeout: float = DEFAULT_SOCKET_TIMEOUT,
        socket_connect_timeout: float | None = None,
        prefix: str = "agent-errors:",
        budget_ttl: float = DEFAULT_BUDGET_TTL,
        retry_interval: float = DEFAULT_RETRY_INTERVAL,
        fallback: MemoryStore | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT,
        **redis_kwargs: Any,
    ) -> RedisStore:
        """Return a store on the Redis server at *url* (``redis://``, ``rediss://``, ``unix://``).

        Makes a sync client now and an asyncio client per event loop on first async use. Socket
        timeouts default to 50 ms (*socket_connect_timeout* defaults to *socket_timeout*);
        other keyword arguments go to both clients. No connection is made here, so a server
        that is down at start-up only means starting on the fallback.

        Each client gets a blocking pool of *max_connections* connections: set it to the
        number of threads (or tasks, per event loop) that use the store at once. A caller that
        finds none free waits for one, at most *pool_timeout* seconds, then answers locally
        for that call only (a busy pool is not a down server).

        Raises:
            ImportError: redis-py is not installed (``pip install 'agent-errors[redis]'``).
            ValueError: *url* is not a Redis URL, or *max_connections* is not a positive int.
        """
        if (
            isinstance(max_connections, bool)
            or not isinstance(max_connections, int)
            or max_connections < 1
        ):
            raise ValueError(f"max_connections must be an int >= 1, got {max_connections!r}")
        if not pool_timeout >= 0:
            raise ValueError(f"pool_timeout must be >= 0, got {pool_timeout!r}")
        try:
            import redis  # noqa: PLC0415 - optional extra
            import redis.asyncio  # noqa: PLC0415
        except ImportError as exc:  # pragma: no cover - the test environment has redis
            raise ImportError(
                "RedisStore needs redis-py: pip install 'agent-errors[redis]'"
            ) from exc
        kwargs: dict[str, Any] = {
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": (
                socket_timeout if socket_connect_timeout is None else socket_connect_timeout
            ),
            "max_connections": max_connections,
            "timeout": pool_timeout,
            **redis_kwargs,
        }
        pool = redis.BlockingConnectionPool.from_url(
            url, **{**_no_retry_kwargs(asyncio_client=False), **kwargs}
        )
        client = redis.Redis.from_pool(pool)

        def make_async() -> redis.asyncio.Redis:
            apool = redis.asyncio.BlockingConnectionPool.from_url(
                url, **{**_no_retry_kwargs(asyncio_client=True), **kwargs}
            )
            return redis.asyncio.Redis.from_pool(apool)

        store = cls(
            client,
            prefix=prefix,
            budget_ttl=budget_ttl,
            retry_interval=retry_interval,
            fallback=fallback,
            clock=clock,
        )
        store._async_factory = make_async
        return store

    def __repr__(self) -> str:
        state = "fallback" if self._circuit.open else "redis"
        return f"RedisStore({self._circuit._describe}, prefix={self._prefix!r}, using={state})"

    @property
    def using_fallback(self) -> bool:
        """True while Redis is considered unavailable and the local fallback answers."""
        return self._circuit.open

    def _cooldown_key(self, scope: str) -> str:
        return f"{self._prefix}cd:{scope}"

    def _budget_key(self, scope: str) -> str:
        return f"{self._prefix}tb:{scope}"

    # --- the sync shell ------------------------------------------------------------------------

    def _sync(self) -> redis.Redis:
        if self._client is None:
            raise TypeError("this RedisStore has no sync client; use the async methods")
        return self._client

    def _script(self, name: str, source: str) -> Any:
        script = self._sync_scripts.get(name)
        if script is None:
            script = self._sync_scripts[name] = self._sync().register_script(source)
        return script

    def _call(self, remote: Callable[[], T], local: Callable[[], T]) -> T:
        if not self._circuit.allow():
            self._answered_locally()
            return local()
        try:
            result = remote()
        except self._errors as exc:
            self._failed(exc)
            return local()
        self._circuit.success()
        return result

    def _answered_locally(self) -> None:
        with self._count_lock:
            self.local_answers += 1

    def _failed(self, exc: BaseException) -> None:
        # Only an unreachable server opens the circuit; see the module docstring.
        self._answered_locally()
        if _server_answered(exc):
            self._circuit.success()
            if self._warning_due("refused"):
                logger.warning(
                    "Redis store %s refused a write (%s: %s); this process keeps it in its "
                    "local memory store, and reads still come from Redis",
                    self._circuit._describe,
                    type(exc).__name__,
                    exc,
                )
        elif _pool_exhausted(exc):
            if self._warning_due("pool"):
                logger.warning(
                    "Redis store %s: no free connection in the pool; some calls are answered "
                    "locally (Redis is not considered down); size the pool for the number of "
                    "concurrent callers (RedisStore.from_url(max_connections=...))",
                    self._circuit._describe,
                )
        else:
            self._circuit.failure(exc)

    def _warning_due(self, what: str) -> bool:
        # At most one warning of each sort per REFUSED_WARNING_INTERVAL: never a flapping log.
        now = self._clock()
        with self._count_lock:
            if now < self._next_warning.get(what, -math.inf):
                return False
            self._next_warning[what] = now + REFUSED_WARNING_INTERVAL
            return True

    def cooldown_remaining(self, scope: str) -> float:
        """Return the seconds left in *scope*'s cooldown, 0.0 if it has none (one ``PTTL``).

        While Redis is unavailable the fallback answers; cooldowns recorded there during an
        outage keep counting after Redis returns.
        """
        client = self._sync()
        key = self._cooldown_key(scope)
        remote = self._call(lambda: _ms_left(client.pttl(key)), lambda: 0.0)
        return max(remote, self.fallback.cooldown_remaining(scope))

    def extend_cooldown(self, scope: str, seconds: float) -> float:
        """Cool *scope* down until now + *seconds* unless already later; return the seconds left.

        Never shortens a cooldown. One atomic script call; the local fallback records it too
        (a dict write), so this process still honours it if Redis goes away.
        """
        ms = _cooldown_ms(seconds)
        if ms == 0:
            return self.cooldown_remaining(scope)
        script = self._script("extend", _EXTEND_COOLDOWN)
        key = self._cooldown_key(scope)
        local = self.fallback.extend_cooldown(scope, seconds)
        return self._call(lambda: int(script(keys=[key], args=[ms])) / 1000, lambda: local)

    def withdraw(self, scope: str, cost: float, *, capacity: float) -> bool:
        """Take *cost* tokens from *scope*'s fleet-wide bucket (full at first).

        Returns False, taking nothing, when fewer than *cost* tokens are left. One atomic
        script call.
        """
        script = self._script("withdraw", _WITHDRAW)
        key = self._budget_key(scope)
        self._full_until.pop(scope, None)
        args = [repr(float(cost)), repr(float(capacity)), self._budget_ttl_ms]
        return self._call(
            lambda: bool(int(script(keys=[key], args=args))),
            lambda: self.fallback.withdraw(scope, cost, capacity=capacity),
        )

    def deposit(self, scope: str, amount: float, *, capacity: float) -> None:
        """Return *amount* tokens to *scope*'s fleet-wide bucket, capped at *capacity*.

        One atomic script call, skipped for a second after this process found the bucket full
        (most successes then cost no round trip; a refund missed meanwhile is small).
        """
        if self._known_full(scope):
            return
        script = self._script("deposit", _DEPOSIT)
        key = self._budget_key(scope)
        args = [repr(float(amount)), repr(float(capacity)), self._budget_ttl_ms]

        def local() -> bool:
            self.fallback.deposit(scope, amount, capacity=capacity)
            return True  # the hint is about Redis's bucket only

        if not self._call(lambda: bool(int(script(keys=[key], args=args))), local):
            self._mark_full(scope)

    def _known_full(self, scope: str) -> bool:
        until = self._full_until.get(scope)
        return until is not None and until > self._clock() and not self._circuit.open

    def _mark_full(self, scope: str) -> None:
        if len(self._full_until) > 10_000:  # bounded: scopes come and go
            self._full_until.clear()
        self._full_until[scope] = self._clock() + FULL_BUCKET_HINT

    # --- the async shell -----------------------------------------------------------------------

    def _aclient(self) -> redis.asyncio.Redis:
        if self._async_client is not None:
            return self._async_client
        if self._async_factory is None:
            raise TypeError("this RedisStore has no async client; use the sync methods")
        # An asyncio client's connections belong to the loop that opened them: one per loop.
        loop = asyncio.get_running_loop()
        entry = self._async_clients.get(id(loop))
        if entry is None or entry[0] is not loop:
            # Forget clients of loops that are gone (their connections went with them).
            for key, (old_loop, old_client) in list(self._async_clients.items()):
                if old_loop.is_closed() or key == id(loop):
                    del self._async_clients[key]
                    self._async_scripts.pop(id(old_client), None)
            entry = self._async_clients[id(loop)] = (loop, self._async_factory())
        return entry[1]

    def _ascript(self, name: str, source: str) -> Any:
        client = self._aclient()
        scripts = self._async_scripts.setdefault(id(client), {})
        script = scripts.get(name)
        if script is None:
            script = scripts[name] = client.register_script(source)
        return script

    async def _acall(
        self, remote: Callable[[], Awaitable[T]], local: Callable[[], Awaitable[T]]
    ) -> T:
        if not self._circuit.allow():
            self._answered_locally()
            return await local()
        try:
            result = await remote()
        except self._errors as exc:
            self._failed(exc)
            return await local()
        self._circuit.success()
        return result

    async def acooldown_remaining(self, scope: str) -> float:
        """Async `cooldown_remaining`."""
        client = self._aclient()
        key = self._cooldown_key(scope)

        async def remote() -> float:
            return _ms_left(await client.pttl(key))

        async def local() -> float:
            return 0.0

        left = await self._acall(remote, local)
        return max(left, self.fallback.cooldown_remaining(scope))

    async def aextend_cooldown(self, scope: str, seconds: float) -> float:
        """Async `extend_cooldown`."""
        ms = _cooldown_ms(seconds)
        if ms == 0:
            return await self.acooldown_remaining(scope)
        script = self._ascript("extend", _EXTEND_COOLDOWN)
        key = self._cooldown_key(scope)

        local = self.fallback.extend_cooldown(scope, seconds)

        async def remote() -> float:
            return int(await script(keys=[key], args=[ms])) / 1000

        async def fallback() -> float:
            return local

        return await self._acall(remote, fallback)

    async def awithdraw(self, scope: str, cost: float, *, capacity: float) -> bool:
        """Async `withdraw`."""
        script = self._ascript("withdraw", _WITHDRAW)
        key = self._budget_key(scope)
        self._full_until.pop(scope, None)
        args = [repr(float(cost)), repr(float(capacity)), self._budget_ttl_ms]

        async def remote() -> bool:
            return bool(int(await script(keys=[key], args=args)))

        return await self._acall(
            remote, lambda: self.fallback.awithdraw(scope, cost, capacity=capacity)
        )

    async def adeposit(self, scope: str, amount: float, *, capacity: float) -> None:
        """Async `deposit`."""
        if self._known_full(scope):
            return
        script = self._ascript("deposit", _DEPOSIT)
        key = self._budget_key(scope)
        args = [repr(float(amount)), repr(float(capacity)), self._budget_ttl_ms]

        async def remote() -> bool:
            return bool(int(await script(keys=[key], args=args)))

        async def local() -> bool:
            await self.fallback.adeposit(scope, amount, capacity=capacity)
            return True

        if not await self._acall(remote, local):
            self._mark_full(scope)

    # --- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync client's connections (the store stays usable: they reopen on use)."""
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        """Close the asyncio client of the running loop (and a user-given async client)."""
        loop = asyncio.get_running_loop()
        entry = self._async_clients.pop(id(loop), None)
        if entry is not None:
            self._async_scripts.pop(id(entry[1]), None)
            await entry[1].aclose()
        if self._async_client is not None:
            await self._async_client.aclose()


def _ms_left(pttl: int) -> float:
    # PTTL: -2 no key, -1 no expiry (not ours: every cooldown key is written with one). A key
    # someone else wrote with a longer expiry still waits at most MAX_COOLDOWN.
    return min(pttl / 1000, MAX_COOLDOWN) if pttl > 0 else 0.0


def _cooldown_ms(seconds: float) -> int:
    # Rounded up: a cooldown is never shorter than the server asked.
    return math.ceil(clamp_cooldown(seconds) * 1000)


def _describe(client: Any, async_client: Any) -> str:
    target = client if client is not None else async_client
    try:
        kwargs = target.connection_pool.connection_kwargs
    except AttributeError:
        return "(custom client)"
    if "path" in kwargs:
        return f"unix:{kwargs['path']}"
    return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"
