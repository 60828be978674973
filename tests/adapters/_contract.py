"""What every built-in adapter is held to, one provider at a time.

Each `tests/adapters/test_<provider>.py` subclasses `AdapterContract` with its provider's facts
(the documented code table, whether its format has a place for `param`, its retry profile) and
imports `pytest_generate_tests`, which parametrizes the contract from them:

- its golden responses (`tests/corpus`, the cases whose expected provider is this one),
  normalized with the provider named, auto-detected, and by host where the case has a URL;
- its documented codes: the table row and the normalized error agree with the document;
- `render` writes what `parse` reads back, for every code (and every kind, where the format keeps
  kinds apart), detected from the structure alone where the format allows;
- a request id written into a header is header-safe;
- its retry profile holds the documented values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

import agent_errors as ae
from agent_errors.adapter_kit import Rendered

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
CASES = sorted(CORPUS.glob("*/*.json"))
FIELDS = ("kind", "message", "param", "retryable", "request_id", "code")
ROUND_TRIP_KINDS = [k for k in ae.Kind if k not in {ae.Kind.NETWORK, ae.Kind.UNKNOWN}]

# (code, documented status or None for run results / "any", kind, retryable)
Documented = tuple[str, "int | None", str, bool]


def load_case(path: Path) -> dict[str, Any]:
    """One golden response."""
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def case_body(case: Mapping[str, Any]) -> bytes | str | None:
    """A golden response's body as the wire carried it."""
    body = case["body"]
    if body is None or isinstance(body, str):
        return body
    return json.dumps(body).encode()


def check_case(error: ae.CanonicalError | None, expected: Mapping[str, Any], provider: str) -> None:
    """The normalized error is the one the golden response expects."""
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


def cases_of(provider: str) -> list[Path]:
    """The golden responses whose expected provider is `provider`."""
    return [p for p in CASES if load_case(p)["expected"]["provider"] == provider]


def sample_error(
    kind: ae.Kind, code: str | None, status: int | None, **fields: Any
) -> ae.CanonicalError:
    """An error with every optional field set (overridable), for the render round trips."""
    values: dict[str, Any] = {
        "message": "The thing failed: try another thing.",
        "param": "thing.name",
        "retry_after": 2.25,
        "request_id": "req_round_trip_1",
    }
    values.update(fields)
    return ae.CanonicalError(kind=kind, code=code, status=status, **values)


def normalize_rendered(rendered: Rendered, provider: str | None) -> ae.CanonicalError:
    """A rendered response read back (with `provider=` or detected)."""
    error = ae.normalize_parts(
        rendered.status, list(rendered.headers), rendered.body, provider=provider
    )
    assert error is not None
    return error


