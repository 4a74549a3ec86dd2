"""Fetched pages on disk (gzipped, as they came) and the fetch state: each source's cursor and validators.

Every write is atomic (temp file, fsync, rename): a fetch killed at any point leaves either the old file
or the new one, never half of one, so the next run can trust what it finds.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from core.settings import Settings
from retrieval.sources.http import Page, Validators

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


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


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
