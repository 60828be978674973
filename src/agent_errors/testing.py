"""Helpers for testing code that calls agent-platform APIs, with no network and no waits.

- `error_response(provider, kind, **fields)`: an `httpx.Response` exactly as that provider would
  send the error (status, headers and body, written by the provider's adapter).
- `assert_error(obj, **expected)`: check a response, a `CanonicalError` or an `AgentAPIError`
  field by field; the failure names every field that differs, with both values.
- `FakeProvider`: an `httpx.MockTransport` that answers a script (429 with Retry-After 2, then
  503, then 200, ...) and records the requests it saw, for testing retry behaviour.
- `FakeClock`: a clock that only moves when told to, and whose `sleep`/`asleep` advance it, for
  everything that takes a `clock=` or a `sleep=` (transports, policies' deadlines, stores).

This module imports neither pytest nor hypothesis; the pytest plugin (fixtures `fake_provider`
and `no_wait`, marker `agent_errors`) and the hypothesis strategies live beside it.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, TypeAlias

import attrs
import httpx

from ._core._exceptions import AgentAPIError
from ._core._model import CanonicalError, Kind, kind_for_status
from ._parsing._normalize import normalize
from ._parsing._registry import get_adapter
from .adapter_kit import pack_of, synthesize_message

__all__ = [
    "FakeClock",
    "FakeProvider",
    "ScriptExhaustedError",
    "Step",
    "assert_error",
    "error_response",
]

Step: TypeAlias = (
    "httpx.Response | CanonicalError | Kind | str | int | BaseException | type[BaseException]"
    " | Callable[[httpx.Request], httpx.Response]"
)
"""One scripted answer of a `FakeProvider` (see its docstring for what each form means)."""

_FIELDS: Final = tuple(field.name for field in attrs.fields(CanonicalError))
_ERROR_FIELDS: Final = frozenset(_FIELDS) - {"kind", "provider"}


def _kind(kind: Kind | str) -> Kind:
    try:
        return Kind(kind)
    except ValueError:
        known = ", ".join(k.value for k in Kind)
        msg = f"unknown kind {kind!r}; known kinds: {known}"
        raise ValueError(msg) from None


def _provider_error(provider: str, kind: Kind, fields: Mapping[str, Any]) -> CanonicalError:
    unknown = sorted(set(fields) - _ERROR_FIELDS)
    if unknown:
        msg = (
            f"unknown field(s) {', '.join(unknown)}; fields are: {', '.join(sorted(_ERROR_FIELDS))}"
        )
        raise TypeError(msg)
    if kind is Kind.NETWORK:
        msg = (
            "a network error has no response; script an exception instead, e.g. httpx.ConnectError"
        )
        raise ValueError(msg)
    adapter = get_adapter(provider)
    row = pack_of(adapter).row_for(kind)
    values = dict(fields)
    if "code" not in values and row is not None:
        values["code"] = row.code
    if "status" not in values:
        values["status"] = row.status if row is not None and row.status else kind.default_status
    if not values.get("message"):
        summary = row.summary if row is not None and row.code == values.get("code") else ""
        values["message"] = summary or synthesize_message(
            kind, values["status"], values.get("code")
        )
    if "retryable" not in values and row is not None and row.code == values.get("code"):
        values["retryable"] = row.is_retryable
    return CanonicalError(kind=kind, provider=adapter.name, **values)


def _render_response(
    provider: str,
    error: CanonicalError,
    *,
    url: str | None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> httpx.Response:
    adapter = get_adapter(provider)
    rendered = adapter.render(error)
    all_headers = list(rendered.headers)
    if headers is not None:
        extra = headers.items() if isinstance(headers, Mapping) else headers
        all_headers.extend((str(name), str(value)) for name, value in extra)
    if url is None and adapter.hosts:
        url = f"https://{adapter.hosts[0]}/"
    request = httpx.Request("GET", url) if url is not None else None
    return httpx.Response(
        rendered.status, headers=all_headers, content=rendered.body, request=request
    )


def error_response(
    provider: str,
    kind: Kind | str,
    *,
    url: str | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    **fields: Any,
) -> httpx.Response:
    """Return an `httpx.Response` carrying an error exactly as `provider` would send it.

    The error is written by the provider's adapter (`adapter.render`), so the status, headers and
    body are the provider's own. `fields` are `CanonicalError` fields: `message`, `param`,
    `retryable`, `retry_after` (sent as the `Retry-After` header, whole seconds rounded up),
    `request_id` (sent the provider's way), `status`, `code` and `details`. What is left out is
    taken from the provider's pack (`agent_errors.adapter_kit.ProviderPack.row_for`): the code it
    sends for `kind`, that code's status and its description as the message.

    The response's request is a GET of `url`, by default the root of the provider's first known
    host (none when it has no host), so `normalize` recognises it as a real client would.
    `headers` are added to the rendered ones.

    Raises:
        ValueError: `provider` or `kind` is unknown, or `kind` is `network` (a network error has
            no response: script an `httpx.ConnectError` instead).
        TypeError: a field is not a `CanonicalError` field.
    """
    error = _provider_error(provider, _kind(kind), fields)
    return _render_response(provider, error, url=url, headers=headers)


def _as_error(obj: object) -> CanonicalError:
    if isinstance(obj, CanonicalError):
        return obj
    if isinstance(obj, AgentAPIError):
        return obj.error
    if isinstance(obj, httpx.Response):
        error = normalize(obj)
        if error is None:
            msg = f"expected an error, but the response is a success (HTTP {obj.status_code})"
            raise AssertionError(msg)
        return error
    msg = (
        "assert_error() takes an httpx.Response, a CanonicalError or an AgentAPIError, "
        f"not {type(obj).__name__}"
    )
    raise TypeError(msg)


_MISSING: Final[Any] = object()


def _mismatches(error: CanonicalError, expected: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for name in _FIELDS:
        if name not in expected:
            continue
        want = expected[name]
        got = getattr(error, name)
        if name == "details" and isinstance(want, Mapping):
            # `details` is compared as a subset: the core adds entries (hint sources and such)
            # that a test rarely cares about.
            for key, value in want.items():
                have = error.details.get(key, _MISSING)
                if have is _MISSING:
                    lines.append(f"details[{key!r}]: expected {value!r}, got nothing")
                elif value != have:
                    lines.append(f"details[{key!r}]: expected {value!r}, got {have!r}")
            continue
        if isinstance(got, Kind):
            got = got.value
            if isinstance(want, Kind):
                want = want.value
        # The expected value is on the left so that matchers (pytest.approx, mock.ANY) decide.
        if want != got:
            lines.append(f"{name}: expected {want!r}, got {got!r}")
    return lines


def assert_error(obj: object, **expected: Any) -> CanonicalError:
    """Check the error in `obj` field by field, and return it.

    `obj` is an `httpx.Response` (normalized first), a `CanonicalError` or an `AgentAPIError`.
    `expected` names `CanonicalError` fields; `kind` may be a `Kind` or its string, values may be
    matchers such as `pytest.approx(2.5)` or `unittest.mock.ANY`, and `details` is compared as a
    subset (only the keys given are checked).

    Raises:
        AssertionError: a field differs (the message names every one, with both values), or the
            response is a success with no error in it.
        TypeError: `obj` is of another type, or an expected name is not a field.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this helper's
    unknown = sorted(set(expected) - set(_FIELDS))
    if unknown:
        msg = f"unknown field(s) {', '.join(unknown)}; fields are: {', '.join(_FIELDS)}"
        raise TypeError(msg)
    error = _as_error(obj)
    lines = _mismatches(error, expected)
    if lines:
        count = "1 field differs" if len(lines) == 1 else f"{len(lines)} fields differ"
        body = "\n".join(f"  {line}" for line in lines)
        msg = f"the error does not match ({count}):\n{body}\nerror: {error!r}"
        raise AssertionError(msg)
    return error


class ScriptExhaustedError(AssertionError):
    """A `FakeProvider` got a request after its script ran out."""


def _copy(response: httpx.Response) -> httpx.Response:
    # A Response is single-use (the client binds its stream to the request), so each answer is a
    # fresh copy; the decoded content goes out without its content-encoding.
    response.read()
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(response.status_code, headers=headers, content=response.content)


class FakeProvider(httpx.MockTransport):
    """An `httpx.MockTransport` that answers each request with the next step of a script.

    Use it as the `transport=` of an `httpx.Client` or `httpx.AsyncClient`, or wrap it in a
    retry transport. Each step is one of:

    - an `httpx.Response`: sent as it is (a fresh copy each time, so scripts can be reused);
    - an `int` status: 400 and above is `error_response(provider, <the status's kind>,
      status=...)`, anything else an empty response with that status;
    - a `Kind` or a kind's name: `error_response(provider, kind)`;
    - a `CanonicalError`: rendered the way `provider` would send it;
    - an exception (instance or class): raised, as a transport failure would be; an
      `httpx.RequestError` gets the request attached;
    - a callable: called with the `httpx.Request`; it returns one of the above.

    Attributes:
        provider: The adapter name the scripted errors are rendered with.
        requests: Every request received, in order.

    Raises:
        ValueError: a step names an unknown kind, or `provider` is unknown.
        ScriptExhaustedError: (when a request arrives) the script has no step left.
    """

    def __init__(self, provider: str = "generic", script: Iterable[Step] = ()) -> None:
        get_adapter(provider)  # fail now, not at the first request
        self.provider = provider
        self.requests: list[httpx.Request] = []
        self._steps: deque[Step] = deque()
        self._lock = threading.Lock()
        self.extend(script)
        super().__init__(self._answer)

    def add(self, step: Step) -> FakeProvider:
        """Append one step to the script and return the fake, for chaining."""
        if isinstance(step, (str, Kind)):
            _kind(step)
        self._steps.append(step)
        return self

    def extend(self, steps: Iterable[Step]) -> FakeProvider:
        """Append steps to the script and return the fake, for chaining."""
        for step in steps:
            self.add(step)
        return self

    @property
    def calls(self) -> int:
        """How many requests the fake has received."""
        return len(self.requests)

    @property
    def remaining(self) -> int:
        """How many steps of the script are left."""
        return len(self._steps)

    def assert_exhausted(self) -> None:
        """Check that every step of the script was used.

        Raises:
            AssertionError: steps are left; the message says how many and what the first is.
        """
        __tracebackhide__ = True
        if self._steps:
            msg = (
                f"{len(self._steps)} scripted step(s) were not used after {self.calls} "
                f"request(s); next: {self._steps[0]!r}"
            )
            raise AssertionError(msg)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            if not self._steps:
                msg = (
                    f"the fake {self.provider} provider got request {len(self.requests)} "
                    f"({request.method} {request.url}) after its script of "
                    f"{len(self.requests) - 1} step(s) ran out"
                )
                raise ScriptExhaustedError(msg)
            step = self._steps.popleft()
        if callable(step) and not isinstance(step, type):
            step = step(request)
        return self._respond(step, request)

    def _respond(self, step: Step, request: httpx.Request) -> httpx.Response:
        if isinstance(step, type) and issubclass(step, BaseException):
            if issubclass(step, httpx.RequestError):
                raise step(f"scripted {step.__name__}", request=request)
            raise step
        if isinstance(step, BaseException):
            if isinstance(step, httpx.RequestError):
                try:
                    step.request  # noqa: B018 - raises RuntimeError when unset
                except RuntimeError:
                    step.request = request
            raise step
        if isinstance(step, httpx.Response):
            return _copy(step)
        if isinstance(step, CanonicalError):
            return _render_response(self.provider, step, url=None, headers=None)
        if isinstance(step, bool) or not isinstance(step, (int, str, Kind)):
            msg = f"a FakeProvider step cannot be {type(step).__name__}: {step!r}"
            raise TypeError(msg)
        if isinstance(step, int):
            if step >= 400:
                return error_response(self.provider, kind_for_status(step), status=step)
            return httpx.Response(step)
        return error_response(self.provider, step)


class FakeClock:
    """A monotonic clock that moves only when told to: by `advance`, `sleep` or `asleep`.

    Pass the clock itself (it is callable) wherever a `clock=` is taken, and its `sleep` (or
    `asleep`, for the async transport) wherever a `sleep=` is: every wait then passes at once,
    moves the clock by exactly its length, and is recorded in `sleeps`.

    ```python
    clock = FakeClock()
    transport = ae.RetryTransport(fake_provider, clock=clock, sleep=clock.sleep,
                                  store=ae.MemoryStore(clock=clock))
    ```

    Args:
        start: The time the clock shows first, in seconds.

    Attributes:
        sleeps: The seconds of every `sleep`/`asleep` so far, in order.

    Raises:
        ValueError: `start` is not a finite number.
    """

    __slots__ = ("_now", "sleeps")

    def __init__(self, start: float = 0.0) -> None:
        self._now = _finite(start, "start")
        self.sleeps: list[float] = []

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now!r}, sleeps={len(self.sleeps)})"

    def __call__(self) -> float:
        """Return the current time in seconds (as `time.monotonic()` would)."""
        return self._now

    def now(self) -> float:
        """Return the current time in seconds."""
        return self._now

    def monotonic(self) -> float:
        """Return the current time in seconds (an alias of `now`, named as in `time`)."""
        return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by `seconds` without recording a sleep; return the new time.

        Raises:
            ValueError: `seconds` is negative, NaN or infinite (a monotonic clock never goes
                back).
        """
        self._now += _non_negative(seconds)
        return self._now

    def sleep(self, seconds: float) -> None:
        """Record a sleep of `seconds` and move the clock by as much, at once.

        Raises:
            ValueError: `seconds` is negative, NaN or infinite (as `time.sleep` refuses them).
        """
        seconds = _non_negative(seconds)
        self.sleeps.append(seconds)
        self._now += seconds

    async def asleep(self, seconds: float) -> None:
        """The awaitable `sleep`, for `AsyncRetryTransport(sleep=...)`; it never suspends."""
        self.sleep(seconds)


def _finite(value: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        msg = f"{what} must be a finite number of seconds, not {value!r}"
        raise ValueError(msg)
    return float(value)


def _non_negative(seconds: float) -> float:
    seconds = _finite(seconds, "seconds")
    if seconds < 0:
        msg = f"seconds must be >= 0, not {seconds!r}"
        raise ValueError(msg)
    return seconds
