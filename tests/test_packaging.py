"""Packaging and the repository's own promises: the wheel has every module, README and CI agree.

CI runs the suite twice and says how it installed the package through environment variables:
`AGENT_ERRORS_TEST_INSTALL` (`editable` or `wheel`) and `AGENT_ERRORS_TEST_JSON_BACKEND`
(`json` without the `fast` extra, `orjson` with it).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import re
import sysconfig
from pathlib import Path

import pytest

import agent_errors
from agent_errors._core import _json
from agent_errors._parsing._registry import BUILTIN_ADAPTERS

ROOT = Path(__file__).resolve().parent.parent
INSTALL = os.environ.get("AGENT_ERRORS_TEST_INSTALL")
JSON_BACKEND = os.environ.get("AGENT_ERRORS_TEST_JSON_BACKEND")


def test_builtin_adapters_import_from_the_installed_package() -> None:
    package = Path(agent_errors.__file__).resolve().parent
    for name in BUILTIN_ADAPTERS:
        module = importlib.import_module(f"agent_errors.adapters.{name}")
        assert module.__file__ is not None
        found = Path(module.__file__).resolve()
        if INSTALL == "wheel":
            site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
            assert found == package / "adapters" / f"{name}.py"
            assert site_packages in found.parents, f"{found} is not in {site_packages}"
        elif INSTALL == "editable":
            assert found == ROOT / "adapters" / f"{name}.py"
            assert package == ROOT / "src" / "agent_errors"
        else:
            assert found in {package / "adapters" / f"{name}.py", ROOT / "adapters" / f"{name}.py"}


def test_the_typing_marker_is_installed() -> None:
    assert (Path(agent_errors.__file__).parent / "py.typed").is_file()


def test_json_backend_matches_the_installed_extras() -> None:
    backend = _json.BACKEND
    have_orjson = importlib.util.find_spec("orjson") is not None
    assert backend == ("orjson" if have_orjson else "json")
    if JSON_BACKEND is not None:
        assert backend == JSON_BACKEND


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    match = re.search(r'^TEST_COMMAND="(.+)"$', ci, re.MULTILINE)
    assert match is not None
    command = match.group(1)
    assert command in _readme().splitlines()
    assert 'eval "$TEST_COMMAND"' in ci
    assert command.endswith("python -m pytest")


def test_readme_quick_start_is_two_commands_that_name_real_files() -> None:
    blocks = re.findall(r"```(?:sh|bash|console|shell)\n(.*?)```", _readme(), re.DOTALL)
    assert blocks, "the README has no shell block"
    commands = [line for line in blocks[0].splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].startswith("python3 -m venv .venv && ")
    for path in re.findall(r"\bexamples/[\w.-]+", blocks[0]):
        assert (ROOT / path).is_file(), path


def test_readme_python_examples(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", _readme(), re.DOTALL)
    assert len(blocks) >= 2
    exec(compile(blocks[0], "README.md", "exec"), {})
    assert "x-qoder-beta: managed-agents-2026-04-01" in capsys.readouterr().out
    for block in blocks[1:]:
        compile(block, "README.md", "exec")  # these talk to a real API: compiled, not run


def test_the_version_is_said_in_one_place() -> None:
    tomllib = pytest.importorskip("tomllib")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    assert agent_errors.__version__ == importlib.metadata.version("agent-errors") == declared


def test_the_coverage_gate_is_set() -> None:
    tomllib = pytest.importorskip("tomllib")
    report = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["coverage"]
    assert report["run"]["branch"] is True
    assert report["report"]["fail_under"] >= 90
