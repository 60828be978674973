"""Wrong answers: an error is never called a success (DESIGN, "Guarantees under hostile input").

- a status outside 100-599 is an error of kind unknown, with or without a body;
- with no status (a run result, a stream event), the body decides by one rule
  (`_error_document.is_error_document`): a plain error document is an error, anything else not;
- the CLI finds the 500 after any amount of `100 Continue`, and reading interim blocks is linear
  in time and bounded in memory (one raw-HTTP reader for the CLI and `render_response_text`).
"""

from __future__ import annotations

import io
import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
import pytest

import agent_errors as ae
from agent_errors import _cli
from agent_errors._core._error_document import is_error_document
from agent_errors._parsing._raw_http import MAX_HEAD, parse_http, read_http

# --- statuses that are no HTTP status ----------------------------------------------------------

BODIES: list[bytes | None] = [
    None,
    b"",
    b'{"ok": true}',
    b"<html>fine</html>",
    b'{"error": {"message": "slow down", "type": "rate_limit_error"}}',
]


@pytest.mark.parametrize("status", [1000, 0, -1, 99, 10**12, -(10**12), 65536])
@pytest.mark.parametrize("body", BODIES)
def test_an_out_of_range_status_is_an_error(status: int, body: bytes | None) -> None:
    error = ae.normalize_parts(status, {}, body)
    assert error is not None, (status, body)
    assert error.details["raw_status"] == status
    assert error.status is None
    if body is not None and b"rate_limit_error" in body:
        assert error.kind is ae.Kind.RATE_LIMITED  # a structured code still says more
    else:
        assert error.kind is ae.Kind.UNKNOWN
    assert ae.render(error).status >= 400  # and it renders as an error


@pytest.mark.parametrize("status", [1000, 0, 99])
def test_an_out_of_range_status_from_httpx_is_an_error(status: int) -> None:
    for content in (b"", b'{"ok": true}'):
        response = httpx.Response(status, content=content)
        error = ae.normalize(response)
        assert error is not None
        assert error.kind is ae.Kind.UNKNOWN


def test_a_status_in_range_is_unchanged() -> None:
    assert ae.normalize_parts(200, {}, b'{"ok": true}') is None
    assert ae.normalize_parts(204, {}, None) is None
    assert ae.normalize_parts(404, {}, None).kind is ae.Kind.NOT_FOUND  # type: ignore[union-attr]


# --- status None: the one rule ----------------------------------------------------------------

ERRORS: list[tuple[str, Any]] = [
    ("object error", {"object": "error", "message": "boom", "type": "x"}),
    ("object error only", {"object": "error"}),
    ("object error mistral", {"object": "error", "message": "Rate limit", "type": "rate_limited"}),
    ("anthropic", {"type": "error", "error": {"type": "overloaded_error", "message": "m"}}),
    ("type error bare", {"type": "error", "message": "m"}),
    ("triple", {"type": "invalid_request_error", "code": "bad_param", "message": "m"}),
    ("triple numeric code", {"type": "BadRequest", "code": 1301, "message": "content filter"}),
    ("triple 4xx code", {"type": "api_error", "code": "429", "message": "slow down"}),
    ("envelope message", {"error": {"message": "m"}}),
    ("envelope code", {"error": {"code": "rate_limit_exceeded"}}),
    ("envelope type", {"error": {"type": "server_error"}}),
    ("envelope detail", {"error": {"detail": "gone"}}),
    ("envelope status", {"error": {"status": "RESOURCE_EXHAUSTED", "message": "quota"}}),
    ("string error", {"error": "Internal error"}),
    ("oauth", {"error": "invalid_grant", "error_description": "expired"}),
    ("object error upper", {"object": "ERROR", "message": "m"}),
]

SUCCESSES: list[tuple[str, Any]] = [
    ("ok", {"ok": True}),
    ("run", {"id": "run_1", "object": "response", "status": "completed"}),
    ("completion", {"object": "chat.completion", "choices": []}),
    ("anthropic message", {"type": "message", "content": [{"type": "text", "text": "error"}]}),
    ("message only", {"message": "hello"}),
    ("message says error", {"message": "error"}),
    ("error null", {"error": None, "data": 1}),
    ("error empty", {"error": {}}),
    ("error empty string", {"error": ""}),
    ("error false", {"error": False}),
    ("success code 0", {"code": 0, "message": "success", "type": "x"}),
    ("success code ok", {"code": "OK", "message": "done", "type": "status"}),
    ("success code 200", {"code": 200, "message": "fine", "type": "reply"}),
    ("pair without type", {"code": "E1", "message": "m"}),
    ("list", [{"error": {"message": "m"}}]),
    ("number", 42),
    ("string", "error"),
    ("type text", {"type": "text", "text": "an error occurred"}),
]


def test_the_tables_are_large_enough() -> None:
    assert len(ERRORS) >= 15
    assert len(SUCCESSES) >= 15


@pytest.mark.parametrize(("name", "doc"), ERRORS, ids=[name for name, _ in ERRORS])
def test_a_plain_error_document_without_status_is_an_error(name: str, doc: Any) -> None:
    assert is_error_document(doc)
    error = ae.normalize_parts(None, {}, json.dumps(doc))
    assert error is not None, name
    assert error.status is None
    assert error.message


