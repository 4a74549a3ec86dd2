"""Generations of the side indexes: one folder per committed ingest, named by the catalog, checked on load.

The catalog records the generation it belongs to; the side indexes of generation N (BM25, row ids, the
row-aligned vectors, acronyms) live in `lexical/gen-N/` with a manifest of their sizes. A reader loads the
folder the catalog names; one that is missing, truncated or disagrees with the catalog is reported, and the
newest older folder that is whole is used instead until an ingest repairs the index.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from pydantic import BaseModel, ValidationError

from core.errors import IndexMissingError
from core.settings import Settings
from retrieval.catalog import Catalog

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
_FOLDER = re.compile(r"gen-(\d+)$")


class Manifest(BaseModel):
    generation: int
    papers: int
    files: dict[str, int]  # file name -> size in bytes when written


def side_root(settings: Settings) -> Path:
    return settings.index_dir / "lexical"


def generation_dir(settings: Settings, generation: int) -> Path:
    return side_root(settings) / f"gen-{generation:06d}"


def committed(catalog: Catalog) -> int:
    """The generation the catalog's last committed ingest wrote (0: none yet, or an index from before)."""
    return _number(catalog.info("generation"))


def _number(stamp: str | None) -> int:
    return int(stamp) if stamp and stamp.isdigit() else 0


def folders(settings: Settings) -> list[int]:
    """Generations that have a folder on disk, newest first."""
    root = side_root(settings)
    found = [int(m.group(1)) for p in root.iterdir() if (m := _FOLDER.match(p.name))] if root.is_dir() else []
    return sorted(found, reverse=True)


def verify(settings: Settings, generation: int) -> Manifest:
    """The manifest of `generation` if its folder is whole; IndexMissingError saying what is wrong if not."""
    folder = generation_dir(settings, generation)
    try:
        manifest = Manifest.model_validate_json((folder / MANIFEST).read_bytes())
    except (OSError, ValidationError, ValueError):
        raise IndexMissingError(f"the side indexes of generation {generation} are missing or unreadable "
                                "(an ingest was interrupted?): run `paperbot ingest`") from None
    if manifest.generation != generation:
        raise IndexMissingError(f"{folder} holds generation {manifest.generation}, not {generation}: "
                                "run `paperbot ingest`")
    for name, size in manifest.files.items():
        path = folder / name
        actual = path.stat().st_size if path.exists() else -1
        if actual != size:
            state = "missing" if actual < 0 else f"{actual:,} bytes instead of {size:,}"
            raise IndexMissingError(f"the index file {path} is {state} (truncated or damaged): "
                                    "run `paperbot ingest`")
    return manifest


def write_manifest(folder: Path, generation: int, papers: int) -> None:
    files = {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.name != MANIFEST}
    manifest = Manifest(generation=generation, papers=papers, files=files)
    (folder / MANIFEST).write_text(json.dumps(manifest.model_dump(), indent=1))


def usable(settings: Settings, catalog: Catalog) -> tuple[int, str | None]:
    """The generation a reader should load, and a warning when it is not the one the catalog names."""
    stamp, papers = catalog.state()
    wanted = _number(stamp)
    if wanted == 0:
        if papers == 0:
            raise IndexMissingError("the index is empty (no paper in the catalog): run `paperbot ingest`")
        raise IndexMissingError("the index was built by an older release: run `paperbot ingest` to update it")
    try:
        manifest = verify(settings, wanted)
    except IndexMissingError as problem:
        for older in folders(settings):
            if older < wanted:
                try:
                    verify(settings, older)
                except IndexMissingError:
                    continue
                warning = f"{problem}; searching the last whole generation ({older}) meanwhile"
                log.warning(warning)
                return older, warning
        raise
    if manifest.papers != papers:
        raise IndexMissingError(f"the catalog holds {papers} papers but its side indexes "
                                f"{manifest.papers}: run `paperbot ingest`")
    return wanted, None
