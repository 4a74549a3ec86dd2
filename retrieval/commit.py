"""The write side's one way to change an index: a new generation of catalog and side indexes, all or nothing.

Order of writes, each a crash point (`core.crashpoints`):
1. vectors go into Chroma first (the caller does that): readers ignore ids their generation does not have;
2. inside one open catalog transaction (WAL: every reader still sees the last commit) the papers are written,
   the side indexes built from them into a staging folder, fsynced and renamed to `gen-N`;
3. the transaction commits naming generation N: from this instant readers load `gen-N`;
4. then vectors no paper has any more and folders older than the previous generation are removed.
A crash anywhere before 3 leaves generation N-1 whole, and what was written ahead of it (vectors, a staging
folder) is either reused or swept by the next ingest; one after 3 leaves only garbage for the next to sweep.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from core import crashpoints
from core.errors import IndexMissingError
from core.files import publish_folder
from core.models import Paper
from core.settings import Settings
from retrieval import dense_rows
from retrieval.acronyms import GlossaryBuilder
from retrieval.catalog import Catalog
from retrieval.generations import committed, folders, generation_dir, side_root, write_manifest
from retrieval.lexical import LexicalIndex
from retrieval.store import VectorStore

log = logging.getLogger(__name__)
# Bumped whenever the side indexes (BM25 tokens, row-aligned vectors, acronyms) change shape, so an existing index
# gets them rebuilt on the next ingest without re-embedding anything.
INDEX_FORMAT = "6"


@contextmanager
def index_lock(settings: Settings) -> Iterator[None]:
    """One writer at a time per index: a second ingest waits for the first (and says so) instead of racing it."""
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    path = settings.index_dir / "ingest.lock"
    with path.open("a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            log.warning("another ingest is writing this index; waiting for it to finish",
                        extra={"holder": holder, "index": str(settings.index_dir)})
            fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def commit(settings: Settings, catalog: Catalog, store: VectorStore, *, upsert: Sequence[Paper] = (),
           delete: Sequence[str] = (), info: dict[str, str] | None = None) -> int:
    """Write `upsert`/`delete` to the catalog and publish the matching side indexes as one new generation.

    Call it holding `index_lock`, after every upserted paper's vector is in Chroma. Returns the generation.
    """
    previous = committed(catalog)
    generation = max([previous, *folders(settings)]) + 1
    with catalog.transaction():
        if delete:
            catalog.delete(delete)
        if upsert:
            catalog.upsert(upsert)
        crashpoints.reached("catalog rows written, not committed")
        _publish_side_indexes(settings, catalog, store, generation)
        catalog.set_info(generation=str(generation), format=INDEX_FORMAT, **(info or {}))
    crashpoints.reached("catalog committed")
    _sweep_vectors(catalog, store)
    _prune_folders(settings, keep={generation, previous})
    return generation


def _publish_side_indexes(settings: Settings, catalog: Catalog, store: VectorStore, generation: int) -> None:
    """BM25, row ids, acronyms and the row-aligned vector copy of the catalog as it stands in this transaction."""
    staging = side_root(settings) / f".staging-{generation:06d}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    titles = catalog.titles()
    dates = {pid: date for pid, _, date in titles}
    glossary = GlossaryBuilder()

    def rows() -> Iterator[tuple[str, str, str, int]]:
        for pid, title, abstract in catalog.texts():
            glossary.add(f"{title}. {abstract}")
            yield pid, title, abstract, dates[pid]

    LexicalIndex.build(rows()).save(staging)
    crashpoints.reached("lexical index staged")
    glossary.build().save(staging)
    ids = [pid for pid, _, _ in titles]
    matrix = np.zeros((len(ids), store.dimension), dtype=np.float16)
    for start in range(0, len(ids), 2_000):
        chunk = ids[start : start + 2_000]
        vectors = store.vectors(chunk)
        missing = [pid for pid in chunk if pid not in vectors]
        if missing:
            raise IndexMissingError(f"{len(missing)} paper(s) of the catalog have no vector in Chroma "
                                    f"(e.g. {missing[0]}): run `paperbot ingest --rebuild`")
        for offset, pid in enumerate(chunk):
            matrix[start + offset] = vectors[pid]
    dense_rows.save(staging, matrix)
    crashpoints.reached("dense rows staged")
    write_manifest(staging, generation, len(ids))
    publish_folder(staging, generation_dir(settings, generation))
    crashpoints.reached("generation folder published")


def _sweep_vectors(catalog: Catalog, store: VectorStore) -> None:
    """Drop vectors of papers the catalog no longer has (left by a removal or a crash before its commit)."""
    if store.count() <= catalog.count():
        return
    known = {pid for pid, _, _ in catalog.titles()}
    orphans = [pid for pid in store.hashes() if pid not in known]
    if orphans:
        store.delete(orphans)
        crashpoints.reached("orphan vectors deleted")


def _prune_folders(settings: Settings, keep: set[int]) -> None:
    """Older generations go; the previous one stays for a reader that is still loading it."""
    root = side_root(settings)
    for generation in folders(settings):
        if generation not in keep:
            shutil.rmtree(generation_dir(settings, generation), ignore_errors=True)
    for leftover in [*root.glob(".staging-*"), *_pre_generation_files(root)]:
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def _pre_generation_files(root: Path) -> list[Path]:
    """Side files an index from before generations kept directly under `lexical/`."""
    return [p for p in root.glob("*") if p.is_file()]
