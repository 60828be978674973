"""The SSE decoder under hostile streams: bounded memory, linear time, normal streams unchanged.

Attacks: one endless line with no line end (32 MiB), data lines with no blank line ever, a huge
`event:`/`id:` line, a million empty data lines, CRs only. Figures: tracemalloc peak while
feeding (the decoder's own allocations; the chunk is built once, outside the measurement) and
the 64 KiB / 8 KiB time ratio of the same attack (best of several runs, < 24: linear is 8).
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

import agent_errors as ae
from agent_errors import adapter_kit

MIB = 1024 * 1024
CHUNK = 64 * 1024


def _feed(decoder: adapter_kit.SSEDecoder, chunks: Iterator[bytes]) -> list[ae.SSEEvent]:
    events: list[ae.SSEEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    return events


def _repeat(chunk: bytes, total: int) -> Iterator[bytes]:
    for _ in range(total // len(chunk)):
        yield chunk


def _peak(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        run()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


LONG_LINE = b"x" * CHUNK
DATA_LINES = b"data: " + b"y" * 1000 + b"\n"
EMPTY_DATA_LINES = b"data\n" * (CHUNK // 5)
CR_ONLY = b"data: z\r" * (CHUNK // 8)

ATTACKS: dict[str, tuple[bytes, bytes]] = {
    # name: (prefix sent once, chunk repeated)
    "one line without a line end": (b"", LONG_LINE),
    "a data line without a line end": (b"data: ", LONG_LINE),
    "an event line without a line end": (b"event: ", LONG_LINE),
    "data lines without a blank line": (b"", DATA_LINES * (CHUNK // len(DATA_LINES))),
    "empty data lines without a blank line": (b"", EMPTY_DATA_LINES),
    "CR line ends, no blank line": (b"", CR_ONLY),
}


# Long-line attacks are fed 32 MiB; many-line ones 4 MiB (four times the cap, so a decoder that
# kept them would show it), since each of their lines costs Python-level work under tracemalloc.
TOTALS = {name: 32 * MIB if "without a line end" in name else 4 * MIB for name in ATTACKS}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_memory_is_the_cap_plus_a_constant(name: str) -> None:
    """Megabytes of hostile stream: the decoder's peak stays near its cap (1 MiB by default)."""
    prefix, chunk = ATTACKS[name]
    decoder = adapter_kit.SSEDecoder()
    total = TOTALS[name]

    def run() -> None:
        decoder.feed(prefix)
        _feed(decoder, _repeat(chunk, total))

    peak = _peak(run)
    # The cap (1 MiB of ASCII), a StringIO's growth slack, and one decoded chunk (64 KiB).
    assert peak < 3 * MIB, f"{name}: peak {peak / MIB:.2f} MiB for 32 MiB of stream"


def test_small_cap_bounds_memory_to_the_small_cap() -> None:
    """With a 64 KiB cap, a 32 MiB line costs about 64 KiB plus one chunk."""
    decoder = adapter_kit.SSEDecoder(max_event_size=64 * 1024)

    def run() -> None:
        decoder.feed(b"data: ")
        _feed(decoder, _repeat(LONG_LINE, 32 * MIB))

    peak = _peak(run)
    assert peak < 512 * 1024, f"peak {peak / 1024:.0f} KiB"


