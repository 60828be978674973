"""Hypothesis strategies for canonical errors and provider-shaped error responses.

- `canonical_errors(kinds=None, providers=None)`: `CanonicalError` values as the adapters
  produce them (a provider's documented code and status for the kind, realistic messages and
  hints).
- `error_responses(provider=None, kinds=None)`: `httpx.Response` objects exactly as a provider
  sends an error, written by each adapter's `render`.
- `expressible_kinds(provider)`: the kinds a provider documents;
  `round_trip_fields(provider)`: the `CanonicalError` fields its format carries, so that an
  error rendered its way and normalized again has them back unchanged (`ROUND_TRIP_FIELDS`).

Once agent-errors is installed, `st.from_type(CanonicalError)` uses `canonical_errors()` (through
hypothesis's `hypothesis` entry point). Examples shrink towards the first kind, no optional
fields and short messages.

Hypothesis is an optional dependency: `import agent_errors` never imports this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs
import httpx
from hypothesis import strategies as st

from ._core._model import CanonicalError, Kind
from ._parsing._registry import get_adapter, registered_adapters
from .adapter_kit import ErrorCode
from .testing import error_response

__all__ = [
    "ROUND_TRIP_FIELDS",
    "canonical_errors",
    "error_responses",
    "expressible_kinds",
    "round_trip_fields",
]

# Plain words: messages built from them never look like a secret or a retry hint, so what a
# strategy draws is what normalization reports.
_WORDS: Final = (
    "request",
    "failed",
    "invalid",
    "value",
    "for",
    "field",
    "the",
    "agent",
    "session",
    "is",
    "not",
    "allowed",
    "missing",
    "name",
    "limit",
    "reached",
    "please",
    "check",
    "your",
    "input",
)
_PARAMS: Final = ("name", "model", "session_id", "agent_id", "X-Project-Id", "input.text")
_DETAIL_KEYS: Final = ("feature", "field", "limit", "scope", "resource")
# Kinds that can appear in an HTTP response (a network error has none).
_RESPONSE_KINDS: Final = tuple(kind for kind in Kind if kind is not Kind.NETWORK)


def _provider_names(providers: Iterable[str] | None) -> list[str]:
    if providers is None:
        return sorted(registered_adapters())
    names = list(providers)
    for name in names:
        get_adapter(name)
    if not names:
        msg = "providers must name at least one provider"
        raise ValueError(msg)
    return names


def _kind_list(kinds: Iterable[Kind | str] | None, default: Iterable[Kind]) -> list[Kind]:
    chosen = list(default) if kinds is None else [Kind(kind) for kind in kinds]
    if not chosen:
        msg = "kinds must name at least one kind"
        raise ValueError(msg)
    return chosen


def expressible_kinds(provider: str) -> tuple[Kind, ...]:
    """Return the kinds a provider's code table documents, in `Kind` order.

    These are the kinds `error_responses(provider)` draws by default: the errors that provider
    actually sends.

    Raises:
        ValueError: `provider` is unknown.
    """
    codes = get_adapter(provider).codes
    documented = {row.kind for row in codes.values()}
    return tuple(kind for kind in Kind if kind in documented and kind is not Kind.NETWORK)


_ALL_FIELDS: Final = frozenset(field.name for field in attrs.fields(CanonicalError))
_LOSES_DETAILS: Final = _ALL_FIELDS - {"details"}

ROUND_TRIP_FIELDS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        # Writes field errors and the request id only; reads back the run id and run status.
        "agentgate": _LOSES_DETAILS,
        # No place for `param` (read only from "X is required" messages), nor for details.
        "agents_sdk": _LOSES_DETAILS - {"param"},
        # Every field travels in the body, a missing status and the original provider included.
        "canonical": _ALL_FIELDS,
        "generic": _LOSES_DETAILS,
        # Reads the google.rpc status name back into details.
        "google_rpc": _LOSES_DETAILS,
        # No place for `param` (recovered only from the documented messages), nor for details.
        "onecli": _LOSES_DETAILS - {"param"},
        # Details come back, with the document's `type` and `title` beside them.
        "problem_details": _LOSES_DETAILS,
        "qoder": _LOSES_DETAILS,
    }
)
"""Per built-in adapter: the `CanonicalError` fields an error keeps through a round trip.

