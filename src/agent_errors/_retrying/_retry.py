"""The retry engine: `RetryPolicy.decide(error, ...)` -> `Decision`. Pure: no I/O, no sleeping.

The rules, checked in this order (the first that says no wins; its word is the decision's
`reason`):

| reason                   | no retry when ...                                                    |
|--------------------------|----------------------------------------------------------------------|
| `server_says_no`         | the response carried `x-should-retry` / `Stripe-Should-Retry: false` |
| `never_retried`          | the status is one the provider never wants retried (Qoder: 409)     |
| `feature_not_available`  | a feature needs activation; `fix_headers` names the header to send   |
| `not_retryable`          | the kind is not retryable here (`x-should-retry: true` overrides), |
|                          | or the status is 505, which no wait clears                          |
| `stream_established`     | a stream already delivered its response; resume, do not re-send      |
| `unsafe_method`          | a write without an idempotency key may already have been processed  |
| `max_retries`            | the attempts are used up                                            |
| `server_delay_too_long`  | the server asked for a wait above the policy's ceiling              |
| `deadline`               | the wait would end past the overall deadline                        |
| `budget_exhausted`       | the retry budget is empty (set by the flow: `RetryBudget.withdraw`) |

A retry's reason says where its delay came from: `server_delay` (the server's wait, never
shortened) or `backoff` (initial * multiplier**(attempt - 1), capped, jittered).

`decide` reads only its arguments and the policy (and draws jitter from the policy's random):
testing mode and the retry budget's store belong to the flows that drive it (the transports,
the bridges), which apply them around the decision.
"""

from __future__ import annotations

import enum
import logging
import math
import random as _random
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import attrs

from agent_errors._core._model import CanonicalError, Kind
from agent_errors._parsing._packs import PROFILE_NAMES

_logger = logging.getLogger("agent_errors")

if TYPE_CHECKING:
    from ._store import Store

__all__ = [
    "IDEMPOTENCY_HEADERS",
    "PROFILE_NAMES",
    "RETRY_REASONS",
    "Decision",
    "Jitter",
    "RetryBudget",
    "RetryPolicy",
]

IDEMPOTENCY_HEADERS: Final = ("idempotency-key", "x-idempotency-key")
"""Request headers that make a write safe to retry."""

RETRY_REASONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "backoff": "retry after the backoff delay",
        "server_delay": "retry after the delay the server asked for",
        "server_says_no": "the server said not to retry (x-should-retry: false)",
        "never_retried": "the provider never wants this status retried",
        "feature_not_available": "the feature needs activation; change the request",
        "not_retryable": "this kind of error does not go away by retrying",
        "stream_established": "the stream was established: resume it (Last-Event-ID)",
        "unsafe_method": "the write may have been processed and has no idempotency key",
        "max_retries": "no retries left",
        "server_delay_too_long": "the server asked for a wait above the policy's ceiling",
        "deadline": "the wait would end past the overall deadline",
        "budget_exhausted": "the retry budget is spent; too many retries lately",
        "body_not_replayable": "the request body was a stream that cannot be sent again",
    }
)
"""Every reason word a decision may carry, with its meaning. These words are stable."""

_NO_HEADERS: Final[Mapping[str, str]] = MappingProxyType({})
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_THROTTLE_KINDS: Final = frozenset({Kind.RATE_LIMITED, Kind.CONCURRENCY_LIMITED})
_DEFAULT_KINDS: Final = frozenset(kind for kind in Kind if kind.retryable)
# Statuses that no wait clears: 505 (HTTP Version Not Supported) answers every attempt the same.
_NEVER_CLEARS: Final = frozenset({505})


class Jitter(str, enum.Enum):
    """How a backoff delay `d` is randomized (`u` is uniform in [0, 1)).

    none: `d`. full: `u·d`. equal: `d/2 + u·d/2`. proportional: `d·(1 + f·(2u - 1))`, `f` being
    the policy's `jitter_fraction`, clamped to `max_delay` (as stamina clamps after jitter): no
    mode ever gives more than the cap. A server-given delay is never shortened by any of them.
    """

    NONE = "none"
    FULL = "full"
    EQUAL = "equal"
    PROPORTIONAL = "proportional"

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class RetryBudget:
    """A token bucket that stops an outage from becoming a retry storm.

    Each retry withdraws tokens; each success deposits `refund`. Throttling errors (rate or
    concurrency limited) cost less than failures: the server is alive and said when to return,
    while repeated failures suggest an outage that more traffic makes worse.

    Attributes:
        capacity: Tokens in a full bucket (every scope starts full).
        failure_cost: Tokens a retry of a failure (5xx, timeout, network) takes.
        throttle_cost: Tokens a retry of a throttling error takes.
        refund: Tokens a successful response puts back.
    """

    capacity: float = 10.0
    failure_cost: float = 1.0
    throttle_cost: float = 0.25
    refund: float = 0.1

    def cost(self, error: CanonicalError) -> float:
        """Return the tokens a retry of `error` costs."""
        return self.throttle_cost if error.kind in _THROTTLE_KINDS else self.failure_cost

    def withdraw(self, store: Store, error: CanonicalError, *, scope: str = "default") -> bool:
        """Take the cost of retrying `error` from `store`'s bucket for `scope`.

        Returns whether the retry may go ahead (False: the bucket is empty; refuse the retry
        with `Decision.refuse("budget_exhausted")`). Raises what the store raises.
        """
        return store.withdraw(scope, self.cost(error), capacity=self.capacity)

    async def awithdraw(
        self, store: Store, error: CanonicalError, *, scope: str = "default"
    ) -> bool:
        """The async `withdraw`, through the store's async methods."""
        return await store.awithdraw(scope, self.cost(error), capacity=self.capacity)


