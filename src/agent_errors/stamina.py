"""stamina, told by agent-errors which errors to retry and how long the server asked to wait.

```python
import stamina

from agent_errors.stamina import retry_on

@stamina.retry(on=retry_on(provider="qoder"), attempts=4)
def create_agent() -> httpx.Response: ...
```

`retry_on(...)` returns a stamina *backoff hook*: called with the exception an attempt raised,
it answers False when agent-errors' engine says not to retry (not retryable, the server said no,
a write without an idempotency key, a wait above the policy's ceiling), the server's delay in
seconds when the server named one (stamina then waits exactly that, never less), and True
otherwise, leaving the wait to stamina's own exponential backoff and the number of attempts to
stamina's `attempts=`/`timeout=`. What agent-errors cannot read is never retried.

agent-errors' testing mode also turns on stamina's (`ae.set_testing(True)`), so neither waits.

Needs `stamina` (not a dependency of agent-errors: install it yourself).
"""

from __future__ import annotations

from collections.abc import Callable

from ._retrying._bridge import error_of
from ._retrying._flow import in_testing_mode
from ._retrying._retry import RetryPolicy

__all__ = ["retry_on"]


def retry_on(
    policy: RetryPolicy | None = None,
    *,
    provider: str | None = None,
    method: str = "GET",
    idempotency_key: str | None = None,
) -> Callable[[Exception], bool | float]:
    """Return a backoff hook for `stamina.retry(on=...)`, driven by the retry engine.

    Args:
        policy: The rules (default: `RetryPolicy.for_provider(provider)`). Its attempt limit
            and deadline are stamina's business (`attempts=`, `timeout=`), not the hook's.
        provider: Read errors as this adapter's format, and take its retry profile when no
            policy is given.
        method: The HTTP method of the call being retried.
        idempotency_key: The call's idempotency key, if it sends one.

    Returns:
        A callable taking the attempt's exception and returning False (do not retry), a float
        (retry after exactly that many seconds: the server's delay), or True (retry after
        stamina's own backoff).
    """
    chosen = policy if policy is not None else RetryPolicy.for_provider(provider)

    def hook(exc: Exception) -> bool | float:
        error = error_of(exc, provider=provider)
        if error is None:
            return False
        # stamina counts attempts and keeps time itself: ask as for a first retry.
        decision = in_testing_mode(
            chosen.decide(error, attempt=1, method=method, idempotency_key=idempotency_key)
        )
        if not decision.retry:
            return False
        if decision.reason == "server_delay":
            return decision.delay
        return True

    hook.__qualname__ = hook.__name__ = "agent_errors_retry_on"
    return hook