A round trip is `normalize(error_response(provider, error.kind, **fields))` for an error of a
kind the provider documents (`expressible_kinds`), given every field. `retry_after` travels in
whole seconds (the `Retry-After` header), so it is kept when it is whole. `status` is kept with
the statusless errors too: AgentGate sends them as failed run results (a 200) and `canonical`
in its body, and both read back None. `details` is compared without the entries normalization
adds (`agent_errors.adapter_kit.provider_details`).
"""

_ALWAYS_KEPT: Final = frozenset({"kind", "provider"})


def round_trip_fields(provider: str) -> frozenset[str]:
    """Return the fields an error keeps through `provider`'s format (see `ROUND_TRIP_FIELDS`).

    An adapter the table does not know (a third-party one) is promised `kind` and `provider`
    only.

    Raises:
        ValueError: `provider` is unknown.
    """
    name = get_adapter(provider).name
    return ROUND_TRIP_FIELDS.get(name, _ALWAYS_KEPT)


def _rows(codes: Mapping[str, ErrorCode], kind: Kind) -> list[ErrorCode]:
    return [row for row in codes.values() if row.kind is kind]


_messages: Final = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=8).map(
    lambda words: " ".join(words).capitalize() + "."
)
_request_ids: Final = st.integers(0, 2**32 - 1).map(lambda n: f"req_{n:08x}")
_details: Final = st.dictionaries(
    st.sampled_from(_DETAIL_KEYS),
    st.integers(0, 1000) | st.sampled_from(_WORDS),
    max_size=2,
)


@st.composite
def _canonical_error(draw: st.DrawFn, kinds: list[Kind], providers: list[str]) -> CanonicalError:
    provider = draw(st.sampled_from(providers))
    kind = draw(st.sampled_from(kinds))
    rows = _rows(get_adapter(provider).codes, kind)
    row = draw(st.none() | st.sampled_from(rows)) if rows else None
    status = row.status if row is not None and row.status else kind.default_status
    if kind is Kind.NETWORK:
        status = None
    documented = st.just(row.summary) if row is not None and row.summary else st.nothing()
    message = draw(documented | _messages)
    return CanonicalError(
        kind=kind,
        message=message,
        param=draw(st.none() | st.sampled_from(_PARAMS)),
        retryable=row.is_retryable if row is not None else kind.retryable,
        retry_after=draw(
            st.none() | st.integers(0, 120).map(float) | st.floats(0, 3600, allow_subnormal=False)
        ),
        request_id=draw(st.none() | _request_ids),
        status=status,
        code=row.code if row is not None else None,
        provider=provider,
        details=draw(_details),
    )


def canonical_errors(
    *, kinds: Iterable[Kind | str] | None = None, providers: Iterable[str] | None = None
) -> st.SearchStrategy[CanonicalError]:
    """Return a strategy for `CanonicalError` values as the adapters produce them.

    Each error has a provider from `providers` (default: every registered adapter), a kind from
    `kinds` (default: every kind), and either one of that provider's documented codes for the
    kind (with its status and description) or no code. Hints, `param` and `details` are optional.

    Raises:
        ValueError: a provider or kind is unknown, or either list is empty.
    """
    return _canonical_error(_kind_list(kinds, Kind), _provider_names(providers))


@st.composite
def _error_response(
    draw: st.DrawFn, kinds: list[Kind] | None, providers: list[str]
) -> httpx.Response:
    provider = draw(st.sampled_from(providers))
    choices = list(kinds) if kinds is not None else list(expressible_kinds(provider))
    kind = draw(st.sampled_from(choices or list(_RESPONSE_KINDS)))
    rows = _rows(get_adapter(provider).codes, kind)
    fields: dict[str, Any] = {}
    if rows:
        row = draw(st.sampled_from(rows))
        fields["code"] = row.code
        if row.status:
            fields["status"] = row.status
    message = draw(st.none() | _messages)
    if message is not None:
        fields["message"] = message
    param = draw(st.none() | st.sampled_from(_PARAMS))
    if param is not None:
        fields["param"] = param
    retry_after = draw(st.none() | st.integers(0, 120))
    if retry_after is not None:
        fields["retry_after"] = float(retry_after)
    request_id = draw(st.none() | _request_ids)
    if request_id is not None:
        fields["request_id"] = request_id
    return error_response(provider, kind, **fields)


def error_responses(
    provider: str | None = None, *, kinds: Iterable[Kind | str] | None = None
) -> st.SearchStrategy[httpx.Response]:
    """Return a strategy for error responses exactly as providers send them.

    Each response is `agent_errors.testing.error_response` for a provider (`provider`, or any
    registered adapter), a kind (from `kinds`, by default the kinds that provider documents) and
    one of the provider's codes for it, with an optional message, `param`, `Retry-After` (whole
    seconds) and request id.

    Raises:
        ValueError: the provider or a kind is unknown, `kinds` is empty or names `network` (which
            has no response).
    """
    providers = _provider_names(None if provider is None else [provider])
    chosen = None if kinds is None else _kind_list(kinds, ())
    if chosen is not None and Kind.NETWORK in chosen:
        msg = "a network error has no response; kinds cannot include 'network'"
        raise ValueError(msg)
    return _error_response(chosen, providers)