class AdapterContract:
    """The checks every built-in adapter passes; subclasses set the provider's facts."""

    provider: ClassVar[str]
    #: The provider's documented codes, transcribed from its documents (not from the adapter).
    documented: ClassVar[tuple[Documented, ...]] = ()
    #: Whether the documented codes are the whole table (else a subset: the rest is shared).
    documented_is_whole_table: ClassVar[bool] = False
    #: Whether the format has a place for `param`.
    carries_param: ClassVar[bool] = True
    #: Whether every code of the table round-trips through `render` (OneCLI is keyed by status).
    codes_round_trip: ClassVar[bool] = True
    #: Whether a rendered body is recognized from its structure alone, whatever the message.
    detectable: ClassVar[bool] = False
    #: Whether the format keeps every kind apart, whatever the code.
    every_kind: ClassVar[bool] = False
    #: Whether `render` is part of the contract (`canonical` is covered by tests/test_render.py).
    renders: ClassVar[bool] = True
    #: The retry profile's documented values (`RetryPolicy.for_provider(provider)`).
    profile: ClassVar[Mapping[str, Any]] = {}

    @staticmethod
    def body_for(code: str, status: int | None) -> object:
        """A minimal body of this format carrying `code` (for the documented-code checks)."""
        raise NotImplementedError

    # --- golden responses ---------------------------------------------------------------

    def test_has_golden_responses(self) -> None:
        assert cases_of(self.provider)

    def test_corpus_named(self, corpus_case: Path) -> None:
        case = load_case(corpus_case)
        error = ae.normalize_parts(
            case["status"], case["headers"], case_body(case), provider=self.provider
        )
        check_case(error, case["expected"], self.provider)

    def test_corpus_detected(self, corpus_case: Path) -> None:
        case = load_case(corpus_case)
        expected = case["expected"]
        error = ae.normalize_parts(case["status"], case["headers"], case_body(case))
        check_case(error, expected, expected.get("auto_provider", self.provider))

    def test_corpus_by_host(self, corpus_case_with_url: Path) -> None:
        case = load_case(corpus_case_with_url)
        error = ae.normalize_parts(
            case["status"], case["headers"], case_body(case), url=case["url"]
        )
        check_case(error, case["expected"], self.provider)

    # --- the documented code table ---------------------------------------------------------

    def test_documented_code(self, documented_code: Documented) -> None:
        code, status, kind, retryable = documented_code
        row = ae.get_adapter(self.provider).codes[code]
        assert (row.kind, row.status, row.is_retryable) == (kind, status, retryable)
        error = ae.normalize_parts(status, {}, json.dumps(self.body_for(code, status)))
        assert error is not None
        assert (error.provider, error.kind, error.retryable, error.code) == (
            self.provider,
            kind,
            retryable,
            code,
        )

    def test_no_undocumented_rows(self) -> None:
        if not self.documented:
            pytest.skip(f"{self.provider} documents no code table")
        documented = {code for code, *_ in self.documented}
        table = set(ae.get_adapter(self.provider).codes)
        if self.documented_is_whole_table:
            assert documented == table
        else:
            assert documented <= table

    # --- render -> normalize ------------------------------------------------------------------

    def _round_trip(
        self, back: ae.CanonicalError, original: ae.CanonicalError, *, code: bool = True
    ) -> None:
        assert back.provider == self.provider
        assert back.kind is original.kind
        assert back.message == original.message
        if self.carries_param:
            assert back.param == original.param
        if code:
            assert back.code == original.code
        assert original.retry_after is not None
        assert back.retry_after == math.ceil(original.retry_after)
        assert back.request_id == original.request_id

    def test_code_round_trips(self, table_code: str) -> None:
        adapter = ae.get_adapter(self.provider)
        row = adapter.codes[table_code]
        original = sample_error(row.kind, table_code, row.status)
        back = normalize_rendered(adapter.render(original), self.provider)
        self._round_trip(back, original)
        assert back.retryable is row.is_retryable
        if row.status is not None:
            assert back.status == row.status

    def test_rendered_body_is_detected(self, detectable_code: str) -> None:
        adapter = ae.get_adapter(self.provider)
        row = adapter.codes[detectable_code]
        back = normalize_rendered(
            adapter.render(sample_error(row.kind, detectable_code, row.status)), None
        )
        assert (back.provider, back.code) == (self.provider, detectable_code)

    def test_kind_round_trips(self, any_kind: ae.Kind) -> None:
        original = sample_error(any_kind, "some_code", None)
        back = normalize_rendered(ae.get_adapter(self.provider).render(original), self.provider)
        self._round_trip(back, original)

    def test_without_optional_fields(self) -> None:
        if not self.renders:
            pytest.skip("rendering is covered by tests/test_render.py")
        original = ae.CanonicalError(kind=ae.Kind.NOT_FOUND, message="No such agent", status=404)
        rendered = ae.get_adapter(self.provider).render(original)
        names = {name for name, _ in rendered.headers}
        assert "retry-after" not in names
        assert "x-request-id" not in names
        back = normalize_rendered(rendered, self.provider)
        assert back.kind is ae.Kind.NOT_FOUND
        assert back.message == "No such agent"
        assert (back.param, back.retry_after, back.request_id, back.status) == (
            None,
            None,
            None,
            404,
        )

    def test_request_id_is_header_safe(self) -> None:
        if not self.renders:
            pytest.skip("rendering is covered by tests/test_render.py")
        original = sample_error(ae.Kind.INTERNAL, None, 500, request_id="req\r\nX-Evil: 1")
        rendered = ae.get_adapter(self.provider).render(original)
        assert ("x-request-id", "reqX-Evil: 1") in rendered.headers

    # --- the retry profile ------------------------------------------------------------------

    def test_profile(self) -> None:
        if not self.profile:
            pytest.skip(f"{self.provider} has no retry profile of its own")
        policy = ae.RetryPolicy.for_provider(self.provider)
        for name, value in self.profile.items():
            assert getattr(policy, name) == value, name


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize the contract from the subclass's facts (an empty list skips the check)."""
    cls = metafunc.cls
    if cls is None or not issubclass(cls, AdapterContract):
        return
    provider = cls.provider
    cases = cases_of(provider)
    codes = sorted(ae.get_adapter(provider).codes) if cls.renders and cls.codes_round_trip else []
    params: dict[str, tuple[list[Any], Any]] = {
        "corpus_case": (cases, lambda p: p.stem),
        "corpus_case_with_url": ([p for p in cases if "url" in load_case(p)], lambda p: p.stem),
        "documented_code": (list(cls.documented), lambda d: d[0]),
        "table_code": (codes, None),
        "detectable_code": (codes if cls.detectable else [], None),
        "any_kind": (ROUND_TRIP_KINDS if cls.every_kind else [], lambda k: k.value),
    }
    for name, (values, ids) in params.items():
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, values, ids=ids)
