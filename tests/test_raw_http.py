"""One raw-HTTP reader: `agent-errors render` and `render_response_text` read every capture alike.

Each capture is read by `_raw_http.read_capture` directly, by the CLI (`render` and `normalize`)
and by `render_response_text`; the two public readers must give the same answer, an error or the
same refusal.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pytest

import agent_errors as ae
from agent_errors._cli import EXIT_BAD_INPUT, EXIT_OK, main
from agent_errors._parsing._raw_http import BadInputError, parse_http, read_capture
from agent_errors._parsing._render import render_response_text
from agent_errors._parsing._view import DEFAULT_BODY_CAP

BODY = b'{"error": {"message": "Slow down", "type": "rate_limit_error", "code": "slow"}}'


def _chunked(body: bytes, size: int = 7, *, eol: bytes = b"\r\n", ext: bytes = b"") -> bytes:
    out = b""
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        out += f"{len(piece):x}".encode() + ext + eol + piece + eol
    return out + b"0" + eol + eol


def _capture(head: bytes, body: bytes, eol: bytes = b"\r\n") -> bytes:
    return eol.join(head.split(b"\n")) + eol + eol + body


def _cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, *argv: str) -> Any:
    path = tmp_path / "capture.http"
    path.write_bytes(data)
    status = main([argv[0], str(path), *argv[1:]])
    out, err = capsys.readouterr()
    return status, out, err


def _agree(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes) -> str:
    """Render `data` both ways, check they agree, and return the rendered text."""
    status, out, err = _cli(tmp_path, capsys, data, "render", "--to", "canonical")
    assert status == EXIT_OK, err
    text = render_response_text(data, to="canonical")
    assert out == (text if text.endswith("\n") else text + "\n")
    return text


def _error(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text.split("\n\n", 1)[1])["error"]
    return doc


# --- status lines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        b"HTTP/1.0 429 Too Many Requests",
        b"HTTP/1.1 429 Too Many Requests",
        b"HTTP/2 429",
        b"HTTP/2 429 ",
        b"HTTP/1.1 429",
        b"HTTP/1.1\t429\tToo Many Requests",
        b"HTTP/3 429 whatever the reason says",
    ],
)
def test_status_line_forms(line: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _capture(line + b"\ncontent-type: application/json", BODY)
    raw = read_capture(data)
    assert raw is not None
    assert raw.status == 429
    doc = _error(_agree(tmp_path, capsys, data))
    assert (doc["kind"], doc["status"], doc["message"]) == ("rate_limited", 429, "Slow down")


@pytest.mark.parametrize(
    "line",
    [
        b"HTTP/1.1 abc Broken",
        b"HTTP/1.1 99 Too Low",
        b"HTTP/1.1 4290 Too Long",
        b"HTTP/1.1 042 Leading Zero",
        b"HTTP/1.1",
        b"HTTP/x 429 Nope",
    ],
)
def test_bad_status_lines_are_refused_by_both(
    line: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _capture(line, BODY)
    if line.startswith(b"HTTP/x"):
        # Not a status line at all: a bare body, which needs a status.
        assert read_capture(data) is None
        status, _, err = _cli(tmp_path, capsys, data, "render", "--to", "canonical")
        assert status == EXIT_BAD_INPUT
        assert "no HTTP status line" in err
        with pytest.raises(ValueError, match="no error"):
            render_response_text(data)  # a bare body without a status: nothing to render
        return
    with pytest.raises(BadInputError):
        read_capture(data)
    status, _, err = _cli(tmp_path, capsys, data, "render", "--to", "canonical")
    assert status == EXIT_BAD_INPUT
    assert "status" in err
    with pytest.raises(ValueError, match="status"):
        render_response_text(data)


# --- headers --------------------------------------------------------------------------------------


def test_folded_headers_join_the_previous_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _capture(
        b"HTTP/1.1 503 Service Unavailable\nx-request-id: req-\n  folded\nretry-after:\n\t7",
        b"down",
    )
    raw = read_capture(data)
    assert raw is not None
    assert dict(raw.headers) == {"x-request-id": "req- folded", "retry-after": "7"}
    doc = _error(_agree(tmp_path, capsys, data))
    assert (doc["request_id"], doc["retry_after"]) == ("req- folded", 7.0)


def test_duplicate_headers_are_all_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _capture(
        b"HTTP/1.1 429 Too Many Requests\ncontent-type: application/json\n"
        b"x-trace: one\nX-Trace: two\nretry-after: 3",
        BODY,
    )
    raw = read_capture(data)
    assert raw is not None
    assert [value for name, value in raw.headers if name.lower() == "x-trace"] == ["one", "two"]
    assert raw.view().headers["x-trace"] == "one, two"
    assert _error(_agree(tmp_path, capsys, data))["retry_after"] == 3.0


def test_a_header_line_without_a_colon_is_refused_by_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _capture(b"HTTP/1.1 500 Internal Server Error\nnot a header", b"boom")
    with pytest.raises(BadInputError, match="malformed header line"):
        read_capture(data)
    assert _cli(tmp_path, capsys, data, "render", "--to", "canonical")[0] == EXIT_BAD_INPUT
    with pytest.raises(ValueError, match="malformed header line"):
        render_response_text(data)


@pytest.mark.parametrize("eol", [b"\r\n", b"\n"])
def test_crlf_and_lf_read_alike(
    eol: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _capture(
        b"HTTP/1.1 100 Continue\n\nHTTP/1.1 429 Too Many Requests\n"
        b"content-type: application/json\nretry-after: 2",
        BODY,
        eol,
    )
    raw = read_capture(data)
    assert raw is not None
    assert (raw.status, raw.body) == (429, BODY)
    doc = _error(_agree(tmp_path, capsys, data))
    assert (doc["kind"], doc["retry_after"]) == ("rate_limited", 2.0)


def test_a_bare_body_with_a_byte_order_mark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = b"\xef\xbb\xbf" + BODY
    raw = read_capture(data, status=429)
    assert raw is not None
    assert raw.body == BODY
    status, out, err = _cli(
        tmp_path, capsys, data, "render", "--to", "canonical", "--status", "429"
    )
    assert status == EXIT_OK, err
    assert out == render_response_text(data, to="canonical", status=429) + "\n"


# --- chunked bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("framing", "unchunked"),
    [
        (_chunked(BODY), True),
        (_chunked(BODY, 1), True),
        (_chunked(BODY, 64, eol=b"\n"), True),
        (_chunked(BODY, 5, ext=b";name=value"), True),
        (_chunked(BODY) + b"x-trailer: 1\r\n\r\n", True),
        (BODY, False),  # curl printed the body unchunked, the header as sent
        (_chunked(BODY)[:-5], False),  # no last chunk: not complete framing, kept as it is
        (b"abc\r\n" + BODY, False),  # hex-looking text that is no framing
        (b"5\r\nhelloXX0\r\n\r\n", False),  # a chunk not followed by its line end
        (BODY + b"\r\n", False),  # a first line that is no chunk size
    ],
)
def test_chunked_bodies(
    framing: bytes, unchunked: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _capture(
        b"HTTP/1.1 429 Too Many Requests\ncontent-type: application/json\n"
        b"transfer-encoding: chunked",
        framing,
    )
    raw = read_capture(data)
    assert raw is not None
    assert raw.body == (BODY if unchunked else framing)
    doc = _error(_agree(tmp_path, capsys, data))
    assert doc["kind"] == "rate_limited"
    if unchunked or framing == BODY:
        assert doc["message"] == "Slow down"


def test_chunked_then_gzip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _capture(
        b"HTTP/1.1 429 Too Many Requests\ncontent-type: application/json\n"
        b"transfer-encoding: chunked\ncontent-encoding: gzip",
        _chunked(gzip.compress(BODY), 9),
    )
    raw = read_capture(data)
    assert raw is not None
    assert raw.body == BODY
    assert _error(_agree(tmp_path, capsys, data))["message"] == "Slow down"


# --- content codings ------------------------------------------------------------------------------


def _deflate(data: bytes) -> bytes:
    return zlib.compress(data)


def _brotli(data: bytes) -> bytes:
    brotli = pytest.importorskip("brotli")
    out: bytes = brotli.compress(data)
    return out


def _zstd(data: bytes) -> bytes:
    zstandard = pytest.importorskip("zstandard")
    out: bytes = zstandard.ZstdCompressor().compress(data)
    return out


CODINGS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
    "gzip, br": lambda data: _brotli(gzip.compress(data)),
}


@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_content_codings_are_decoded(
    coding: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = CODINGS[coding](BODY)
    data = _capture(
        b"HTTP/1.1 429 Too Many Requests\ncontent-type: application/json\ncontent-encoding: "
        + coding.encode(),
        body,
    )
    raw = read_capture(data)
    assert raw is not None
    assert (raw.body, raw.truncated) == (BODY, False)
    assert _error(_agree(tmp_path, capsys, data))["message"] == "Slow down"


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd", "gzip, br"])
def test_a_bomb_inflates_to_the_cap_and_no_further(
    coding: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inflated = b'{"error": {"message": "' + b"a" * (16 * 1024 * 1024) + b'"}}'
    bomb = CODINGS[coding](inflated)
    assert len(bomb) < 1024 * 1024
    data = _capture(
        b"HTTP/1.1 500 Internal Server Error\ncontent-encoding: " + coding.encode(), bomb
    )
    raw = read_capture(data)
    assert raw is not None
    assert raw.truncated
    assert len(raw.body) <= DEFAULT_BODY_CAP + 1
    assert raw.body.startswith(b'{"error": {"message": "aaa')
    doc = _error(_agree(tmp_path, capsys, data))
    assert (doc["kind"], doc["status"]) == ("internal", 500)
    error = ae.normalize_view(raw.view())
    assert error is not None
    assert error.details["body_truncated"] is True


def test_gzip_without_a_content_encoding_is_recognized(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _capture(b"HTTP/1.1 429 Too Many Requests", gzip.compress(BODY))
    raw = read_capture(data)
    assert raw is not None
    assert raw.body == BODY
    assert _error(_agree(tmp_path, capsys, data))["message"] == "Slow down"


@pytest.mark.parametrize("coding", ["gzip", "br", "deflate", "zstd", "compress", "identity"])
def test_a_body_already_decoded_is_kept(
    coding: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `curl -i --compressed` prints the Content-Encoding as sent and the body decoded.
    data = _capture(
        b"HTTP/1.1 429 Too Many Requests\ncontent-type: application/json\ncontent-encoding: "
        + coding.encode(),
        BODY,
    )
    raw = read_capture(data)
    assert raw is not None
    assert raw.body == BODY
    assert _error(_agree(tmp_path, capsys, data))["message"] == "Slow down"


def test_a_truncated_gzip_body_keeps_what_it_decodes() -> None:
    packed = gzip.compress(BODY * 50)
    raw = parse_http(
        _capture(b"HTTP/1.1 500 Internal Server Error\ncontent-encoding: gzip", packed[:60])
    )
    assert raw is not None
    assert raw.body
    assert (BODY * 50).startswith(raw.body)


def test_normalize_and_render_see_the_same_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _capture(
        b"HTTP/1.1 429 Too Many Requests\ncontent-type: application/json\ncontent-encoding: gzip\n"
        b"transfer-encoding: chunked\nretry-after: 4",
        _chunked(gzip.compress(BODY)),
    )
    status, out, err = _cli(tmp_path, capsys, data, "normalize")
    assert status == EXIT_OK, err
    normalized = json.loads(out)
    rendered = _error(_agree(tmp_path, capsys, data))
    for field in ("kind", "message", "code", "status", "retry_after", "provider"):
        assert normalized[field] == rendered[field]
    raw = read_capture(data)
    assert raw is not None
    direct = ae.normalize_view(raw.view())
    assert direct is not None
    assert direct.message == normalized["message"]
