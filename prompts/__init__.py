"""Prompt templates are files (`prompts/*.md`), rendered with `{{name}}` placeholders.

`PROMPTS_DIR` may point at a folder of overrides: a file there named like a bundled template replaces it.
Overrides are checked when loaded (unknown placeholders, missing required ones) so a typo fails at start-up
with the file named, not as a strange answer later. Values are substituted in one pass, so text inside a
value (an abstract containing `{{question}}`) is never expanded.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from core.errors import ConfigError

BUNDLED_DIR = Path(str(resources.files(__name__)))  # installed on disk by pip: a real folder
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

# name -> (placeholders it may use, placeholders it must use)
TEMPLATES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "system": (frozenset(), frozenset()),
    "answer": (frozenset({"sources", "conversation", "question", "references"}),
               frozenset({"sources", "question"})),
    "source": (frozenset({"n", "title", "authors", "date", "abstract"}), frozenset({"n", "abstract"})),
    "conversation": (frozenset({"turns"}), frozenset({"turns"})),
    "followup": (frozenset({"turns", "papers", "question"}), frozenset({"question"})),
    "overview": (frozenset({"sources", "count"}), frozenset({"sources"})),
    "tldr": (frozenset({"title", "abstract"}), frozenset({"abstract"})),
    "rerank": (frozenset({"question", "candidates"}), frozenset({"question", "candidates"})),
}


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


class Prompts:
    """The templates in use: bundled ones, each replaced by an override file when one exists."""

    def __init__(self, override_dir: Path | None = None) -> None:
        if override_dir is not None and not override_dir.is_dir():
            raise ConfigError(f"PROMPTS_DIR: {override_dir} is not a folder")
        self._templates: dict[str, str] = {}
        for name, (allowed, required) in TEMPLATES.items():
            path = BUNDLED_DIR / f"{name}.md"
            if override_dir is not None and (override_dir / f"{name}.md").is_file():
                path = override_dir / f"{name}.md"
            try:
                text = path.read_text(encoding="utf-8").rstrip("\n")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"PROMPTS_DIR: cannot read prompt {path}: {exc}") from None
            used = placeholders(text)
            if used - allowed:
                raise ConfigError(f"PROMPTS_DIR: {path} uses unknown placeholders "
                                  f"{sorted(used - allowed)}; allowed: {sorted(allowed)}")
            if required - used:
                raise ConfigError(f"PROMPTS_DIR: {path} lacks required placeholders {sorted(required - used)}")
            self._templates[name] = text

    def template(self, name: str) -> str:
        return self._templates[name]

    def render(self, name: str, **values: object) -> str:
        template = self._templates[name]
        missing = placeholders(template) - set(values)
        if missing:
            raise KeyError(f"prompt {name!r} needs values for {sorted(missing)}")
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)
