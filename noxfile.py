"""The project's tasks, one nox session each: `nox -l` lists them, `nox -s lint tests` runs two.

Each session installs what it needs into a virtualenv of its own (under `.nox/`). CI runs them
in the environment it has already built (`nox --no-venv`, see `.ci/run`), except `wheel`, which
always builds its own: it tests the package as a user installs it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests", "docs"]
nox.options.reuse_venv = "yes"

ROOT = Path(__file__).resolve().parent


def _dev(session: nox.Session, extras: str = "dev") -> None:
    if session.venv_backend != "none":
        session.install("-e", f".[{extras}]")


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff check, ruff format --check, mypy --strict, codespell, validate-pyproject."""
    _dev(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "src", "adapters")
    session.run("codespell", "src", "adapters", "docs", "README.md", "CHANGELOG.md")
    session.run("validate-pyproject", "pyproject.toml")


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite (extra pytest arguments after `--`)."""
    _dev(session)
    session.run("python", "-m", "pytest", *session.posargs)


# Each of these times one compiled pattern over 8 and 64 KiB of text in C: minutes of a run and
# not one line of the library's Python, so the coverage session leaves them to `tests` and
# `wheel`, which run the whole suite.
_TIMING_ONLY = "tests/adversarial/test_time.py::test_pattern_is_linear_on_adversarial_input"


@nox.session
def coverage(session: nox.Session) -> None:
    """The suite with branch coverage, less the regex timings; fails under `fail_under`."""
    _dev(session)
    session.run(
        "python",
        "-m",
        "pytest",
        "--cov",
        "--cov-report=term:skip-covered",
        "--deselect",
        _TIMING_ONLY,
        *session.posargs,
    )


@nox.session
def docs(session: nox.Session) -> None:
    """`mkdocs build --strict` (into a temporary folder unless a site dir is given)."""
    _dev(session)
    site = session.posargs[0] if session.posargs else tempfile.mkdtemp(prefix="site-")
    session.run("mkdocs", "build", "--strict", "--site-dir", site)


@nox.session(venv_backend="venv")
def wheel(session: nox.Session) -> None:
    """Build the sdist and from it the wheel; run the suite against the installed wheel."""
    dist = Path(tempfile.mkdtemp(prefix="dist-"))
    session.install("build")
    session.run("python", "-m", "build", "--outdir", str(dist), str(ROOT))
    (built,) = dist.glob("*.whl")
    session.install(f"{built}[test,fast,redis,otel]")
    junit = [f"--junitxml={os.environ['WHEEL_JUNIT']}"] if "WHEEL_JUNIT" in os.environ else []
    with session.chdir(dist):  # outside the source tree: only the installed package imports
        session.run(
            "python",
            "-m",
            "pytest",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(ROOT),
            "-p",
            "no:cacheprovider",
            *junit,
            str(ROOT / "tests"),
            env={"AGENT_ERRORS_TEST_INSTALL": "wheel", "AGENT_ERRORS_TEST_JSON_BACKEND": "orjson"},
        )


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmarks (`nox -s bench -- --quick` for a smoke run)."""
    _dev(session)
    session.run("python", "benchmarks/run_all.py", *session.posargs)
