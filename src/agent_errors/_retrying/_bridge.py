"""What the retry-library bridges share: the canonical error behind an exception or a result.

Imports nothing from the retry libraries themselves, so both bridges (and their tests) can use it.
"""

from __future__ import annotations

from agent_errors._core._exceptions import AgentAPIError
from agent_errors._core._model import CanonicalError
from agent_errors._parsing._network import error_from_exception
from agent_errors._parsing._normalize import normalize

__all__ = ["error_of"]


def error_of(outcome: object, *, provider: str | None = None) -> CanonicalError | None:
    """Return the canonical error an attempt ended in, or None when it is not one of ours.

    `outcome` is what the attempt raised or returned: an `AgentAPIError` (its `.error`), a
    `CanonicalError` itself, anything `normalize` accepts (a response, or an exception that
    carries one; a success response gives None), or a transport exception that
    `error_from_exception` maps. Anything else (a `ValueError` from the caller's own code, a
    plain return value) is None: the bridges never retry what they cannot read.
    """
    if isinstance(outcome, AgentAPIError):
        return outcome.error
    if isinstance(outcome, CanonicalError):
        return outcome
    if isinstance(outcome, BaseException):
        try:
            return error_from_exception(outcome, provider=provider or "generic")
        except TypeError:
            pass  # not a transport failure: an exception that carries a response, maybe
    try:
        return normalize(outcome, provider=provider)
    except TypeError:
        return None  # not a response, nor an exception that carries one
