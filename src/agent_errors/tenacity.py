"""tenacity, driven by agent-errors' retry engine: a `retry=` predicate and a `wait=` strategy.

```python
import tenacity

import agent_errors as ae
from agent_errors.tenacity import AgentRetrying

engine = AgentRetrying(ae.RetryPolicy.for_provider("qoder"), method="POST")

@tenacity.retry(retry=engine.retry, wait=engine.wait, reraise=True)
def create_agent() -> httpx.Response: ...
```

Every attempt that ends in an error agent-errors can read (an `AgentAPIError`, an error response
returned or carried by an exception, a transport failure) is decided once by
`RetryPolicy.decide`: the same rules as the transports (the server's delay never shortened, a
delay above the ceiling means stop, idempotency, the provider's profile, the deadline, the retry
budget when a store is given). `retry` answers the decision's `retry`, `wait` its `delay`. What
the engine cannot read (an exception of the caller's own, a success) is never retried. In
agent-errors' testing mode every wait is zero, as in the transports.

Needs `tenacity` (not a dependency of agent-errors: install it yourself).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import tenacity
from tenacity.wait import wait_base

from ._retrying._bridge import error_of
from ._retrying._flow import in_testing_mode
from ._retrying._retry import Decision, RetryPolicy

if TYPE_CHECKING:
    from ._retrying._store import Store

__all__ = ["AgentRetrying"]


class _Retry(tenacity.retry_base):
    """tenacity's `retry=` protocol for one `AgentRetrying`."""

    def __init__(self, owner: AgentRetrying) -> None:
        self._owner = owner

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        decision = self._owner.decision(retry_state)
        return decision is not None and decision.retry


class _Wait(wait_base):
    """tenacity's `wait=` protocol for one `AgentRetrying`."""

    def __init__(self, owner: AgentRetrying) -> None:
        self._owner = owner

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        decision = self._owner.decision(retry_state)
        return decision.delay if decision is not None and decision.retry else 0.0


class AgentRetrying:
    """A `retry=` predicate and a `wait=` strategy for tenacity, from one retry policy.

    Args:
        policy: The rules (default: `RetryPolicy.for_provider(provider)`).
        provider: Read errors as this adapter's format, and take its retry profile when no
            policy is given (default: detect the format; the default profile).
        method: The HTTP method of the call being retried (writes are retried only with an
            idempotency key, as in the transports).
        idempotency_key: The call's idempotency key, if it sends one.
        store: Withdraw each retry's cost from this store's retry budget (`scope`), shared
            with the transports when they use the same store.
        scope: The budget scope in `store`.

    Attributes:
        retry: Pass as tenacity's `retry=`; composable with tenacity's own (`|`, `&`).
        wait: Pass as tenacity's `wait=`; composable with tenacity's own (`+`).

    Tenacity's `stop=` still applies on top (the policy's `max_retries` already stops).
    """

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        provider: str | None = None,
        method: str = "GET",
        idempotency_key: str | None = None,
        store: Store | None = None,
        scope: str = "default",
    ) -> None:
        self.policy = policy if policy is not None else RetryPolicy.for_provider(provider)
        self.provider = provider
        self.method = method
        self.idempotency_key = idempotency_key
        self.store = store
        self.scope = scope
        self.retry: tenacity.retry_base = _Retry(self)
        self.wait: wait_base = _Wait(self)
        # One decision per attempt, however many times tenacity asks (retry, then wait, then
        # its before_sleep hooks): a budget is charged once. Weak, so finished calls go.
        self._decisions: weakref.WeakKeyDictionary[
            tenacity.RetryCallState, tuple[int, Decision | None]
        ] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"AgentRetrying(policy={self.policy!r}, method={self.method!r})"

    def decision(self, retry_state: tenacity.RetryCallState) -> Decision | None:
        """Return the engine's decision on the attempt `retry_state` describes, or None.

        None when the attempt did not end in an error the engine can read (a plain success,
        an exception of the caller's own). Decided once per attempt and cached.
        """
        cached = self._decisions.get(retry_state)
        attempt = retry_state.attempt_number
        if cached is not None and cached[0] == attempt:
            return cached[1]
        decision = self._decide(retry_state, attempt)
        self._decisions[retry_state] = (attempt, decision)
        return decision

    def _decide(self, retry_state: tenacity.RetryCallState, attempt: int) -> Decision | None:
        outcome = retry_state.outcome
        if outcome is None:
            return None
        exc = outcome.exception()
        error = error_of(exc if exc is not None else outcome.result(), provider=self.provider)
        if error is None:
            return None
        decision = in_testing_mode(
            self.policy.decide(
                error,
                attempt=attempt,
                method=self.method,
                idempotency_key=self.idempotency_key,
                elapsed=retry_state.seconds_since_start or 0.0,
            )
        )
        budget, store = self.policy.budget, self.store
        if (
            decision.retry
            and store is not None
            and budget is not None
            and not budget.withdraw(store, error, scope=self.scope)
        ):
            return decision.refuse("budget_exhausted")
        return decision
