"""The documentation: its examples all run, its generated sections, and its strict build."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import agent_errors as ae
from agent_errors import registered_adapters

pytest_plugins = ["pytester"]

DOCS = Path(__file__).resolve().parent.parent / "docs"
ROOT = DOCS.parent
_FENCE = re.compile(r"^(`{3,}|~{3,})([^\n`]*)$", re.MULTILINE)
_PYTEST_EXAMPLE = re.compile(r"<!-- pytest-example -->\n```python\n(.*?)\n```", re.DOTALL)


def _pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "_hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("page", _pages(), ids=lambda page: page.name)
def test_every_python_example_is_one_sybil_runs(page: Path) -> None:
    # Sybil runs fences whose info string is exactly "python"; a "py" or "python3" fence, or one
    # with a title, would be shown but silently never run.
    for match in _FENCE.finditer(page.read_text(encoding="utf-8")):
        info = match.group(2).strip()
        if info and re.match(r"(py|python|pycon)\b", info):
            assert info == "python", f"{page.name}: fence {info!r} would not be run"


def _pytest_examples() -> list[tuple[str, int, str]]:
    found = []
    for page in _pages():
        for number, match in enumerate(_PYTEST_EXAMPLE.finditer(page.read_text("utf-8"))):
            found.append((page.stem, number, match.group(1)))
    return found


def test_quickstart_shows_the_readmes_commands_and_what_the_first_prints() -> None:
    section = _hooks().readme_commands()
    readme = (ROOT / "README.md").read_text("utf-8")
    commands = section.split("```bash\n", 1)[1].split("\n```", 1)[0]
    assert commands.splitlines()[0] in readme
    assert len(commands.splitlines()) == 2
    assert '"kind": "feature_not_available"' in section
    assert "<!-- generated: readme-commands -->" in (DOCS / "quickstart.md").read_text("utf-8")


@pytest.mark.parametrize(
    ("page", "number", "source"), _pytest_examples(), ids=lambda value: str(value)[:20]
)
def test_pytest_examples_pass_in_a_users_test_suite(
    pytester: pytest.Pytester, page: str, number: int, source: str
) -> None:
    pytester.makepyfile(**{f"test_{page}_{number}": source})
    result = pytester.runpytest("--strict-markers", "-W", "error", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1
    assert set(outcomes) == {"passed"}, result.stdout.str()


def test_there_are_pytest_examples() -> None:
    assert {page for page, _, _ in _pytest_examples()} >= {"testing"}


def test_provider_matrix_lists_every_code_of_every_adapter() -> None:
    matrix = _hooks().provider_matrix()
    for name, adapter in registered_adapters().items():
        assert f"## `{name}`" in matrix
        for code, row in adapter.codes.items():
            assert f"| `{code}` | " in matrix
            assert f"`{row.kind.value}`" in matrix


def test_kinds_table_lists_every_kind() -> None:
    table = _hooks().kinds_table()
    for kind in ae.Kind:
        line = next(line for line in table.splitlines() if line.startswith(f"| `{kind.value}` |"))
        assert ("| yes |" in line) is kind.retryable


def test_generated_sections_are_expanded_and_unknown_ones_fail() -> None:
    hooks = _hooks()
    page = "# CLI\n\n<!-- generated: cli -->\n"
    expanded = hooks.expand(page)
    assert "usage: agent-errors normalize" in expanded
    assert "<!-- generated" not in expanded
    with pytest.raises(ValueError, match="unknown generated section 'nope'"):
        hooks.expand("<!-- generated: nope -->\n")


def test_mkdocs_build_is_strict_and_offline(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings")
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pages = list(site.rglob("*.html"))
    assert len(pages) >= len(_pages())
    # Nothing is loaded from elsewhere: no web fonts, analytics or CDN scripts and styles.
    external = re.compile(r"<(?:script|link)[^>]+(?:src|href)=\"(?:https?:)?//", re.IGNORECASE)
    for page in pages:
        text = page.read_text("utf-8")
        assert not external.search(text), page
    assert not list(site.rglob("*.py")), "python sources were published"
    providers = (site / "providers" / "index.html").read_text("utf-8")
    assert "rate_limit_error" in providers
