"""The stream shells: watch a live event stream and raise when an error event arrives."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import TypeVar, overload

import httpx

from agent_errors._core._exceptions import AgentAPIError
from agent_errors._core._sse import SSEDecoder, SSEEvent
from agent_errors._parsing._normalize import error_from_event
from agent_errors._parsing._view import request_url

__all__ = [
    "aiter_sse_events",
    "araise_for_error_events",
    "iter_sse_events",
    "raise_for_error_events",
]

_E = TypeVar("_E")


class _Watch:
    """The I/O-free core of the stream shells: raise on the first error event."""

    def __init__(
        self, provider: str | None, response: httpx.Response | None, status: int | None
    ) -> None:
        self.provider = provider
        self.response = response
        self.status = response.status_code if response is not None and status is None else status
        self.headers = response.headers if response is not None else None
        self.url = request_url(response)

    def check(self, event: object) -> None:
        error = error_from_event(
            event, provider=self.provider, status=self.status, headers=self.headers, url=self.url
        )
        if error is not None:
            raise AgentAPIError.from_error(error, self.response)


def iter_sse_events(response: httpx.Response) -> Iterator[SSEEvent]:
    """Yield the events of a streamed `httpx.Response` as they arrive (no error checks)."""
    decoder = SSEDecoder()
    for chunk in response.iter_bytes():
        yield from decoder.feed(chunk)
    decoder.close()


async def aiter_sse_events(response: httpx.Response) -> AsyncIterator[SSEEvent]:
    """Yield the events of an async streamed `httpx.Response` as they arrive (no error checks)."""
    decoder = SSEDecoder()
    async for chunk in response.aiter_bytes():
        for event in decoder.feed(chunk):
            yield event
    decoder.close()


@overload
def raise_for_error_events(
    events: httpx.Response,
    *,
    provider: str | None = None,
    response: httpx.Response | None = None,
    status: int | None = None,
) -> Iterator[SSEEvent]: ...


@overload
def raise_for_error_events(
    events: Iterable[_E],
    *,
    provider: str | None = None,
    response: httpx.Response | None = None,
    status: int | None = None,
) -> Iterator[_E]: ...


def raise_for_error_events(
    events: Iterable[_E] | httpx.Response,
    *,
    provider: str | None = None,
    response: httpx.Response | None = None,
    status: int | None = None,
) -> Iterator[_E] | Iterator[SSEEvent]:
    """Yield every event, raising when an error event arrives.

    `events` is an `httpx.Response` opened with `stream=True` (its body is decoded here) or any
    iterable of events (`SSEEvent`, httpx-sse's `ServerSentEvent`, anything with `.event` and
    `.data`). `response` gives the status, headers and request for the error when `events` is
    not the response itself.

    Raises:
        AgentAPIError: the subclass for the error's kind, when an error event arrives.
        ValueError: `provider` names no registered adapter.
    """
    if isinstance(events, httpx.Response):
        response = events
        return _checked(iter_sse_events(events), _Watch(provider, response, status))
    return _checked(events, _Watch(provider, response, status))


def _checked(events: Iterable[_E], watch: _Watch) -> Iterator[_E]:
    for event in events:
        watch.check(event)
        yield event


@overload
def araise_for_error_events(
    events: httpx.Response,
    *,
    provider: str | None = None,
    response: httpx.Response | None = None,
    status: int | None = None,
) -> AsyncIterator[SSEEvent]: ...


@overload
def araise_for_error_events(
    events: AsyncIterable[_E],
    *,
    provider: str | None = None,
    response: httpx.Response | None = None,
    status: int | None = None,
) -> AsyncIterator[_E]: ...


def araise_for_error_events(
    events: AsyncIterable[_E] | httpx.Response,
    *,
    provider: str | None = None,
    response: httpx.Response | None = None,
    status: int | None = None,
) -> AsyncIterator[_E] | AsyncIterator[SSEEvent]:
    """Like `raise_for_error_events`, for async iterables and async streamed responses.

    Raises:
        AgentAPIError: the subclass for the error's kind, when an error event arrives.
        ValueError: `provider` names no registered adapter.
    """
    if isinstance(events, httpx.Response):
        response = events
        return _achecked(aiter_sse_events(events), _Watch(provider, response, status))
    return _achecked(events, _Watch(provider, response, status))


async def _achecked(events: AsyncIterable[_E], watch: _Watch) -> AsyncIterator[_E]:
    async for event in events:
        watch.check(event)
        yield event
