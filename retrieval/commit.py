"""The write side's one way to change an index: a new generation of catalog and side indexes, all or nothing.

Order of writes, each a crash point (`core.crashpoints`):
1. vectors go into Chroma first (the caller does that): readers ignore ids their generation does not have;
2. inside one open catalog transaction (WAL: every reader still sees the last commit) the papers are written,
   the side indexes (the last generation's segments plus a delta of the changed papers, or a merge of
   them: `retrieval.side_index`) staged in a folder, fsynced and renamed to `gen-N`;
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

from core import crashpoints
from core.errors import IndexMissingError
from core.files import publish_folder
from core.models import Paper
from core.settings import Settings
from retrieval import sentence_match, side_index
from retrieval.catalog import Catalog
from retrieval.generations import committed, folders, generation_dir, side_root, verify, write_manifest
from retrieval.side_index import Generation, previous_generation
from retrieval.store import VectorStore

log = logging.getLogger(__name__)
# Bumped whenever the side indexes (BM25 tokens, row-aligned vectors, acronyms) change shape, so an existing index
# gets them rebuilt on the next ingest without re-embedding anything.
INDEX_FORMAT = "8"


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
           delete: Sequence[str] = (), refresh: Sequence[str] = (), full: bool = False,
           info: dict[str, str] | None = None, embed: sentence_match.Embed | None = None) -> int:
    """Write `upsert`/`delete` to the catalog and publish the matching side indexes as one new generation.

    Only the papers upserted, deleted or re-embedded (`refresh`) are indexed again, as a delta on the last
    generation (`retrieval.side_index`); `full` (a rebuild) indexes the whole catalog. Call it holding
    `index_lock`, after every upserted paper's vector is in Chroma. `embed` embeds the abstract sentences of
    papers whose abstract is new (`retrieval.sentence_match`). Returns the generation.
    """
    previous = committed(catalog)
    generation = max([previous, *folders(settings)]) + 1
    changed = {p.id for p in upsert} | set(delete) | set(refresh)
    base = None if full or catalog.info("format") != INDEX_FORMAT else _whole(settings, previous)
    gone = [(p.title, p.abstract) for p in catalog.get_many(sorted(changed))] if base else []
    with catalog.transaction():
        if delete:
            catalog.delete(delete)
        if upsert:
            catalog.upsert(upsert)
        crashpoints.reached("catalog rows written, not committed")
        _publish_side_indexes(settings, catalog, store, generation, base, changed, gone, embed)
        catalog.set_info(generation=str(generation), format=INDEX_FORMAT, **(info or {}))
    crashpoints.reached("catalog committed")
    _sweep_vectors(catalog, store)
    _prune_folders(settings, keep={generation, previous})
    return generation


def _whole(settings: Settings, generation: int) -> Generation | None:
    if generation == 0:
        return None
    try:
        verify(settings, generation)
    except IndexMissingError:
        return None
    return previous_generation(generation_dir(settings, generation))


def _publish_side_indexes(settings: Settings, catalog: Catalog, store: VectorStore, generation: int,
                          base: Generation | None, changed: set[str], gone: list[tuple[str, str]],
                          embed: sentence_match.Embed | None) -> None:
    """BM25, row ids, acronyms, the row-aligned vectors and sentence vectors of the catalog as it stands in
    this transaction."""
    staging = side_root(settings) / f".staging-{generation:06d}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    papers = side_index.write(staging, generation, catalog, store, base, changed, gone)
    crashpoints.reached("dense rows staged")

    def abstracts(wanted: set[str]) -> dict[str, str]:
        return {p.id: p.abstract for p in catalog.get_many(sorted(wanted))}

    previous = base.folder if base is not None else _last_folder(settings, catalog)
    sentence_match.stage(staging, Generation(staging), None if base is None else changed, previous, abstracts,
                         embed)
    crashpoints.reached("sentence vectors staged")
    write_manifest(staging, generation, papers)
    publish_folder(staging, generation_dir(settings, generation))
    crashpoints.reached("generation folder published")


def _last_folder(settings: Settings, catalog: Catalog) -> Path | None:
    """The committed generation's folder, whose sentence vectors a full build can still reuse."""
    folder = generation_dir(settings, committed(catalog))
    return folder if folder.is_dir() else None


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
