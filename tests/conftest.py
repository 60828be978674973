"""Shared fixtures for the test suite (kept small: most fixtures live in their test modules)."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """Run `@pytest.mark.anyio` tests on asyncio only (trio is not a dependency)."""
    return "asyncio"
