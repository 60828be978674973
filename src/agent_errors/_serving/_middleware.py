"""ErrorMiddleware: a pure ASGI middleware that gives every error response one format.

Error responses (status >= 400 by default) from the wrapped app are read (up to the body cap),
normalized and rendered again in the chosen format. Everything else -- success responses,
streaming and server-sent events included -- passes through message by message, unread and
unbuffered. An `AgentAPIError` raised by the app becomes its rendered response; any other
exception becomes a rendered 500 that says nothing about the exception.

No framework is imported: the middleware works under any ASGI server, bare or with Starlette
or FastAPI (`app.add_middleware(ErrorMiddleware, render_as="qoder")` or `ErrorMiddleware(app)`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, MutableMapping
from typing import Any, Final, TypeAlias

import attrs

from agent_errors._core._escape import LOG_FIELD_LIMIT, escape_text
from agent_errors._core._exceptions import AgentAPIError
from agent_errors._core._model import CanonicalError, Kind
from agent_errors._parsing._network import error_from_exception
from agent_errors._parsing._normalize import normalize_view
from agent_errors._parsing._registry import get_adapter
from agent_errors._parsing._render import PROBLEM_JSON, render
from agent_errors._parsing._view import DEFAULT_BODY_CAP, ResponseView
from agent_errors.adapter_kit import Rendered

from . import _telemetry

__all__ = ["ErrorMiddleware"]

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]

RouteOption: TypeAlias = "str | Mapping[str, str] | Callable[[Scope], str | None] | None"
"""A setting per route: one value, a {path prefix: value} map (longest prefix wins), or a
function of the ASGI scope."""

OnError: TypeAlias = Callable[
    [CanonicalError, Scope, "BaseException | None"], "CanonicalError | None"
]

_logger = logging.getLogger("agent_errors")

_INTERNAL_MESSAGE: Final = "The server failed unexpectedly."
_EVENT: Final = "agent_errors.middleware."

# Headers that describe the body we replace; they must not outlive it.
_BODY_HEADERS: Final = frozenset(
    {
        b"content-type",
        b"content-length",
        b"content-encoding",
        b"content-range",
        b"content-md5",
        b"content-digest",
        b"repr-digest",
        b"digest",
        b"etag",
        b"last-modified",
        b"transfer-encoding",
        b"retry-after",
        b"retry-after-ms",
        b"x-request-id",
    }
)
_CAPTURE, _DONE = 1, 2
_PASSING: Final = object()  # the state of a response that passes through


class _PerRoute:
    """Resolves a `RouteOption` for a scope."""

    __slots__ = ("_fixed", "_func", "_prefixes")

    def __init__(self, option: object, what: str) -> None:
        self._fixed: str | None = None
        self._prefixes: tuple[tuple[str, str], ...] = ()
        self._func: Callable[[Scope], str | None] | None = None
        if option is None or isinstance(option, str):
            self._fixed = option
        elif isinstance(option, Mapping):
            items = [(str(k), str(v)) for k, v in option.items()]
            self._prefixes = tuple(sorted(items, key=lambda item: len(item[0]), reverse=True))
        elif callable(option):
            self._func = option
        else:
            msg = f"{what} must be a string, a mapping of path prefixes or a callable"
            raise TypeError(msg)

    def values(self) -> list[str]:
        found = [value for _, value in self._prefixes]
        return [*found, self._fixed] if self._fixed is not None else found

    def __call__(self, scope: Scope) -> str | None:
        if self._func is not None:
            return self._func(scope)
        if self._prefixes:
            path = str(scope.get("path", ""))
            for prefix, value in self._prefixes:
                if path.startswith(prefix):
                    return value
        return self._fixed


class _Exchange:
    """The state of one error response being captured."""

    __slots__ = ("body", "headers", "mode", "status", "truncated")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.mode = _CAPTURE
        self.status = status
        self.headers = headers
        self.body = bytearray()
        self.truncated = False


class ErrorMiddleware:
    """Normalize and re-render the wrapped ASGI app's error responses in one format.

    Args:
        app: The ASGI application to wrap.
        render_as: The format to answer in: `"problem+json"` (default), `"canonical"` or an
            adapter name; or a {path prefix: format} map, or a function of the scope.
        statuses: Which error statuses to rewrite: a collection, or a predicate. Default: all
            (>= 400). A status below 400 is never rewritten.
        provider: The provider hint for reading the app's errors (as `normalize(provider=)`),
            one for all, per path prefix, or a function of the scope. Default: detect.
        provider_header: A response header in which the app names the upstream provider
            (for example `x-upstream-provider`); it wins over `provider` and is dropped.
        on_error: Called as `on_error(error, scope, exception)` for every error the middleware
            answers (`exception` is None for an error response). It may return a replacement
            error; an exception it raises is logged and ignored.
        cap: At most this many bytes of an error body are read; a longer body is answered from
            its status and headers alone.

    Raises:
        TypeError: An option has the wrong type.
        ValueError: A format or provider names nothing registered.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        render_as: RouteOption = PROBLEM_JSON,
        statuses: Collection[int] | Callable[[int], bool] | None = None,
        provider: RouteOption = None,
        provider_header: str | None = None,
        on_error: OnError | None = None,
        cap: int = DEFAULT_BODY_CAP,
    ) -> None:
        self.app = app
        self._render_as = _PerRoute(render_as, "render_as")
        self._provider = _PerRoute(provider, "provider")
        if render_as is None:
            msg = "render_as must name a format"
            raise TypeError(msg)
        for name in self._render_as.values():
            render(CanonicalError(kind=Kind.INTERNAL, message="check"), to=name)
        for name in self._provider.values():
            get_adapter(name)
        self._rewrite: Callable[[int], bool] | None
        if statuses is None:
            self._rewrite = None  # the default, >= 400, is tested inline: the hot path
        elif callable(statuses):
            self._rewrite = statuses
        else:
            frozen = frozenset(statuses)
            self._rewrite = frozen.__contains__
        self._provider_header = provider_header.lower().encode() if provider_header else None
        self._on_error = on_error
        self._cap = cap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, rewriting its error responses (ASGI `http` scopes only)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # None until the response starts; then _PASSING, or the captured error response.
        state: _Exchange | object | None = None
        rewrite = self._rewrite

        # A plain function returning send's awaitable keeps the pass-through path to one call
        # and no extra coroutine; nothing is allocated for a response that is not rewritten.
        def send_wrapper(message: Message) -> Awaitable[None]:
            nonlocal state
            if state is _PASSING:
                return send(message)
            if state is None:
                if message["type"] == "http.response.start":
                    status = message["status"]
                    if status >= 400 and (rewrite is None or rewrite(status)):
                        state = _Exchange(status, list(message.get("headers", ())))
                        return _done()
                    state = _PASSING
                return send(message)
            assert isinstance(state, _Exchange)
            return self._capture(state, message, scope, send)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            if state is _PASSING:
                raise  # a response has begun: only the server can end it now
            if isinstance(state, _Exchange):
                if state.mode == _DONE:
                    _logger.exception(
                        "the app raised after its error response was replaced (%s %s)",
                        *_where(scope),
                        extra=_fields("app_raised_after_answer", scope),
                    )
                    return
                state.mode = _DONE
            await self._answer(_error_from_exception(exc, scope), scope, send, exc, ())

    async def _capture(self, state: _Exchange, message: Message, scope: Scope, send: Send) -> None:
        if state.mode == _DONE:
            return  # the rest of a body that has been answered for already
        kind = message["type"]
        if kind == "http.response.body":
            chunk = message.get("body", b"")
            room = self._cap - len(state.body)
            if len(chunk) > room:
                state.truncated = True
                del state.body[:]
            else:
                state.body += chunk
            if message.get("more_body", False) and not state.truncated:
                return
        elif kind in ("http.response.pathsend", "http.response.zerocopysend"):
            state.truncated = True  # a file body: answered from status and headers
        else:
            return  # trailers of a replaced response
        state.mode = _DONE
        await self._answer(self._normalize(state, scope), scope, send, None, state.headers)

    def _normalize(self, state: _Exchange, scope: Scope) -> CanonicalError:
        provider: str | None = None
        # A plain dict of clean names and values takes the view's fast path; a repeated or
        # empty name sends the raw pairs through its general one, which joins repeats.
        decoded: dict[str, str] = {}
        headers: dict[str, str] | list[tuple[bytes, bytes]] = decoded
        encoded = False
        for name, value in state.headers:
            lowered = name.lower()
            if lowered == self._provider_header:
                provider = value.decode("latin-1").strip() or None
            if lowered == b"content-encoding" and value.strip().lower() not in (b"", b"identity"):
                encoded = True
            key = name.decode("latin-1").strip().lower()
            if not key or key in decoded:
                headers = state.headers
            decoded[key] = value.decode("latin-1").strip()
        body = None if (state.truncated or encoded) else bytes(state.body)
        view = ResponseView(
            state.status, headers, body, truncated=state.truncated or encoded, cap=self._cap
        )
        if provider is None:
            provider = self._provider(scope)
        try:
            error = normalize_view(view, provider=provider)
        except ValueError:
            shown = escape_text(provider, limit=LOG_FIELD_LIMIT)
            _logger.warning(
                "unknown provider '%s' named for %s %s",
                shown,
                *_where(scope),
                extra=_fields("unknown_provider", scope, provider=shown),
            )
            error = normalize_view(view)
        assert error is not None  # a status >= 400 always gives an error
        return error

    async def _answer(
        self,
        error: CanonicalError,
        scope: Scope,
        send: Send,
        exc: BaseException | None,
        original: Collection[tuple[bytes, bytes]],
    ) -> None:
        if self._on_error is not None:
            try:
                replaced = self._on_error(error, scope, exc)
            except Exception:
                _logger.exception(
                    "on_error raised; answering %s %s with the original error",
                    *_where(scope),
                    extra=_fields("on_error_failed", scope, kind=error.kind.value),
                )
            else:
                if isinstance(replaced, CanonicalError):
                    error = replaced
        _telemetry.record_error(error)
        rendered = self._render(error, scope)
        headers = self._merge_headers(rendered, original)
        body = b"" if scope.get("method") == "HEAD" else rendered.body
        await send({"type": "http.response.start", "status": rendered.status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    def _render(self, error: CanonicalError, scope: Scope) -> Rendered:
        try:
            return render(error, to=self._render_as(scope) or PROBLEM_JSON)
        except Exception:
            _logger.exception(
                "could not render in the chosen format for %s %s; using problem+json",
                *_where(scope),
                extra=_fields("render_failed", scope, kind=error.kind.value),
            )
            return render(error, to=PROBLEM_JSON)

    def _merge_headers(
        self, rendered: Rendered, original: Collection[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        """The rendered headers, and the app's own that do not describe the replaced body.

        Cookies, CORS, caching and authentication challenges stay; content headers, hint
        headers and the provider header give way to the rendered response's.
        """
        own = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in rendered.headers
        ]
        own.append((b"content-length", str(len(rendered.body)).encode()))
        replaced = {name for name, _ in own}
        kept = [
            (name, value)
            for name, value in original
            if (lowered := name.lower()) not in _BODY_HEADERS
            and not _breaks(name)
            and not _breaks(value)
            and lowered not in replaced
            and lowered != self._provider_header
        ]
        return kept + own


def _breaks(data: bytes) -> bool:
    """Whether a header name or value carries a byte that would end the header or the head."""
    return b"\r" in data or b"\n" in data or b"\x00" in data


async def _done() -> None:
    return None


# An upstream that could not be reached is the gateway's 502; one that timed out, its 504.
_UPSTREAM_STATUS: Final = {Kind.NETWORK: 502, Kind.TIMEOUT: 504}


def _where(scope: Scope) -> tuple[str, str]:
    """The request's method and path, escaped: the path is the client's, and decoded."""
    return (
        escape_text(scope.get("method") or "-", limit=32),
        escape_text(scope.get("path") or "/", limit=LOG_FIELD_LIMIT),
    )


def _fields(event: str, scope: Scope, **more: object) -> dict[str, object]:
    """The structured `extra` of a log record: a stable event name, then escaped values."""
    method, path = _where(scope)
    return {"event": _EVENT + event, "method": method, "path": path, **more}


def _error_from_exception(exc: Exception, scope: Scope) -> CanonicalError:
    if isinstance(exc, AgentAPIError):
        return exc.error
    try:
        upstream = error_from_exception(exc)
    except TypeError:
        pass  # not a transport failure: a bug in the app
    else:
        status = _UPSTREAM_STATUS[upstream.kind]
        _logger.warning(
            "the upstream failed; answering %s %s with %d",
            *_where(scope),
            status,
            extra=_fields("upstream_failed", scope, kind=upstream.kind.value, status=status),
        )
        return attrs.evolve(upstream, status=status)
    _logger.error(
        "unhandled exception in the app; answering %s %s with 500",
        *_where(scope),
        exc_info=exc,
        extra=_fields("app_error", scope, kind=Kind.INTERNAL.value),
    )
    return CanonicalError(kind=Kind.INTERNAL, message=_INTERNAL_MESSAGE, status=500)
