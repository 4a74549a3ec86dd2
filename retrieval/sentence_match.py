"""Sentence-level dense matching: a paper scored by its abstract sentence closest to the query.

The paper vector embeds the title and contribution statement; a question about a detail stated in one
sentence ("keeping about 10% of the pairs") is far from that average but close to the sentence itself.
Every abstract sentence is embedded once, at the commit that first sees its abstract, and stored as 4-bit
codes, two a byte, with one step per sentence (3 standard deviations of its components over 7 levels, the
rare larger component clipped): 196 bytes a sentence, half of int8's, and on the tuning half of the
generalisation questions every retrieval and rejection figure equals int8's. Int8 files of older indexes are
read too. The vectors are row-aligned with the
lexical index. Search scores only the fusion's candidates, so the cost does not grow with the corpus.

A paper whose sentences were never embedded (a bulk load of precomputed vectors) gets its paper vector as
its one sentence, marked with key 0 so the next commit that can embed embeds it. The files go with the
index segments (`retrieval.segments`): one pair per segment, covering its rows, dead rows (tombstones)
included. A segment a generation keeps keeps its sentence files (hard links); only a new delta or merged
segment's are written, so an ingest of a few papers into a large index writes a few small files.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from core.sentences import sentences
from retrieval import side_index
from retrieval.dense_rows import DenseRows
from retrieval.segments import Segment
from retrieval.side_index import Generation, Layout

log = logging.getLogger(__name__)
VECTORS = "sentences.i8.npy"  # per segment: "<segment>.sentences.i8.npy" (no prefix: an older whole-index file)
LAYOUT = "sentences.npz"
Embed = Callable[[list[str]], np.ndarray]
LEVELS, CLIP_SD = 7, 3.0  # 4-bit codes -8..7; a step of 3 sd / 7 clips only a rare outlying component
MIN_CHARS = 20  # shorter pieces ("Code is available.") match many questions and say nothing
BATCH = 2_000  # sentences per embedding call: progress in the log and bounded memory


def text_key(abstract: str) -> int:
    """A nonzero 63-bit key of an abstract's text: unchanged text, reusable sentence vectors."""
    digest = int.from_bytes(hashlib.blake2b(abstract.encode(), digest_size=8).digest(), "little") >> 1
    return digest or 1


def split(abstract: str) -> list[str]:
    """The sentences of `abstract` that are embedded (the whole abstract when none is long enough)."""
    found = [s for s in sentences(abstract) if len(s) >= MIN_CHARS]
    return found or ([abstract] if abstract.strip() else [])


def _quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """4-bit codes (-8..7) of each row, packed two a byte (even component low), and each row's step."""
    steps = CLIP_SD * vectors.std(axis=1) / LEVELS
    steps = np.where(steps > 0, steps, 1.0).astype(np.float32)
    codes = np.clip(np.round(vectors / steps[:, None]), -LEVELS - 1, LEVELS).astype(np.int8)
    packed = (codes[:, 0::2] & 0x0F) | ((codes[:, 1::2] & 0x0F) << 4)
    return packed.astype(np.uint8), steps


def _unpack(packed: np.ndarray) -> np.ndarray:
    """The 4-bit codes of `_quantize`, as int8 rows (int8 rows of an older index are returned as they are)."""
    if packed.dtype == np.int8:
        return packed
    low = (packed & 0x0F).astype(np.int8)
    high = (packed >> 4).astype(np.int8)
    out = np.empty((len(packed), packed.shape[1] * 2), dtype=np.int8)
    out[:, 0::2] = (low ^ 8) - 8  # sign-extend the nibbles
    out[:, 1::2] = (high ^ 8) - 8
    return out


