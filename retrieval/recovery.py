"""`paperbot ingest --rebuild` from any state: damaged files are moved aside, kept until the rebuild commits.

An embedded Chroma that no longer opens, or a catalog SQLite cannot read, would make the rebuild fail the
same way the index does; renamed out of the way (`chroma.aside-<time>`) they cannot, and they are put back
if the rebuild itself fails, so nothing is lost before a whole new index exists.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import IndexMissingError
from core.settings import Settings
from retrieval.catalog import Catalog
from retrieval.index import catalog_path

log = logging.getLogger(__name__)


def _catalog_unreadable(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        catalog = Catalog(path)
        try:
            catalog.count()
        finally:
            catalog.close()
    except (IndexMissingError, sqlite3.DatabaseError):
        return True
    return False


@contextmanager
def set_aside(settings: Settings) -> Iterator[None]:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidates = [] if settings.chroma_host else [settings.index_dir / "chroma"]
    catalog = catalog_path(settings)
    if _catalog_unreadable(catalog):
        candidates += [catalog, catalog.with_name(catalog.name + "-wal"), catalog.with_name(catalog.name + "-shm")]
    moved: list[tuple[Path, Path]] = []
    for path in candidates:
        if path.exists():
            aside = path.with_name(f"{path.name}.aside-{stamp}")
            os.rename(path, aside)
            moved.append((path, aside))
            log.info("moved aside for the rebuild", extra={"path": str(path), "aside": str(aside)})
    try:
        yield
    except BaseException:
        for path, aside in moved:  # what the failed rebuild started goes; what was there comes back
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
            os.rename(aside, path)
        raise
    for _, aside in moved:
        if aside.is_dir():
            shutil.rmtree(aside, ignore_errors=True)
        else:
            aside.unlink(missing_ok=True)
