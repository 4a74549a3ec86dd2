"""A generation's side indexes as segments plus tombstones: written incrementally, merged at a threshold.

The folder of generation N holds its segments' files (`retrieval.segments`), `layout.json` naming them in row
order, `dead.npy` (rows of papers removed or replaced since their segment was written) and the acronyms. An
ingest that changes a few papers links the previous generation's segments into a new folder, tombstones the
old rows of the papers it changed, and writes one small delta segment of those papers: tokenized once, their
vectors read from Chroma, nothing else read again. When the deltas and tombstones outgrow a share of the
index (or there are too many segments), the deltas are merged into one and, past the share, everything is.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from core import crashpoints
from core.errors import IndexMissingError
from retrieval.acronyms import GlossaryBuilder
from retrieval.catalog import Catalog, date_key
from retrieval.segments import Segment
from retrieval.store import VectorStore

LAYOUT = "layout.json"
DEAD = "dead.npy"
# A full merge once the deltas' rows and the tombstones exceed this share of the first segment's rows; the
# deltas alone are merged into one once there are more than MAX_SEGMENTS segments (each costs a lookup per
# query term).
MERGE_SHARE = 0.2
MAX_SEGMENTS = 8
VECTOR_CHUNK = 2_000


class Layout(BaseModel):
    segments: list[str]


class Generation:
    """The segments and live rows of one generation folder, memory-mapped."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        layout = Layout.model_validate_json((folder / LAYOUT).read_bytes())
        self.segments = [Segment.load(folder, name) for name in layout.segments]
        self.offsets = np.cumsum([0, *[s.size for s in self.segments]]).astype(np.int64)
        self.dead = np.load(folder / DEAD)
        self.live = np.ones(int(self.offsets[-1]), dtype=bool)
        self.live[self.dead] = False

    def ids(self) -> np.ndarray:
        return np.concatenate([np.asarray(s.ids) for s in self.segments]) if self.segments else np.zeros(0, str)

    def dates(self) -> np.ndarray:
        return (np.concatenate([np.asarray(s.dates) for s in self.segments]) if self.segments
                else np.zeros(0, np.int32))


def _spans(offsets: np.ndarray) -> Iterator[tuple[int, int]]:
    return ((int(a), int(b)) for a, b in itertools.pairwise(offsets))


def _vectors(store: VectorStore, ids: Sequence[str]) -> np.ndarray:
    matrix = np.zeros((len(ids), store.dimension), dtype=np.float16)
    for start in range(0, len(ids), VECTOR_CHUNK):
        chunk = list(ids[start : start + VECTOR_CHUNK])
        vectors = store.vectors(chunk)
        missing = [pid for pid in chunk if pid not in vectors]
        if missing:
            raise IndexMissingError(f"{len(missing)} paper(s) of the catalog have no vector in Chroma "
                                    f"(e.g. {missing[0]}): run `paperbot ingest --rebuild`")
        for offset, pid in enumerate(chunk):
            matrix[start + offset] = vectors[pid]
    return matrix


def _papers(catalog: Catalog, ids: set[str] | None, glossary: GlossaryBuilder) -> list[tuple[str, str, str, int]]:
    """(id, title, abstract, date key) of the catalog's papers (only `ids`, when given), in id order."""
    if ids is None:
        dates = {pid: date for pid, _, date in catalog.titles()}
        texts: Iterable[tuple[str, str, str, int]] = ((pid, t, a, dates[pid]) for pid, t, a in catalog.texts())
    else:
        texts = ((p.id, p.title, p.abstract, date_key(p.date)) for p in catalog.get_many(sorted(ids)))
    papers = []
    for paper in texts:
        glossary.add(f"{paper[1]}. {paper[2]}")
        papers.append(paper)
    return papers


def write(staging: Path, generation: int, catalog: Catalog, store: VectorStore, previous: Generation | None,
          changed: set[str], gone: Sequence[tuple[str, str]]) -> int:
    """Write generation `generation`'s side indexes into `staging`; returns its number of live papers.

    With `previous` (the last generation, whole) only `changed` papers (ids upserted, re-embedded or deleted)
    are read: `gone` gives the old (title, abstract) of those the previous generation held, to uncount their
    acronyms. Without it, everything is built from the catalog.
    """
    name = f"seg-{generation:06d}"
    if previous is None:
        glossary = GlossaryBuilder()
        papers = _papers(catalog, None, glossary)
        segment = Segment.build(name, papers, _vectors(store, [p[0] for p in papers]))
        segments, live = [segment], [np.ones(segment.size, dtype=bool)]
        kept: list[Segment] = []
    else:
        glossary = GlossaryBuilder.load(previous.folder)
        for title, abstract in gone:
            glossary.add(f"{title}. {abstract}", times=-1)
        old_ids = previous.ids()
        live_all = previous.live.copy()
        live_all[np.isin(old_ids, np.asarray(sorted(changed), dtype=str))] = False
        papers = _papers(catalog, changed, glossary)
        segments = list(previous.segments)
        live = [live_all[a:b] for a, b in _spans(previous.offsets)]
        if papers:
            segments.append(Segment.build(name, papers, _vectors(store, [p[0] for p in papers])))
            live.append(np.ones(segments[-1].size, dtype=bool))
        segments, live = _merged(name, segments, live)
        kept = [s for s in segments if any(s is old for old in previous.segments)]
    crashpoints.reached("lexical index staged")
    for segment in segments:
        if segment in kept:
            assert previous is not None
            segment.link(previous.folder, staging)
        else:
            segment.save(staging)
    crashpoints.reached("segments staged")
    dead = np.flatnonzero(~np.concatenate(live)) if live else np.zeros(0, np.int64)
    np.save(staging / DEAD, dead.astype(np.int64))
    (staging / LAYOUT).write_text(Layout(segments=[s.name for s in segments]).model_dump_json())
    glossary.save(staging)
    glossary.build().save(staging)
    return int(sum(int(m.sum()) for m in live))


def _merged(name: str, segments: list[Segment], live: list[np.ndarray]) -> tuple[list[Segment], list[np.ndarray]]:
    """The segments after the merge policy: all into one, the deltas into one, or as they are."""
    base = segments[0].size
    extra = sum(s.size for s in segments[1:]) + sum(int((~m).sum()) for m in live)
    if extra > MERGE_SHARE * base:
        merged = Segment.merge(name, segments, live)
        crashpoints.reached("segments merged")
        return [merged], [np.ones(merged.size, dtype=bool)]
    if len(segments) > MAX_SEGMENTS:
        merged = Segment.merge(name, segments[1:], live[1:])
        crashpoints.reached("delta segments merged")
        return [segments[0], merged], [live[0], np.ones(merged.size, dtype=bool)]
    return segments, live


def previous_generation(folder: Path) -> Generation | None:
    """The last generation's side indexes to build on, or None when they are of another format or unreadable."""
    try:
        return Generation(folder)
    except (OSError, ValueError):  # pydantic's ValidationError is a ValueError
        return None
