"""`paperbot ingest`: parse corpus files, embed only what changed, upsert vectors and catalog, rebuild BM25.

Idempotent: a paper whose embedded text and model are unchanged (same content hash as stored in Chroma)
is not embedded again, so re-ingesting an unchanged corpus costs a parse and a hash comparison.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from core import crashpoints
from core.errors import IndexMissingError
from core.models import Paper
from core.settings import Settings
from retrieval import sentence_match
from retrieval.catalog import Catalog, content_hash, date_key, embedding_text, record_fingerprint
from retrieval.commit import INDEX_FORMAT, commit, index_lock
from retrieval.corpus import Problem, cap_abstracts, parse_corpus
from retrieval.embedding import Embedder, get_embedder
from retrieval.generations import usable
from retrieval.index import catalog_path, check_model, model_identity
from retrieval.records import merged_meta
from retrieval.recovery import set_aside
from retrieval.removal import check_prunable
from retrieval.store import VectorStore, preload

Progress = Callable[[int, int], None]  # (done, total) papers embedded so far


class IngestReport(BaseModel):
    """What one ingest did, as `paperbot ingest` prints it (and `--json` gives it)."""

    files: int = Field(default=0, description="corpus files read")
    entries: int = Field(default=0, description="paper entries found in them, duplicates included")
    papers: int = Field(default=0, description="distinct papers after merging duplicates")
    new: int = Field(default=0, description="papers the index did not have")
    updated: int = Field(default=0, description="known papers whose text or metadata changed")
    unchanged: int = Field(default=0, description="known papers left as they were")
    problems: list[Problem] = Field(default_factory=list, description="bad entries, each with file and line")
    seconds: float = Field(default=0.0, description="wall time of the whole ingest")
    embedded: int = Field(default=0, description="papers sent to the embedding model")
    removed: int = Field(default=0, description="papers dropped by `--prune` (or a rebuild): no source lists them")
    total_in_index: int = Field(default=0, description="papers in the index afterwards")

    @property
    def skipped(self) -> int:
        return sum(1 for p in self.problems if p.skipped)

    @property
    def partial(self) -> bool:
        return self.skipped > 0


def ingest(paths: Sequence[Path], settings: Settings, *, rebuild: bool = False, progress: Progress | None = None,
           embedder: Embedder | None = None, today: dt.date | None = None, prune: bool = False) -> IngestReport:
    """Add the papers of `paths` to the index (`rebuild`: make the index exactly them, from scratch; `prune`:
    also drop the indexed papers `paths` no longer hold, see `retrieval.removal`).

    Readers keep the previous generation until this one commits; a second ingest waits for the first.
    """
    started = time.perf_counter()
    parsed = parse_corpus(paths, today=today)
    cap_abstracts(parsed.papers, settings.max_abstract_chars, parsed.problems)
    report = IngestReport(files=parsed.files, entries=parsed.entries, papers=len(parsed.papers),
                          problems=parsed.problems)
    if prune:
        check_prunable(paths, parsed.papers)
    with index_lock(settings):
        if not rebuild:
            _ingest(parsed.papers, settings, report, rebuild=False, progress=progress, embedder=embedder,
                    prune=prune)
        else:
            with set_aside(settings):
                _ingest(parsed.papers, settings, report, rebuild=True, progress=progress, embedder=embedder)
    report.seconds = time.perf_counter() - started
    return report


def _ingest(parsed: list[Paper], settings: Settings, report: IngestReport, *, rebuild: bool,
            progress: Progress | None, embedder: Embedder | None, prune: bool = False) -> None:
    name, dimension = model_identity(settings)
    catalog = Catalog(catalog_path(settings), create=True)
    try:
        if not rebuild:
            check_model(catalog, name)
        if dimension is None:
            embedder = embedder or get_embedder(settings)
            dimension = embedder.dimension
        papers, rewritten, indexed = _merge_with_catalog(catalog, parsed, rebuild)
        with _Writer(settings, name, dimension, rebuild, embedder, progress) as writer:
            # A paper the catalog has never seen cannot have a current vector: embed those while Chroma opens.
            unseen = [p for p in papers if p.id not in indexed]
            report.new += len(unseen)
            writer.embed(unseen, total=len(unseen))
            known = [p for p in papers if p.id in indexed]
            stored = writer.store().hashes([p.id for p in known])
            todo = []
            for paper in known:
                old = stored.get(paper.id)
                if old is None:
                    report.new += 1
                    todo.append(paper)
                elif old != content_hash(paper, name):
                    report.updated += 1
                    todo.append(paper)
                elif paper.id in rewritten:  # new wording outside the embedded statement: BM25 reads it
                    report.updated += 1
                else:
                    report.unchanged += 1
            writer.embed(todo, total=len(unseen) + len(todo))
            store = writer.finish()
            report.embedded = writer.embedded
        # Catalog rows carry metadata (dates, sources, links) that can change without the text changing.
        fingerprints = catalog.fingerprints()
        changed = [p for p in papers if fingerprints.get(p.id) != record_fingerprint(p)]
        dropped = sorted(set(fingerprints) - {p.id for p in papers}) if rebuild or prune else []
        report.removed = len(dropped)
        # Re-embedded papers need a new generation even when their record is unchanged: the side indexes hold
        # a copy of every vector.
        if changed or dropped or report.embedded or rebuild or not _side_indexes_whole(settings, catalog):
            commit(settings, catalog, store, upsert=changed, delete=dropped, refresh=writer.embedded_ids,
                   full=rebuild, info=_facts(name, dimension), embed=writer.embed_texts)
        else:
            catalog.set_info(last_ingest=_now())
        report.total_in_index = catalog.count()
    finally:
        catalog.close()


def _side_indexes_whole(settings: Settings, catalog: Catalog) -> bool:
    if catalog.info("format") != INDEX_FORMAT:
        return False
    try:
        return usable(settings, catalog)[1] is None
    except IndexMissingError:
        return False


def _facts(name: str, dimension: int) -> dict[str, str]:
    return {"embedding_model": name, "dimension": str(dimension), "last_ingest": _now()}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class _Writer:
    """Embeds on the calling thread while one worker thread opens Chroma and then upserts each batch, in order.

    Opening Chroma and each upsert take a while: overlapped with the model's batches instead of waiting
    between them, they cost the ingest only the CPU they take from it. Chroma is imported before the
    thread starts (see `store.preload`).
    """

    BATCH = 64  # papers per model call and per upsert; also how often a failed Chroma is noticed

    def __init__(self, settings: Settings, name: str, dimension: int, rebuild: bool, embedder: Embedder | None,
                 progress: Progress | None) -> None:
        self._settings = settings
        self._name = name
        self._embedder = embedder
        self._progress = progress
        preload()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma")
        self._opening = self._worker.submit(VectorStore.open, settings, name, dimension, create=True,
                                            rebuild=rebuild)
        self._writes: list[Future[None]] = []
        self.embedded_ids: list[str] = []

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._worker.shutdown(wait=True, cancel_futures=True)

    @property
    def embedded(self) -> int:
        return len(self.embedded_ids)

    def store(self) -> VectorStore:
        return self._opening.result()

    def embed(self, papers: list[Paper], total: int) -> None:
        if not papers:
            return
        embedder = self._embedder = self._embedder or get_embedder(self._settings)
        # Length-sorted batches pad least: each model batch is padded to its longest member.
        papers = sorted(papers, key=lambda p: len(embedding_text(p)))
        for start in range(0, len(papers), self.BATCH):
            self._raise_failure()
            batch = papers[start : start + self.BATCH]
            vectors = embedder.embed([embedding_text(p) for p in batch])
            self._writes.append(self._worker.submit(self._upsert, batch, vectors))
            self.embedded_ids += [p.id for p in batch]
            if self._progress:
                self._progress(self.embedded, total)

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """Other texts (abstract sentences) by the same model, loaded only if needed."""
        self._embedder = self._embedder or get_embedder(self._settings)
        return self._embedder.embed(texts)

    def finish(self) -> VectorStore:
        for write in self._writes:
            write.result()
        return self.store()

    def _upsert(self, batch: list[Paper], vectors: np.ndarray) -> None:
        self.store().upsert([p.id for p in batch], vectors, [content_hash(p, self._name) for p in batch],
                            [date_key(p.date) for p in batch])
        crashpoints.reached("a batch of vectors upserted to Chroma")

    def _raise_failure(self) -> None:
        """Stop embedding as soon as Chroma has failed (down, or built with another model)."""
        futures: list[Future[Any]] = [self._opening, *self._writes]
        for future in futures:
            if future.done() and future.exception() is not None:
                future.result()


def _merge_with_catalog(catalog: Catalog, papers: list[Paper], rebuild: bool
                        ) -> tuple[list[Paper], set[str], set[str]]:
    """A paper already indexed from other pages keeps their dates, sources and links; its text is the new one.

    A paper is the indexed one with its arXiv id, else the one with its title (its id): so a fetched paper
    enriches the bundled listing of the same title, and a retitled version stays one paper.
    Also returns the ids of indexed papers whose title or abstract is worded differently now, and the ids
    of every paper the catalog already holds (none when rebuilding: everything is embedded again).
    """
    if rebuild:
        return papers, set(), set()
    known = catalog.ids_for_arxiv([p.arxiv_id for p in papers if p.arxiv_id])
    papers = [p.model_copy(update={"id": known[p.arxiv_id]}) if p.arxiv_id and p.arxiv_id in known else p
              for p in papers]
    existing = {p.id: p for p in catalog.get_many([p.id for p in papers])}
    merged = []
    rewritten = set()
    for paper in papers:
        old = existing.get(paper.id)
        if old is not None:
            if (old.title, old.abstract) != (paper.title, paper.abstract):
                rewritten.add(paper.id)
            paper = paper.model_copy(update={
                "dates": sorted(set(old.dates) | set(paper.dates)),
                "sources": list(dict.fromkeys([*old.sources, *paper.sources])),
                "urls": list(dict.fromkeys([*old.urls, *paper.urls])),
                **merged_meta(old, paper),
            })
        merged.append(paper)
    return merged, rewritten, set(existing)


def store_precomputed(settings: Settings, items: Sequence[Paper], vectors: np.ndarray, name: str,
                      progress: Progress | None = None, embed: sentence_match.Embed | None = None) -> None:
    """Bulk-load papers with vectors computed elsewhere (benchmarks at scale); `progress` hears of each
    20,000 vectors stored in Chroma, before the catalog and side indexes are written in one commit. `embed`
    embeds the abstract sentences (without it each paper's vector stands in until a later ingest embeds them)."""
    with index_lock(settings):
        catalog = Catalog(catalog_path(settings), create=True)
        store = VectorStore.open(settings, name, int(vectors.shape[1]), create=True)
        for start in range(0, len(items), 20_000):
            batch = items[start:start + 20_000]
            store.upsert([p.id for p in batch], vectors[start:start + 20_000], [content_hash(p, name) for p in batch],
                         [date_key(p.date) for p in batch])
            if progress:
                progress(start + len(batch), len(items))
        commit(settings, catalog, store, upsert=items, info=_facts(name, int(vectors.shape[1])), embed=embed)
        catalog.close()
