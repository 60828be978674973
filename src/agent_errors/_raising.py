"""raise_for_error(): raise the kind's `AgentAPIError` subclass for an error response."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._exceptions import AgentAPIError
from ._normalize import anormalize, normalize

if TYPE_CHECKING:
    import httpx

__all__ = ["araise_for_error", "raise_for_error"]


def raise_for_error(response: httpx.Response, *, provider: str | None = None) -> None:
    """Raise an `AgentAPIError` subclass if `response` carries an error; else return None.

    Works as an httpx response event hook (`event_hooks={"response": [raise_for_error]}`): the
    body of an error response is read (up to the cap) when it has not been; a success response
    that is still streaming is left untouched.

    Raises:
        AgentAPIError: The subclass for the error's kind, with `.error` and `.response`.
    """
    error = normalize(response, provider=provider)
    if error is not None:
        raise AgentAPIError.from_error(error, response)


async def araise_for_error(response: httpx.Response, *, provider: str | None = None) -> None:
    """Like `raise_for_error`, for `httpx.AsyncClient` event hooks (reads async bodies)."""
    error = await anormalize(response, provider=provider)
    if error is not None:
        raise AgentAPIError.from_error(error, response)
