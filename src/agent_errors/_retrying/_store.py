"""Shared cooldowns and retry budget: the `Store` protocol and the embedded `MemoryStore`.

A scope is a string the transports build as ``"<provider>:<host>"``, optionally followed by
``":" + credential_fingerprint(credential)`` and, for cooldowns with ``cooldown_scope="route"``,
by ``":" + route`` (the request path with its id-like segments collapsed, see `route_of`). A
store keeps two things per scope:

- a **cooldown**: "do not send to this scope before T", extended by every server delay and never
  shortened;
- a **retry budget**: a token bucket that starts full, loses tokens on retries and regains them on
  successes, so that retries stay a small share of traffic during an outage.

`MemoryStore` serves one process (threads and asyncio tasks alike); `RedisStore` serves a fleet.

Only some errors may set a shared cooldown (`shared_cooldown`): one whose kind says the whole
scope must wait and whose wait came from a header or a structured body field. Text from a
message, or a wait on an error that retrying does not fix, concerns that one response only.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final, Protocol, runtime_checkable

from agent_errors._core._model import CanonicalError, Kind

__all__ = [
    "MemoryStore",
    "Store",
    "credential_fingerprint",
    "route_of",
    "shared_cooldown",
    "store_scope",
]

#: How long an untouched retry budget is kept; past it the bucket is full again.
DEFAULT_BUDGET_TTL = 600.0
#: The longest cooldown a store records, whatever a server asks for.
MAX_COOLDOWN = 86_400.0
#: How many scopes a `MemoryStore` keeps, each for cooldowns and for budgets, by default.
DEFAULT_MAX_ENTRIES = 10_000

#: The kinds whose wait concerns the whole scope (the server is saturated or down).
SHARED_COOLDOWN_KINDS: Final = frozenset(
    {Kind.RATE_LIMITED, Kind.CONCURRENCY_LIMITED, Kind.UNAVAILABLE}
)
# `details["retry_after_source"]` values (see `_hints`) that come from the protocol, not from
# text: a header, a structured body field, or a built-in adapter's body field.
_TRUSTED_SOURCE_PREFIXES: Final = ("header:", "body:")
_TRUSTED_SOURCES: Final = frozenset({"adapter"})


@runtime_checkable
class Store(Protocol):
    """Where cooldowns and retry budgets live; `MemoryStore` and `RedisStore` implement it.

    Implementations never raise on a backend failure: a store that cannot reach its backend
    answers from a local fallback instead.
    """

    def cooldown_remaining(self, scope: str) -> float:
        """Return the seconds left in *scope*'s cooldown, 0.0 if it has none."""

    def extend_cooldown(self, scope: str, seconds: float) -> float:
        """Cool *scope* down until now + *seconds* unless already later; return the seconds left."""

    def withdraw(self, scope: str, cost: float, *, capacity: float) -> bool:
        """Take *cost* tokens from *scope*'s bucket (full at first); return False if too few."""

    def deposit(self, scope: str, amount: float, *, capacity: float) -> None:
        """Return *amount* tokens to *scope*'s bucket, capped at *capacity*."""

    async def acooldown_remaining(self, scope: str) -> float:
        """Async `cooldown_remaining`."""

    async def aextend_cooldown(self, scope: str, seconds: float) -> float:
        """Async `extend_cooldown`."""

    async def awithdraw(self, scope: str, cost: float, *, capacity: float) -> bool:
        """Async `withdraw`."""

    async def adeposit(self, scope: str, amount: float, *, capacity: float) -> None:
        """Async `deposit`."""


def credential_fingerprint(credential: str | bytes) -> str:
    """Return a short, stable fingerprint of *credential*: 16 hex digits of its SHA-256.

    The credential itself is never stored nor logged; only this hash goes into store keys, so
    replicas that share an API key share its cooldown while other keys do not.
    """
    raw = credential.encode() if isinstance(credential, str) else credential
    return hashlib.sha256(raw).hexdigest()[:16]


def store_scope(provider: str, host: str, credential: str | bytes | None = None) -> str:
    """Return the scope string for *provider* at *host*, optionally per credential.

    ``"<provider>:<host>"``, or ``"<provider>:<host>:<fingerprint>"`` when *credential* is given.
    """
    scope = f"{provider}:{host.lower()}"
    if credential:
        scope += ":" + credential_fingerprint(credential)
    return scope


