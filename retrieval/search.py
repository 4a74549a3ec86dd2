"""Hybrid search: dense (Chroma) and BM25 candidates fused by normalized score, plus a relevance verdict.

Dense similarity (to a paper's title and contribution statement, see `core.sentences`) understands
paraphrase ("make CLIP handle long captions"); BM25 over the whole abstract catches the rare exact word
(a model name, "Sinhala") and the exact phrase.
Whether anything is relevant at all is decided by `retrieval.relevance` from the best hits' closest sentence
and the share of the query's rare words they contain: an out-of-scope question still gets a nearest
neighbour, just a far one.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import threading
import time
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from core.errors import IndexMissingError
from core.models import Hit, Paper, SearchFilters, SearchResult
from core.settings import Settings
from retrieval import relevance, sentence_match
from retrieval.acronyms import Glossary
from retrieval.catalog import Catalog, author_key, date_key
from retrieval.corpus import normalize_title
from retrieval.dense_rows import DenseRows
from retrieval.embedding import Embedder, get_embedder
from retrieval.generations import generation_dir, usable
from retrieval.index import catalog_path, check_model, model_identity
from retrieval.lexical import LexicalIndex, RowScores
from retrieval.rowids import RowIds
from retrieval.side_index import Generation
from retrieval.store import VectorStore, describe

log = logging.getLogger(__name__)
CANDIDATES = 50
# Fusion: each ranker's scores are z-normalized over the pooled candidates, then mixed: half lexical, half dense,
# the dense half split between the paper vector and the paper's best-matching abstract sentence
# (`retrieval.sentence_match`). Unlike rank fusion this keeps margins: a paper far ahead on BM25 (a rare name,
# an exact phrase) stays ahead. On the tuning half, the sentence ranker lifts dense-only hit@5 0.929 -> 0.984
# when mixed with the paper vector, and the three-way fusion puts every known item first (two-way: 0.992).
DENSE_WEIGHT = 0.25
SENTENCE_WEIGHT = 0.25
# A date filter that keeps at most this share of the papers is searched exactly over the kept rows;
# a looser one over-fetches from the HNSW index and drops what the filter excludes.
EXACT_SHARE = 0.3


def _hit(paper: Paper, score: float, digits: int = 6) -> Hit:
    """A paper as a ranked result: its metadata, and its links with the arXiv abstract page first."""
    return Hit(**paper.meta(), id=paper.id, title=paper.title, score=round(score, digits), date=paper.date,
               abstract=paper.abstract, urls=paper.all_urls)


class IndexStats(BaseModel):
    papers: int
    embedding_model: str
    dimension: int
    last_ingest: dt.datetime | None
    store: str
    warning: str | None = None  # set while searching an older generation than the catalog names


class _Side:
    """The indexes of one generation, memory-mapped: replaced whole when a later ingest commits, never edited, so
    a search that started on one snapshot finishes on it. The new one maps the same segment files (hard links
    shared by both generations), so a reload does not hold two copies of the index in memory."""

    def __init__(self, settings: Settings, catalog: Catalog, store_knows: np.ndarray | None) -> None:
        self.stamp = catalog.info("generation")
        self.generation, self.warning = usable(settings, catalog)
        folder = generation_dir(settings, self.generation)
        try:
            layout = Generation(folder)
            self.lexical = LexicalIndex(layout.segments, layout.live)
            self.rows = DenseRows([segment.vectors for segment in layout.segments])
            self.glossary = Glossary.load(folder)
            self.ids, self.dates = layout.ids(), layout.dates()
            self.sentences = sentence_match.open_for(folder, layout.segments, self.rows)
        except Exception as exc:  # numpy/pydantic/json raise many types for a damaged file
            # A damaged side file, or one from an older index format: a plain ingest rewrites the side indexes
            # from the catalog and Chroma without re-embedding; --rebuild is the last resort.
            raise IndexMissingError(f"the index is unreadable ({exc}): run `paperbot ingest` to repair or "
                                    "upgrade it (`paperbot ingest --rebuild` if that fails)") from None
        if len(self.sentences) != len(self.rows):
            raise IndexMissingError("the index is inconsistent (an ingest was interrupted?): run `paperbot ingest`")
        self.row = RowIds(self.ids, layout.live)
        live = np.flatnonzero(layout.live)
        # The date index: live rows by listing date, so a date filter is a slice of it.
        self.by_date = live[np.argsort(self.dates[live], kind="stable")]
        self.sorted_dates = self.dates[self.by_date]
        self.titles = [(pid, title, normalize_title(title), date) for pid, title, date in catalog.titles()
                       if pid in self.row]
        # " name " per author, so that a filter matches whole words of a name ("zhang", "beichen zhang").
        self.authors = {pid: [f" {name} " for name in names.split("\n")]
                        for pid, names in catalog.author_keys().items()}
        # Rows an embedded Chroma opened earlier may not hold (its HNSW index is loaded once per process):
        # dense search scans them exactly beside Chroma's candidates.
        self.unseen = (np.zeros(0, dtype=np.int64) if store_knows is None
                       else live[~np.isin(self.ids[live], store_knows)].astype(np.int64))

    @property
    def papers(self) -> int:
        return len(self.row)

    def id_of(self, row: int) -> str:
        return str(self.ids[row])


class Retriever:
    """Read side of the index. Open once and share: the embedding model and BM25 load on open.

    A long-running process (the bot) sees papers ingested after it started: every few seconds at most, a
    search checks the catalog's generation stamp and reloads the side indexes when it changed.
    """

    REFRESH_SECONDS = 5.0

    def __init__(self, settings: Settings, catalog: Catalog, store: VectorStore, embedder: Embedder) -> None:
        self.settings = settings
        self._catalog = catalog
        self._store = store
        self._embedder = embedder
        self._lock = threading.Lock()  # the catalog's SQLite connection is shared by worker threads
        self._side = _Side(settings, catalog, None)
        self._store_knows = None if settings.chroma_host else np.unique(self._side.ids[self._side.by_date])
        self._checked = time.monotonic()

    def _current(self) -> _Side:
        # A clock that went back (a simulator's virtual clock replacing the real one) also means "check now".
        if 0 <= time.monotonic() - self._checked < self.REFRESH_SECONDS:
            return self._side
        self._checked = time.monotonic()
        with self._lock:
            if self._catalog.info("generation") != self._side.stamp:
                try:
                    self._side = _Side(self.settings, self._catalog, self._store_knows)
                except IndexMissingError as exc:  # the loaded generation stays usable: keep it, and say so
                    log.warning("keeping the loaded index generation %s: %s", self._side.generation, exc)
        return self._side

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> Retriever:
        """Raises IndexMissingError / ModelMismatchError / StoreUnavailableError with a user-facing message."""
        catalog = Catalog(catalog_path(settings))
        name, dimension = model_identity(settings)
        check_model(catalog, name)
        embedder = embedder or get_embedder(settings)
        store = VectorStore.open(settings, name, dimension or embedder.dimension)
        return cls(settings, catalog, store, embedder)

    # -- search ------------------------------------------------------------------------------------------
    # Queries arrive checked (`app.search`, `app.ask`): the retriever searches what it is given.
    @staticmethod
    def _allowed(side: _Side, filters: SearchFilters | None) -> np.ndarray | None:
        """The rows a filter keeps, ascending (None: no filter); a date range is a slice of the date index."""
        if filters is None or not filters.active:
            return None
        lo, hi = 0, len(side.by_date)
        if filters.since or filters.until:
            lo = int(np.searchsorted(side.sorted_dates, max(1, date_key(filters.since)), side="left"))
        if filters.until:
            hi = int(np.searchsorted(side.sorted_dates, date_key(filters.until), side="right"))
        rows = np.sort(side.by_date[lo:max(lo, hi)])
        if filters.author:
            needle = f" {author_key(filters.author)} "
            rows = rows[np.array([any(needle in name for name in side.authors.get(side.id_of(row), ()))
                                  for row in rows], dtype=bool)] if len(rows) else rows
        return rows

    def _dense(self, side: _Side, vector: np.ndarray, allowed: np.ndarray | None) -> list[tuple[str, float]]:
        """Chroma's nearest candidates that this generation holds, plus rows Chroma may not know, scored exactly."""
        wanted = min(CANDIDATES, side.papers)
        if allowed is not None:
            if len(allowed) == 0:
                return []
            share = len(allowed) / side.papers
            if share <= EXACT_SHARE:
                return [(side.id_of(row), score) for row, score in side.rows.top(vector, allowed, CANDIDATES, side.ids)]
            wanted = min(side.papers, int(CANDIDATES / share) + CANDIDATES)
        # Ids an ingest has written to Chroma but not yet committed are not in `side.row`: skipped.
        fetched = side.row.rows([pid for pid, _ in self._store.query(vector, wanted)])
        rows = np.unique(np.concatenate([fetched[fetched >= 0], side.unseen]))
        if allowed is not None:
            rows = rows[np.isin(rows, allowed)]
        return [(side.id_of(row), score) for row, score in side.rows.top(vector, rows, CANDIDATES, side.ids)]

    @staticmethod
    def _lexical_top(side: _Side, query: str, allowed: np.ndarray | None
                     ) -> tuple[list[tuple[str, float]], RowScores]:
        """The best BM25 candidates among the rows the query's terms touch (only those are scored)."""
        scores = side.lexical.scores(query).keep(allowed)
        top = scores.top(CANDIDATES, side.ids)
        ids = side.ids[[row for row, _ in top]].tolist()
        return [(pid, score) for pid, (_, score) in zip(ids, top, strict=True)], scores

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> SearchResult:
        """Ranked hits, best first; `relevant` is False when nothing in the corpus is about the query."""
        return self.search_many([query], k, filters)[0]

    def search_many(self, queries: Sequence[str], k: int = 10,
                    filters: SearchFilters | None = None) -> list[SearchResult]:
        side = self._current()
        searched = [side.glossary.expand(text) for text in queries]
        vectors = self._embedder.embed(searched)
        return [self._search_vector(side, text, wording, vector, k, filters)
                for text, wording, vector in zip(queries, searched, vectors, strict=True)]

    def rankings(self, query: str, filters: SearchFilters | None = None
                 ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """The dense and BM25 rankings before fusion (for `paperbot eval` ablations)."""
        side = self._current()
        wording = side.glossary.expand(query)
        allowed = self._allowed(side, filters)
        vector = self._embedder.embed([wording])[0]
        return self._dense(side, vector, allowed), self._lexical_top(side, wording, allowed)[0]

    @staticmethod
    def _fuse(side: _Side, vector: np.ndarray, dense: list[tuple[str, float]], lexical_scores: RowScores,
              lexical: list[tuple[str, float]]) -> dict[str, float]:
        pool = list(dict.fromkeys([pid for pid, _ in dense] + [pid for pid, _ in lexical]))
        if not pool:
            return {}
        rows = side.row.rows(pool)
        cosines = side.rows.cosine(vector, rows)
        best_sentence = side.sentences.best(vector, rows)
        bm25 = lexical_scores[rows]

        def z(x: np.ndarray) -> np.ndarray:
            return (x - x.mean()) / (x.std() + 1e-9)

        dense_share = DENSE_WEIGHT + SENTENCE_WEIGHT
        meaning = (DENSE_WEIGHT * z(cosines) + SENTENCE_WEIGHT * z(best_sentence)) / dense_share
        fused = dense_share * meaning + (1 - dense_share) * z(bm25) if bm25.any() else meaning
        return dict(zip(pool, fused.tolist(), strict=True))

    def search_ranked(self, query: str, k: int = 10, filters: SearchFilters | None = None
                      ) -> tuple[SearchResult, list[tuple[str, float]], list[tuple[str, float]]]:
        """`search`, with the dense and BM25 rankings it fused: /search's relevance cut reads them, and
        recomputing them would embed the query and scan the index a second time."""
        side = self._current()
        wording = side.glossary.expand(query)
        return self._ranked(side, query, wording, self._embedder.embed([wording])[0], k, filters)

    def _search_vector(self, side: _Side, text: str, wording: str, vector: np.ndarray, k: int,
                       filters: SearchFilters | None) -> SearchResult:
        return self._ranked(side, text, wording, vector, k, filters)[0]

    def _ranked(self, side: _Side, text: str, wording: str, vector: np.ndarray, k: int,
                filters: SearchFilters | None
                ) -> tuple[SearchResult, list[tuple[str, float]], list[tuple[str, float]]]:
        """`wording` is `text` with its acronyms spelled out; `vector` embeds it."""
        allowed = self._allowed(side, filters)
        dense = self._dense(side, vector, allowed)
        lexical, lexical_scores = self._lexical_top(side, wording, allowed)
        fused = self._fuse(side, vector, dense, lexical_scores, lexical)
        ranked = sorted(fused, key=lambda pid: (-fused[pid], pid))  # ties by paper id, as each ranking's
        order = ranked[:max(k, relevance.TOP)]
        papers = {p.id: p for p in self.get_many(order)}
        top = [papers[pid] for pid in order[:relevance.TOP] if pid in papers]
        rows = np.array([side.row[p.id] for p in top], dtype=np.int64)
        relevant = relevance.judge(side.sentences.best(vector, rows), side.lexical, wording, rows)
        hits = [_hit(papers[pid], fused[pid]) for pid in order[:k] if pid in papers]
        return SearchResult(query=text, relevant=relevant and bool(hits), hits=hits), dense, lexical

    # -- lookups -----------------------------------------------------------------------------------------
    def get(self, paper_id: str) -> Paper | None:
        found = self.get_many([paper_id])
        return found[0] if found else None

    def get_many(self, paper_ids: Sequence[str]) -> list[Paper]:
        """Papers in the order asked, unknown ids skipped."""
        with self._lock:
            return self._catalog.get_many(list(paper_ids))

    def by_arxiv_id(self, arxiv_id: str) -> Paper | None:
        with self._lock:
            found = self._catalog.ids_for_arxiv([arxiv_id]).get(arxiv_id)
        return self.get(found) if found else None

    def papers(self) -> list[Paper]:
        """Every paper, newest listing date first."""
        with self._lock:
            return self._catalog.all()

    def match_titles(self, text: str, limit: int = 25) -> list[Paper]:
        """Title lookup for autocomplete and `/paper`: exact, prefix and word matches first, then fuzzy."""
        needle = normalize_title(text)
        titles = self._current().titles
        if not needle:
            newest = sorted(titles, key=lambda t: (-t[3], t[1]))[:limit]
            return self.get_many([t[0] for t in newest])
        words = needle.split()
        scored: list[tuple[float, str]] = []
        for pid, _title, norm, _ in titles:
            if norm == needle:
                score = 4.0
            elif norm.startswith(needle):
                score = 3.0
            elif needle in norm:
                score = 2.0
            elif all(w in norm for w in words):
                score = 1.0 + sum(len(w) for w in words) / (len(norm) + 1)
            else:
                continue
            scored.append((score, pid))
        if len(scored) < limit:
            taken = {pid for _, pid in scored}
            normalized = {norm: pid for pid, _, norm, _ in titles if pid not in taken}
            for norm in difflib.get_close_matches(needle, list(normalized), n=limit - len(scored), cutoff=0.6):
                scored.append((difflib.SequenceMatcher(None, needle, norm).ratio(), normalized[norm]))
        scored.sort(key=lambda s: -s[0])
        return self.get_many([pid for _, pid in scored[:limit]])

    def similar(self, paper_id: str, k: int = 5) -> list[Hit]:
        """Nearest papers to a paper of the corpus (itself excluded)."""
        side = self._current()
        row = side.row.get(paper_id)
        if row is None:
            return []
        # The vector comes from this generation's rows, never from Chroma: a Chroma handle opened before the
        # paper was ingested does not have it ("Error finding id").
        neighbours = [(pid, s) for pid, s in self._dense(side, side.rows.vector(row), None) if pid != paper_id][:k]
        papers = {p.id: p for p in self.get_many([pid for pid, _ in neighbours])}
        return [_hit(papers[pid], s, digits=4) for pid, s in neighbours if pid in papers]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts` by the index's embedding model (answer evaluation compares sentences)."""
        return self._embedder.embed(list(texts))

    def stats(self) -> IndexStats:
        warning = self._current().warning  # before taking the lock: a refresh takes it too
        with self._lock:
            last = self._catalog.info("last_ingest")
            return IndexStats(papers=self._catalog.count(),
                              embedding_model=self._catalog.info("embedding_model") or self._embedder.name,
                              dimension=int(self._catalog.info("dimension") or self._embedder.dimension),
                              last_ingest=dt.datetime.fromisoformat(last) if last else None,
                              store=describe(self.settings), warning=warning)
