"""raise_for_error(): raise the kind's `AgentAPIError` subclass for an error response."""

from __future__ import annotations

import httpx

from agent_errors._core._exceptions import AgentAPIError

from ._normalize import anormalize, headers_only, normalize, normalize_view

__all__ = ["araise_for_error", "raise_for_error"]


def _streamed_success(response: object) -> bool:
    """A 1xx-3xx `httpx.Response` whose body is still an unread stream: it is not touched."""
    if not isinstance(response, httpx.Response) or response.status_code >= 400:
        return False
    try:
        response.content  # noqa: B018 - raises ResponseNotRead while the body is a stream
    except httpx.ResponseNotRead:
        return True
    return False


def raise_for_error(response: httpx.Response, *, provider: str | None = None) -> None:
    """Raise an `AgentAPIError` subclass if `response` carries an error; else return None.

    Works as an httpx response event hook (`event_hooks={"response": [raise_for_error]}`): the
    body of an error response is read (up to the cap, and handed back as a stream) when it has
    not been; a success response that is still streaming is never read, whatever its length, so
    `iter_raw()`/`iter_bytes()` work afterwards (its status and headers alone are looked at).

    Raises:
        AgentAPIError: The subclass for the error's kind, with `.error` and `.response`.
    """
    if _streamed_success(response):
        error = normalize_view(headers_only(response), provider=provider)
    else:
        error = normalize(response, provider=provider)
    if error is not None:
        raise AgentAPIError.from_error(error, response)


async def araise_for_error(response: httpx.Response, *, provider: str | None = None) -> None:
    """Like `raise_for_error`, for `httpx.AsyncClient` event hooks (reads async bodies).

    Raises:
        AgentAPIError: The subclass for the error's kind, with `.error` and `.response`.
    """
    if _streamed_success(response):
        error = normalize_view(headers_only(response), provider=provider)
    else:
        error = await anormalize(response, provider=provider)
    if error is not None:
        raise AgentAPIError.from_error(error, response)
