"""The `agent-errors` command: normalize a saved HTTP response, list the adapters.

```
agent-errors normalize [FILE|-] [--provider NAME] [--format json|text|problem]
                       [--status N|none] [--url URL] [--exit-code]
agent-errors providers [NAME] [--format text|json]
```

`normalize` reads a response as `curl -i` prints it (status line, headers, a blank line, the
body; CRLF or LF; when several header blocks precede the body, as after `100 Continue` or a
proxy's `CONNECT` reply, the last one counts; chunked framing and content-codings undone by the
reader `render_response_text` uses too), or a bare body when `--status` is given.

Exit status:

- 0: the input was read and the result printed (an error, or a line saying there is none);
- 1: only with `--exit-code`: the response carries an error;
- 2: bad usage or unreadable input (missing file, not an HTTP response, unknown provider);
- 3: an unexpected failure inside agent-errors (a bug: please report it).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import IO, Any, Final

import attrs

from ._core._escape import escape_json_text, escape_text
from ._core._model import CanonicalError, status_phrase
from ._core._serialize import to_dict
from ._parsing._normalize import normalize_view
from ._parsing._raw_http import NO_STATUS, BadInputError, read_capture, read_http
from ._parsing._registry import get_adapter, registered_adapters
from ._parsing._render import format_rendered, formats, render
from ._parsing._view import ResponseView
from ._retrying._retry import Decision, RetryPolicy
from .adapter_kit import ProviderPack, pack_of

__all__ = ["EXIT_BAD_INPUT", "EXIT_ERROR_FOUND", "EXIT_INTERNAL", "EXIT_OK", "main"]

EXIT_OK: Final = 0
"""The input was read and the result printed."""
EXIT_ERROR_FOUND: Final = 1
"""With `--exit-code`: the response carries an error."""
EXIT_BAD_INPUT: Final = 2
"""Bad usage or unreadable input."""
EXIT_INTERNAL: Final = 3
"""An unexpected failure inside agent-errors."""

PROG: Final = "agent-errors"


def _looks_binary(body: bytes) -> bool:
    sample = body[:8192]
    if b"\x00" in sample:
        return True
    text = sample.decode("utf-8", "replace")
    return text.count("\ufffd") > max(4, len(text) // 10)


def read_input(path: str | None, stdin: IO[bytes] | None = None) -> tuple[bytes, bool]:
    """Return the response in the file at `path` (`-` or None: stdin) and whether it goes on.

    The input is streamed (`read_http`): interim header blocks (`100 Continue`, ...) are
    skipped however much of the input they take, and only the final response's head and the
    first bytes of its body are kept.

    Raises:
        BadInputError: The file cannot be read, stdin is a terminal, or a header block is
            malformed.
    """
    if path is None or path == "-":
        if stdin is None:
            if sys.stdin is None or sys.stdin.isatty():
                msg = "no input: pass a FILE, or pipe a response into stdin"
                raise BadInputError(msg)
            stdin = sys.stdin.buffer
        return read_http(stdin)
    try:
        with Path(path).open("rb") as file:
            return read_http(file)
    except OSError as exc:
        reason = escape_text(exc.strerror or type(exc).__name__)
        msg = f"cannot read {path!r}: {reason}"
        raise BadInputError(msg) from None


def _status_arg(value: str) -> int | None:
    if value.strip().lower() == "none":
        return None
    try:
        status = int(value)
    except ValueError:
        msg = f"not a status: {value!r} (expected 100-999, or 'none' for a run result)"
        raise argparse.ArgumentTypeError(msg) from None
    if not 100 <= status <= 999:
        msg = f"not a status: {value!r} (expected 100-999, or 'none' for a run result)"
        raise argparse.ArgumentTypeError(msg)
    return status


def view_from_input(
    data: bytes, *, status: Any = NO_STATUS, url: str | None = None, truncated: bool = False
) -> ResponseView:
    """Return the `ResponseView` for `curl -i` output, or for a bare body with `status`.

    A `status` given here overrides the status line's.

    Raises:
        BadInputError: The input is empty, malformed, binary, or has no status at all.
    """
    if not data.strip():
        msg = "the input is empty"
        raise BadInputError(msg)
    # The same reader as `render_response_text`; the CLI adds its input checks and lets
    # `--status` override a status line.
    raw = read_capture(data, truncated=truncated)
    if raw is None:
        raw = read_capture(data, status=status, truncated=truncated)
        if raw is None:
            msg = (
                "no HTTP status line (such as 'HTTP/1.1 429 Too Many Requests'); "
                "for a bare body, pass --status N"
            )
            raise BadInputError(msg)
        if _looks_binary(raw.body):
            msg = "the input is binary, neither an HTTP response nor an error document"
            raise BadInputError(msg)
    elif status is not NO_STATUS:
        raw = attrs.evolve(raw, status=status)
    return raw.view(url)


def _decision(error: CanonicalError) -> Decision:
    """The retry engine's decision after a first failed attempt, under the provider's profile."""
    return RetryPolicy.for_provider(error.provider).decide(error, attempt=1)


def _decision_lines(error: CanonicalError) -> list[str]:
    """Return the lines that describe the retry decision for `error`."""
    return [f"decision: {_decision(error).describe()}"]


def _problem_document(error: CanonicalError) -> bytes:
    """Return `error` as an RFC 9457 problem details document."""
    return render(error, to="problem+json").body


def _dumps(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _format_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


def format_text(error: CanonicalError) -> str:
    """Return `error` as aligned `field: value` lines, then the retry decision's lines."""
    rows: list[tuple[str, str]] = [
        ("kind", error.kind.value),
        ("status", "none" if error.status is None else _status_text(error.status)),
        ("message", error.message),
        ("retryable", "yes" if error.retryable else "no"),
    ]
    details = dict(error.details)
    if error.retry_after is not None:
        source = details.pop("retry_after_source", None)
        suffix = f" (from {source})" if source else ""
        rows.append(("retry after", _format_seconds(error.retry_after) + suffix))
    if error.request_id is not None:
        source = details.pop("request_id_source", None)
        suffix = f" (from {source})" if source else ""
        rows.append(("request id", error.request_id + suffix))
    for name in ("param", "code"):
        value = getattr(error, name)
        if value is not None:
            rows.append((name, str(value)))
    rows.append(("provider", error.provider))
    for key, value in details.items():
        shown = (
            value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        )
        rows.append((f"details.{key}", shown))
    # One line per field: a CR, LF or ESC in a value (or a details key) is shown escaped.
    cells = [(escape_text(name), escape_text(value)) for name, value in rows]
    width = max(len(name) for name, _ in cells)
    lines = [f"{name + ':':<{width + 1}} {value}" for name, value in cells]
    lines.extend(_decision_lines(error))
    return "\n".join(lines) + "\n"


