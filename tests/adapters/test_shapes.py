"""Detection by shape: a body's shape is decided once, and only adapters that can claim it sniff.

The shape filter must never change what detection picks: every test here compares the filtered
detection with the exhaustive one (every sniffer, in registration order).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import agent_errors as ae
from agent_errors._parsing._registry import BUILTIN_ADAPTERS, SNIFF_CERTAIN, SNIFF_THRESHOLD, reload
from agent_errors._parsing._shapes import shape_of
from agent_errors.adapter_kit import ResponseView, Shape

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SPECIFIC = [name for name in BUILTIN_ADAPTERS if name != "generic"]
CONTENT_TYPES = [
    "application/json",
    "application/problem+json",
    "Application/Problem+JSON; charset=utf-8",
    "text/plain",
]


def _exhaustive(view: ResponseView) -> str:
    """Detection as it was before shapes: every sniffer, the first best score wins."""
    best, best_score = "generic", SNIFF_THRESHOLD
    found = False
    if view.body:
        for name, adapter in ae.registered_adapters().items():
            if name == "generic":
                continue
            score = adapter.sniff(view)
            if score >= best_score and (not found or score > best_score):
                best, best_score, found = name, score, True
                if score >= SNIFF_CERTAIN:
                    break
    return best


def _check(view: ResponseView) -> None:
    doc_shape = shape_of(view.json)
    for name in SPECIFIC:
        adapter = ae.get_adapter(name)
        if adapter.sniff(view) > 0:
            media = view.content_type in getattr(adapter, "media_types", ())
            assert media or doc_shape in adapter.shapes, (name, doc_shape)  # type: ignore[attr-defined]
    assert ae.detect(view).name == _exhaustive(view)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*/*.json")), ids=lambda p: p.stem)
def test_the_corpus_is_detected_as_by_every_sniffer(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    body = case["body"]
    data = body if body is None or isinstance(body, str) else json.dumps(body)
    _check(ResponseView(case["status"], case["headers"], data))


keys = st.sampled_from(
    [
        "error",
        "type",
        "code",
        "message",
        "status",
        "details",
        "detail",
        "title",
        "kind",
        "retryable",
        "provider",
        "done",
        "errors",
        "@type",
        "retryAfter",
        "param",
        "instance",
        "id",
    ]
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-5, max_value=700)
    | st.sampled_from(
        [
            "error",
            "RATE_LIMITED",
            "rate_limit_exceeded",
            "invalid_request_error",
            "RESOURCE_EXHAUSTED",
            "Label is required",
            "Agent not found",
            "run_1",
            "failed",
            "rate_limited",
            "about:blank",
            "type.googleapis.com/google.rpc.ErrorInfo",
        ]
    )
    | st.text(max_size=6)
)
documents = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=6),
    max_leaves=16,
)


@settings(max_examples=600, deadline=None)
@example(  # an unhashable kind once raised inside the canonical sniffer
    body={"error": {"kind": [], "message": None, "retryable": True, "provider": None}},
    status=None,
    content_type="application/json",
)
@given(
    body=documents,
    status=st.none() | st.sampled_from([200, 400, 404, 429, 500, 503]),
    content_type=st.sampled_from(CONTENT_TYPES),
)
def test_any_document_is_detected_as_by_every_sniffer(
    body: Any, status: int | None, content_type: str
) -> None:
    _check(ResponseView(status, {"content-type": content_type}, json.dumps(body)))


@pytest.mark.parametrize(
    ("body", "shape"),
    [
        ({"type": "error", "error": {"type": "x"}}, Shape.TYPED_ENVELOPE),
        ({"error": "Label is required"}, Shape.FLAT_STRING),
        ({"error": {"kind": "unknown", "retryable": False, "code": "x"}}, Shape.CANONICAL),
        ({"type": "error", "error": {"kind": "x", "retryable": True}}, Shape.TYPED_ENVELOPE),
        ({"error": {"code": "x", "status": 429}}, Shape.CODE_STATUS),
        ({"error": {"code": "x", "status": True}}, Shape.CODE_DETAILS),
        ({"error": {"code": "RATE_LIMITED", "details": {}}}, Shape.CODE_DETAILS),
        ({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}}, Shape.GOOGLE_STATUS),
        ({"error": {"message": "m", "type": "t"}}, Shape.ERROR_OBJECT),
        ({"code": 5, "message": "m", "details": []}, Shape.BARE_STATUS),
        ({"error": None, "code": 5, "details": []}, Shape.BARE_STATUS),
        ({"title": "Too Many Requests", "status": 429}, Shape.PROBLEM),
        ({"error": None}, Shape.OTHER),
        ({"error": 5}, Shape.OTHER),
        ([{"error": {"code": 400}}], Shape.LIST),
        ([{}, {}], Shape.OTHER),
        ("text", Shape.OTHER),
        (None, Shape.OTHER),
    ],
)
def test_shapes(body: Any, shape: Shape) -> None:
    assert shape_of(body) is shape


class _Everywhere:
    """A third-party adapter without `shapes`: asked about every body."""

    name = "everywhere-test-adapter"
    hosts = ()
    codes: ClassVar[dict[str, Any]] = {}

    def sniff(self, view: ResponseView) -> float:
        return 0.99 if view.json == ["anything"] else 0.0

    def parse(self, view: ResponseView) -> ae.CanonicalError | None:
        return None

    def render(self, error: ae.CanonicalError) -> Any:
        raise NotImplementedError


def test_an_adapter_without_shapes_is_asked_about_every_shape() -> None:
    try:
        ae.register_adapter(_Everywhere())
        view = ResponseView(400, {}, '["anything"]')
        assert ae.detect(view).name == "everywhere-test-adapter"
    finally:
        reload()


def test_shapes_must_be_shapes() -> None:
    class Bad(_Everywhere):
        shapes = ("typed_envelope",)

    with pytest.raises(TypeError, match="shapes"):
        ae.register_adapter(Bad())

    class BadMedia(_Everywhere):
        media_types = ("Application/JSON",)

    with pytest.raises(TypeError, match="media_types"):
        ae.register_adapter(BadMedia())


@pytest.mark.parametrize("to", [*SPECIFIC, "generic", "problem+json"])
@pytest.mark.parametrize("kind", list(ae.Kind))
def test_every_rendered_error_is_detected_as_by_every_sniffer(to: str, kind: ae.Kind) -> None:
    error = ae.CanonicalError(
        kind=kind, message="m", code="x", param="p", request_id="r", retry_after=3, provider="t"
    )
    rendered = ae.render(error, to=to)
    _check(ResponseView(rendered.status, list(rendered.headers), rendered.body))
    _check(ResponseView(None, list(rendered.headers), rendered.body))