def _best(run: Callable[[], object], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.thread_time()  # CPU time: immune to a throttled, shared machine
        run()
        best = min(best, time.thread_time() - start)
    return best


@pytest.mark.parametrize("chunk_size", [1, 4096])
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_time_is_linear(name: str, chunk_size: int) -> None:
    """8x more of the same attack, fed in 1-byte or 4 KiB chunks: time ratio < 24 (linear 8)."""
    prefix, unit = ATTACKS[name]
    small_total = 16 * 1024 if chunk_size == 1 else 128 * 1024
    blob = prefix + unit * (8 * small_total // len(unit))

    def run(total: int) -> Callable[[], object]:
        data = blob[:total]
        pieces = [data[i : i + chunk_size] for i in range(0, total, chunk_size)]

        def go() -> None:
            decoder = adapter_kit.SSEDecoder()
            for piece in pieces:
                decoder.feed(piece)

        return go

    small = _best(run(small_total))
    large = _best(run(8 * small_total))
    assert large / small < 24, f"{small * 1e3:.1f} ms vs {large * 1e3:.1f} ms"


def test_many_short_lines_in_one_chunk_are_linear() -> None:
    """LF-only lines in one big chunk: the CR search is not repeated per line (was quadratic)."""
    small = b"data: a\n\n" * (8 * 1024)
    large = small * 8
    t_small = _best(lambda: adapter_kit.SSEDecoder().feed(small))
    t_large = _best(lambda: adapter_kit.SSEDecoder().feed(large))
    assert t_large / t_small < 24


def test_an_overlong_data_line_is_delivered_truncated() -> None:
    """The rule: the first `max_event_size` characters are kept, the event still dispatched."""
    decoder = adapter_kit.SSEDecoder(max_event_size=2048)
    events = decoder.feed(b"event: big\ndata: " + b"a" * 10_000 + b"\n\ndata: next\n\n")
    assert [e.event for e in events] == ["big", "message"]
    assert events[0].data == "a" * 2048
    assert events[0].truncated is True
    assert events[1] == ae.SSEEvent(data="next")
    assert events[1].truncated is False


def test_overlong_data_split_over_lines_and_chunks() -> None:
    """The cap counts LF joiners and holds across many lines and many chunks."""
    decoder = adapter_kit.SSEDecoder(max_event_size=100)
    events: list[ae.SSEEvent] = []
    for _ in range(50):
        events += decoder.feed(b"data: 0123456789\n")
    events += decoder.feed(b"\n")
    (event,) = events
    assert len(event.data) == 100
    assert event.data.startswith("0123456789\n0123456789\n")
    assert event.truncated is True


def test_many_lines_within_the_cap_are_kept_exactly() -> None:
    """Past the internal spill threshold (64 pieces) the data is still exact and in order."""
    lines = [f"line {i}" for i in range(500)]
    body = "".join(f"data: {line}\n" for line in lines) + "\n"
    (event,) = adapter_kit.SSEDecoder().feed(body.encode())
    assert event.data == "\n".join(lines)
    assert event.truncated is False
    again = adapter_kit.SSEDecoder()
    assert [e.data for e in again.feed(body) + again.feed(body)] == [event.data] * 2


def test_event_name_is_read_next_to_a_full_data_buffer() -> None:
    """A full data buffer does not starve the next line: its field name is still read."""
    decoder = adapter_kit.SSEDecoder(max_event_size=16)
    (event,) = decoder.feed(b"data: " + b"b" * 100 + b"\nevent: error\nid: 7\n\n")
    assert (event.event, event.id, event.data, event.truncated) == ("error", "7", "b" * 16, True)


def test_an_error_event_beyond_the_cap_is_still_an_error() -> None:
    """A huge `event: error` frame is cut, delivered, and still raises."""
    big = b"event: error\ndata: " + b"boom " * 500_000 + b"\n\n"
    response_events = adapter_kit.SSEDecoder(max_event_size=4096).feed(big)
    with pytest.raises(ae.AgentAPIError):
        list(ae.raise_for_error_events(response_events, status=200))


def test_cap_must_be_a_positive_int() -> None:
    """Misuse raises: a zero or negative cap, or one that is not an int."""
    with pytest.raises(ValueError, match="positive"):
        adapter_kit.SSEDecoder(max_event_size=0)
    with pytest.raises(TypeError):
        adapter_kit.SSEDecoder(max_event_size=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        adapter_kit.SSEDecoder(max_event_size=True)


def test_normal_stream_unchanged_by_the_cap() -> None:
    """Ordinary frames (CRLF, comments, ids, retry, BOM, split chunks) decode as before."""
    stream = (
        "\ufeff: hello\r\nevent: delta\r\nid: 1\r\nretry: 500\r\ndata: a\r\ndata:b\r\n\r\n"
        'data: {"x": 1}\n\n'
    ).encode()
    whole = adapter_kit.SSEDecoder().feed(stream)
    pieces: list[ae.SSEEvent] = []
    split = adapter_kit.SSEDecoder()
    for i in range(len(stream)):
        pieces += split.feed(stream[i : i + 1])
    expected = [
        ae.SSEEvent(event="delta", data="a\nb", id="1", retry=500),
        ae.SSEEvent(data='{"x": 1}', id="1"),
    ]
    assert whole == expected
    assert pieces == expected
