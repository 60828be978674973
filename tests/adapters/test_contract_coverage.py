"""Every built-in adapter has its contract file, and every golden response is in one of them."""

from __future__ import annotations

import ast
from pathlib import Path

from _contract import CASES, FIELDS, load_case

import agent_errors as ae
from agent_errors._parsing._registry import BUILTIN_ADAPTERS

HERE = Path(__file__).resolve().parent


def _contract_providers() -> dict[str, str]:
    """provider -> the test file whose `AdapterContract` subclass holds it to the contract."""
    found: dict[str, str] = {}
    for path in sorted(HERE.glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and any(
                isinstance(base, ast.Name) and base.id == "AdapterContract" for base in node.bases
            ):
                for statement in node.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and isinstance(statement.targets[0], ast.Name)
                        and statement.targets[0].id == "provider"
                        and isinstance(statement.value, ast.Constant)
                    ):
                        found[statement.value.value] = path.name
    return found


def test_every_builtin_adapter_has_a_contract_file() -> None:
    providers = _contract_providers()
    assert set(providers) == set(BUILTIN_ADAPTERS)
    for provider, name in providers.items():
        assert name == f"test_{provider}.py"


def test_every_golden_response_belongs_to_a_contract() -> None:
    providers = set(_contract_providers())
    assert len(CASES) >= 100
    for path in CASES:
        case = load_case(path)
        assert set(case) <= {"status", "headers", "body", "url", "source", "expected"}, path
        assert set(FIELDS) | {"retry_after", "provider"} <= set(case["expected"]), path
        assert case["expected"]["kind"] in {kind.value for kind in ae.Kind}, path
        assert case["expected"]["provider"] in providers, path
