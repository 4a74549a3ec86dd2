"""Removing papers from the index, by id or title, through the same commit as ingest (one new generation).

The catalog rows go and the side indexes (BM25, row-aligned vectors, acronyms) are rebuilt without them in
one transaction; the commit then sweeps their vectors out of Chroma. The bot's state (digest history,
feedback) is another database and keeps its records. `paperbot ingest --prune` drops the papers its sources
no longer hold through the same commit; `check_prunable` refuses a prune that would empty the index by mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from core.errors import InputError
from core.models import Paper
from core.settings import Settings
from retrieval.catalog import Catalog
from retrieval.commit import commit, index_lock
from retrieval.corpus import paper_id
from retrieval.index import catalog_path, check_model, model_identity
from retrieval.store import VectorStore


def find(settings: Settings, refs: Sequence[str]) -> tuple[list[Paper], list[str]]:
    """The indexed papers named by `refs` (a paper id, or a title in any case and spacing); refs naming none."""
    catalog = Catalog(catalog_path(settings))
    try:
        found: dict[str, Paper] = {}
        unknown = []
        for ref in refs:
            papers = catalog.get_many([ref.strip()]) or catalog.get_many([paper_id(ref)])
            if papers:
                found.setdefault(papers[0].id, papers[0])
            else:
                unknown.append(ref)
        return list(found.values()), unknown
    finally:
        catalog.close()


def remove(settings: Settings, refs: Sequence[str]) -> tuple[list[Paper], int]:
    """Remove the papers `refs` name; all or nothing: one that names no paper is an InputError, nothing removed.

    Returns the removed papers and how many the index still holds.
    """
    papers, unknown = find(settings, refs)
    if unknown:
        raise InputError("no indexed paper has the id or title " + ", ".join(repr(r) for r in unknown)
                         + ": nothing removed (`paperbot search` shows ids and titles)")
    with index_lock(settings):
        catalog = Catalog(catalog_path(settings))
        try:
            name, dimension = model_identity(settings)
            check_model(catalog, name)
            store = VectorStore.open(settings, name, dimension or int(catalog.info("dimension") or 0))
            present = [p.id for p in catalog.get_many([p.id for p in papers])]  # another writer may have won
            if present:
                commit(settings, catalog, store, delete=present)
            return papers, catalog.count()
        finally:
            catalog.close()


def check_prunable(paths: Sequence[Path], parsed: Sequence[Paper]) -> None:
    """A prune trusts `paths` to be the whole corpus: a mistyped path or an empty parse must not empty the index."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise InputError(f"--prune: no such file or folder {', '.join(missing)}: nothing ingested or removed")
    if not parsed:
        raise InputError("--prune: the given sources hold no paper, so every paper would be removed: "
                                "nothing ingested or removed")
