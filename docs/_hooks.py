"""MkDocs hook: generated sections, so that no table in the docs is copied by hand.

A page asks for a section with an HTML comment on a line of its own:

- `<!-- generated: kinds -->`: every `Kind`, whether it is retryable, its usual status and its
  exception class;
- `<!-- generated: provider-matrix -->`: which code each adapter sends for each kind, then each
  adapter's full code table (read from the adapters' own `codes` tables);
- `<!-- generated: retry-profiles -->`: each provider pack's retry profile (the numbers
  `RetryPolicy.for_provider` builds), with its hosts;
- `<!-- generated: cli -->`: the `agent-errors` command's help, command by command;
- `<!-- generated: readme-commands -->`: the README's two commands, verbatim, and what the first
  one prints (run when the docs are built);
- `<!-- generated: changelog -->`: `CHANGELOG.md` itself.

An unknown name fails the build.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import agent_errors
from agent_errors import Kind, registered_adapters
from agent_errors.adapter_kit import pack_of

ROOT = Path(__file__).resolve().parent.parent
_MARKER = re.compile(r"^<!-- generated: ([a-z-]+) -->$", re.MULTILINE)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(_cell(value) for value in row) + " |" for row in rows)
    return "\n".join(lines)


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def kinds_table() -> str:
    """Return the table of kinds: retryable, usual status, exception class."""
    rows = [
        [
            f"`{kind.value}`",
            _yes(kind.retryable),
            "—" if kind.default_status is None else str(kind.default_status),
            f"`{agent_errors.error_class(kind).__name__}`",
        ]
        for kind in Kind
    ]
    return _table(["kind", "retryable", "usual status", "exception"], rows)


def _ordered_adapters() -> list[tuple[str, Any]]:
    # generic last: it is the fallback, not a provider.
    found = registered_adapters()
    return sorted(found.items(), key=lambda item: (item[0] == "generic", item[0]))


def provider_matrix() -> str:
    """Return the kind-by-provider matrix, then every adapter's code table."""
    ordered = _ordered_adapters()
    rows: list[list[str]] = []
    packs = [pack_of(adapter) for _, adapter in ordered]
    for kind in Kind:
        row = [f"`{kind.value}`"]
        for pack in packs:
            entries = [code for code, entry in pack.codes.items() if entry.kind is kind]
            # The code the provider sends for the kind (the one `render` and the testing
            # toolkit write, from its pack), then how many others map to it.
            main = pack.row_for(kind)
            if main is None:
                row.append("·")
                continue
            cell = f"`{main.code}`" + ("" if main.status is None else f" {main.status}")
            if len(entries) > 1:
                cell += f" +{len(entries) - 1}"
            row.append(cell)
        rows.append(row)
    parts = [
        "## Kinds by provider",
        "",
        (
            "Each cell shows the code a provider sends for a kind (the one `render` writes) "
            "and its status; "
            "`+N`: N more of its codes map to the kind (see its table below). "
            "`·`: it documents no code for the kind; the status still decides."
        ),
        "",
        _table(["kind", *(f"`{name}`" for name, _ in ordered)], rows),
    ]
    for (name, adapter), pack in zip(ordered, packs, strict=True):
        hosts = ", ".join(f"`{host}`" for host in pack.hosts) or "none (detected from the body)"
        doc = (type(adapter).__doc__ or "").strip().splitlines()
        parts += ["", f"## `{name}`", ""]
        if doc:
            parts += [doc[0], ""]
        parts += [f"Hosts: {hosts}", ""]
        code_rows = [
            [
                f"`{code}`",
                "—" if entry.status is None else str(entry.status),
                f"`{entry.kind.value}`",
                _yes(entry.is_retryable),
                entry.summary,
            ]
            for code, entry in pack.codes.items()
        ]
        if code_rows:
            parts.append(_table(["code", "status", "kind", "retryable", "summary"], code_rows))
        else:
            parts.append("No code table: the status decides.")
    return "\n".join(parts)


def _seconds(value: object) -> str:
    return "none" if value is None else f"{value:g} s"


