"""Crash-safe file writes: a reader sees the old content or the new, never half of either."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` (text as UTF-8) to a temporary file beside `path`, flush it to disk, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fsync_path(path: Path) -> None:
    """Flush a file's data (or a folder's entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_folder(staging: Path, final: Path) -> None:
    """fsync every file of `staging`, then rename it to `final` and fsync the parent: whole, or absent."""
    for child in staging.iterdir():
        fsync_path(child)
    fsync_path(staging)
    if final.exists():
        shutil.rmtree(final)  # left by a crash before the catalog named it current: never read by anyone
    os.rename(staging, final)
    fsync_path(final.parent)
