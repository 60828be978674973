"""The canonical form itself: `{"error": <CanonicalError as agent_errors.to_dict writes it>}`.

This is what a gateway sends when it answers in agent-errors' own format
(`agent_errors.render(error, to="canonical")`). Reading it back gives the same error: every field
travels in the body, so the original provider's name and the error's own status (None for an error
from a stream) survive, whatever status the response itself carries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from agent_errors._core._model import CanonicalError, Kind
from agent_errors._core._redact import redact
from agent_errors._core._serialize import to_dict
from agent_errors.adapter_kit import (
    ErrorCode,
    Parsed,
    ProviderPack,
    Rendered,
    ResponseView,
    Shape,
    code_table,
    default_status,
    finish_error,
    first_str,
    json_rendered,
    provider_details,
    retry_after_seconds,
)

NAME: Final = "canonical"
HOSTS: Final[tuple[str, ...]] = ()

# The codes of this format are the kinds themselves.
CODES: Final = code_table(
    *(ErrorCode(kind.value, kind, kind.default_status, f"kind {kind.value}") for kind in Kind)
)
_KINDS: Final = {kind.value: kind for kind in Kind}
_SIGNATURE: Final = ("kind", "message", "retryable", "provider")
# A provider named in the body is the upstream's word: a short name, redacted, or this adapter's.
_PROVIDER_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


def _document(view: ResponseView) -> Mapping[str, Any] | None:
    err = view.error_object
    if err is None or not all(key in err for key in _SIGNATURE):
        return None
    kind = err.get("kind")
    if not isinstance(kind, str) or kind not in _KINDS:
        return None
    if not isinstance(err.get("retryable"), bool):
        return None
    return err


def _provider(value: object) -> str:
    name = first_str(value)
    if name is None or not _PROVIDER_RE.fullmatch(name):
        return NAME
    return redact(name)


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


PACK: Final = ProviderPack(NAME, codes=CODES, hosts=HOSTS)
"""Our own format: its codes are the kinds; no retry profile of its own."""


class CanonicalAdapter:
    """Reads and writes agent-errors' own JSON form of a `CanonicalError`."""

    name = NAME
    hosts = HOSTS
    codes = CODES
    shapes = frozenset({Shape.TYPED_ENVELOPE, Shape.CANONICAL})
    pack = PACK

    def sniff(self, view: ResponseView) -> float:
        """0.99 for an `error` object with kind, message, retryable and provider; else 0."""
        return 0.99 if _document(view) is not None else 0.0

    def read(self, view: ResponseView) -> Parsed | None:
        """Return the error the body describes; None when the body is not in this form."""
        err = _document(view)
        if err is None:
            return None
        kind = _KINDS[err["kind"]]
        status: Any = view.status
        if "status" in err:
            raw = err["status"]
            ok = isinstance(raw, int) and not isinstance(raw, bool) and 100 <= raw <= 999
            status = raw if ok else None
        details = err.get("details")
        return Parsed(
            provider=_provider(err.get("provider")),
            kind=kind,
            message=first_str(err.get("message")),
            code=_optional_str(err.get("code")),
            param=_optional_str(err.get("param")),
            details=dict(details) if isinstance(details, dict) else None,
            retryable=err["retryable"],
            status=status,
            retry_after=retry_after_seconds(err.get("retry_after")),
            request_id=_optional_str(err.get("request_id")),
        )

    def parse(self, view: ResponseView) -> CanonicalError | None:
        """Return the finished error `read` finds; None when it finds none."""
        parsed = self.read(view)
        return None if parsed is None else finish_error(view, parsed, NAME)

    def render(self, error: CanonicalError) -> Rendered:
        """Render `{"error": to_dict(error)}` with the error's status (or its kind's).

        `details` holds `provider_details(error)`: normalizing then rendering gives back the same
        document.
        """
        document = to_dict(error)
        document["details"] = provider_details(error)
        return json_rendered(default_status(error), {"error": document}, error=error)


ADAPTER: Final = CanonicalAdapter()
