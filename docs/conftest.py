"""Run every ```python block of the documentation as a test (sybil's Markdown parsers).

The blocks of one page share a namespace and run in order. A block that must not run is
preceded by `<!-- skip: next -->`; `<!-- clear-namespace -->` starts afresh.
"""

from __future__ import annotations

from sybil import Sybil
from sybil.parsers.markdown import ClearNamespaceParser, PythonCodeBlockParser, SkipParser

pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser(), ClearNamespaceParser()],
    patterns=["*.md"],
).pytest()
