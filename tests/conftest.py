"""Shared fixtures for the test suite (kept small: most fixtures live in their test modules).

Also the suite's hypothesis profile, loaded here and by `docs/conftest.py`: no deadline (the
suite runs on shared, noisy machines, where one slow example is not a failure), and with the
`CI` environment variable set, derandomized examples and the reproduction blob printed on
failure, so a CI run can be repeated exactly. `max_examples` stays hypothesis's default.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

PROFILE = "agent-errors"
CI_PROFILE = "agent-errors-ci"


def load_hypothesis_profile() -> str:
    """Register the suite's profiles, load the one for this environment and return its name."""
    settings.register_profile(PROFILE, deadline=None)
    settings.register_profile(
        CI_PROFILE, parent=settings.get_profile(PROFILE), derandomize=True, print_blob=True
    )
    name = CI_PROFILE if os.environ.get("CI", "").lower() not in ("", "0", "false") else PROFILE
    settings.load_profile(name)
    return name


load_hypothesis_profile()


@pytest.fixture
def anyio_backend() -> str:
    """Run `@pytest.mark.anyio` tests on asyncio only (trio is not a dependency)."""
    return "asyncio"
