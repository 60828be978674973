"""Shared state for the retry transports: per-scope cooldowns and a retry budget (token bucket).

A scope is a string the transport builds as `"<provider>:<host>"`. `MemoryStore` keeps the state
in this process; a store shared by a fleet (Redis) implements the same `Store` protocol.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["MemoryStore", "Store"]


@runtime_checkable
class Store(Protocol):
    """Where cooldowns and retry budgets live. Every method is safe to call from many threads."""

    def cooldown_remaining(self, scope: str) -> float:
        """Return the seconds left in the scope's cooldown, 0.0 if none."""
        ...

    def extend_cooldown(self, scope: str, seconds: float) -> float:
        """Cool the scope down until now + `seconds`, unless already later; return what remains."""
        ...

    def withdraw(self, scope: str, cost: float, *, capacity: float) -> bool:
        """Take `cost` tokens from the scope's bucket (full at first); False if it has too few."""
        ...

    def deposit(self, scope: str, amount: float, *, capacity: float) -> None:
        """Put `amount` tokens back into the scope's bucket, never above `capacity`."""
        ...

    async def acooldown_remaining(self, scope: str) -> float:
        """Async `cooldown_remaining`."""
        ...

    async def aextend_cooldown(self, scope: str, seconds: float) -> float:
        """Async `extend_cooldown`."""
        ...

    async def awithdraw(self, scope: str, cost: float, *, capacity: float) -> bool:
        """Async `withdraw`."""
        ...

    async def adeposit(self, scope: str, amount: float, *, capacity: float) -> None:
        """Async `deposit`."""
        ...


class MemoryStore:
    """A `Store` in this process's memory, guarded by a lock.

    Args:
        clock: Monotonic seconds; inject a fake one in tests.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}
        self._tokens: dict[str, float] = {}

    def cooldown_remaining(self, scope: str) -> float:
        """Return the seconds left in the scope's cooldown, 0.0 if none."""
        until = self._until.get(scope)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left > 0:
            return left
        with self._lock:
            if self._until.get(scope) == until:
                del self._until[scope]
        return 0.0

    def extend_cooldown(self, scope: str, seconds: float) -> float:
        """Cool the scope down until now + `seconds`, unless already later; return what remains."""
        now = self._clock()
        with self._lock:
            until = max(self._until.get(scope, now), now + max(0.0, seconds))
            if until > now:
                self._until[scope] = until
            return until - now

    def withdraw(self, scope: str, cost: float, *, capacity: float) -> bool:
        """Take `cost` tokens from the scope's bucket (full at first); False if it has too few."""
        with self._lock:
            tokens = self._tokens.get(scope, capacity)
            if tokens < cost:
                return False
            self._tokens[scope] = tokens - cost
            return True

    def deposit(self, scope: str, amount: float, *, capacity: float) -> None:
        """Put `amount` tokens back into the scope's bucket, never above `capacity`."""
        if scope not in self._tokens:  # a bucket never drawn from is full already
            return
        with self._lock:
            tokens = self._tokens.get(scope)
            if tokens is None:
                return
            tokens = min(capacity, tokens + amount)
            if tokens >= capacity:
                del self._tokens[scope]
            else:
                self._tokens[scope] = tokens

    def tokens(self, scope: str, *, capacity: float) -> float:
        """Return the tokens left in the scope's bucket (for tests and dashboards)."""
        return self._tokens.get(scope, capacity)

    async def acooldown_remaining(self, scope: str) -> float:
        """Async `cooldown_remaining` (never blocks on I/O)."""
        return self.cooldown_remaining(scope)

    async def aextend_cooldown(self, scope: str, seconds: float) -> float:
        """Async `extend_cooldown` (never blocks on I/O)."""
        return self.extend_cooldown(scope, seconds)

    async def awithdraw(self, scope: str, cost: float, *, capacity: float) -> bool:
        """Async `withdraw` (never blocks on I/O)."""
        return self.withdraw(scope, cost, capacity=capacity)

    async def adeposit(self, scope: str, amount: float, *, capacity: float) -> None:
        """Async `deposit` (never blocks on I/O)."""
        self.deposit(scope, amount, capacity=capacity)
