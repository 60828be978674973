"""The registry: detection order, run-time registration and third-party entry points."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import agent_errors as ae
from agent_errors import CanonicalError, Kind
from agent_errors._parsing import _registry as registry
from agent_errors.adapter_kit import (
    ErrorCode,
    Rendered,
    ResponseView,
    build_error,
    code_table,
    default_status,
    json_rendered,
)

QODER_BODY = json.dumps(
    {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
)
OPENAI_BODY = json.dumps({"error": {"message": "bad", "type": "invalid_request_error"}})

ACME_MODULE = '''
"""A third-party adapter, as a plugin distribution would ship it."""

from agent_errors import Kind
from agent_errors.adapter_kit import (
    ErrorCode, build_error, code_table, default_status, json_rendered,
)


class AcmeAdapter:
    name = "acme"
    hosts = ("api.acme.test", "*.acme-cloud.test")
    codes = code_table(ErrorCode("ACME_SLOW", Kind.RATE_LIMITED, 429, "Slow down"))

    def sniff(self, view):
        doc = view.json
        return 0.9 if isinstance(doc, dict) and "acme_error" in doc else 0.0

    def parse(self, view):
        doc = view.json
        if not isinstance(doc, dict) or not isinstance(doc.get("acme_error"), dict):
            return None
        err = doc["acme_error"]
        code = err.get("code")
        row = self.codes.get(code)
        kind = row.kind if row is not None else Kind.UNKNOWN
        return build_error(view, provider=self.name, kind=kind, message=err.get("text"), code=code)

    def render(self, error):
        body = {"acme_error": {"code": error.code, "text": error.message}}
        return json_rendered(default_status(error), body, error=error)


ADAPTER = AcmeAdapter()
'''
ACME_BODY = json.dumps({"acme_error": {"code": "ACME_SLOW", "text": "easy there"}})


class ToyAdapter:
    """A minimal adapter for run-time registration tests."""

    codes = code_table(ErrorCode("TOY", Kind.CONFLICT, 409, "Toy conflict"))

    def __init__(self, name: str = "toy", hosts: Any = (), score: float = 0.0) -> None:
        self.name = name
        self.hosts = hosts
        self.score = score

    def sniff(self, view: ResponseView) -> float:
        return self.score if view.json == {"toy": True} else 0.0

    def parse(self, view: ResponseView) -> CanonicalError | None:
        return build_error(view, provider=self.name, kind=Kind.CONFLICT, message="toy", code="TOY")

    def render(self, error: CanonicalError) -> Rendered:
        return json_rendered(default_status(error), {"toy": error.message}, error=error)


class RaisingSniffer(ToyAdapter):
    def sniff(self, view: ResponseView) -> float:
        raise RuntimeError("sniff broke")


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    registry.reload()
    yield
    registry.reload()


def make_plugin(root: Path, dist: str, module: str, source: str, entry_points: str) -> None:
    """Lay out an installed distribution: a module and its .dist-info with entry points."""
    (root / f"{module}.py").write_text(source, encoding="utf-8")
    info = root / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[agent_errors.adapters]\n{entry_points}\n", encoding="utf-8"
    )


@pytest.fixture
def plugin_path(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("acme_adapter")]:
            del sys.modules[name]


def view(body: str | None = None, url: str | None = None, status: int = 429) -> ResponseView:
    return ResponseView(status, {}, body, url=url)


# --- detection order ---


def test_provider_beats_host_and_sniff():
    assert ae.detect(view(QODER_BODY, "https://api.qoder.com/x"), "generic").name == "generic"


def test_host_beats_sniff():
    registry.register_adapter(ToyAdapter(hosts=("toy.test",)))
    assert ae.detect(view(QODER_BODY, "https://toy.test/v1")).name == "toy"


@pytest.mark.parametrize(
    "url",
    [
        "https://api.qoder.com/api/v1/cloud/agents",
        "https://openapi.qoder.sh/api/v1/cloud/sessions",
        "https://API.QODER.COM.CN/x",
        "api.qoder.com",
    ],
)
def test_builtin_host_map(url: str):
    assert ae.detect(view(OPENAI_BODY, url)).name == "qoder"


def test_sniff_beats_generic():
    assert ae.detect(view(QODER_BODY)).name == "qoder"
    assert ae.detect(view(QODER_BODY, "https://unknown.example/")).name == "qoder"


def test_generic_answers_last():
    assert ae.detect(view(OPENAI_BODY)).name == "generic"
    assert ae.detect(view(None)).name == "generic"
    assert ae.detect(view("<html>bad gateway</html>")).name == "generic"


def test_sniff_below_the_threshold_loses_to_generic():
    registry.register_adapter(ToyAdapter(score=registry.SNIFF_THRESHOLD - 0.01))
    assert ae.detect(view('{"toy": true}')).name == "generic"
    registry.register_adapter(ToyAdapter(score=registry.SNIFF_THRESHOLD), replace=True)
    assert ae.detect(view('{"toy": true}')).name == "toy"


def test_highest_sniff_wins_and_the_first_registered_breaks_ties():
    registry.register_adapter(ToyAdapter("low", score=0.6))
    registry.register_adapter(ToyAdapter("high", score=0.9))
    registry.register_adapter(ToyAdapter("tie", score=0.9))
    assert ae.detect(view('{"toy": true}')).name == "high"


def test_a_sniff_that_raises_is_skipped():
    registry.register_adapter(RaisingSniffer("raiser"))
    assert ae.detect(view(QODER_BODY)).name == "qoder"
    error = ae.normalize_parts(429, {}, QODER_BODY)
    assert error is not None
    assert error.provider == "qoder"


def test_register_host_maps_a_host_to_a_provider():
    ae.register_host("Gateway.Internal.Test.", "qoder")
    assert ae.detect(view(OPENAI_BODY, "https://gateway.internal.test/v1")).name == "qoder"


def test_register_host_overrides_the_builtin_map():
    ae.register_host("api.qoder.com", "generic")
    assert ae.detect(view(QODER_BODY, "https://api.qoder.com/x")).name == "generic"


def test_wildcard_hosts_match_subdomains_only():
    ae.register_host("*.qoder-proxy.test", "qoder")
    for host in ("eu.qoder-proxy.test", "a.b.qoder-proxy.test"):
        assert ae.detect(view(OPENAI_BODY, f"https://{host}/")).name == "qoder"
    assert ae.detect(view(OPENAI_BODY, "https://qoder-proxy.test/")).name == "generic"
    assert ae.detect(view(OPENAI_BODY, "https://xqoder-proxy.test/")).name == "generic"


def test_an_exact_host_beats_a_wildcard():
    registry.register_adapter(ToyAdapter())
    ae.register_host("*.mixed.test", "qoder")
    ae.register_host("special.mixed.test", "toy")
    assert ae.detect(view(OPENAI_BODY, "https://special.mixed.test/")).name == "toy"
    assert ae.detect(view(OPENAI_BODY, "https://other.mixed.test/")).name == "qoder"


def test_normalize_follows_detection():
    by_host = ae.normalize_parts(503, {}, b"", url="https://api.qoder.com/x")
    assert by_host is not None
    assert by_host.provider == "qoder"
    by_provider = ae.normalize_parts(429, {}, QODER_BODY, provider="generic")
    assert by_provider is not None
    assert by_provider.provider == "generic"


def test_the_adapters_package_is_not_shadowed():
    ae.normalize_parts(500, {}, QODER_BODY)  # loads the built-in adapter modules
    assert callable(ae.registered_adapters)
    assert ae.adapters.__name__ == "agent_errors.adapters"  # the package of adapter modules


# --- misuse ---


@pytest.mark.parametrize("name", ["nope", "", "QODER"])
def test_unknown_provider_raises_value_error(name: str):
    with pytest.raises(ValueError, match="unknown provider") as info:
        ae.get_adapter(name)
    assert "qoder" in str(info.value)  # the known names are listed
    with pytest.raises(ValueError, match="unknown provider"):
        ae.normalize_parts(500, {}, b"x", provider=name)


def test_unhashable_provider_raises_type_error():
    with pytest.raises(TypeError):
        ae.get_adapter(["qoder"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        object(),
        None,
        "qoder",
        ToyAdapter(name=""),
        ToyAdapter(name=" toy"),
        ToyAdapter(name=3),  # type: ignore[arg-type]
        ToyAdapter(hosts="toy.test"),
        ToyAdapter(hosts=None),
    ],
)
def test_register_adapter_rejects_non_adapters(bad: object):
    with pytest.raises(TypeError):
        registry.register_adapter(bad)


def test_register_adapter_rejects_bad_codes_and_methods():
    broken = ToyAdapter()
    broken.codes = [("TOY", Kind.CONFLICT)]  # type: ignore[assignment]
    with pytest.raises(TypeError, match="codes"):
        registry.register_adapter(broken)
    broken = ToyAdapter()
    broken.parse = "not callable"  # type: ignore[assignment,method-assign]
    with pytest.raises(TypeError, match="parse"):
        registry.register_adapter(broken)


def test_register_adapter_refuses_a_taken_name_unless_replacing():
    first = registry.register_adapter(ToyAdapter())
    with pytest.raises(ValueError, match="already registered"):
        registry.register_adapter(ToyAdapter())
    assert ae.get_adapter("toy") is first
    second = registry.register_adapter(ToyAdapter(), replace=True)
    assert ae.get_adapter("toy") is second
    with pytest.raises(ValueError, match="already registered"):
        registry.register_adapter(ToyAdapter("qoder"))


def test_register_adapter_accepts_a_class_and_a_module(tmp_path: Path):
    assert registry.register_adapter(ToyAdapter).name == "toy"
    module = type(sys)("toy_module")
    module.ADAPTER = ToyAdapter("toymod")  # type: ignore[attr-defined]
    assert registry.register_adapter(module).name == "toymod"


def test_a_bad_host_leaves_no_half_registration():
    with pytest.raises(ValueError, match="not a host name"):
        registry.register_adapter(ToyAdapter(hosts=("ok.test", "https://bad.test/")))
    assert "toy" not in ae.registered_adapters()
    assert ae.detect(view(OPENAI_BODY, "https://ok.test/")).name == "generic"


@pytest.mark.parametrize(
    "host", ["", "  ", "*.", "*", "https://api.x.test", "api.x.test/v1", "api.x.test:8443", "a b"]
)
def test_register_host_rejects_what_can_never_match(host: str):
    with pytest.raises(ValueError, match="host"):
        ae.register_host(host, "qoder")


def test_register_host_needs_a_registered_provider_and_a_string():
    with pytest.raises(ValueError, match="unknown provider"):
        ae.register_host("x.test", "nope")
    with pytest.raises(TypeError):
        ae.register_host(b"x.test", "qoder")  # type: ignore[arg-type]


def test_ipv6_hosts_can_be_registered():
    ae.register_host("::1", "qoder")
    assert ae.detect(view(OPENAI_BODY, "http://[::1]:8080/")).name == "qoder"


def test_adapters_returns_a_copy():
    found = ae.registered_adapters()
    assert {"qoder", "generic"} <= set(found)
    found.clear()  # type: ignore[attr-defined]
    assert "qoder" in ae.registered_adapters()


def test_reload_forgets_run_time_registrations():
    registry.register_adapter(ToyAdapter())
    ae.register_host("gone.test", "toy")
    registry.reload()
    assert "toy" not in ae.registered_adapters()
    assert ae.detect(view(OPENAI_BODY, "https://gone.test/")).name == "generic"


# --- third-party adapters through entry points ---


def test_entry_point_adapter_is_discovered(plugin_path: Path):
    make_plugin(
        plugin_path, "acme_errors", "acme_adapter", ACME_MODULE, "acme = acme_adapter:ADAPTER"
    )
    assert "acme" not in ae.registered_adapters()  # entry points are read once ...
    registry.reload()  # ... and rescanned on request
    assert ae.get_adapter("acme").name == "acme"

    error = ae.normalize_parts(429, {"retry-after": "2"}, ACME_BODY)
    assert error is not None
    assert (error.provider, error.kind, error.code) == ("acme", Kind.RATE_LIMITED, "ACME_SLOW")
    assert error.message == "easy there"
    assert error.retry_after == 2.0
    by_host = ae.normalize_parts(500, {}, ACME_BODY, url="https://eu.acme-cloud.test/v2")
    assert by_host is not None
    assert by_host.provider == "acme"


def test_entry_point_may_name_a_module_or_a_class(plugin_path: Path):
    make_plugin(
        plugin_path,
        "acme_errors",
        "acme_adapter",
        ACME_MODULE,
        "acme = acme_adapter\nacme_cls = acme_adapter:AcmeAdapter",
    )
    with pytest.warns(RuntimeWarning, match="acme_cls"):  # both say name "acme": one is refused
        registry.reload()
    assert ae.get_adapter("acme").name == "acme"


def test_a_broken_entry_point_warns_and_the_others_still_work(plugin_path: Path):
    make_plugin(
        plugin_path, "acme_errors", "acme_adapter", ACME_MODULE, "acme = acme_adapter:ADAPTER"
    )
    make_plugin(
        plugin_path,
        "broken_errors",
        "acme_adapter_broken",
        "raise ImportError('missing dependency')\n",
        "broken = acme_adapter_broken:ADAPTER\nnotadapter = json:dumps",
    )
    with pytest.warns(RuntimeWarning) as caught:
        registry.reload()
    messages = " ".join(str(w.message) for w in caught)
    assert "broken" in messages
    assert "missing dependency" in messages
    assert "notadapter" in messages
    assert ae.get_adapter("acme").name == "acme"
    assert ae.get_adapter("qoder").name == "qoder"
    error = ae.normalize_parts(429, {}, QODER_BODY)
    assert error is not None
    assert error.provider == "qoder"


def test_an_entry_point_cannot_replace_a_builtin(plugin_path: Path):
    make_plugin(
        plugin_path, "acme_errors", "acme_adapter", ACME_MODULE, "qoder = acme_adapter:ADAPTER"
    )
    with pytest.warns(RuntimeWarning, match="built-in adapter 'qoder'"):
        registry.reload()
    assert type(ae.get_adapter("qoder")).__name__ == "QoderAdapter"


def test_a_third_party_adapter_is_held_to_the_model(plugin_path: Path):
    source = ACME_MODULE.replace(
        'return build_error(view, provider=self.name, kind=kind, message=err.get("text"), '
        "code=code)",
        "import attrs\n"
        "        error = build_error(view, provider=self.name, kind=kind, message='', code=code)\n"
        "        return attrs.evolve(error, retry_after=-5.0, status=7, code=12,"
        " message='key sk-abcdefghij1234567890')",
    )
    assert "retry_after=-5.0" in source
    make_plugin(plugin_path, "acme_errors", "acme_adapter", source, "acme = acme_adapter:ADAPTER")
    registry.reload()
    error = ae.normalize_parts(429, {}, ACME_BODY)
    assert error is not None
    assert error.retry_after is None
    assert error.status is None
    assert error.code is None
    assert "abcdefghij1234567890" not in error.message


def test_entry_points_load_in_a_fresh_process(tmp_path: Path):
    make_plugin(tmp_path, "acme_errors", "acme_adapter", ACME_MODULE, "acme = acme_adapter:ADAPTER")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import agent_errors as ae
        error = ae.normalize_parts(429, {{}}, {ACME_BODY!r})
        print(error.provider, error.kind.value)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["acme", "rate_limited"]


# --- what the core does with a run-time adapter's result ---


class ScriptedAdapter(ToyAdapter):
    """Returns whatever the test sets as `result` (or raises it)."""

    result: Any = None

    def sniff(self, view: ResponseView) -> float:
        return 1.0

    def parse(self, view: ResponseView) -> Any:
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


def _scripted(result: Any) -> ScriptedAdapter:
    adapter = ScriptedAdapter("scripted")
    adapter.result = result
    registry.register_adapter(adapter, replace=True)
    return adapter


def test_an_adapter_that_raises_gives_the_status_error(caplog: pytest.LogCaptureFixture):
    _scripted(RuntimeError("parser bug"))
    error = ae.normalize_parts(503, {"retry-after": "7"}, b"<html>down</html>")
    assert error is not None
    assert (error.kind, error.provider, error.retry_after) == (Kind.UNAVAILABLE, "scripted", 7.0)
    assert "parser bug" in caplog.text


def test_an_adapter_returning_a_non_error_gives_the_status_error():
    _scripted({"kind": "rate_limited"})
    error = ae.normalize_parts(429, {}, b'{"x": 1}')
    assert error is not None
    assert (error.kind, error.provider) == (Kind.RATE_LIMITED, "scripted")


def test_an_adapter_returning_none_falls_back_to_a_generic_reading():
    _scripted(None)
    error = ae.normalize_parts(400, {}, OPENAI_BODY)
    assert error is not None
    # Read the generic way, but still the chosen provider's error (its retry profile applies).
    assert (error.provider, error.message) == ("scripted", "bad")
    assert ae.normalize_parts(200, {}, OPENAI_BODY) is None


def test_an_adapters_own_hints_are_used_when_the_response_has_none():
    _scripted(
        CanonicalError(
            Kind.RATE_LIMITED, "m", retry_after=4.0, request_id="req_a", provider="scripted"
        )
    )
    error = ae.normalize_parts(429, {}, b"{}")
    assert error is not None
    assert (error.retry_after, error.request_id) == (4.0, "req_a")
    assert error.details["retry_after_source"] == "adapter"
    assert error.details["request_id_source"] == "adapter"
    # The response's own hints win over the adapter's.
    error = ae.normalize_parts(429, {"retry-after": "9", "x-request-id": "req_h"}, b"{}")
    assert error is not None
    assert (error.retry_after, error.request_id) == (9.0, "req_h")


def test_an_adapters_empty_message_and_odd_fields_are_repaired():
    _scripted(
        CanonicalError(
            Kind.RATE_LIMITED,
            "",
            provider="",
            status=7,
            retry_after=-1.0,
            param=5,  # type: ignore[arg-type]
            details=None,
        )
    )
    error = ae.normalize_parts(429, {}, b"{}")
    assert error is not None
    assert error.kind is Kind.RATE_LIMITED
    assert error.message.startswith("Rate limited")
    assert (error.provider, error.status, error.retry_after, error.param) == (
        "unknown",
        None,
        None,
        None,
    )


def test_normalizing_while_another_thread_reloads():
    stop = threading.Event()
    failures: list[BaseException] = []

    def normalize_until_stopped() -> None:
        for _ in range(10_000):  # bounded, in case the main thread dies
            if stop.is_set():
                return
            try:
                error = ae.normalize_parts(429, {}, QODER_BODY, url="https://api.qoder.com/")
                assert error is not None
                assert error.provider == "qoder"
            except BaseException as exc:
                failures.append(exc)
                return

    workers = [threading.Thread(target=normalize_until_stopped) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        for _ in range(50):
            registry.reload()
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert failures == []