class SentenceVectors:
    """Sentences of row i are vectors[offsets[i]:offsets[i + 1]]; keys[i] is its abstract's `text_key`."""

    def __init__(self, ids: list[str], vectors: np.ndarray, scales: np.ndarray, offsets: np.ndarray,
                 keys: np.ndarray) -> None:
        self.ids = ids
        self.vectors = vectors
        self.scales = scales
        self.offsets = offsets
        self.keys = keys

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def load(cls, directory: Path, segment: str = "") -> SentenceVectors:
        with np.load(_file(directory, segment, LAYOUT)) as layout:
            return cls(layout["ids"].tolist(), np.load(_file(directory, segment, VECTORS), mmap_mode="r"),
                       layout["scales"], layout["offsets"], layout["keys"])

    def save(self, directory: Path, segment: str = "") -> None:
        np.save(_file(directory, segment, VECTORS), np.ascontiguousarray(self.vectors))
        np.savez(_file(directory, segment, LAYOUT), ids=np.asarray(self.ids, dtype=str), scales=self.scales,
                 offsets=self.offsets, keys=self.keys)

    def rows(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """Row `row`'s sentences as stored now (4-bit; an older index's int8 rows are converted)."""
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        vectors, scales = np.asarray(self.vectors[start:end]), self.scales[start:end]
        if vectors.dtype == np.int8:
            return _quantize(vectors.astype(np.float32) * scales[:, None])
        return vectors, scales

    def best(self, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """For each of `rows`, the cosine of `vector` with that paper's closest sentence."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        starts, ends = self.offsets[rows], self.offsets[rows + 1]
        picked = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)])
        codes = _unpack(np.asarray(self.vectors[picked]))
        cosines = (codes.astype(np.float32) @ vector.astype(np.float32)) * self.scales[picked]
        # reduceat takes the max over each paper's consecutive run; every paper has at least one sentence.
        return np.maximum.reduceat(cosines, np.concatenate([[0], np.cumsum(ends - starts)[:-1]]))


class PaperVectorsOnly:
    """Stands in for the sentence vectors of an index written before them: each paper's one "sentence" is its
    paper vector, so search keeps working until the next `paperbot ingest` embeds the sentences."""

    def __init__(self, rows: DenseRows) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def best(self, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return self._rows.cosine(vector, rows)


def _file(directory: Path, segment: str, name: str) -> Path:
    return directory / (f"{segment}.{name}" if segment else name)


class Stacked:
    """The sentence vectors of a generation's segments as one sequence of rows, numbered as the segments
    number them; nothing is copied."""

    def __init__(self, parts: Sequence[SentenceVectors]) -> None:
        self._parts = list(parts)
        self._offsets = np.cumsum([0, *[len(p) for p in self._parts]]).astype(np.int64)
        self.ids = [pid for part in self._parts for pid in part.ids]
        self.keys = np.concatenate([p.keys for p in self._parts]) if self._parts else np.zeros(0, np.int64)

    def __len__(self) -> int:
        return int(self._offsets[-1])

    def _local(self, row: int) -> tuple[SentenceVectors, int]:
        part = int(np.searchsorted(self._offsets, row, side="right")) - 1
        return self._parts[part], row - int(self._offsets[part])

    def rows(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        part, local = self._local(row)
        return part.rows(local)

    def best(self, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(len(rows), dtype=np.float32)
        part_of = np.searchsorted(self._offsets, rows, side="right") - 1
        for part in np.unique(part_of):
            where = np.flatnonzero(part_of == part)
            out[where] = self._parts[part].best(vector, rows[where] - self._offsets[part])
        return out


def _load(directory: Path, segments: Sequence[str]) -> Stacked | SentenceVectors | None:
    """A generation folder's sentence vectors: per segment (named in row order), or one file of an index
    written before that."""
    if segments and _file(directory, segments[0], LAYOUT).exists():
        return Stacked([SentenceVectors.load(directory, name) for name in segments])
    if (directory / LAYOUT).exists():
        return SentenceVectors.load(directory)
    return None


def open_for(directory: Path, segments: Sequence[Segment], rows: DenseRows
             ) -> Stacked | SentenceVectors | PaperVectorsOnly:
    """The generation's sentence vectors, or the paper vectors when it has none (an older format)."""
    found = _load(directory, [s.name for s in segments])
    if found is None:
        log.warning("this index has no sentence vectors yet: run `paperbot ingest` to add them")
        return PaperVectorsOnly(rows)
    return found


def stage(staging: Path, layout: Generation, changed: set[str] | None, previous: Path | None,
          abstracts: Callable[[set[str]], dict[str, str]], embed: Embed | None) -> None:
    """Write the sentence vectors of the generation staged in `staging` (`layout`: its segments).

    `changed`: the papers this commit (re)indexed, None when it built everything; `previous`: the folder of
    the generation it builds on. A segment that folder holds with its sentence files keeps them (hard links);
    a new segment's are built, reusing the previous generation's vectors wherever the abstract is the same.
    """
    old: Stacked | SentenceVectors | None = None
    if previous is not None:
        try:  # only the sentence files are read: the segments themselves may be what a repair replaces
            old = _load(previous, Layout.model_validate_json((previous / side_index.LAYOUT).read_bytes()).segments)
        except (OSError, ValueError, KeyError, EOFError):  # an older format's folder, or a damaged one: embed again
            old = None
    for segment, (start, end) in zip(layout.segments, itertools.pairwise(layout.offsets), strict=True):
        kept = previous is not None and changed is not None and _file(previous, segment.name, LAYOUT).exists()
        if kept and previous is not None:
            for name in (VECTORS, LAYOUT):
                os.link(_file(previous, segment.name, name), _file(staging, segment.name, name))
            continue
        built = build(np.asarray(segment.ids), layout.live[int(start):int(end)], changed, old,
                      DenseRows([segment.vectors]), abstracts, embed)
        built.save(staging, segment.name)


def build(ids: np.ndarray, live: np.ndarray, changed: set[str] | None, previous: Stacked | SentenceVectors | None,
          paper_vectors: DenseRows, abstracts: Callable[[set[str]], dict[str, str]], embed: Embed | None
          ) -> SentenceVectors:
    """Sentence vectors for every row of a generation (`ids`, `live` numbered as its segments number them).

    A live paper outside `changed` whose sentences `previous` holds keeps them unread; any other live paper
    keeps them if its abstract's key is the same, and is embedded with `embed` if not. A dead row, or a paper
    with no `embed` to embed it, gets its paper vector (key 0).
    """
    old_row: dict[str, int] = {}
    if previous is not None:
        old_row = {pid: i for i, pid in enumerate(previous.ids) if previous.keys[i]}
    keys = np.zeros(len(ids), dtype=np.int64)
    source: dict[int, int] = {}  # row -> the previous generation's row whose vectors it reuses
    unsure = [i for i in np.flatnonzero(live).tolist()
              if changed is None or str(ids[i]) in changed or str(ids[i]) not in old_row]
    for i in set(np.flatnonzero(live).tolist()) - set(unsure):
        source[i] = old_row[str(ids[i])]
    texts = abstracts({str(ids[i]) for i in unsure}) if unsure else {}
    todo: list[int] = []
    for i in unsure:
        pid = str(ids[i])
        key = text_key(texts.get(pid, ""))
        if previous is not None and pid in old_row and int(previous.keys[old_row[pid]]) == key:
            source[i] = old_row[pid]
        else:
            todo.append(i)
        keys[i] = key
    fresh = _embed_missing([str(ids[i]) for i in todo], texts, embed) if todo and embed is not None else {}
    parts: list[np.ndarray] = []
    part_scales: list[np.ndarray] = []
    for i in range(len(ids)):
        if i in source and previous is not None:
            vectors, scales = previous.rows(source[i])
            keys[i] = previous.keys[source[i]]
        elif str(ids[i]) in fresh and live[i]:
            vectors, scales = fresh[str(ids[i])]
        else:
            vectors, scales = _quantize(paper_vectors.vector(i)[None, :])
            keys[i] = 0
        parts.append(vectors)
        part_scales.append(scales)
    counts = np.array([len(v) for v in parts], dtype=np.int64)
    dimension = paper_vectors.vector(0).shape[0] if len(ids) else 0
    matrix = np.concatenate(parts) if parts else np.zeros((0, dimension // 2), dtype=np.uint8)
    scales = np.concatenate(part_scales) if part_scales else np.zeros(0, dtype=np.float32)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return SentenceVectors([str(pid) for pid in ids], matrix, scales.astype(np.float32), offsets, keys)


def _embed_missing(missing: list[str], texts: dict[str, str], embed: Embed) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    spans: dict[str, tuple[int, int]] = {}  # each paper's sentences are consecutive in `pieces`
    pieces: list[str] = []
    for pid in missing:
        found = split(texts.get(pid, ""))
        if found:
            spans[pid] = (len(pieces), len(pieces) + len(found))
            pieces += found
    if not pieces:
        return {}
    log.info("embedding abstract sentences", extra={"papers": len(spans), "sentences": len(pieces)})
    quantized, scales = [], []
    for start in range(0, len(pieces), BATCH):
        q, s = _quantize(embed(pieces[start : start + BATCH]))
        quantized.append(q)
        scales.append(s)
    matrix, all_scales = np.concatenate(quantized), np.concatenate(scales)
    return {pid: (matrix[a:b], all_scales[a:b]) for pid, (a, b) in spans.items()}
