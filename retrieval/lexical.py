"""BM25 over titles and abstracts, words and word pairs, as a compact term-major sparse matrix.

Chroma's own BM25/sparse search is not available in the embedded client, so the lexical index is kept beside
it and rebuilt from the catalog whenever an ingest changes anything. Word pairs ("data_select") let an exact
phrase outrank the same words scattered; titles are indexed twice because a query word in the title says
more about the paper than one in the abstract.

The matrix stores each term's precomputed BM25 (Lucene variant) weight per document: float16 weights and
int32 document rows, 6 bytes per posting. Terms are looked up by a stable 64-bit hash in a sorted array, so
no vocabulary of millions of word pairs is held in memory (a bm25s index of 100k papers with pairs peaked at
several GB while building and held its whole vocabulary as a dict).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from array import array
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from core.text import content_terms, idf

K1, B = 1.2, 0.75


def tokenize(text: str) -> list[str]:
    """Stemmed content words (`core.text`'s base stopwords dropped), then adjacent pairs ("data_select")."""
    stems = content_terms(text)
    return stems + [f"{a}_{b}" for a, b in itertools.pairwise(stems)]


def term_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little", signed=True)


class LexicalIndex:
    """BM25 scores for every paper of the catalog, rows aligned with `ids` and `dates`."""

    def __init__(self, ids: list[str], dates: np.ndarray, terms: np.ndarray, starts: np.ndarray,
                 rows: np.ndarray, weights: np.ndarray) -> None:
        self.ids = ids
        self.dates = dates
        self._terms = terms  # sorted term hashes
        self._starts = starts  # postings of terms[i] are rows[starts[i]:starts[i + 1]]
        self._rows = rows
        self._weights = weights

    @classmethod
    def build(cls, papers: Iterable[tuple[str, str, str, int]]) -> LexicalIndex:
        ids: list[str] = []
        dates: list[int] = []
        vocab: dict[str, int] = {}
        terms, counts, lengths, unique = array("i"), array("H"), array("i"), array("i")
        for pid, title, abstract, date in papers:
            ids.append(pid)
            dates.append(date)
            title_tokens = tokenize(title)
            tokens = title_tokens + title_tokens + tokenize(abstract)
            tf = Counter(tokens)
            for token, count in tf.items():
                terms.append(vocab.setdefault(token, len(vocab)))
                counts.append(min(count, 65_535))
            lengths.append(len(tokens))
            unique.append(len(tf))
        n_docs = len(ids)
        if not vocab:
            empty = np.zeros(0, dtype=np.int64)
            return cls(ids, np.asarray(dates, dtype=np.int32), empty, np.zeros(1, dtype=np.int64),
                       np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float16))
        term_ids = np.frombuffer(terms, dtype=np.int32)
        tf_arr = np.frombuffer(counts, dtype=np.uint16).astype(np.float32)
        doc_len = np.frombuffer(lengths, dtype=np.int32).astype(np.float32)
        doc_rows = np.repeat(np.arange(n_docs, dtype=np.int32), np.frombuffer(unique, dtype=np.int32))
        df = np.bincount(term_ids, minlength=len(vocab)).astype(np.float32)
        weights_idf = idf(df, n_docs)
        norm = K1 * (1 - B + B * doc_len / max(float(doc_len.mean()), 1.0))
        weight = weights_idf[term_ids] * tf_arr * (K1 + 1) / (tf_arr + norm[doc_rows])
        # Order postings by term hash without materialising a 64-bit key per posting (100M+ at scale).
        hashes = np.fromiter((term_hash(t) for t in vocab), dtype=np.int64, count=len(vocab))
        by_hash = np.argsort(hashes)
        rank = np.empty(len(vocab), dtype=np.int32)
        rank[by_hash] = np.arange(len(vocab), dtype=np.int32)
        ranked_terms = rank[term_ids]
        del term_ids
        order = np.argsort(ranked_terms, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(ranked_terms, minlength=len(vocab)))]).astype(np.int64)
        return cls(ids, np.asarray(dates, dtype=np.int32), hashes[by_hash], starts, doc_rows[order],
                   weight[order].astype(np.float16))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.savez(directory / "bm25.npz", terms=self._terms, starts=self._starts, rows=self._rows,
                 weights=self._weights)
        (directory / "rows.json").write_text(json.dumps({"ids": self.ids, "dates": self.dates.tolist()}))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        rows = json.loads((directory / "rows.json").read_text())
        with np.load(directory / "bm25.npz") as data:
            return cls(rows["ids"], np.asarray(rows["dates"], dtype=np.int32), data["terms"], data["starts"],
                       data["rows"], data["weights"])

    def _slots(self, tokens: Iterable[str]) -> list[int]:
        found = []
        for token in dict.fromkeys(tokens):
            h = term_hash(token)
            slot = int(np.searchsorted(self._terms, h))
            if slot < len(self._terms) and self._terms[slot] == h:
                found.append(slot)
        return found

    def coverage(self, query: str) -> float:
        """Share of the query's content words that occur somewhere in the corpus."""
        stems = content_terms(query)
        return len(self._slots(stems)) / len(set(stems)) if stems else 0.0

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row; zeros when no query word is in the corpus."""
        slots = self._slots(tokenize(query))
        if not slots:
            return np.zeros(len(self.ids), dtype=np.float32)
        spans = [np.arange(self._starts[s], self._starts[s + 1]) for s in slots]
        picked = np.concatenate(spans)
        return np.bincount(self._rows[picked], weights=self._weights[picked].astype(np.float32),
                           minlength=len(self.ids)).astype(np.float32)