def _str_map(value: Mapping[str, str]) -> Mapping[str, str]:
    if type(value) is MappingProxyType:
        return value
    return MappingProxyType(dict(value))


def _strs(value: object) -> tuple[str, ...]:
    return tuple(str(item) for item in value)  # type: ignore[attr-defined]


def _upper_methods(value: object) -> frozenset[str]:
    return frozenset(str(method).upper() for method in value)  # type: ignore[attr-defined]


def _kinds(value: object) -> frozenset[Kind]:
    return frozenset(Kind(kind) for kind in value)  # type: ignore[attr-defined]


def _ints(value: object) -> frozenset[int]:
    return frozenset(int(item) for item in value)  # type: ignore[attr-defined]


def _opt_ints(value: object) -> frozenset[int] | None:
    return None if value is None else _ints(value)


def _non_negative(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
        msg = f"{attribute.name} must be a number >= 0, not {value!r}"
        raise ValueError(msg)


@attrs.frozen
class Decision:
    """What to do after a failed attempt.

    Attributes:
        retry: Whether to send the request again.
        delay: Seconds to wait before doing so (0.0 when not retrying).
        reason: A stable word from `RETRY_REASONS` saying why.
        attempt: Attempts made so far (1 after the first failure).
        kind: The error's kind.
        status: The error's HTTP status, if any.
        request_id: The error's request id, if any.
        retry_after: The wait the server asked for, if any (kept even when not retrying).
        fix_headers: Request headers that would make the request succeed (Qoder's 501 names its
            beta header), empty when none is known.
    """

    retry: bool
    delay: float
    reason: str
    attempt: int
    kind: Kind
    status: int | None = None
    request_id: str | None = None
    retry_after: float | None = None
    fix_headers: Mapping[str, str] = attrs.field(
        default=_NO_HEADERS, converter=_str_map, hash=False
    )

    def refuse(self, reason: str) -> Decision:
        """Return this decision turned into a no-retry with `reason`."""
        return attrs.evolve(self, retry=False, delay=0.0, reason=reason)

    def as_dict(self) -> dict[str, Any]:
        """Return the decision as a plain, JSON-ready dict (kind as its string value)."""
        return {
            "retry": self.retry,
            "delay": self.delay,
            "reason": self.reason,
            "attempt": self.attempt,
            "kind": self.kind.value,
            "status": self.status,
            "request_id": self.request_id,
            "retry_after": self.retry_after,
            "fix_headers": dict(self.fix_headers),
        }

    def describe(self) -> str:
        """Return one line of text for people: what to do and why."""
        if self.retry:
            text = f"retry in {self.delay:.2f}s ({self.reason}; attempt {self.attempt} failed)"
        else:
            text = f"do not retry ({self.reason}): {RETRY_REASONS.get(self.reason, self.reason)}"
            if self.retry_after is not None and self.reason in {
                "server_delay_too_long",
                "deadline",
                "max_retries",
                "budget_exhausted",
            }:
                text += f"; the server named a wait of {self.retry_after:g}s"
        if self.fix_headers:
            pairs = ", ".join(f"{name}: {value}" for name, value in self.fix_headers.items())
            text += f"; send the header {pairs}"
        return text


@attrs.frozen
class RetryPolicy:
    """When and how long to wait before retrying. Build one, or use `for_provider(name)`.

    Attributes:
        max_retries: Retries after the first attempt (so `max_retries + 1` attempts in all).
        initial_delay: Backoff before the first retry, in seconds.
        multiplier: Each further retry waits this many times longer.
        max_delay: Cap on a backoff delay (a server's delay is capped by `max_server_delay`).
        jitter: How backoff delays are randomized (`Jitter`).
        jitter_fraction: The spread of `Jitter.PROPORTIONAL` (0.25 = ±25 %).
        max_server_delay: Ceiling on a server-given wait: above it the decision is not to retry
            now (the error keeps `retry_after`). None: no ceiling.
        deadline: Seconds from the first attempt after which no retry starts; None: none.
        retry_on: Kinds worth retrying.
        retry_4xx: When set, the only 4xx statuses ever retried (Qoder: 429 alone).
        never_retry_statuses: Statuses never retried, whatever the server says.
        idempotent_methods: Methods safe to retry without an idempotency key.
        idempotency_header: The header the transports add to writes (None: the provider
            does not honour one, so none is added).
        gateway_statuses: Statuses that, without a provider code, come from a gateway that
            rejected the request before the application saw it (safe for any method).
        throttle_default: Wait for a rate-limited error that names no delay (None: backoff).
        budget: The retry budget (None: unlimited).
        stream_paths: URL path suffixes (`*` matches one segment) of streaming endpoints.
        seed: Seed for the jitter's random numbers (None: unpredictable).
        random: A callable returning uniform floats in [0, 1); overrides `seed` (for tests).
    """

    max_retries: int = attrs.field(default=3, validator=_non_negative)
    initial_delay: float = attrs.field(default=0.5, validator=_non_negative)
    multiplier: float = attrs.field(default=2.0, validator=_non_negative)
    max_delay: float = attrs.field(default=8.0, validator=_non_negative)
    jitter: Jitter = attrs.field(default=Jitter.FULL, converter=Jitter)
    jitter_fraction: float = attrs.field(default=0.25, validator=_non_negative)
    max_server_delay: float | None = attrs.field(default=60.0, validator=_non_negative)
    deadline: float | None = attrs.field(default=None, validator=_non_negative)
    retry_on: frozenset[Kind] = attrs.field(default=_DEFAULT_KINDS, converter=_kinds)
    retry_4xx: frozenset[int] | None = attrs.field(default=None, converter=_opt_ints)
    never_retry_statuses: frozenset[int] = attrs.field(default=frozenset(), converter=_ints)
    idempotent_methods: frozenset[str] = attrs.field(
        default=_SAFE_METHODS, converter=_upper_methods
    )
    idempotency_header: str | None = None
    gateway_statuses: frozenset[int] = attrs.field(default=frozenset(), converter=_ints)
    throttle_default: float | None = attrs.field(default=None, validator=_non_negative)
    budget: RetryBudget | None = attrs.field(factory=RetryBudget)
    stream_paths: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    seed: int | None = None
    random: Callable[[], float] | None = attrs.field(default=None, eq=False, repr=False)
    _draw: Callable[[], float] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        draw = self.random if self.random is not None else _random.Random(self.seed).random  # noqa: S311 - jitter, not cryptography
        object.__setattr__(self, "_draw", draw)

    @classmethod
    def for_provider(cls, name: str | None) -> RetryPolicy:
        """Return the policy that follows `name`'s documented guidance.

        Known (`PROFILE_NAMES`): the adapters `qoder`, `onecli`, `agentgate`, `agents_sdk` and
        `google_rpc` (Gemini, Vertex AI), and the providers `openai`, `azure_openai`,
        `anthropic`, `aws`, `bedrock`, `mistral`, `groq`, `openrouter`, `together`, `deepseek`
        and `xai` (docs/providers.md cites each one's guidance); a registered adapter whose
        `pack` has a `retry` profile gets that; any other name (or None) gets the default
        policy. Never raises.
        """
        # The profiles live in the provider packs (the adapters' and `_packs.PROFILE_PACKS`);
        # the registry, which loads the adapters, is imported only when a profile is asked for.
        from agent_errors._parsing._registry import provider_pack  # noqa: PLC0415

        pack = provider_pack(name) if name else None
        if pack is None or pack.retry is None:
            return cls()
        try:
            return cls(**pack.retry)
        except (TypeError, ValueError):
            # A third-party pack's profile names an unknown field or a bad value: the default
            # policy, never an exception on every request to the provider's host.
            _logger.warning("the retry profile of %r is not valid; using the default", name)
            return cls()

    def backoff(self, attempt: int) -> float:
        """Return the jittered backoff delay after `attempt` attempts (1 = the first failure)."""
        exponent = min(max(attempt, 1) - 1, 64)  # 2**64 is past any cap; avoid overflow
        try:
            base = self.initial_delay * self.multiplier**exponent
        except OverflowError:
            base = math.inf
        base = min(base, self.max_delay)
        jitter = self.jitter
        if jitter is Jitter.NONE or base <= 0:
            return base
        u = self._draw()
        if jitter is Jitter.FULL:
            return base * u
        if jitter is Jitter.EQUAL:
            return base / 2 + base * u / 2
        # The cap holds after jitter too: a delay spread upwards past `max_delay` is cut to it.
        return min(self.max_delay, max(0.0, base * (1 + self.jitter_fraction * (2 * u - 1))))

    def is_stream(self, path: str) -> bool:
        """Return whether a URL path is one of the policy's streaming endpoints."""
        return any(_path_matches(path, pattern) for pattern in self.stream_paths)

    def decide(
        self,
        error: CanonicalError,
        *,
        attempt: int,
        method: str = "GET",
        idempotency_key: str | None = None,
        elapsed: float = 0.0,
        stream_established: bool = False,
    ) -> Decision:
        """Decide whether and when to retry after `attempt` attempts ended in `error`.

        Args:
            error: The canonical error of the last attempt.
            attempt: Attempts made so far (1 after the first failure).
            method: The request's HTTP method.
            idempotency_key: The request's idempotency key, if it carries one.
            elapsed: Seconds since the first attempt started (for the deadline).
            stream_established: The error came from a stream whose response had already
                arrived; such a request is never re-sent.

        Returns:
            A `Decision`. Pure: the same arguments and random draws give the same decision,
            in testing mode or not; the flows (transports, bridges) apply testing mode and
            the retry budget (`RetryBudget.withdraw`) around it.

        Raises:
            TypeError: `error` is not a `CanonicalError`.
        """
        if not isinstance(error, CanonicalError):
            msg = f"decide() takes a CanonicalError, not {type(error).__name__}"  # type: ignore[unreachable]
            raise TypeError(msg)
        retry, delay, reason = self._verdict(
            error,
            attempt,
            method=method,
            idempotency_key=idempotency_key,
            elapsed=elapsed,
            stream_established=stream_established,
        )
        return Decision(
            retry,
            delay,
            reason,
            attempt,
            error.kind,
            error.status,
            error.request_id,
            error.retry_after,
            _fix_headers(error),
        )

    def _verdict(
        self,
        error: CanonicalError,
        attempt: int,
        *,
        method: str,
        idempotency_key: str | None,
        elapsed: float,
        stream_established: bool,
    ) -> tuple[bool, float, str]:
        kind = error.kind
        status = error.status
        details = error.details
        should_retry = details.get("should_retry") if details else None
        if should_retry is False:
            return False, 0.0, "server_says_no"
        if status is not None and status in self.never_retry_statuses:
            return False, 0.0, "never_retried"
        if kind is Kind.FEATURE_NOT_AVAILABLE and should_retry is not True:
            return False, 0.0, "feature_not_available"
        if should_retry is not True and not self._retryable(error):
            return False, 0.0, "not_retryable"
        if status in _NEVER_CLEARS:
            return False, 0.0, "not_retryable"
        if stream_established:
            return False, 0.0, "stream_established"
        if not self._safe(error, method, idempotency_key):
            return False, 0.0, "unsafe_method"
        if attempt > self.max_retries:
            return False, 0.0, "max_retries"

        delay = self.backoff(attempt)
        reason = "backoff"
        server = error.retry_after
        if server is None and kind in _THROTTLE_KINDS:
            server = self.throttle_default
        if server is not None:
            if self.max_server_delay is not None and server > self.max_server_delay:
                return False, 0.0, "server_delay_too_long"
            if server >= delay:  # jitter and backoff never shorten the server's wait
                delay, reason = server, "server_delay"
        if self.deadline is not None and elapsed + delay > self.deadline:
            return False, 0.0, "deadline"
        return True, delay, reason

    def _retryable(self, error: CanonicalError) -> bool:
        if error.kind not in self.retry_on:
            return False
        status = error.status
        if self.retry_4xx is not None and status is not None and 400 <= status < 500:
            return status in self.retry_4xx
        # A provider's own non-retryable code (e.g. a run's EXECUTION_TIMEOUT) wins over its kind.
        return error.retryable

    def _safe(self, error: CanonicalError, method: str, idempotency_key: str | None) -> bool:
        methods = self.idempotent_methods
        if idempotency_key or method in methods or method.upper() in methods:
            return True
        # A request the server never processed is safe to send again, whatever its method.
        if error.kind in (Kind.NETWORK, Kind.TIMEOUT) and error.status is None:
            return error.details.get("request_sent") is False
        if error.kind in _THROTTLE_KINDS:
            return True
        return error.code is None and error.status in self.gateway_statuses


def _fix_headers(error: CanonicalError) -> Mapping[str, str]:
    details = error.details
    if not details or "beta_header" not in details:  # nearly every error: no ABC check
        return _NO_HEADERS
    beta = details["beta_header"]
    if isinstance(beta, Mapping):
        return MappingProxyType({str(name): str(value) for name, value in beta.items()})
    return _NO_HEADERS


def _path_matches(path: str, pattern: str) -> bool:
    want = pattern.strip("/").split("/")
    have = path.rstrip("/").split("/")
    if len(have) < len(want):
        return False
    tail = have[len(have) - len(want) :]
    return all(w in ("*", h) for w, h in zip(want, tail, strict=True))
