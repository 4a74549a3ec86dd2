"""Fetched pages on disk (gzipped, as they came) and the fetch state: each source's cursor and validators.

Every write is atomic (temp file, fsync, rename): a fetch killed at any point leaves either the old file
or the new one, never half of one, so the next run can trust what it finds.
"""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from core.files import write_atomic
from core.settings import Settings
from retrieval.sources.http import Page, Validators

__all__ = ["FetchState", "LastRun", "Outcome", "fetched_dir", "load_state", "save_state", "store_page", "write_atomic"]

Outcome = Literal["ok", "partial", "failed"]


class SourceState(BaseModel):
    cursor: dt.date | None = Field(default=None, description="the last listing day fetched completely")
    validators: dict[str, Validators] = Field(default_factory=dict)


class LastRun(BaseModel):
    """What the last fetch did, for /about and the logs."""

    finished: dt.datetime
    outcome: Outcome
    added: int = 0
    enriched: int = 0
    detail: str = ""


class FetchState(BaseModel):
    sources: dict[str, SourceState] = Field(default_factory=dict)
    last_run: LastRun | None = None

    def of(self, source: str) -> SourceState:
        return self.sources.setdefault(source, SourceState())


def fetched_dir(settings: Settings) -> Path:
    return settings.data_dir / "fetched"


def _state_path(settings: Settings) -> Path:
    return fetched_dir(settings) / "state.json"


def load_state(settings: Settings) -> FetchState:
    """The saved state; a missing or unreadable file is a fresh start (the pages themselves are kept)."""
    try:
        return FetchState.model_validate_json(_state_path(settings).read_bytes())
    except (OSError, ValidationError):
        return FetchState()


def save_state(settings: Settings, state: FetchState) -> None:
    write_atomic(_state_path(settings), state.model_dump_json(indent=1).encode())


def store_page(folder: Path, source: str, page: Page) -> Path:
    """Write the page's body, gzipped, under `folder/source/`; returns where."""
    path = folder / source / page.name
    write_atomic(path, gzip.compress(page.body, compresslevel=6, mtime=0))
    return path
