"""BM25 over titles and abstracts, words and word pairs, as immutable segments of postings scored at query time.

Chroma's own BM25/sparse search is not available in the embedded client, so the lexical index is kept beside
it. Word pairs ("data_select") let an exact phrase outrank the same words scattered; titles are indexed twice
because a query word in the title says more about the paper than one in the abstract.

A segment (`retrieval.segments`) stores each paper's term counts, not weights: BM25's idf and average length
depend on the whole corpus, so they are combined across segments at query time from the postings a query
touches (live ones only: a removed or replaced paper is a tombstone until the next merge). An ingest adds a
small segment of its new papers instead of re-tokenizing the corpus, and scores equal a full rebuild's.
Each weight is rounded to float16 as the precomputed weights of earlier releases were, so rankings match.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from core.text import content_terms, idf

if TYPE_CHECKING:
    from retrieval.segments import Segment

K1, B = 1.2, 0.75


def tokenize(text: str) -> list[str]:
    """Stemmed content words (`core.text`'s base stopwords dropped), then adjacent pairs ("data_select")."""
    stems = content_terms(text)
    return stems + [f"{a}_{b}" for a, b in itertools.pairwise(stems)]


def term_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little", signed=True)


class RowScores:
    """BM25 scores of the rows a query touched (sorted), zero for every other row."""

    def __init__(self, rows: np.ndarray, values: np.ndarray) -> None:
        self.rows = rows
        self.values = values

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        asked = np.asarray(rows, dtype=np.int64)
        if len(self.rows) == 0:
            return np.zeros(len(asked), dtype=np.float32)
        at = np.minimum(np.searchsorted(self.rows, asked), len(self.rows) - 1)
        return np.where(self.rows[at] == asked, self.values[at], np.float32(0.0)).astype(np.float32)

    def keep(self, allowed: np.ndarray | None) -> RowScores:
        """Only the rows of `allowed` (sorted rows), and only positive scores."""
        mask = self.values > 0
        if allowed is not None:
            mask &= np.isin(self.rows, allowed, assume_unique=True)
        return RowScores(self.rows[mask], self.values[mask])

    def top(self, n: int) -> list[tuple[int, float]]:
        """The `n` best (row, score), best first; ties by row."""
        if n <= 0 or len(self.rows) == 0:
            return []
        best = np.lexsort((self.rows, -self.values))[:n]
        return [(int(self.rows[i]), float(self.values[i])) for i in best]


class LexicalIndex:
    """BM25 over the live rows of a generation's segments (rows numbered across segments, in order)."""

    def __init__(self, segments: Sequence[Segment], live: np.ndarray) -> None:
        self._segments = list(segments)
        self._offsets = np.cumsum([0, *[s.size for s in self._segments]]).astype(np.int64)
        self.live = live
        lengths = np.concatenate([np.asarray(s.length, dtype=np.float32) for s in self._segments]) \
            if self._segments else np.zeros(0, dtype=np.float32)
        self.papers = int(live.sum())
        # As a single-segment build computes it: float32 mean over the papers, then the per-row norm.
        avgdl = max(float(lengths[live].mean()), 1.0) if self.papers else 1.0
        self._norm = (K1 * (1 - B + B * lengths / avgdl)).astype(np.float32)

    def _postings(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        """Live rows holding `token` and their term counts, across every segment."""
        h = term_hash(token)
        rows, counts = [], []
        for offset, segment in zip(self._offsets, self._segments, strict=False):
            found = segment.find(h)
            if found is not None:
                local, tf = found
                rows.append(local.astype(np.int64) + offset)
                counts.append(tf)
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint16)
        all_rows, all_tf = np.concatenate(rows), np.concatenate(counts)
        alive = self.live[all_rows]
        return all_rows[alive], all_tf[alive]

    def coverage(self, query: str) -> float:
        """Share of the query's content words that occur somewhere in the corpus."""
        stems = set(content_terms(query))
        return sum(1 for s in stems if len(self._postings(s)[0])) / len(stems) if stems else 0.0

    def scores(self, query: str) -> RowScores:
        """BM25 of the rows holding a query term; the cost is the postings of the query's terms only."""
        rows, weights = [], []
        for token in dict.fromkeys(tokenize(query)):
            touched, tf16 = self._postings(token)
            if len(touched) == 0:
                continue
            weight_idf = idf(np.full(1, len(touched), dtype=np.float32), self.papers)
            tf = tf16.astype(np.float32)
            weight = weight_idf * tf * (K1 + 1) / (tf + self._norm[touched])
            rows.append(touched)
            weights.append(weight.astype(np.float16).astype(np.float32))
        if not rows:
            return RowScores(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        unique, where = np.unique(np.concatenate(rows), return_inverse=True)
        summed = np.bincount(where, weights=np.concatenate(weights), minlength=len(unique))
        return RowScores(unique, summed.astype(np.float32))
