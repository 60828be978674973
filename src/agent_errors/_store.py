"""Shared cooldowns and retry budget: the `Store` protocol and the embedded `MemoryStore`.

A scope is a string the transports build as ``"<provider>:<host>"``, optionally followed by
``":" + credential_fingerprint(credential)``. A store keeps two things per scope:

- a **cooldown**: "do not send to this scope before T", extended by every server delay and never
  shortened;
- a **retry budget**: a token bucket that starts full, loses tokens on retries and regains them on
  successes, so that retries stay a small share of traffic during an outage.

`MemoryStore` serves one process (threads and asyncio tasks alike); `RedisStore` serves a fleet.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["MemoryStore", "Store", "credential_fingerprint", "store_scope"]

#: How long an untouched retry budget is kept; past it the bucket is full again.
DEFAULT_BUDGET_TTL = 600.0
#: The longest cooldown a store records, whatever a server asks for.
MAX_COOLDOWN = 86_400.0


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


def clamp_cooldown(seconds: float) -> float:
    """Return *seconds* as a usable cooldown: 0.0 for NaN or ≤ 0, at most `MAX_COOLDOWN`."""
    if not seconds > 0.0:  # also catches NaN
        return 0.0
    return min(seconds, MAX_COOLDOWN)


class MemoryStore:
    """The embedded store: one process, safe across threads and asyncio tasks.

    Cooldowns vanish when they end and an untouched budget after *budget_ttl* seconds (its
    bucket is then full again), so a long-lived process does not accumulate scopes.

    Args:
        clock: a monotonic clock in seconds (injectable for tests); `time.monotonic` by default.
        budget_ttl: seconds an untouched retry budget is kept.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        budget_ttl: float = DEFAULT_BUDGET_TTL,
    ) -> None:
        if not budget_ttl > 0:
            raise ValueError(f"budget_ttl must be > 0, got {budget_ttl!r}")
        self._clock = clock
        self._budget_ttl = budget_ttl
        # One lock, held for a few dict operations and never across an await: the async
        # methods can take it directly without blocking the event loop for any real time.
        self._lock = threading.Lock()
        self._cooldowns: dict[str, float] = {}  # scope -> monotonic end
        self._buckets: dict[str, tuple[float, float]] = {}  # scope -> (tokens, expires at)
        self._next_sweep = 0.0

    def __repr__(self) -> str:
        return f"MemoryStore(cooldowns={len(self._cooldowns)}, budgets={len(self._buckets)})"

    def _sweep(self, now: float) -> None:
        # Lazy expiry on access covers the scopes in use; this bounds the rest.
        if now < self._next_sweep:
            return
        self._next_sweep = now + 60.0
        self._cooldowns = {s: end for s, end in self._cooldowns.items() if end > now}
        self._buckets = {s: b for s, b in self._buckets.items() if b[1] > now}

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
            return end - now

    def extend_cooldown(self, scope: str, seconds: float) -> float:
        """Cool *scope* down until now + *seconds* unless already later; return the seconds left.

        A cooldown is never shortened; NaN or non-positive *seconds* only report what is left.
        """
        seconds = clamp_cooldown(seconds)
        with self._lock:
            now = self._clock()
            self._sweep(now)
            end = self._cooldowns.get(scope, 0.0)
            if seconds > 0.0 and now + seconds > end:
                self._cooldowns[scope] = now + seconds
                return seconds
            if end <= now:
                self._cooldowns.pop(scope, None)
                return 0.0
            return end - now

    def withdraw(self, scope: str, cost: float, *, capacity: float) -> bool:
        """Take *cost* tokens from *scope*'s bucket (full at first); return False if too few."""
        with self._lock:
            now = self._clock()
            self._sweep(now)
            tokens, expires = self._buckets.get(scope, (capacity, now))
            if expires < now:
                tokens = capacity
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
