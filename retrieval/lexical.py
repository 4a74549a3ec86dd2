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

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from core.text import idf
from retrieval.lexical_terms import term_hash, tokenize
from retrieval.topn import best_first

K1, B = 1.2, 0.75
# Postings touched are summed by sorting them, unless they number more than 1/8 of the rows: then one pass
# over a per-row array costs less than the sort (and is still in proportion to what the query touched).
DENSE_ACCUMULATE = 8


class Postings(Protocol):
    """What BM25 reads of a segment (`retrieval.segments.Segment`): postings by term hash, rows' lengths."""

    terms: np.ndarray
    starts: np.ndarray
    rows: np.ndarray
    tf: np.ndarray
    length: np.ndarray
    size: int


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
            if len(allowed) == 0:
                return RowScores(self.rows[:0], self.values[:0])
            # A mask over the rows up to the last touched one: one pass, where a binary search of every touched
            # row (tens of thousands for a common word) into the allowed rows cost 15 ms a query at 100k papers.
            inside = np.zeros(int(self.rows[-1]) + 1 if len(self.rows) else 0, dtype=bool)
            inside[allowed[allowed < len(inside)]] = True
            mask &= inside[self.rows]
        return RowScores(self.rows[mask], self.values[mask])

    def top(self, n: int, ids: np.ndarray) -> list[tuple[int, float]]:
        """The `n` best (row, score), best first; ties by paper id (`ids[row]`)."""
        best = best_first(self.rows, self.values, n, ids)
        return [(int(self.rows[i]), float(self.values[i])) for i in best]


class LexicalIndex:
    """BM25 over the live rows of a generation's segments (rows numbered across segments, in order)."""

    def __init__(self, segments: Sequence[Postings], live: np.ndarray) -> None:
        self._segments = list(segments)
        self._offsets = np.cumsum([0, *[s.size for s in self._segments]]).astype(np.int64)
        self.live = live
        self._all_live = bool(live.all())
        lengths = np.concatenate([np.asarray(s.length, dtype=np.float32) for s in self._segments]) \
            if self._segments else np.zeros(0, dtype=np.float32)
        self.papers = int(live.sum())
        # As a single-segment build computes it: float32 mean over the papers, then the per-row norm.
        avgdl = max(float(lengths[live].mean()), 1.0) if self.papers else 1.0
        self._norm = (K1 * (1 - B + B * lengths / avgdl)).astype(np.float32)

    def _gather(self, tokens: Sequence[str], count_only: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Live postings of `tokens` across every segment: global rows, term counts and the token's index.

        `count_only` (with no tombstone about): just one posting per token found, for `coverage`.
        """
        hashes = np.array([term_hash(t) for t in tokens], dtype=np.int64)
        count_only = count_only and self._all_live
        rows, counts, which = [], [], []
        for offset, segment in zip(self._offsets, self._segments, strict=False):
            if not len(segment.terms):
                continue
            slots = np.minimum(np.searchsorted(segment.terms, hashes), len(segment.terms) - 1)
            for token in np.flatnonzero(segment.terms[slots] == hashes):
                start, end = int(segment.starts[slots[token]]), int(segment.starts[slots[token] + 1])
                end = start + 1 if count_only else end
                rows.append(segment.rows[start:end].astype(np.int64) + offset)
                counts.append(segment.tf[start:end])
                which.append(np.full(end - start, token, dtype=np.int32))
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint16), np.zeros(0, dtype=np.int32)
        all_rows, all_tf, all_which = np.concatenate(rows), np.concatenate(counts), np.concatenate(which)
        if self._all_live:
            return all_rows, all_tf, all_which
        alive = self.live[all_rows]
        return all_rows[alive], all_tf[alive], all_which[alive]

    def holders(self, stem: str) -> np.ndarray:
        """The live rows whose title or abstract holds the (already stemmed) word `stem`, ascending."""
        return self._gather([stem])[0]

    def scores(self, query: str) -> RowScores:
        """BM25 of the rows holding a query term; the cost is the postings of the query's terms only."""
        tokens = list(dict.fromkeys(tokenize(query)))
        touched, tf16, which = self._gather(tokens)
        if len(touched) == 0:
            return RowScores(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        # The same float32 operations, in the same order, as weights precomputed by a single-segment build.
        weight_idf = idf(np.bincount(which, minlength=len(tokens)).astype(np.float32), self.papers)
        tf = tf16.astype(np.float32)
        weight = (weight_idf[which] * tf * (K1 + 1) / (tf + self._norm[touched])).astype(np.float16).astype(np.float32)
        if len(touched) * DENSE_ACCUMULATE > len(self.live):  # a common term: summing into every row is cheaper
            summed = np.bincount(touched, weights=weight, minlength=len(self.live))
            unique = np.flatnonzero(summed)
            return RowScores(unique, summed[unique].astype(np.float32))
        unique, where = np.unique(touched, return_inverse=True)
        summed = np.bincount(where, weights=weight, minlength=len(unique))
        return RowScores(unique, summed.astype(np.float32))
