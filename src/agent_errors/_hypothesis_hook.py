"""Hypothesis's entry point: registers `canonical_errors()` for `st.from_type(CanonicalError)`.

A module of its own, importing nothing at import time: hypothesis loads its entry points while
it is itself being imported, possibly from inside `agent_errors.strategies`' own import, so the
hook must not need that module to be finished yet.
"""

from __future__ import annotations

from typing import Any


def _hypothesis_setup_hook() -> None:
    """Register a lazy strategy for `CanonicalError` (called by hypothesis on import)."""
    from hypothesis import strategies as st  # noqa: PLC0415 - hypothesis is importing us

    from ._core._model import CanonicalError  # noqa: PLC0415

    def resolve(_: type[Any]) -> st.SearchStrategy[CanonicalError]:
        from .strategies import canonical_errors  # noqa: PLC0415 - finished by draw time

        return canonical_errors()

    st.register_type_strategy(CanonicalError, resolve)
