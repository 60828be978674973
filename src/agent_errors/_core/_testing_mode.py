"""Testing mode: every wait becomes zero and the number of attempts is capped.

```python
with ae.set_testing(True, attempts=2):
    ...  # retries happen at once, at most one retry per request
```
"""

from __future__ import annotations

import sys
import threading
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Final

import attrs

__all__ = ["attempts_cap", "is_testing", "set_testing"]


@attrs.frozen
class _State:
    testing: bool = False
    attempts: int | None = None


_LOCK: Final = threading.Lock()
_state = _State()


class _Restore:
    """Returned by `set_testing`; as a context manager it restores the earlier mode on exit."""

    __slots__ = ("_peers", "_previous")

    def __init__(self, previous: _State, peers: list[AbstractContextManager[Any]]) -> None:
        self._previous = previous
        self._peers = peers

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        global _state  # noqa: PLW0603 - the mode is process-wide by design
        with _LOCK:
            _state = self._previous
        for peer in reversed(self._peers):
            peer.__exit__(exc_type, exc, tb)


def _quiet_peers(testing: bool, attempts: int | None) -> list[AbstractContextManager[Any]]:
    """Switch the testing mode of the retry libraries already imported (stamina) alike."""
    peers: list[AbstractContextManager[Any]] = []
    stamina = sys.modules.get("stamina")
    set_peer = getattr(stamina, "set_testing", None)
    if set_peer is not None:
        # cap=True: stamina's own `attempts=` still applies, at most `attempts` of them.
        peers.append(set_peer(testing, attempts=attempts or sys.maxsize, cap=True))
    return peers


def set_testing(testing: bool, *, attempts: int | None = None) -> _Restore:
    """Turn testing mode on or off for the whole process.

    In testing mode every retry delay and cooldown wait is zero, and when `attempts` is given
    no request is tried more than `attempts` times in all. Decisions are otherwise unchanged, so a
    test sees the same retry or give-up as production would, only without waiting. The flows
    apply the mode (the transports, the stamina and tenacity bridges); `RetryPolicy.decide`
    itself is pure and answers the same either way.

    When stamina is imported, its testing mode is switched alike (no waits, `attempts` as a
    cap), so code retried by stamina through `agent_errors.stamina` does not wait either.

    Returns an object that, used as a context manager, restores the previous mode on exit (the
    new mode applies from the call itself, as with `stamina.set_testing`).

    Raises:
        ValueError: `attempts` is less than 1.
    """
    global _state  # noqa: PLW0603 - the mode is process-wide by design
    if attempts is not None and attempts < 1:
        msg = f"attempts must be at least 1, not {attempts!r}"
        raise ValueError(msg)
    with _LOCK:
        previous = _state
        _state = _State(bool(testing), attempts if testing else None)
    return _Restore(previous, _quiet_peers(bool(testing), attempts))


def is_testing() -> bool:
    """Return whether testing mode is on."""
    return _state.testing


def attempts_cap() -> int | None:
    """Return the testing mode's cap on attempts per request, or None (off, or no cap)."""
    state = _state
    return state.attempts if state.testing else None