def retry_profiles() -> str:
    """Return one row per provider pack with a retry profile: its numbers and its hosts."""
    from agent_errors._parsing._packs import ADAPTER_PROFILES, PROFILE_PACKS  # noqa: PLC0415
    from agent_errors._parsing._registry import provider_pack  # noqa: PLC0415

    rows: list[list[str]] = []
    for name in (*ADAPTER_PROFILES, *PROFILE_PACKS):
        pack = provider_pack(name)
        assert pack is not None
        policy = agent_errors.RetryPolicy.for_provider(name)
        notes = []
        if policy.retry_4xx is not None:
            notes.append("4xx retried: " + ", ".join(map(str, sorted(policy.retry_4xx))))
        if policy.never_retry_statuses:
            notes.append("never: " + ", ".join(map(str, sorted(policy.never_retry_statuses))))
        if policy.throttle_default is not None:
            notes.append(f"a rate limit without a wait: {_seconds(policy.throttle_default)}")
        if policy.idempotency_header:
            notes.append(f"writes retried with `{policy.idempotency_header}`")
        if policy.retry_on != agent_errors.RetryPolicy().retry_on:
            skipped = sorted(k.value for k in agent_errors.RetryPolicy().retry_on - policy.retry_on)
            notes.append("not retried: " + ", ".join(f"`{kind}`" for kind in skipped))
        rows.append(
            [
                f"`{name}`",
                str(policy.max_retries),
                _seconds(policy.initial_delay),
                f"{policy.multiplier:g}",
                _seconds(policy.max_delay),
                str(policy.jitter),
                _seconds(policy.max_server_delay),
                "; ".join(notes),
                ", ".join(f"`{host}`" for host in pack.hosts) or "—",
            ]
        )
    header = ["provider", "retries", "first wait", "multiplier", "cap", "jitter", "server wait ≤"]
    return _table([*header, "also", "hosts"], rows)


def cli_reference() -> str:
    """Return the `agent-errors` help, the command's and each subcommand's."""
    from agent_errors import _cli  # noqa: PLC0415 - only this section needs the CLI

    parser = _cli._parser()
    parser.formatter_class = _wide
    parts = ["## `agent-errors`", "", "```text", parser.format_help().rstrip(), "```"]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            choices: Mapping[str, argparse.ArgumentParser] = action.choices
            for name, sub in choices.items():
                sub.formatter_class = _wide
                help_text = sub.format_help().rstrip()
                parts += ["", f"## `agent-errors {name}`", "", "```text", help_text, "```"]
    return "\n".join(parts)


def readme_commands() -> str:
    """Return the README's first shell block, and the output of its first command's CLI call.

    Raises:
        ValueError: the README has no shell block, or its first line runs no `agent-errors`.
    """
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^```(?:sh|bash|console)\n(.*?)^```", readme, re.MULTILINE | re.DOTALL)
    if match is None:
        msg = "README.md has no shell block"
        raise ValueError(msg)
    block = match.group(1).rstrip()
    first = block.splitlines()[0]
    words = shlex.split(first.rsplit("&&", 1)[-1])
    if not words or not words[0].endswith("agent-errors"):
        msg = f"the README's first command does not end with an agent-errors call: {first!r}"
        raise ValueError(msg)
    from agent_errors import _cli  # noqa: PLC0415 - only this section needs the CLI

    # Paths in the command are relative to the repository's root.
    args = [str(ROOT / word) if (ROOT / word).is_file() else word for word in words[1:]]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = _cli.main(args)
    if status != 0:
        msg = f"{' '.join(words)} exited with {status}"
        raise ValueError(msg)
    return "\n".join(
        [
            "```bash",
            block,
            "```",
            "",
            f"The first one prints (`{' '.join(words)}`, run when these pages were built):",
            "",
            "```json",
            out.getvalue().rstrip(),
            "```",
        ]
    )


def _wide(prog: str) -> argparse.HelpFormatter:
    # A fixed width, so the page does not depend on the terminal that built it.
    return argparse.HelpFormatter(prog, width=88)


def changelog() -> str:
    """Return CHANGELOG.md without its title (the page has its own), so one file says it."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return text.split("\n", 1)[1].lstrip("\n") if text.startswith("# ") else text


SECTIONS: Mapping[str, Callable[[], str]] = {
    "changelog": changelog,
    "kinds": kinds_table,
    "provider-matrix": provider_matrix,
    "retry-profiles": retry_profiles,
    "cli": cli_reference,
    "readme-commands": readme_commands,
}


def expand(markdown: str) -> str:
    """Replace every `<!-- generated: NAME -->` line with its section.

    Raises:
        ValueError: a marker names no known section.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in SECTIONS:
            msg = f"unknown generated section {name!r}; known: {', '.join(SECTIONS)}"
            raise ValueError(msg)
        return SECTIONS[name]()

    return _MARKER.sub(replace, markdown)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """MkDocs event: expand the generated sections of each page."""
    return expand(markdown)
