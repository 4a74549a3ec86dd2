"""Renders .env.example from the settings sections: one commented line per variable, with its description."""

from __future__ import annotations

import textwrap
from enum import Enum

from pydantic.fields import FieldInfo

from core.settings import SECTIONS

HEADER = """\
# PaperBot settings. Copy to `.env` (never commit it) or export as environment variables. `.env` is read from
# PAPERBOT_HOME and from the current directory (the latter wins); a variable in the environment beats both.
# Every line is optional: with none set, PaperBot runs offline with extractive answers and the local console.
# Generated from core/settings.py by `paperbot config --example > .env.example`: edit the settings, not this.
"""
WIDTH = 110


def _value(field: FieldInfo) -> str:
    """The default as it would be written in .env; an example when there is no fixed default."""
    if field.default_factory is None and field.default is not None:
        default = field.default
        if isinstance(default, bool):
            return str(default).lower()
        return str(default.value if isinstance(default, Enum) else default)
    return str(field.examples[0]) if field.examples else ""


def render() -> str:
    """The whole .env.example text."""
    parts = [HEADER]
    for section in SECTIONS:
        title = (section.__doc__ or section.__name__).strip().splitlines()[0]
        parts.append(f"\n# --- {title} " + "-" * max(3, WIDTH - len(title) - 7) + "\n")
        for name, field in section.model_fields.items():
            parts.extend(f"# {line}\n" for line in textwrap.wrap(field.description or "", WIDTH - 2))
            parts.append(f"# {name.upper()}={_value(field)}\n")
    return "".join(parts)
