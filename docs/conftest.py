"""Run every ```python block of the documentation as a test (sybil's Markdown parsers).

The blocks of one page share a namespace and run in order. A block that must not run is
preceded by `<!-- skip: next -->`; `<!-- clear-namespace -->` starts afresh.

The examples that use hypothesis run under the test suite's profile, defined once in
`tests/conftest.py`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sybil import Sybil
from sybil.parsers.markdown import ClearNamespaceParser, PythonCodeBlockParser, SkipParser


def _load_hypothesis_profile() -> None:
    path = Path(__file__).resolve().parent.parent / "tests" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_agent_errors_tests_conftest", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.load_hypothesis_profile()


_load_hypothesis_profile()

pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser(), ClearNamespaceParser()],
    patterns=["*.md"],
).pytest()
