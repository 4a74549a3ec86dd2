"""Immutable index segments: one batch of papers' BM25 postings, row facts and vectors, each part one .npy file.

A segment is written once (staged, fsynced and published with its generation) and then only read, memory-
mapped; a later generation that keeps it hard-links the same files into its own folder, so an ingest of a few
papers writes a few small files instead of the whole index. A merge concatenates segments' postings and
vectors, dropping tombstoned rows: nothing is tokenized or read from Chroma again.
"""

from __future__ import annotations

import os
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from retrieval.lexical_terms import term_hash, tokenize

# terms: sorted term hashes; postings of terms[i] are rows/tf[starts[i]:starts[i + 1]] (rows local to the
# segment); length: tokens per row; dates: listing date key per row; ids: paper id per row; vectors: float16.
PARTS = ("terms", "starts", "rows", "tf", "length", "dates", "ids", "vectors")


def _file(folder: Path, name: str, part: str) -> Path:
    return folder / f"{name}.{part}.npy"


class Segment:
    def __init__(self, name: str, parts: dict[str, np.ndarray]) -> None:
        self.name = name
        self.terms, self.starts, self.rows, self.tf = parts["terms"], parts["starts"], parts["rows"], parts["tf"]
        self.length, self.dates, self.ids, self.vectors = (parts["length"], parts["dates"], parts["ids"],
                                                           parts["vectors"])
        self.size = len(self.ids)

    def parts(self) -> dict[str, np.ndarray]:
        return {part: getattr(self, part) for part in PARTS}

    @classmethod
    def build(cls, name: str, papers: Iterable[tuple[str, str, str, int]], vectors: np.ndarray) -> Segment:
        """Tokenize (id, title, abstract, date key) papers, in row order; `vectors` are their rows' vectors."""
        ids: list[str] = []
        dates, lengths, unique = array("i"), array("i"), array("i")
        vocab: dict[str, int] = {}
        terms, counts = array("i"), array("H")
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
        hashes = np.fromiter((term_hash(t) for t in vocab), dtype=np.int64, count=len(vocab))
        rows = np.repeat(np.arange(len(ids), dtype=np.int32), np.array(unique, dtype=np.int32))
        return cls._sorted(name, hashes, np.array(terms, dtype=np.int32), rows, np.array(counts, dtype=np.uint16), {
                               "length": np.array(lengths, dtype=np.int32), "dates": np.array(dates, dtype=np.int32),
                               "ids": np.asarray(ids, dtype=str), "vectors": vectors.astype(np.float16)})

    @classmethod
    def _sorted(cls, name: str, vocab: np.ndarray, term_ids: np.ndarray, rows: np.ndarray, tf: np.ndarray,
                facts: dict[str, np.ndarray]) -> Segment:
        """Postings (vocab index, row, count) ordered by term hash, without a 64-bit key per posting."""
        by_hash = np.argsort(vocab)
        rank = np.empty(len(vocab), dtype=np.int32)
        rank[by_hash] = np.arange(len(vocab), dtype=np.int32)
        ranked = rank[term_ids]
        order = np.argsort(ranked, kind="stable")
        per_term = np.bincount(ranked, minlength=len(vocab))
        used = per_term > 0  # a term whose every posting was tombstoned is gone after a merge
        starts = np.concatenate([[0], np.cumsum(per_term[used])]).astype(np.int64)
        return cls(name, {"terms": vocab[by_hash][used].astype(np.int64),
                          "starts": starts, "rows": rows[order].astype(np.int32),
                          "tf": tf[order].astype(np.uint16), **facts})

    @classmethod
    def merge(cls, name: str, segments: Sequence[Segment], live: Sequence[np.ndarray]) -> Segment:
        """One segment of the live rows of `segments` (in order); `live[i]` masks the rows of `segments[i]`."""
        vocab = np.unique(np.concatenate([np.asarray(s.terms) for s in segments]))
        term_ids, rows, tf = [], [], []
        base = 0
        for segment, alive in zip(segments, live, strict=True):
            renumber = np.cumsum(alive, dtype=np.int64) - 1 + base
            seg_rows = np.asarray(segment.rows)
            keep = alive[seg_rows]
            seg_terms = np.searchsorted(vocab, np.asarray(segment.terms)).astype(np.int32)
            term_ids.append(np.repeat(seg_terms, np.diff(np.asarray(segment.starts)))[keep])
            rows.append(renumber[seg_rows[keep]].astype(np.int32))
            tf.append(np.asarray(segment.tf)[keep])
            base += int(alive.sum())
        facts = {part: np.concatenate([np.asarray(getattr(s, part))[alive] for s, alive in zip(segments, live,
                                                                                                 strict=True)])
                 for part in ("length", "dates", "ids", "vectors")}
        # vocab is sorted already: the ranks are the identity.
        return cls._sorted(name, vocab, np.concatenate(term_ids), np.concatenate(rows), np.concatenate(tf), facts)

    def save(self, folder: Path) -> None:
        for part, values in self.parts().items():
            np.save(_file(folder, self.name, part), values)

    def link(self, source: Path, folder: Path) -> None:
        """Put this (already published) segment in `folder` too: the same files, hard-linked, not copied."""
        for part in PARTS:
            os.link(_file(source, self.name, part), _file(folder, self.name, part))

    @classmethod
    def load(cls, folder: Path, name: str) -> Segment:
        # Plain ndarray views of the maps: np.memmap's own slicing runs Python code on every lookup.
        return cls(name, {part: np.asarray(np.load(_file(folder, name, part), mmap_mode="r")) for part in PARTS})
