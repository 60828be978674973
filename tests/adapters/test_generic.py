"""The generic adapter: every family of body it reads, and a render that keeps every kind.

The body families themselves are in `test_generic_shapes.py` and `test_wider_formats.py`.
"""

from __future__ import annotations

from _contract import AdapterContract, pytest_generate_tests

__all__ = ["TestGeneric", "pytest_generate_tests"]


class TestGeneric(AdapterContract):
    """OpenAI/Anthropic-style envelopes and the rest of the wider world."""

    provider = "generic"
    every_kind = True