def shared_cooldown(error: CanonicalError) -> float:
    """Return the seconds *error* makes its whole scope wait: 0.0 when it concerns itself only.

    DESIGN's cooldown rule, in one place for both transports. A shared cooldown is set only by
    an error of kind rate_limited, concurrency_limited or unavailable, that is retryable (a
    provider's non-retryable code or ``x-should-retry: false`` says retrying does not help),
    whose wait came from a header or a structured body field (`details["retry_after_source"]`
    is ``header:…``, ``body:…`` or ``adapter``). A wait read from message text, from an unknown
    source, or carried by any other error (a 404 with ``Retry-After: 86400``, a 400 echoing
    "try again in 23 hours") stays on that one error: untrusted text never locks others out.
    The result is at most `MAX_COOLDOWN`.
    """
    seconds = error.retry_after
    if seconds is None or error.kind not in SHARED_COOLDOWN_KINDS or not error.retryable:
        return 0.0
    details = error.details
    if details.get("should_retry") is False:
        return 0.0
    source = details.get("retry_after_source")
    if not isinstance(source, str) or not (
        source.startswith(_TRUSTED_SOURCE_PREFIXES) or source in _TRUSTED_SOURCES
    ):
        return 0.0
    return clamp_cooldown(seconds)


_MAX_ROUTE_SEGMENTS: Final = 8
_MAX_SEGMENT: Final = 64
# Anchored at both ends: the digit look-ahead runs once per segment, never once per position.
_ID_SEGMENT_RE: Final = re.compile(
    r"\A(?:[0-9]+"  # a number
    r"|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"  # a UUID
    r"|(?=[^/]*[0-9])[0-9a-fA-F]{12,}"  # a hex digest or object id
    r"|(?=[^/]*[0-9])[A-Za-z0-9_\-.=+~]{20,})\Z"  # a token: base64, ULID, prefixed id
)


def route_of(path: str) -> str:
    """Return *path* as a bounded route: id-like segments become ``*``, the query is dropped.

    Collapsed: numbers, UUIDs, hex strings of 12+ characters and tokens of 20+ characters (both
    with a digit), and any segment over 64 characters; at most 8 segments are kept (then
    ``/…``). So ``/v1/agents/8f14e45f-ceea-467f-a0e6-0123456789ab/runs/42`` and every other
    agent's runs share ``/v1/agents/*/runs/*``, and one path costs at most about 530 bytes.
    """
    path = path.split("?", 1)[0]
    segments = path.split("/")
    more = len(segments) > _MAX_ROUTE_SEGMENTS + 1
    kept = [
        "*" if len(segment) > _MAX_SEGMENT or _ID_SEGMENT_RE.fullmatch(segment) else segment
        for segment in segments[: _MAX_ROUTE_SEGMENTS + 1]
    ]
    route = "/".join(kept)
    return route + "/…" if more else route


def clamp_cooldown(seconds: float) -> float:
    """Return *seconds* as a usable cooldown: 0.0 for NaN or ≤ 0, at most `MAX_COOLDOWN`."""
    if not seconds > 0.0:  # also catches NaN
        return 0.0
    return min(seconds, MAX_COOLDOWN)


