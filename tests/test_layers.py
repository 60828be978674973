"""The import layers: a module may import only from its own layer or the layers below it.

    0  agent_errors._core        the model, JSON, redaction, the SSE decoder
    1  agent_errors._parsing     a response in, a canonical error out; with adapter_kit and the
                                 built-in adapters
    2  agent_errors._retrying    decisions, profiles, stores, the retry-library bridges
    3  agent_errors._serving     transports, middleware, event streams, telemetry
    4  the public modules        agent_errors, testing, strategies, the CLI...

Read from the source (no import runs), so a violation fails here before it can hide behind a lazy
import. Type-only imports (`if TYPE_CHECKING:`) obey the layers too; only the cycle check leaves
them out, since they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {
    "agent_errors": ROOT / "src" / "agent_errors",
    "agent_errors.adapters": ROOT / "adapters",
}
LAYERS = {
    "agent_errors._core": 0,
    "agent_errors._parsing": 1,
    "agent_errors.adapter_kit": 1,
    "agent_errors.adapters": 1,
    "agent_errors._retrying": 2,
    "agent_errors._serving": 3,
}
TOP = 4
NAMES = {0: "_core", 1: "_parsing", 2: "_retrying", 3: "_serving", 4: "the public modules"}


@attrs.frozen
class Import:
    """One imported name: `target` the module it comes from, `name` None for a whole module."""

    importer: str
    target: str
    name: str | None
    line: int
    type_only: bool


def module_files() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    found: dict[str, Path] = {}
    for package, folder in SOURCES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


MODULES = module_files()


def layer(module: str) -> int:
    """The layer of a dotted module name (4 for the public modules)."""
    for prefix, rank in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return rank
    return TOP


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(module: str, source: str, *, package: bool = False) -> list[Import]:
    """The agent_errors names `source` (the text of `module`) imports, resolved to absolute."""
    tree = ast.parse(source)
    type_only = _type_checking_lines(tree)
    base = module if package else module.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        guarded = getattr(node, "lineno", 0) in type_only
        if isinstance(node, ast.Import):
            found.extend(
                Import(module, alias.name, None, node.lineno, guarded)
                for alias in node.names
                if alias.name.split(".")[0] == "agent_errors"
            )
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")
                parts = parts[: len(parts) - node.level + 1]
                target = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != "agent_errors":
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in MODULES:
                    found.append(Import(module, submodule, None, node.lineno, guarded))
                else:
                    found.append(Import(module, target, alias.name, node.lineno, guarded))
    return found


def all_of(module: str) -> set[str]:
    """The names in a module's `__all__` (read from its source)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                assert node.value is not None
                return set(ast.literal_eval(node.value))
    return set()


def violations(imports: list[Import]) -> list[str]:
    """Every rule an import list breaks, one line each."""
    problems: list[str] = []
    for imp in imports:
        where = f"{imp.importer}:{imp.line} imports {imp.target}" + (
            f".{imp.name}" if imp.name else ""
        )
        source, target = layer(imp.importer), layer(imp.target)
        if imp.target == "agent_errors" and imp.name == "__version__":
            problems.append(f"{where}: read the version from the package metadata")
            continue
        if target > source:
            problems.append(f"{where}: up from {NAMES[source]} to {NAMES[target]}")
        if imp.importer.startswith("agent_errors.adapters.") and not (
            imp.target == "agent_errors.adapter_kit" or layer(imp.target) == 0
        ):
            problems.append(f"{where}: an adapter imports only adapter_kit and _core")
        if imp.name is not None and imp.name.startswith("_") and not imp.name.startswith("__"):
            problems.append(f"{where}: a private name of another module")
        if (
            imp.name is not None
            and imp.target in MODULES
            and target != source
            and imp.name not in all_of(imp.target)
        ):
            problems.append(f"{where}: not in {imp.target}.__all__ (another layer's internals)")
    return problems


def all_imports() -> list[Import]:
    """Every import in the package's own modules."""
    found: list[Import] = []
    for module, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        found.extend(imports_of(module, text, package=path.name == "__init__.py"))
    return found


def test_no_import_goes_up_a_layer_or_into_private_names() -> None:
    assert violations(all_imports()) == []


def test_no_import_cycles_among_modules_that_run() -> None:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for imp in all_imports():
        if not imp.type_only and imp.target in MODULES and imp.target != imp.importer:
            graph[imp.importer].add(imp.target)
    # The top-level package re-exports lazily (`__getattr__`): it is no part of a cycle.
    graph["agent_errors"] = set()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert cycles == []


@pytest.mark.parametrize("package", ["_core", "_parsing", "_retrying", "_serving"])
def test_each_layer_says_in_one_line_what_it_may_import(package: str) -> None:
    doc = ast.get_docstring(ast.parse(MODULES[f"agent_errors.{package}"].read_text()))
    assert doc is not None
    assert "\n" not in doc.strip()
    assert "import" in doc


def test_every_private_module_lives_in_a_layer() -> None:
    layers = {"_core", "_parsing", "_retrying", "_serving"}
    entry_points = {"__main__", "_cli", "_hypothesis_hook"}
    loose = [
        module
        for module in MODULES
        if module.count(".") == 1
        and module.rpartition(".")[2].startswith("_")
        and module.rpartition(".")[2] not in layers | entry_points
    ]
    assert loose == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (
            "agent_errors._core._model",
            "from agent_errors._parsing._view import ResponseView\n",
            "up from _core to _parsing",
        ),
        (
            "agent_errors._parsing._registry",
            "from agent_errors._retrying._retry import RetryPolicy\n",
            "up from _parsing to _retrying",
        ),
        (
            "agent_errors._serving._transport",
            "from .._parsing._registry import _REGISTRY\n",
            "a private name",
        ),
        ("agent_errors._serving._telemetry", "from agent_errors import __version__\n", "metadata"),
        (
            "agent_errors.adapters.qoder",
            "from agent_errors._parsing._hints import usable_retry_after\n",
            "only adapter_kit",
        ),
        (
            "agent_errors._serving._middleware",
            "from agent_errors._parsing._view import not_exported\n",
            "__all__",
        ),
        (
            "agent_errors._core._json",
            "if TYPE_CHECKING:\n    from agent_errors._serving._transport import RetryTransport\n",
            "up from _core to _serving",
        ),
    ],
)
def test_the_checker_catches_each_kind_of_violation(
    module: str, source: str, expected: str
) -> None:
    problems = violations(imports_of(module, source))
    assert any(expected in p for p in problems), problems


def test_the_checker_accepts_what_the_layers_allow() -> None:
    source = (
        "from . import _json\n"
        "from ._model import CanonicalError\n"
        "from agent_errors._core._escape import escape_text\n"
    )
    assert violations(imports_of("agent_errors._core._serialize", source)) == []