@pytest.mark.parametrize(("name", "doc"), SUCCESSES, ids=[name for name, _ in SUCCESSES])
def test_a_success_document_without_status_stays_none(name: str, doc: Any) -> None:
    assert not is_error_document(doc)
    assert ae.normalize_parts(None, {}, json.dumps(doc)) is None, name


def test_the_rule_keeps_the_message_and_code() -> None:
    error = ae.normalize_parts(
        None, {}, json.dumps({"object": "error", "message": "boom", "type": "rate_limit_error"})
    )
    assert error is not None
    assert (error.message, error.code, error.kind) == (
        "boom",
        "rate_limit_error",
        ae.Kind.RATE_LIMITED,
    )


# --- the CLI and render_response_text: interim blocks ---------------------------------------------

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
PADDED = b"HTTP/1.1 100 Continue\r\nx-pad: " + b"p" * 2000 + b"\r\n\r\n"
FINAL = (
    b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\n\r\n"
    b'{"error": {"message": "boom", "type": "server_error"}}'
)


def test_the_cli_finds_the_500_after_more_than_1_mib_of_interim_blocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    count = (3 * 1024 * 1024) // len(CONTINUE) + 1  # 3 MiB of `100 Continue`
    path = tmp_path / "capture.http"
    path.write_bytes(CONTINUE * count + FINAL)
    assert path.stat().st_size > 3 * 1024 * 1024
    code = _cli.main(["normalize", str(path), "--exit-code"])
    out, err = capsys.readouterr()
    assert code == _cli.EXIT_ERROR_FOUND, err
    doc = json.loads(out)
    assert (doc["status"], doc["kind"], doc["message"]) == (500, "internal", "boom")


def test_an_interim_block_larger_than_the_limit_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = b"HTTP/1.1 100 Continue\r\nx-pad: " + b"a" * (MAX_HEAD + 10) + b"\r\n\r\n"
    path = tmp_path / "capture.http"
    path.write_bytes(big + FINAL)
    assert _cli.main(["normalize", str(path)]) == _cli.EXIT_BAD_INPUT
    assert "larger than" in capsys.readouterr().err


class _Chunked(io.RawIOBase):
    """A stream of `count` interim blocks then the final response, made on the fly."""

    def __init__(self, count: int, piece: int) -> None:
        self.left = count
        self.block = PADDED
        self.piece = piece
        self.tail = FINAL
        self.pending = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = self.piece if size < 0 else min(size, self.piece)
        while len(self.pending) < size and (self.left or self.tail):
            if self.left:
                take = min(self.left, 64)
                self.pending += self.block * take
                self.left -= take
            else:
                self.pending += self.tail
                self.tail = b""
        data, self.pending = self.pending[:size], self.pending[size:]
        return data


def test_reading_interim_blocks_is_bounded_in_memory() -> None:
    count = (32 * 1024 * 1024) // len(PADDED)  # 32 MiB of interim blocks, never held whole
    stream = _Chunked(count, 64 * 1024)
    tracemalloc.start()
    try:
        data, truncated = read_http(stream)  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not truncated
    raw = parse_http(data)
    assert raw is not None
    assert raw.status == 500
    assert peak < 2 * 1024 * 1024, peak  # a read chunk and one block, not 32 MiB


def test_read_http_splits_at_every_chunk_boundary() -> None:
    data = b"\r\n\xef\xbb\xbf" + CONTINUE + b"HTTP/1.1 103 Early Hints\nlink: </a>\n\n" + FINAL
    for piece in range(1, 40):

        class Slow(io.RawIOBase):
            def __init__(self) -> None:
                self.pos = 0

            def readable(self) -> bool:
                return True

            def read(self, size: int = -1) -> bytes:
                chunk = data[self.pos : self.pos + piece]  # noqa: B023 - the loop's piece, on purpose
                self.pos += len(chunk)
                return chunk

        got, truncated = read_http(Slow())  # type: ignore[arg-type]
        raw = parse_http(got)
        assert raw is not None
        assert (raw.status, truncated) == (500, False), piece
        assert raw.body.startswith(b'{"error"')


def _best_time(text: bytes, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = ae.render_response_text(text, to="problem+json")
        best = min(best, time.perf_counter() - start)
        assert out.startswith("HTTP/1.1 500")
    return best


def test_render_response_text_is_linear_in_interim_blocks() -> None:
    # Blocks of 2 KiB: copying the rest of the text per block (the old reader) costs 10 GB at
    # 10,000 blocks, so a quadratic reader cannot stay under the bound; a linear one is near 10.
    small = _best_time(PADDED * 1_000 + FINAL)
    large = _best_time(PADDED * 10_000 + FINAL)
    assert large / small < 10 * 3, (small, large)


def test_render_response_text_skips_interim_blocks_and_keeps_the_final_one() -> None:
    text = ae.render_response_text((CONTINUE * 3 + FINAL).decode(), to="canonical")
    status_line, _, rest = text.partition("\n")
    assert status_line == "HTTP/1.1 500 Internal Server Error"
    body = json.loads(rest.split("\n\n", 1)[1])
    assert body["error"]["message"] == "boom"
