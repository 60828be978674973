"""Provider packs: one declared source per provider, read by render, testing, docs and retries."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

import agent_errors as ae
from agent_errors._parsing._packs import ADAPTER_PROFILES, PROFILE_NAMES, PROFILE_PACKS
from agent_errors._parsing._registry import BUILTIN_ADAPTERS, PROVIDER_HOSTS, provider_pack, reload
from agent_errors.adapter_kit import (
    ErrorCode,
    ProviderPack,
    Rendered,
    ResponseView,
    code_table,
    json_rendered,
    pack_of,
)
from agent_errors.strategies import expressible_kinds
from agent_errors.testing import error_response

ROOT = Path(__file__).resolve().parents[2]
PACKS = {
    name: importlib.import_module(f"agent_errors.adapters.{name}").PACK for name in BUILTIN_ADAPTERS
}


def _body(rendered: Rendered) -> Any:
    return json.loads(rendered.body)


# --- one source ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILTIN_ADAPTERS)
def test_each_adapter_is_its_pack(name: str) -> None:
    adapter = ae.get_adapter(name)
    pack = PACKS[name]
    assert pack_of(adapter) is pack
    assert (adapter.name, adapter.codes, tuple(adapter.hosts)) == (
        pack.name,
        pack.codes,
        pack.hosts,
    )


def test_the_adapters_with_a_profile_are_the_packs_with_one() -> None:
    assert {name for name, pack in PACKS.items() if pack.retry is not None} == set(ADAPTER_PROFILES)
    assert frozenset(ADAPTER_PROFILES) | frozenset(PROFILE_PACKS) == PROFILE_NAMES
    assert not set(PROFILE_PACKS) & set(BUILTIN_ADAPTERS)


@pytest.mark.parametrize("name", sorted(PROFILE_NAMES))
def test_for_provider_builds_the_packs_profile(name: str) -> None:
    pack = provider_pack(name)
    assert pack is not None
    assert pack.retry is not None
    assert ae.RetryPolicy.for_provider(name) == ae.RetryPolicy(**pack.retry)


def test_for_provider_gives_a_fresh_policy_each_time() -> None:
    first = ae.RetryPolicy.for_provider("qoder")
    assert first is not ae.RetryPolicy.for_provider("qoder")
    assert first == ae.RetryPolicy.for_provider("qoder")


@pytest.mark.parametrize("name", [None, "", "generic", "canonical", "nobody", 42])
def test_no_profile_means_the_default_policy(name: Any) -> None:
    assert ae.RetryPolicy.for_provider(name) == ae.RetryPolicy()


def test_the_host_map_is_read_from_the_packs() -> None:
    expected = {host: pack.name for pack in PROFILE_PACKS.values() for host in pack.hosts}
    assert dict(PROVIDER_HOSTS) == expected
    for pack in PACKS.values():
        for host in pack.hosts:
            if "*" not in host:
                assert ae.provider_for_host(host) == pack.name
    assert ae.provider_for_host("api.openai.com") == "openai"
    assert ae.provider_for_host("bedrock-runtime.us-east-1.amazonaws.com") == "bedrock"


@pytest.mark.parametrize("name", BUILTIN_ADAPTERS)
def test_render_codes_read_back_as_their_kind(name: str) -> None:
    pack = PACKS[name]
    for kind in ae.Kind:
        row = pack.row_for(kind)
        assert row is None or row.kind is kind
        code = pack.render_codes.get(kind)
        if code is not None and code in pack.codes and pack.codes[code].kind is kind:
            assert row is not None
            assert row.code == code


def test_a_pack_is_frozen_and_its_tables_read_only() -> None:
    pack = PACKS["qoder"]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        pack.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        pack.codes["x"] = pack.codes["api_error"]  # type: ignore[index]
    with pytest.raises(TypeError):
        ProviderPack("x", hosts="api.example.com")  # type: ignore[arg-type]


# --- AgentGate's authentication code, everywhere the same -----------------------------------------


def test_agentgate_sends_invalid_api_key_for_authentication() -> None:
    # The seed's example (and the corpus captured from it) is INVALID_API_KEY.
    corpus = json.loads((ROOT / "tests/corpus/agentgate/invalid_api_key_401.json").read_text())
    assert corpus["body"]["error"]["code"] == "INVALID_API_KEY"
    pack = PACKS["agentgate"]
    assert pack.code_for(ae.Kind.AUTHENTICATION) == "INVALID_API_KEY"
    row = pack.row_for(ae.Kind.AUTHENTICATION)
    assert row is not None
    assert row.code == "INVALID_API_KEY"
    # render
    error = ae.CanonicalError(kind=ae.Kind.AUTHENTICATION, message="No key", status=401)
    assert _body(ae.render(error, to="agentgate"))["error"]["code"] == "INVALID_API_KEY"
    # the testing factory
    assert error_response("agentgate", "authentication").json()["error"]["code"] == (
        "INVALID_API_KEY"
    )
    # the docs' provider matrix
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        hooks = importlib.import_module("_hooks")
    finally:
        sys.path.remove(str(ROOT / "docs"))
    line = next(
        line
        for line in hooks.provider_matrix().splitlines()
        if line.startswith("| `authentication`")
    )
    assert "`INVALID_API_KEY` 401" in line
    assert "MISSING_API_KEY" not in line


# --- no foreign codes -----------------------------------------------------------------------------

FOREIGN = [
    ("agentgate", ae.Kind.RATE_LIMITED, "rate_limit_exceeded", 429, "RATE_LIMITED"),
    ("agentgate", ae.Kind.RATE_LIMITED, "rate_limit_error", 429, "RATE_LIMITED"),
    ("agentgate", ae.Kind.NOT_FOUND, "not_found_error", 404, "RESOURCE_NOT_FOUND"),
    ("agentgate", ae.Kind.AUTHENTICATION, "invalid_api_key", 401, "INVALID_API_KEY"),
    ("agentgate", ae.Kind.INTERNAL, "sandbox_error", 500, "INTERNAL_ERROR"),
    ("agents_sdk", ae.Kind.RATE_LIMITED, "RATE_LIMITED", 429, "rate_limit_exceeded"),
    ("agents_sdk", ae.Kind.AUTHENTICATION, "INVALID_API_KEY", 401, "unauthorized"),
    ("agents_sdk", ae.Kind.INTERNAL, "api_error", 500, "sandbox_error"),
    ("qoder", ae.Kind.RATE_LIMITED, "rate_limit_exceeded", 429, "rate_limit_error"),
]


@pytest.mark.parametrize(("provider", "kind", "foreign", "status", "own"), FOREIGN)
def test_rendering_replaces_a_foreign_code_with_the_packs(
    provider: str, kind: ae.Kind, foreign: str, status: int, own: str
) -> None:
    error = ae.CanonicalError(kind=kind, message="m", status=status, code=foreign)
    rendered = ae.render(error, to=provider)
    text = rendered.body.decode()
    assert foreign not in text
    back = ae.normalize_parts(rendered.status, list(rendered.headers), rendered.body)
    assert back is not None
    assert (back.provider, back.kind, back.code) == (provider, kind, own)


def test_a_normalized_foreign_error_renders_as_agentgate() -> None:
    body = {"error": {"code": "rate_limit_exceeded", "message": "Slow down", "status": 429}}
    error = ae.normalize_parts(429, {"retry-after": "3"}, json.dumps(body))
    assert error is not None
    assert error.provider == "agents_sdk"
    doc = _body(ae.render(error, to="agentgate"))
    assert doc == {"error": {"code": "RATE_LIMITED", "message": "Slow down"}}


def test_a_code_of_the_table_for_another_kind_is_replaced() -> None:
    # CONCURRENT_LIMIT is AgentGate's, but for another kind.
    error = ae.CanonicalError(
        kind=ae.Kind.RATE_LIMITED, message="m", status=429, code="CONCURRENT_LIMIT"
    )
    assert _body(ae.render(error, to="agentgate"))["error"]["code"] == "RATE_LIMITED"


def test_a_kind_the_provider_has_no_code_for_keeps_the_code_the_status_reads_back() -> None:
    # AgentGate documents no conflict code: the 409 gives the kind back, so the code stays.
    error = ae.CanonicalError(kind=ae.Kind.CONFLICT, message="m", status=409, code="LOCKED")
    assert _body(ae.render(error, to="agentgate"))["error"]["code"] == "LOCKED"


def test_code_to_write() -> None:
    pack = PACKS["agents_sdk"]
    assert pack.code_to_write("unauthorized", ae.Kind.AUTHENTICATION) == "unauthorized"
    assert pack.code_to_write("bogus", ae.Kind.AUTHENTICATION) == "unauthorized"
    assert pack.code_to_write(None, ae.Kind.AUTHENTICATION) == "unauthorized"
    assert pack.code_to_write("bogus", ae.Kind.TIMEOUT) is None
    # A render code outside the table reads back through the status: at a 400 it would read
    # as invalid_request, so the code for that is written instead.
    assert pack.code_to_write(None, ae.Kind.UNAVAILABLE, 503) == "service_unavailable"
    assert pack.code_to_write(None, ae.Kind.UNAVAILABLE, 400) == "invalid_request"
    assert pack.code_to_write(None, ae.Kind.CONCURRENCY_LIMITED, 429) == "rate_limit_exceeded"
    # At 413 a throttle's code is kept only where the reader makes it a request too large.
    too_large = (ae.Kind.INVALID_REQUEST, 413)
    assert pack.code_to_write("rate_limit_exceeded", *too_large) == "invalid_request"
    assert PACKS["qoder"].code_to_write("rate_limit_error", *too_large) == "rate_limit_error"


ALL_CODES = sorted({code for pack in PACKS.values() for code in pack.codes})


@pytest.mark.parametrize("name", BUILTIN_ADAPTERS)
def test_any_code_on_an_error_reads_back_as_the_errors_kind(name: str) -> None:
    # Whatever code an error carries (any built-in table's, for any kind), the render reads back
    # as the error's kind: at its usual status, with none, and (invalid_request) at 413, where a
    # throttle's code reads as rate_limited to a reader that does not take it for a size.
    wrong = []
    for kind in expressible_kinds(name):
        statuses = {None, kind.default_status}
        if kind is ae.Kind.INVALID_REQUEST:
            statuses.add(413)
        for code in (None, *ALL_CODES):
            for status in statuses:
                error = ae.CanonicalError(kind=kind, message="m", status=status, code=code)
                rendered = ae.render(error, to=name)
                back = ae.normalize_parts(
                    rendered.status, list(rendered.headers), rendered.body, provider=name
                )
                if back.kind is not kind:
                    wrong.append((kind.value, code, status, back.kind.value))
    assert wrong == []


# --- third-party packs ----------------------------------------------------------------------------

TOY_PACK = ProviderPack(
    "toy_pack",
    codes=code_table(
        ErrorCode("SLOW", ae.Kind.RATE_LIMITED, 429, "Slow down"),
        ErrorCode("BAD", ae.Kind.INVALID_REQUEST, 400, "Bad request"),
        ErrorCode("WORSE", ae.Kind.INVALID_REQUEST, 422, "Worse request"),
    ),
    render_codes={ae.Kind.INVALID_REQUEST: "WORSE"},
    retry={"max_retries": 7, "jitter": "none"},
    hosts=("api.toy-pack.test",),
)


class ToyPackAdapter:
    """A third-party adapter that ships a pack."""

    pack = TOY_PACK
    name = TOY_PACK.name
    hosts = TOY_PACK.hosts
    codes = TOY_PACK.codes

    def sniff(self, view: ResponseView) -> float:
        return 0.0

    def parse(self, view: ResponseView) -> ae.CanonicalError | None:
        return None

    def render(self, error: ae.CanonicalError) -> Rendered:
        code = self.pack.code_to_write(error.code, error.kind)
        return json_rendered(error.status, {"code": code, "message": error.message}, error=error)


@pytest.fixture
def toy() -> Iterator[None]:
    ae.register_adapter(ToyPackAdapter())
    yield
    reload()


@pytest.mark.usefixtures("toy")
def test_a_third_party_pack_gives_its_profile_codes_and_hosts() -> None:
    assert ae.RetryPolicy.for_provider("toy_pack") == ae.RetryPolicy(max_retries=7, jitter="none")
    assert ae.provider_for_host("api.toy-pack.test") == "toy_pack"
    response = error_response("toy_pack", "invalid_request")
    assert response.status_code == 422
    assert response.json() == {"code": "WORSE", "message": "Worse request"}
    assert error_response("toy_pack", "rate_limited").json()["code"] == "SLOW"


def test_an_adapter_without_a_pack_gets_one_from_its_attributes() -> None:
    class Bare:
        name = "bare"
        hosts = ("api.bare.test",)
        codes = code_table(ErrorCode("NOPE", ae.Kind.PERMISSION, 403))

    pack = pack_of(Bare())  # type: ignore[arg-type]
    assert (pack.name, pack.hosts, dict(pack.codes)) == (
        "bare",
        ("api.bare.test",),
        dict(Bare.codes),
    )
    assert pack.retry is None
    assert not pack.render_codes
    assert pack.code_for(ae.Kind.PERMISSION) == "NOPE"


def test_a_replaced_builtin_adapter_keeps_its_profile() -> None:
    class Replacement:
        name = "qoder"
        hosts = ()
        codes = code_table()

        def sniff(self, view: ResponseView) -> float:
            return 0.0

        def parse(self, view: ResponseView) -> ae.CanonicalError | None:
            return None

        def render(self, error: ae.CanonicalError) -> Rendered:
            return json_rendered(500, {}, error=error)

    expected = ae.RetryPolicy.for_provider("qoder")
    ae.register_adapter(Replacement(), replace=True)
    try:
        assert ae.RetryPolicy.for_provider("qoder") == expected
    finally:
        reload()


def test_the_docs_host_table_matches_the_packs() -> None:
    text = (ROOT / "docs/providers.md").read_text(encoding="utf-8")
    section = text.split("## Retry profiles by host", 1)[1]
    table = section[section.index("| host |") :].split("\n\n", 1)[0]
    found: dict[str, str] = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        provider = cells[1].split("`")[1]
        for host in cells[0].split("`")[1::2]:
            found[host] = provider
    expected = dict(PROVIDER_HOSTS)
    expected.update(dict.fromkeys(PACKS["google_rpc"].hosts, "google_rpc"))
    assert found == expected


@pytest.mark.parametrize("kind", list(ae.Kind))
def test_the_openai_and_anthropic_dialects_write_their_packs_codes(kind: ae.Kind) -> None:
    error = ae.CanonicalError(kind=kind, message="m", status=None)
    openai = _body(ae.render(error, to="openai"))["error"]
    assert openai["code"] == PROFILE_PACKS["openai"].code_for(kind)
    anthropic = _body(ae.render(error, to="anthropic"))["error"]
    assert anthropic["type"] == PROFILE_PACKS["anthropic"].code_for(kind)


def test_the_docs_profile_table_is_generated_from_the_packs() -> None:
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        hooks = importlib.import_module("_hooks")
    finally:
        sys.path.remove(str(ROOT / "docs"))
    assert "<!-- generated: retry-profiles -->" in (ROOT / "docs/providers.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in hooks.retry_profiles().splitlines()[2:]}
    assert set(rows) == {f"`{name}`" for name in PROFILE_NAMES}
    for name in PROFILE_NAMES:
        policy = ae.RetryPolicy.for_provider(name)
        cells = [cell.strip() for cell in rows[f"`{name}`"].split("|")[2:-1]]
        assert cells[0] == str(policy.max_retries)
        assert cells[3] == f"{policy.max_delay:g} s"
