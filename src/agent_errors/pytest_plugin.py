"""The pytest plugin, loaded through the `pytest11` entry point when agent-errors is installed.

Fixtures:

- `fake_provider`: an `agent_errors.testing.FakeProvider`, scripted by the `agent_errors`
  marker (`provider=`, `script=`), or empty (add steps with `.add()`/`.extend()`).
- `no_wait`: turns on agent-errors' testing mode for the test: retries happen at once, never
  sleeping; the marker's `attempts=` caps the attempts a retry transport makes.

Marker: `@pytest.mark.agent_errors(provider="qoder", script=[429, 503, 200], attempts=None)`.

Kept import-light: nothing beyond pytest is imported until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .testing import FakeProvider

# The helpers' asserts get pytest's introspection; this must run before the module is imported.
pytest.register_assert_rewrite("agent_errors.testing")

MARKER = "agent_errors"
"""The marker's name."""

_MARKER_HELP = (
    f"{MARKER}(provider='generic', script=(), attempts=None): configure agent-errors' "
    "fake_provider fixture (the provider its errors are rendered for, and its script of "
    "responses) and no_wait fixture (attempts: cap on attempts in testing mode)."
)
_MARKER_KEYS = frozenset({"provider", "script", "attempts"})


def pytest_configure(config: pytest.Config) -> None:
    """Register the `agent_errors` marker (so `--strict-markers` accepts it)."""
    config.addinivalue_line("markers", _MARKER_HELP)


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options: dict[str, Any] = {}
    # Closest last: a marker on the function overrides one on its class or module.
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            msg = f"@pytest.mark.{MARKER} takes keyword arguments only: {_MARKER_HELP}"
            raise pytest.UsageError(msg)
        unknown = sorted(set(marker.kwargs) - _MARKER_KEYS)
        if unknown:
            msg = f"@pytest.mark.{MARKER} got unknown argument(s) {', '.join(unknown)}"
            raise pytest.UsageError(msg)
        options.update(marker.kwargs)
    return options


@pytest.fixture
def fake_provider(request: pytest.FixtureRequest) -> FakeProvider:
    """A scripted fake provider (an `httpx.MockTransport`); see `agent_errors.testing`."""
    from .testing import FakeProvider  # noqa: PLC0415 - imported only when the fixture is used

    options = _marker_options(request)
    return FakeProvider(options.get("provider", "generic"), options.get("script", ()))


@pytest.fixture
def no_wait(request: pytest.FixtureRequest) -> Iterator[None]:
    """Agent-errors' testing mode for one test: no retry ever sleeps (see `set_testing`)."""
    import agent_errors  # noqa: PLC0415 - imported only when the fixture is used

    options = _marker_options(request)
    with agent_errors.set_testing(True, attempts=options.get("attempts")):
        yield