class MemoryStore:
    """The embedded store: one process, safe across threads and asyncio tasks.

    Cooldowns vanish when they end and an untouched budget after *budget_ttl* seconds (its
    bucket is then full again), so a long-lived process does not accumulate scopes. It also
    keeps at most *max_entries* cooldowns and as many budgets, whatever the number of scopes it
    sees (one per credential, host or route): when a table is full, expired entries go first,
    then the least recently used one (whose cooldown or spent tokens are then forgotten).

    Args:
        clock: a monotonic clock in seconds (injectable for tests); `time.monotonic` by default.
        budget_ttl: seconds an untouched retry budget is kept.
        max_entries: the most scopes kept, per table (cooldowns, budgets).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        budget_ttl: float = DEFAULT_BUDGET_TTL,
        max_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        if not budget_ttl > 0:
            raise ValueError(f"budget_ttl must be > 0, got {budget_ttl!r}")
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ValueError(f"max_entries must be an int >= 1, got {max_entries!r}")
        self._clock = clock
        self._budget_ttl = budget_ttl
        self._max_entries = max_entries
        # One lock, held for a few dict operations and never across an await: the async
        # methods can take it directly without blocking the event loop for any real time.
        self._lock = threading.Lock()
        # Ordered from least to most recently used: eviction pops from the front in O(1).
        self._cooldowns: OrderedDict[str, float] = OrderedDict()  # scope -> monotonic end
        # scope -> (tokens, expires at)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._next_sweep = 0.0
        self._next_full_sweep = 0.0

    def __repr__(self) -> str:
        return f"MemoryStore(cooldowns={len(self._cooldowns)}, budgets={len(self._buckets)})"

    @property
    def entries(self) -> int:
        """How many scopes are kept (cooldowns plus budgets); at most twice `max_entries`."""
        return len(self._cooldowns) + len(self._buckets)

    def _sweep(self, now: float) -> None:
        # Lazy expiry on access covers the scopes in use; this bounds the rest.
        if now < self._next_sweep:
            return
        self._next_sweep = now + 60.0
        self._drop_expired(now)

    def _drop_expired(self, now: float) -> None:
        # In place: callers hold references to the tables.
        cooldowns, buckets = self._cooldowns, self._buckets
        for scope in [s for s, end in cooldowns.items() if end <= now]:
            del cooldowns[scope]
        for scope in [s for s, b in buckets.items() if b[1] <= now]:
            del buckets[scope]

    def _make_room(self, table: OrderedDict[str, Any], now: float) -> None:
        # Called, under the lock, before adding a scope to a full table: expired entries first
        # (at most one pass a second, so a flood of new scopes stays O(1) each), then LRU.
        if now >= self._next_full_sweep:
            self._next_full_sweep = now + 1.0
            self._drop_expired(now)
        while len(table) >= self._max_entries:
            table.popitem(last=False)

    def cooldown_remaining(self, scope: str) -> float:
        """Return the seconds left in *scope*'s cooldown, 0.0 if it has none."""
        end = self._cooldowns.get(scope)
        if end is None:  # the common case needs no lock: a dict read is atomic
            return 0.0
        with self._lock:
            now = self._clock()
            end = self._cooldowns.get(scope)
            if end is None or end <= now:
                self._cooldowns.pop(scope, None)
                return 0.0
            self._cooldowns.move_to_end(scope)
            return end - now

    def extend_cooldown(self, scope: str, seconds: float) -> float:
        """Cool *scope* down until now + *seconds* unless already later; return the seconds left.

        A cooldown is never shortened; NaN or non-positive *seconds* only report what is left.
        At most `MAX_COOLDOWN` seconds.
        """
        seconds = clamp_cooldown(seconds)
        with self._lock:
            now = self._clock()
            self._sweep(now)
            cooldowns = self._cooldowns
            end = cooldowns.get(scope, 0.0)
            if seconds > 0.0 and now + seconds > end:
                if scope in cooldowns:
                    cooldowns.move_to_end(scope)
                elif len(cooldowns) >= self._max_entries:
                    self._make_room(cooldowns, now)
                self._cooldowns[scope] = now + seconds
                return seconds
            if end <= now:
                cooldowns.pop(scope, None)
                return 0.0
            return end - now

    def withdraw(self, scope: str, cost: float, *, capacity: float) -> bool:
        """Take *cost* tokens from *scope*'s bucket (full at first); return False if too few."""
        with self._lock:
            now = self._clock()
            self._sweep(now)
            buckets = self._buckets
            bucket = buckets.get(scope)
            if bucket is None:
                if len(buckets) >= self._max_entries:
                    self._make_room(buckets, now)
                tokens = capacity
            else:
                buckets.move_to_end(scope)
                tokens = capacity if bucket[1] < now else bucket[0]
            tokens = min(tokens, capacity)
            if tokens < cost:
                self._buckets[scope] = (tokens, now + self._budget_ttl)
                return False
            self._buckets[scope] = (tokens - cost, now + self._budget_ttl)
            return True

    def deposit(self, scope: str, amount: float, *, capacity: float) -> None:
        """Return *amount* tokens to *scope*'s bucket, capped at *capacity*."""
        if scope not in self._buckets:  # absent means full: nothing to do, no lock
            return
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(scope)
            if bucket is None:
                return
            tokens = bucket[0] + amount if bucket[1] >= now else capacity
            if tokens >= capacity or math.isnan(tokens):
                del self._buckets[scope]  # full again: forget it
            else:
                self._buckets[scope] = (tokens, now + self._budget_ttl)
                self._buckets.move_to_end(scope)

    def tokens(self, scope: str, *, capacity: float) -> float:
        """Return the tokens left in *scope*'s bucket (for tests and dashboards)."""
        bucket = self._buckets.get(scope)
        if bucket is None or bucket[1] < self._clock():
            return capacity
        return min(bucket[0], capacity)

    async def acooldown_remaining(self, scope: str) -> float:
        """Async `cooldown_remaining` (never blocks the loop: the lock is held for microseconds)."""
        return self.cooldown_remaining(scope)

    async def aextend_cooldown(self, scope: str, seconds: float) -> float:
        """Async `extend_cooldown`."""
        return self.extend_cooldown(scope, seconds)

    async def awithdraw(self, scope: str, cost: float, *, capacity: float) -> bool:
        """Async `withdraw`."""
        return self.withdraw(scope, cost, capacity=capacity)

    async def adeposit(self, scope: str, amount: float, *, capacity: float) -> None:
        """Async `deposit`."""
        self.deposit(scope, amount, capacity=capacity)
