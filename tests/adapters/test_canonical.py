"""Our own canonical JSON, read back (its rendering is in tests/test_render.py)."""

from __future__ import annotations

from _contract import AdapterContract, pytest_generate_tests

__all__ = ["TestCanonical", "pytest_generate_tests"]


class TestCanonical(AdapterContract):
    """`render(error, to="canonical")` bodies and the golden responses in that format."""

    provider = "canonical"
    renders = False

    def test_has_golden_responses(self) -> None:
        """The canonical format has no upstream: its cases are written by `render`."""
