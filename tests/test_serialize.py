"""Serialization: to_dict/to_json and back without loss, validated by the shipped JSON Schema."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agent_errors as ae
from agent_errors import CanonicalError, Kind, schema
from agent_errors._parsing._hints import MAX_RETRY_AFTER
from agent_errors.schema import main, schema_text

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "docs" / "schema" / "canonical-error.schema.json"
VALIDATOR = jsonschema.Draft202012Validator(ae.json_schema())

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
optional_text = st.none() | st.text()


@st.composite
def canonical_errors(draw: st.DrawFn) -> CanonicalError:
    kind = draw(st.sampled_from(Kind))
    return CanonicalError(
        kind=kind,
        message=draw(st.text(min_size=1)),
        param=draw(optional_text),
        retryable=draw(st.booleans()),
        retry_after=draw(
            st.none()
            | st.floats(min_value=0, max_value=MAX_RETRY_AFTER, allow_nan=False)
            | st.integers(0, 10**6).map(float)
        ),
        request_id=draw(optional_text),
        status=draw(st.none() | st.integers(100, 999)),
        code=draw(optional_text),
        provider=draw(st.text(min_size=1)),
        details=draw(st.dictionaries(st.text(), json_values, max_size=5)),
    )


@settings(max_examples=300)
@given(canonical_errors())
def test_round_trip_through_json_text(error: CanonicalError):
    text = json.dumps(ae.to_dict(error))
    assert ae.from_dict(json.loads(text)) == error


@settings(max_examples=300)
@given(canonical_errors())
def test_round_trip_through_to_json(error: CanonicalError):
    data = ae.to_json(error)
    data.decode("utf-8")  # always valid UTF-8
    back = ae.from_json(data)
    assert back == error
    assert ae.from_json(data.decode("utf-8")) == error


@settings(max_examples=300)
@given(canonical_errors())
def test_every_serialized_error_matches_the_schema(error: CanonicalError):
    VALIDATOR.validate(ae.to_dict(error))
    VALIDATOR.validate(json.loads(ae.to_json(error)))


def test_to_dict_is_plain_json_with_every_field():
    error = CanonicalError(
        Kind.RATE_LIMITED,
        "slow down",
        retry_after=2.5,
        status=429,
        code="rate_limit_error",
        provider="qoder",
        details={"nested": {"list": [1, "two", None, {"three": 3.0}]}},
    )
    assert ae.to_dict(error) == {
        "kind": "rate_limited",
        "message": "slow down",
        "param": None,
        "retryable": True,
        "retry_after": 2.5,
        "request_id": None,
        "status": 429,
        "code": "rate_limit_error",
        "provider": "qoder",
        "details": {"nested": {"list": [1, "two", None, {"three": 3.0}]}},
    }
    assert type(ae.to_dict(error)["kind"]) is str


def test_lone_surrogates_and_big_integers_survive_to_json():
    error = CanonicalError(Kind.UNKNOWN, "m\ud800", details={"big": 2**70, "s": "\udfff x"})
    data = ae.to_json(error)
    data.decode("utf-8")
    assert ae.from_json(data) == error


def test_converter_structures_and_unstructures():
    error = CanonicalError(Kind.TIMEOUT, "slow", status=504)
    assert schema.converter.structure(schema.converter.unstructure(error), CanonicalError) == error


def test_missing_optional_fields_take_defaults():
    error = ae.from_dict({"kind": "rate_limited", "message": "m"})
    assert error == CanonicalError(Kind.RATE_LIMITED, "m")
    assert error.retryable is True


def test_unknown_fields_are_ignored():
    data = {**ae.to_dict(CanonicalError(Kind.UNKNOWN, "m")), "added_later": 1}
    assert ae.from_dict(data) == CanonicalError(Kind.UNKNOWN, "m")


def test_an_integer_retry_after_becomes_a_float():
    error = ae.from_dict({"kind": "rate_limited", "message": "m", "retry_after": 3})
    assert error.retry_after == 3.0
    assert type(error.retry_after) is float


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "nope"},
        {"kind": None},
        {"message": ""},
        {"message": None},
        {"message": 123},
        {"retryable": "no"},
        {"retryable": 0},
        {"retry_after": -1},
        {"retry_after": math.nan},
        {"retry_after": math.inf},
        {"retry_after": "3"},
        {"retry_after": True},
        {"status": 4.7},
        {"status": True},
        {"status": "429"},
        {"status": 99},
        {"status": 1000},
        {"param": 5},
        {"request_id": ["r"]},
        {"code": 400},
        {"provider": ""},
        {"provider": None},
        {"details": None},
        {"details": [1]},
    ],
)
def test_invalid_fields_raise_value_error(changes: dict[str, Any]):
    data = {**ae.to_dict(CanonicalError(Kind.INTERNAL, "m")), **changes}
    with pytest.raises(ValueError, match="not a serialized canonical error"):
        ae.from_dict(data)
    if not any(isinstance(v, float) and not math.isfinite(v) for v in changes.values()):
        assert not VALIDATOR.is_valid(data)  # the schema rejects it too (NaN is not JSON)


@pytest.mark.parametrize("missing", ["kind", "message"])
def test_required_fields(missing: str):
    data = ae.to_dict(CanonicalError(Kind.INTERNAL, "m"))
    del data[missing]
    with pytest.raises(ValueError, match=missing):
        ae.from_dict(data)


@pytest.mark.parametrize("data", [[], "x", None, 1])
def test_non_objects_raise_value_error(data: object):
    with pytest.raises(ValueError, match="object"):
        ae.from_dict(data)  # type: ignore[arg-type]


def test_from_json_rejects_invalid_json():
    with pytest.raises(ValueError):
        ae.from_json(b"{not json")


def test_schema_is_draft_2020_12_and_matches_the_model():
    schema = ae.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == [
        "kind",
        "message",
        "param",
        "retryable",
        "retry_after",
        "request_id",
        "status",
        "code",
        "provider",
        "details",
    ]
    assert schema["properties"]["kind"]["enum"] == [k.value for k in Kind]
    assert all(prop["description"] for prop in schema["properties"].values())


def test_committed_schema_file_is_up_to_date():
    # Regenerate with: python -m agent_errors.schema docs/schema/canonical-error.schema.json
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()


def test_schema_module_writes_and_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    target = tmp_path / "out" / "schema.json"
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == schema_text()
    assert main([]) == 0
    assert capsys.readouterr().out == schema_text()
    with pytest.raises(SystemExit) as info:
        main(["a", "b"])
    assert info.value.code == 2


def test_schema_module_runs_with_python_m():
    result = subprocess.run(
        [sys.executable, "-m", "agent_errors.schema"],
        capture_output=True,
        text=True,
        check=True,
        encoding="utf-8",
    )
    assert result.stdout == schema_text()
