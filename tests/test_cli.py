"""The `agent-errors` command: reading `curl -i` output, formats, exit statuses, bad input."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import agent_errors
from agent_errors import _cli, registered_adapters
from agent_errors._cli import EXIT_BAD_INPUT, EXIT_ERROR_FOUND, EXIT_INTERNAL, EXIT_OK, main
from agent_errors._parsing._raw_http import parse_http

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "normalize", *argv)
    assert (code, err) == (EXIT_OK, "")
    document = json.loads(out)
    assert isinstance(document, dict)
    return document


def write(tmp_path: Path, data: bytes, name: str = "response.http") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def assert_one_line_failure(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == EXIT_BAD_INPUT
    assert out == ""
    assert err.startswith("agent-errors: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


# The examples, as shipped.


def test_qoder_501_example_has_a_synthesized_message_and_the_beta_header(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = run_json(capsys, str(EXAMPLES / "qoder-501.http"))
    assert doc["kind"] == "feature_not_available"
    assert doc["status"] == 501
    assert doc["provider"] == "qoder"
    assert doc["code"] == "feature_not_available"
    assert doc["retryable"] is False
    assert doc["request_id"] == "req_7f3c2a91d4e8"
    assert "managed-agents-2026-04-01" in doc["message"]
    assert doc["details"]["feature"] == "managed-agents"
    assert doc["details"]["available_from"] == "managed-agents-2026-04-01"


def test_agentgate_429_example_takes_retry_after_from_its_header(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = run_json(capsys, str(EXAMPLES / "agentgate-429.http"))
    assert doc["kind"] == "rate_limited"
    assert doc["status"] == 429
    assert doc["code"] == "RATE_LIMITED"
    assert doc["message"] == "Rate limit exceeded"
    assert doc["retryable"] is True
    assert doc["retry_after"] == 60
    assert doc["details"]["retry_after_source"] == "header:retry-after"


def test_onecli_400_example_reads_the_flat_error_string(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = run_json(capsys, str(EXAMPLES / "onecli-400.http"))
    assert doc["kind"] == "invalid_request"
    assert doc["status"] == 400
    assert doc["message"] == "Label is required"
    assert doc["retryable"] is False


def test_bodiless_gateway_503_example_is_unavailable_and_retryable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = run_json(capsys, str(EXAMPLES / "gateway-503.http"))
    assert doc["kind"] == "unavailable"
    assert doc["status"] == 503
    assert doc["retryable"] is True
    assert doc["message"]


@pytest.mark.parametrize(
    ("name", "kind", "status", "message"),
    [
        ("qoder-400.http", "invalid_request", 400, "Missing required field: name"),
        ("agentgate-400.http", "invalid_request", 400, "Request validation failed"),
        (
            "agents-sdk-429.http",
            "rate_limited",
            429,
            "Too many requests. Please retry after 60 seconds.",
        ),
    ],
)
def test_other_examples(
    capsys: pytest.CaptureFixture[str], name: str, kind: str, status: int, message: str
) -> None:
    doc = run_json(capsys, str(EXAMPLES / name))
    assert (doc["kind"], doc["status"], doc["message"]) == (kind, status, message)


def test_every_example_normalizes_to_an_error() -> None:
    examples = sorted(EXAMPLES.glob("*.http"))
    assert len(examples) >= 4
    for path in examples:
        assert main(["normalize", "--exit-code", str(path)]) == EXIT_ERROR_FOUND, path


def test_qoder_400_example_keeps_param_and_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, str(EXAMPLES / "qoder-400.http"))
    assert doc["param"] == "name"
    assert doc["request_id"] == "req_2b8e61c0f7a3"
    assert doc["details"]["request_id_source"] == "header:x-request-id"


def test_run_result_is_read_with_status_none(capsys: pytest.CaptureFixture[str]) -> None:
    doc = run_json(capsys, "--status", "none", str(EXAMPLES / "agentgate-run-failed.json"))
    assert doc["status"] is None
    assert doc["code"] == "MAX_ITERATIONS_REACHED"
    assert doc["message"] == "Run did not converge within 10 iterations"


# Reading curl -i output.

QODER_429 = (
    b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 7\r\n\r\n"
    b'{"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down"}}'
)


def test_lf_line_endings_read_like_crlf(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    crlf = run_json(capsys, write(tmp_path, QODER_429, "crlf.http"))
    lf = run_json(capsys, write(tmp_path, QODER_429.replace(b"\r\n", b"\n"), "lf.http"))
    assert crlf == lf
    assert (lf["kind"], lf["retry_after"], lf["message"]) == ("rate_limited", 7, "Slow down")


@pytest.mark.parametrize(
    "status_line",
    [b"HTTP/2 429", b"HTTP/2 429 ", b"HTTP/1.0 429 Too Many Requests", b"HTTP/3 429"],
)
def test_status_line_forms(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, status_line: bytes
) -> None:
    data = status_line + b"\r\nretry-after: 3\r\n\r\n"
    doc = run_json(capsys, write(tmp_path, data))
    assert (doc["status"], doc["kind"], doc["retry_after"]) == (429, "rate_limited", 3)


def test_the_last_header_block_wins_after_100_continue(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = b"HTTP/1.1 100 Continue\r\n\r\n" + QODER_429
    doc = run_json(capsys, write(tmp_path, data))
    assert (doc["status"], doc["retry_after"]) == (429, 7)


def test_the_last_header_block_wins_after_a_proxy_connect(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = (
        b"HTTP/1.1 200 Connection established\r\nProxy-Agent: squid\r\n\r\n"
        b"HTTP/2 503 \r\nretry-after: 11\r\ncontent-type: text/html\r\n\r\n"
        b"<html><head><title>503 Service Temporarily Unavailable</title></head></html>"
    )
    doc = run_json(capsys, write(tmp_path, data))
    assert doc["status"] == 503
    assert doc["kind"] == "unavailable"
    assert doc["retry_after"] == 11
    assert doc["message"] == "503 Service Temporarily Unavailable"


def test_blank_lines_between_header_blocks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = b"HTTP/1.1 100 Continue\n\n\n\r\n" + QODER_429
    assert run_json(capsys, write(tmp_path, data))["status"] == 429


def test_headers_only_without_a_final_blank_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = run_json(capsys, write(tmp_path, b"HTTP/1.1 502 Bad Gateway\r\nserver: edge"))
    assert (doc["status"], doc["kind"]) == (502, "unavailable")


def test_leading_blank_lines_and_bom_are_skipped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = run_json(capsys, write(tmp_path, b"\xef\xbb\xbf\r\n\n" + QODER_429))
    assert doc["status"] == 429


def test_folded_and_latin1_header_values(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = (
        b"HTTP/1.1 500 Internal Server Error\r\nx-request-id: req-\xe9t\xe9\r\n"
        b"x-note: first\r\n  second\r\n\r\n"
    )
    raw = parse_http(data)
    assert raw is not None
    assert ("x-note", "first second") in raw.headers
    doc = run_json(capsys, write(tmp_path, data))
    assert doc["request_id"] == "req-\u00e9t\u00e9"


def test_a_gzip_body_saved_without_compressed_is_decompressed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = b'{"error": {"message": "Quota exceeded for this month", "type": "insufficient_quota"}}'
    data = b"HTTP/1.1 429 Too Many Requests\r\ncontent-encoding: gzip\r\n\r\n" + gzip.compress(body)
    doc = run_json(capsys, write(tmp_path, data))
    assert doc["kind"] == "payment_required"
    assert doc["message"] == "Quota exceeded for this month"


def test_a_body_that_only_looks_like_gzip_is_kept(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = b"HTTP/1.1 502 Bad Gateway\r\n\r\n\x1f\x8bnot really gzip"
    doc = run_json(capsys, write(tmp_path, data))
    assert (doc["status"], doc["kind"]) == (502, "unavailable")
    raw = parse_http(b"HTTP/1.1 502 Bad Gateway\r\ncontent-encoding: br\r\n\r\n\x1f\x8bxyz")
    assert raw is not None
    assert raw.body == b"\x1f\x8bxyz"


def test_a_body_beyond_the_cap_is_cut_and_marked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = b'{"error": {"message": "' + b"x" * (3 * 1024 * 1024) + b'"}}'
    doc = run_json(capsys, write(tmp_path, b"HTTP/1.1 413 Payload Too Large\r\n\r\n" + body))
    assert doc["status"] == 413
    assert doc["kind"] == "invalid_request"
    assert doc["details"]["body_truncated"] is True


def test_bare_json_body_with_status(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    body = b'{"error": {"code": "rate_limit_exceeded", "message": "Too many", "retryAfter": 5}}'
    doc = run_json(capsys, "--status", "429", write(tmp_path, body, "body.json"))
    assert (doc["status"], doc["kind"], doc["retry_after"]) == (429, "rate_limited", 5)


def test_status_option_overrides_the_status_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    doc = run_json(capsys, "--status", "504", write(tmp_path, b"HTTP/1.1 500 Oops\r\n\r\n"))
    assert (doc["status"], doc["kind"]) == (504, "timeout")


def test_stdin_is_read_for_dash_and_for_no_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for argv in (["normalize", "-"], ["normalize"]):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(QODER_429)))
        code, out, _ = run(capsys, *argv)
        assert code == EXIT_OK
        assert json.loads(out)["message"] == "Slow down"


def test_stdin_from_a_terminal_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(io.BytesIO(b"")))
    assert_one_line_failure(*run(capsys, "normalize"), "no input")
    monkeypatch.setattr(sys, "stdin", None)
    assert_one_line_failure(*run(capsys, "normalize", "-"), "no input")


# Detection options.


def test_provider_option_forces_the_adapter(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, b"HTTP/1.1 503 Service Unavailable\r\n\r\n")
    assert run_json(capsys, path)["provider"] == "generic"
    assert run_json(capsys, "--provider", "qoder", path)["provider"] == "qoder"


def test_url_option_selects_the_provider_by_host(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, b"HTTP/2 429\r\n\r\n")
    doc = run_json(capsys, "--url", "https://api.qoder.com/api/v1/cloud/agents", path)
    assert (doc["provider"], doc["kind"]) == ("qoder", "rate_limited")


# Output formats and exit statuses.


def test_text_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "normalize", "--format", "text", str(EXAMPLES / "agentgate-429.http")
    )
    assert (code, err) == (EXIT_OK, "")
    lines = out.splitlines()
    assert lines[0].split() == ["kind:", "rate_limited"]
    assert "status: 429 Too Many Requests" in " ".join(out.split())
    assert any(line.startswith("retry after:") and "60 s" in line for line in lines)
    assert any(line.startswith("retryable:") and line.endswith("yes") for line in lines)


def test_text_format_ends_with_the_decision_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    internal = agent_errors.CanonicalError(agent_errors.Kind.INTERNAL, "x", provider="qoder")
    assert _cli._decision_lines(internal) == [
        "decision: retry in 1.00s (backoff; attempt 1 failed)"
    ]
    monkeypatch.setattr(_cli, "_decision_lines", lambda error: [f"decision: {error.kind}"])
    _, out, _ = run(capsys, "normalize", "--format", "text", str(EXAMPLES / "gateway-503.http"))
    assert out.splitlines()[-1] == "decision: unavailable"


def test_problem_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "normalize", "--format", "problem", str(EXAMPLES / "agentgate-429.http")
    )
    assert (code, err) == (EXIT_OK, "")
    problem = json.loads(out)
    assert problem["status"] == 429
    assert "Rate limit exceeded" in out
    assert problem != run_json(capsys, str(EXAMPLES / "agentgate-429.http"))


def test_problem_format_is_the_library_rendering(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "normalize", "--format", "problem", str(EXAMPLES / "gateway-503.http")
    )
    assert code == EXIT_OK
    doc = run_json(capsys, str(EXAMPLES / "gateway-503.http"))
    doc.pop("decision")
    rendered = agent_errors.render(agent_errors.from_dict(doc), to="problem+json")
    assert json.loads(out) == json.loads(rendered.body)


def test_text_and_json_carry_the_retry_decision(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "normalize", "--format", "text", str(EXAMPLES / "qoder-501.http"))
    assert out.splitlines()[-1].startswith("decision: do not retry (feature_not_available)")
    assert "x-qoder-beta: managed-agents-2026-04-01" in out
    doc = run_json(capsys, str(EXAMPLES / "gateway-503.http"))
    assert doc["decision"]["retry"] is True
    assert doc["decision"]["delay"] > 0


def test_json_format_round_trips_to_the_canonical_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = run_json(capsys, str(EXAMPLES / "qoder-501.http"))
    decision = doc.pop("decision")
    error = agent_errors.from_dict(doc)
    assert agent_errors.to_dict(error) == doc
    assert decision["retry"] is False
    assert decision["reason"] == "feature_not_available"
    assert decision["fix_headers"] == {"x-qoder-beta": "managed-agents-2026-04-01"}


def test_a_success_response_says_there_is_no_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{"ok": 1}')
    code, out, err = run(capsys, "normalize", "--format", "text", "--exit-code", path)
    assert (code, err) == (EXIT_OK, "")
    assert out == "no error: HTTP 200 OK carries no error document\n"
    code, out, err = run(capsys, "normalize", path)
    assert (code, out) == (EXIT_OK, "null\n")
    assert err.startswith("no error:")


def test_exit_code_option(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "onecli-400.http")
    assert run(capsys, "normalize", path)[0] == EXIT_OK
    assert run(capsys, "normalize", "--exit-code", path)[0] == EXIT_ERROR_FOUND


# Bad input: one line on stderr, exit status 2, never a traceback.


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.http")
    assert_one_line_failure(*run(capsys, "normalize", missing), "cannot read", "nope.http")


def test_a_directory_is_not_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert_one_line_failure(*run(capsys, "normalize", str(tmp_path)), "cannot read")


def test_binary_garbage(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    garbage = bytes(range(256)) * 8
    path = write(tmp_path, garbage, "garbage.bin")
    assert_one_line_failure(*run(capsys, "normalize", path), "no HTTP status line")
    assert_one_line_failure(*run(capsys, "normalize", "--status", "500", path), "binary")


def test_empty_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, b"\r\n  \n")
    assert_one_line_failure(*run(capsys, "normalize", path), "empty")


def test_a_bare_body_without_status(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, b'{"error": "Label is required"}', "body.json")
    assert_one_line_failure(*run(capsys, "normalize", path), "--status")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"HTTP/1.1 42 Odd\r\n\r\n", "malformed status line 'HTTP/1.1 42 Odd'"),
        (b"HTTP/1.1 099 Odd\r\n\r\n", "not an HTTP status"),
        (b"HTTP/1.1\r\n\r\n", "malformed status line"),
        (b"HTTP/1.1 429 Too Many\r\nthis is no header\r\n\r\n", "malformed header line"),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 4291 Nope\r\n\r\n", "malformed status line"),
    ],
)
def test_malformed_heads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes, fragment: str
) -> None:
    assert_one_line_failure(*run(capsys, "normalize", write(tmp_path, data)), fragment)


def test_a_header_section_that_never_ends(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = b"HTTP/1.1 500 Oops\r\n" + b"x-filler: abcdefgh\r\n" * 80_000
    path = write(tmp_path, data)
    assert_one_line_failure(*run(capsys, "normalize", path), "header section")


def test_unknown_provider(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "qoder-501.http")
    assert_one_line_failure(
        *run(capsys, "normalize", "--provider", "nope", path), "unknown provider 'nope'"
    )
    assert_one_line_failure(*run(capsys, "providers", "nope"), "unknown provider 'nope'")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["normalize", "--status", "42", "x"],
        ["normalize", "--status", "soon", "x"],
        ["normalize", "--format", "yaml", "x"],
    ],
)
def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == EXIT_BAD_INPUT
    assert out == ""
    assert "usage:" in err
    assert "Traceback" not in err


def test_output_a_terminal_cannot_encode_is_escaped() -> None:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    _cli._write(stream, "caf\u00e9 \u2014 ok\n")
    stream.flush()
    assert stream.buffer.getvalue() == b"caf\\xe9 \\u2014 ok\n"  # type: ignore[attr-defined]


def test_a_closed_pipe_ends_quietly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def closed(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError

    monkeypatch.setattr(_cli, "_cmd_providers", closed)
    assert main(["providers"]) == EXIT_OK
    assert capsys.readouterr().err == ""


def test_an_unexpected_failure_is_one_line_and_exit_3(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(_cli, "normalize_view", broken)
    code, out, err = run(capsys, "normalize", str(EXAMPLES / "qoder-501.http"))
    assert (code, out) == (EXIT_INTERNAL, "")
    assert err == "agent-errors: internal error (RuntimeError: boom); please report it\n"


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert (code, out) == (EXIT_OK, f"agent-errors {agent_errors.__version__}\n")
    code, out, _ = run(capsys, "normalize", "--help")
    assert code == EXIT_OK
    assert "--exit-code" in out


# providers


def test_providers_json_lists_every_adapter_and_its_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "providers", "--format", "json")
    assert (code, err) == (EXIT_OK, "")
    tables = {table["name"]: table for table in json.loads(out)}
    assert set(tables) == set(registered_adapters())
    qoder = tables["qoder"]
    assert "api.qoder.com" in qoder["hosts"]
    rows = {row["code"]: row for row in qoder["codes"]}
    assert rows["feature_not_available"] == {
        "code": "feature_not_available",
        "status": 501,
        "kind": "feature_not_available",
        "retryable": False,
        "summary": "Feature not enabled; activation via Beta header required",
    }
    assert rows["api_error"]["retryable"] is True
    for name, adapter in registered_adapters().items():
        assert {row["code"] for row in tables[name]["codes"]} == set(adapter.codes)


def test_providers_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "providers")
    assert code == EXIT_OK
    for name in registered_adapters():
        assert any(line.startswith(f"{name}  (hosts: ") for line in out.splitlines())
    row = next(line for line in out.splitlines() if line.split()[:1] == ["conflict_error"])
    assert row.split()[1:4] == ["409", "conflict", "no"]


def test_providers_for_one_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "providers", "qoder", "--format", "json")
    assert code == EXIT_OK
    assert [table["name"] for table in json.loads(out)] == ["qoder"]


# As a real process.


def _script() -> Path:
    script = Path(sys.executable).parent / ("agent-errors.exe" if sys.platform == "win32" else "")
    return script if script.suffix else Path(sys.executable).parent / "agent-errors"


def test_console_script_runs_as_a_subprocess() -> None:
    script = _script()
    assert script.is_file(), f"the console script is not installed next to {sys.executable}"
    done = subprocess.run(
        [str(script), "normalize", str(EXAMPLES / "qoder-501.http")],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert json.loads(done.stdout)["kind"] == "feature_not_available"
    bad = subprocess.run(
        [str(script), "normalize", str(EXAMPLES / "does-not-exist.http")],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == EXIT_BAD_INPUT
    assert bad.stdout == b""
    assert bad.stderr.count(b"\n") == 1
    assert b"Traceback" not in bad.stderr


def test_python_dash_m_runs_the_same_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agent_errors", "providers", "qoder"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert done.stdout.startswith(b"qoder  (hosts: api.qoder.com")
