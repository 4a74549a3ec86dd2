"""Syntax check of a `.env` file: python-dotenv skips a line it cannot parse, which hides a setting."""

from __future__ import annotations

import io
from pathlib import Path

from dotenv.parser import parse_stream


def env_file_errors(path: Path) -> list[str]:
    """One message per unparsable line of `path` (none when the file is absent), naming the line."""
    if not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{path}: cannot be read ({exc})"]
    errors = []
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            first = binding.original.string.strip().splitlines()[0][:40] if binding.original.string.strip() else ""
            errors.append(f"{path} line {binding.original.line}: cannot parse {first!r} "
                          "(expected NAME=value; quote values with spaces or #)")
    return errors

