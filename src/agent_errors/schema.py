"""The serialized form of a `CanonicalError`: its JSON Schema, as a file, and the converter.

`converter` is the cattrs converter `to_dict`/`from_dict` use (for a model that embeds a
`CanonicalError` in its own cattrs structure).

`python -m agent_errors.schema` prints it; `python -m agent_errors.schema PATH` writes it to
`PATH` (the project keeps a copy in `docs/schema/canonical-error.schema.json`, checked by a test).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ._core._serialize import converter, json_schema

__all__ = ["converter", "main", "schema_text"]


def schema_text() -> str:
    """Return the schema as the text the committed file holds (2-space indent, final newline)."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the schema, or write it to the path given as the only argument; returns 0.

    Raises:
        SystemExit: More than one argument was given (exit status 2).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1:
        sys.stderr.write("usage: python -m agent_errors.schema [PATH]\n")
        raise SystemExit(2)
    text = schema_text()
    if args:
        path = Path(args[0])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
