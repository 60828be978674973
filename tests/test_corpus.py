"""Golden responses: every documented example, normalized with the provider named and detected.

Each file in `tests/corpus/<provider>/` holds one response (`status`, `headers`, `body`, optional
`url`) and the canonical error expected from it. Every case runs twice: with `provider=` given,
and with nothing but the response (auto-detection from the body). `expected.auto_provider` names
the adapter detection picks when the body cannot say (a gateway's empty 429); a case with a `url`
also runs with the URL alone (host-based detection).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import agent_errors as ae

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(CORPUS.glob("*/*.json"))
FIELDS = ("kind", "message", "param", "retryable", "request_id", "code")


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _body(case: dict[str, Any]) -> bytes | str | None:
    body = case["body"]
    if body is None or isinstance(body, str):
        return body
    return json.dumps(body).encode()


def _check(error: ae.CanonicalError | None, expected: dict[str, Any], provider: str) -> None:
    assert error is not None
    for field in FIELDS:
        assert getattr(error, field) == expected[field], field
    assert error.provider == provider
    if expected["retry_after"] is None:
        assert error.retry_after is None
    else:
        assert error.retry_after is not None
        assert math.isclose(error.retry_after, expected["retry_after"], abs_tol=1e-6)
    for key, value in expected.get("details_subset", {}).items():
        assert error.details.get(key) == value, key


def test_corpus_is_complete() -> None:
    assert len(CASES) >= 100
    for path in CASES:
        case = _load(path)
        assert set(case) <= {"status", "headers", "body", "url", "source", "expected"}, path
        assert set(FIELDS) | {"retry_after", "provider"} <= set(case["expected"]), path
        assert case["expected"]["kind"] in {kind.value for kind in ae.Kind}, path
        ae.get_adapter(case["expected"]["provider"])


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_named_provider(path: Path) -> None:
    case = _load(path)
    expected = case["expected"]
    error = ae.normalize_parts(
        case["status"], case["headers"], _body(case), provider=expected["provider"]
    )
    _check(error, expected, expected["provider"])


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_auto_detected(path: Path) -> None:
    case = _load(path)
    expected = case["expected"]
    error = ae.normalize_parts(case["status"], case["headers"], _body(case))
    _check(error, expected, expected.get("auto_provider", expected["provider"]))


@pytest.mark.parametrize(
    "path",
    [p for p in CASES if "url" in _load(p)],
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_detected_by_host(path: Path) -> None:
    case = _load(path)
    expected = case["expected"]
    error = ae.normalize_parts(case["status"], case["headers"], _body(case), url=case["url"])
    _check(error, expected, expected["provider"])