def format_error(error: CanonicalError, fmt: str) -> str:
    """Return `error` in `fmt`: `json` (`to_dict`), `text` or `problem` (problem+json)."""
    if fmt == "json":
        return _dumps({**to_dict(error), "decision": _decision(error).as_dict()}) + "\n"
    if fmt == "problem":
        body = _problem_document(error).decode("utf-8", "replace")
        try:
            return _dumps(json.loads(body)) + "\n"
        except ValueError:
            return body + "\n"
    return format_text(error)


def _status_text(status: int) -> str:
    return status_phrase(status).removeprefix("HTTP ")


def _provider(name: str) -> None:
    try:
        get_adapter(name)
    except ValueError as exc:
        raise BadInputError(str(exc)) from None


def _no_error_line(view: ResponseView) -> str:
    status = "no status" if view.status is None else status_phrase(view.status)
    return f"no error: {status} carries no error document"


def _cmd_normalize(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    if args.provider is not None:
        _provider(args.provider)  # an unknown provider is bad usage, reported before reading
    data, truncated = read_input(args.file)
    view = view_from_input(data, status=args.status, url=args.url, truncated=truncated)
    error = normalize_view(view, provider=args.provider)
    if error is None:
        if args.format == "text":
            _write(out, _no_error_line(view) + "\n")
        else:
            _write(out, "null\n")  # stdout stays valid JSON; the human line goes to stderr
            _write(err, _no_error_line(view) + "\n")
        return EXIT_OK
    _write(out, format_error(error, args.format))
    return EXIT_ERROR_FOUND if args.exit_code else EXIT_OK


def _cmd_render(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    if args.provider is not None:
        _provider(args.provider)
    if args.to not in ("problem", *formats()):
        msg = f"unknown format {args.to!r}; known formats: {', '.join(formats())}"
        raise BadInputError(msg)
    data, truncated = read_input(args.file)
    view = view_from_input(data, status=args.status, url=args.url, truncated=truncated)
    error = normalize_view(view, provider=args.provider)
    if error is None:
        _write(err, _no_error_line(view) + "\n")
        return EXIT_OK
    text = format_rendered(render(error, to=args.to))
    _write(out, text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def _code_rows(pack: ProviderPack) -> list[dict[str, Any]]:
    # A third-party table's rows may be anything: read them defensively.
    rows: list[dict[str, Any]] = []
    for code, row in pack.codes.items():
        kind = getattr(row, "kind", None)
        retryable = getattr(row, "is_retryable", None)
        if retryable is None and kind is not None:
            retryable = getattr(kind, "retryable", None)
        rows.append(
            {
                "code": str(code),
                "status": getattr(row, "status", None),
                "kind": getattr(kind, "value", None if kind is None else str(kind)),
                "retryable": retryable,
                "summary": getattr(row, "summary", ""),
            }
        )
    return rows


def provider_tables(name: str | None = None) -> list[dict[str, Any]]:
    """Return each adapter (or just `name`) with its hosts and code table, as JSON-ready dicts.

    Raises:
        ValueError: `name` names no registered adapter.
    """
    found = {name: get_adapter(name)} if name is not None else registered_adapters()
    packs = {adapter_name: pack_of(adapter) for adapter_name, adapter in found.items()}
    return [
        {"name": adapter_name, "hosts": list(pack.hosts), "codes": _code_rows(pack)}
        for adapter_name, pack in packs.items()
    ]


def _providers_text(tables: list[dict[str, Any]]) -> str:
    chunks: list[str] = []
    for table in tables:
        hosts = ", ".join(table["hosts"]) or "none"
        lines = [f"{table['name']}  (hosts: {hosts})"]
        header = ("code", "status", "kind", "retryable", "summary")
        cells = [header] + [
            (
                row["code"],
                "-" if row["status"] is None else str(row["status"]),
                str(row["kind"]),
                {True: "yes", False: "no"}.get(row["retryable"], "?"),
                str(row["summary"]),
            )
            for row in table["codes"]
        ]
        widths = [max(len(cell[i]) for cell in cells) for i in range(4)]
        for cell in cells:
            fixed = "  ".join(
                f"{value:<{width}}" for value, width in zip(cell, widths, strict=False)
            )
            lines.append(f"  {fixed}  {cell[4]}".rstrip())
        if not table["codes"]:
            lines.append("  (no code table)")
        chunks.append("\n".join(lines))
    return "\n\n".join(chunks) + "\n"


def _cmd_providers(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    if args.name is not None:
        _provider(args.name)
    tables = provider_tables(args.name)
    if args.format == "json":
        _write(out, _dumps(tables) + "\n")
    else:
        _write(out, _providers_text(tables))
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    __version__ = metadata.version("agent-errors")

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Normalize agent-platform API error responses into one canonical error.",
        epilog=(
            "exit status: 0 result printed; 1 (with --exit-code) the response carries an error; "
            "2 bad usage or unreadable input; 3 internal failure"
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    normalize = commands.add_parser(
        "normalize",
        help="print the canonical error in a saved HTTP response",
        description=(
            "Read a response as `curl -i` prints it (or a bare body with --status) and print "
            "its canonical error."
        ),
    )
    normalize.add_argument(
        "file",
        nargs="?",
        default=None,
        metavar="FILE",
        help="the response file; '-' or none: stdin",
    )
    normalize.add_argument("--provider", metavar="NAME", help="skip detection: use this adapter")
    normalize.add_argument(
        "--format",
        choices=("json", "text", "problem"),
        default="json",
        help="json: the canonical error (default); text: for people; problem: problem+json",
    )
    normalize.add_argument(
        "--status",
        type=_status_arg,
        default=NO_STATUS,
        metavar="N",
        help="the HTTP status of a bare body (overrides a status line); 'none' for a run result",
    )
    normalize.add_argument(
        "--url", metavar="URL", help="the request URL (its host selects the provider)"
    )
    normalize.add_argument(
        "--exit-code",
        action="store_true",
        help="exit with status 1 when the response carries an error",
    )
    normalize.set_defaults(handler=_cmd_normalize)

    render_cmd = commands.add_parser(
        "render",
        help="rewrite a saved error response in another format",
        description=(
            "Read a response as `curl -i` prints it (or a bare body with --status), and print "
            "its error as an HTTP response in another format."
        ),
    )
    render_cmd.add_argument(
        "file", nargs="?", default=None, metavar="FILE", help="the response; '-' or none: stdin"
    )
    render_cmd.add_argument(
        "--to",
        required=True,
        metavar="NAME",
        help="problem+json, canonical, or an adapter's name (see `agent-errors providers`)",
    )
    render_cmd.add_argument("--provider", metavar="NAME", help="skip detection: use this adapter")
    render_cmd.add_argument(
        "--status",
        type=_status_arg,
        default=NO_STATUS,
        metavar="N",
        help="the HTTP status of a bare body (overrides a status line); 'none' for a run result",
    )
    render_cmd.add_argument(
        "--url", metavar="URL", help="the request URL (its host selects the provider)"
    )
    render_cmd.set_defaults(handler=_cmd_render)

    providers = commands.add_parser(
        "providers",
        help="list the adapters and their code tables",
        description="List every registered adapter, its hosts and its code table.",
    )
    providers.add_argument("name", nargs="?", metavar="NAME", help="show only this adapter")
    providers.add_argument("--format", choices=("text", "json"), default="text")
    providers.set_defaults(handler=_cmd_providers)
    return parser


def _write(stream: IO[str], text: str) -> None:
    # Every character a terminal could act on (C0 and C1 controls, DEL, bidi and other format
    # characters) is written as a JSON-style escape; only our own line feeds stay.
    text = escape_json_text(text)
    try:
        stream.write(text)
    except UnicodeEncodeError:
        # A terminal that cannot show every character still gets every line.
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding, "replace"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `agent-errors` command with `argv` (default: `sys.argv[1:]`); return the exit status.

    Never raises and never prints a traceback: failures are one line on stderr.
    """
    out, err = sys.stdout, sys.stderr
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed usage or help
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    handler: Callable[[argparse.Namespace, IO[str], IO[str]], int] = args.handler
    try:
        status = handler(args, out, err)
        out.flush()
    except BadInputError as exc:
        _write(err, f"{PROG}: {escape_text(exc)}\n")
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (`| head`): it has what it wanted. Point stdout at devnull so
        # the interpreter's final flush does not fail a second time.
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - a command-line tool reports, it does not crash
        reason = escape_text(f"{type(exc).__name__}: {exc}", limit=500)
        _write(err, f"{PROG}: internal error ({reason}); please report it\n")
        return EXIT_INTERNAL
    return status
