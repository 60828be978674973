"""The public namespace: a pinned, sorted `__all__`, and a docstring on every public name."""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import types
from pathlib import Path

import pytest

import agent_errors as ae

EXPECTED = [
    "RETRY_REASONS",
    "APITimeoutError",
    "AgentAPIError",
    "AsyncRetryTransport",
    "AuthenticationError",
    "CanonicalError",
    "ConcurrencyLimitedError",
    "ConflictError",
    "Decision",
    "ErrorMiddleware",
    "FeatureNotAvailableError",
    "InternalServerError",
    "InvalidRequestError",
    "Jitter",
    "Kind",
    "MemoryStore",
    "NetworkError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RedisStore",
    "RetryBudget",
    "RetryPolicy",
    "RetryRecord",
    "RetryTransport",
    "RunCancelledError",
    "RunFailedError",
    "SSEEvent",
    "Store",
    "UnavailableError",
    "UnknownAPIError",
    "__version__",
    "aiter_sse_events",
    "anormalize",
    "araise_for_error",
    "araise_for_error_events",
    "credential_fingerprint",
    "detect",
    "error_class",
    "error_from_event",
    "error_from_exception",
    "from_dict",
    "from_json",
    "get_adapter",
    "is_testing",
    "iter_sse_events",
    "json_schema",
    "kind_for_status",
    "normalize",
    "normalize_parts",
    "normalize_view",
    "otel_attributes",
    "provider_for_host",
    "raise_for_error",
    "raise_for_error_events",
    "register_adapter",
    "register_host",
    "registered_adapters",
    "render",
    "render_response_text",
    "set_testing",
    "status_for_kind",
    "store_scope",
    "to_dict",
    "to_json",
]


def _isort_key(name: str) -> tuple[int, str]:
    # The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions and dunders.
    if name.isupper() or (name.upper() == name and "_" in name):
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_all_is_pinned():
    assert ae.__all__ == EXPECTED


def test_all_is_sorted():
    assert ae.__all__ == sorted(ae.__all__, key=_isort_key)
    assert len(set(ae.__all__)) == len(ae.__all__)


def test_every_public_attribute_is_exported():
    public = {
        name
        for name in dir(ae)  # lazy: the names not used yet are listed by __dir__
        if not name.startswith("_")
        and not isinstance(
            getattr(ae, name), types.ModuleType
        )  # subpackages: adapters, adapter_kit, ...
        and name != "annotations"  # from __future__ import annotations
    }
    assert public | {"__version__"} == set(ae.__all__)


def test_every_exported_name_resolves():
    for name in ae.__all__:
        assert getattr(ae, name) is not None


def _attribute_docstring(name: str) -> str | None:
    """The string literal right after `name = ...` in the agent_errors module defining it."""
    package = Path(ae.__file__).parent
    for path in sorted(package.rglob("*.py")):
        body = ast.parse(path.read_text(encoding="utf-8")).body
        for node, following in itertools.pairwise(body):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets) and (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                return following.value.value
    return None


def test_every_public_name_has_a_docstring():
    missing = []
    for name in ae.__all__:
        if name.startswith("__"):
            continue
        value = getattr(ae, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            doc = value.__doc__
        else:  # a constant or an instance: documented by the string after its assignment
            doc = _attribute_docstring(name)
        if not doc or not doc.strip():
            missing.append(name)
    assert missing == []


def test_public_methods_of_exported_classes_have_docstrings():
    missing = []
    for name in ae.__all__:
        cls = getattr(ae, name)
        if not inspect.isclass(cls) or (
            issubclass(cls, BaseException) and cls is not ae.AgentAPIError
        ):
            continue
        for attr, member in vars(cls).items():
            if attr.startswith("_"):
                continue
            func = member.fget if isinstance(member, property) else member
            if isinstance(func, (classmethod, staticmethod)):
                func = func.__func__
            if inspect.isfunction(func) and not (func.__doc__ or "").strip():
                missing.append(f"{name}.{attr}")
    assert missing == []


def test_functions_document_what_they_raise():
    # A function that raises on misuse says so in a "Raises:" section.
    for func in (ae.get_adapter, ae.register_adapter, ae.register_host, ae.error_class):
        assert "Raises:" in (func.__doc__ or ""), func


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("ResponseView", "adapter_kit"),
        ("Headers", "adapter_kit"),
        ("DEFAULT_BODY_CAP", "adapter_kit"),
        ("SSEDecoder", "adapter_kit"),
        ("converter", "schema"),
    ],
)
def test_names_for_adapter_authors_moved_with_a_deprecation_warning(name: str, home: str) -> None:
    module = importlib.import_module(f"agent_errors.{home}")
    assert name in module.__all__
    assert name not in ae.__all__
    with pytest.warns(DeprecationWarning, match=f"agent_errors.{home}"):
        value = getattr(ae, name)
    assert value is getattr(module, name)
