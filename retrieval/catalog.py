"""The paper catalog: every paper's text and metadata in one SQLite file beside the vectors.

Chroma holds only vectors and a content hash per paper (storing documents there costs ~15 KB per paper);
titles, abstracts (zlib-compressed), dates and links live here, keyed by paper id, along with facts about
the index itself (embedding model, dimension, last ingest).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from core.errors import IndexMissingError
from core.models import Paper
from core.sentences import contribution_statement

_SCHEMA = """
CREATE TABLE IF NOT EXISTS papers (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    abstract BLOB NOT NULL,
    meta TEXT NOT NULL,
    date INTEGER NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS papers_date ON papers(date);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def record_fingerprint(paper: Paper) -> str:
    return hashlib.sha1(paper.model_dump_json().encode()).hexdigest()[:16]


def content_hash(paper: Paper, model: str) -> str:
    """Changes exactly when the paper's embedding would: its embedded text or the model."""
    return hashlib.sha1(f"{model}\n{embedding_text(paper)}".encode()).hexdigest()[:16]


def embedding_text(paper: Paper) -> str:
    """What the dense index embeds: the title and the contribution statement (BM25 reads the whole abstract)."""
    return _embedding_text(paper.title, paper.abstract)


@lru_cache(maxsize=4096)  # an ingest asks for each paper's text to sort, embed and hash it
def _embedding_text(title: str, abstract: str) -> str:
    statement = contribution_statement(abstract)
    return f"{title}. {statement}" if statement else title


def date_key(day: dt.date | None) -> int:
    return day.year * 10_000 + day.month * 100 + day.day if day else 0


class Catalog:
    def __init__(self, path: Path, create: bool = False) -> None:
        self.path = path
        if not create and not path.exists():
            raise IndexMissingError("no index yet: run `paperbot ingest` to build it from the bundled corpus")
        if not create and path.stat().st_size == 0:
            raise IndexMissingError(f"the index catalog {path} is empty (0 bytes): run `paperbot ingest --rebuild`")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._in_transaction = False
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30.0)
            # WAL: readers (the bot, the CLI) keep seeing the last committed generation while an ingest
            # holds its transaction open for as long as building the side indexes takes.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise IndexMissingError(f"the index catalog {path} is unreadable ({exc}): "
                                    "run `paperbot ingest --rebuild`") from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every write inside becomes visible to other connections at once, at the end, or not at all."""
        self._in_transaction = True
        try:
            with self._db:
                yield
        finally:
            self._in_transaction = False

    @contextmanager
    def _writing(self) -> Iterator[None]:
        if self._in_transaction:
            yield
            return
        with self._db:
            yield

    # -- index facts -------------------------------------------------------------------------------------
    def info(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM info WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def state(self) -> tuple[str | None, int]:
        """The committed generation stamp and paper count, read in one statement (one consistent snapshot)."""
        row = self._db.execute("SELECT (SELECT value FROM info WHERE key = 'generation'), "
                               "(SELECT count(*) FROM papers)").fetchone()
        return (str(row[0]) if row[0] is not None else None), int(row[1])

    def set_info(self, **values: str) -> None:
        with self._writing():
            self._db.executemany("INSERT OR REPLACE INTO info(key, value) VALUES (?, ?)", values.items())

    # -- papers ------------------------------------------------------------------------------------------
    def fingerprints(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT id, hash FROM papers").fetchall())

    def upsert(self, papers: Iterable[Paper]) -> None:
        rows = [
            (p.id, p.title, zlib.compress(p.abstract.encode(), 6),
             json.dumps({"dates": [d.isoformat() for d in p.dates], "sources": p.sources, "urls": p.urls,
                         "authors": p.authors}),
             date_key(p.date), record_fingerprint(p))
            for p in papers
        ]
        with self._writing():
            self._db.executemany("INSERT OR REPLACE INTO papers VALUES (?, ?, ?, ?, ?, ?)", rows)

    def delete(self, ids: Sequence[str]) -> None:
        with self._writing():
            self._db.executemany("DELETE FROM papers WHERE id = ?", [(i,) for i in ids])

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM papers").fetchone()[0])

    @staticmethod
    def _paper(row: sqlite3.Row | tuple[object, ...]) -> Paper:
        pid, title, abstract, meta_json, *_ = row
        meta = json.loads(str(meta_json))
        return Paper(id=str(pid), title=str(title), abstract=zlib.decompress(bytes(abstract)).decode(),  # type: ignore[arg-type]
                     dates=meta["dates"], sources=meta["sources"], urls=meta["urls"], authors=meta["authors"])

    def get_many(self, ids: Sequence[str]) -> list[Paper]:
        found: dict[str, Paper] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(f"SELECT * FROM papers WHERE id IN ({marks})", chunk):
                found[row[0]] = self._paper(row)
        return [found[i] for i in ids if i in found]

    def all(self) -> list[Paper]:
        """Every paper, newest listing date first, then by title."""
        return [self._paper(r) for r in self._db.execute("SELECT * FROM papers ORDER BY date DESC, title")]

    def titles(self) -> list[tuple[str, str, int]]:
        """(id, title, date key) of every paper, in a stable order (the lexical index's row order)."""
        return [(str(a), str(b), int(c)) for a, b, c in
                self._db.execute("SELECT id, title, date FROM papers ORDER BY id")]

    def texts(self) -> Iterable[tuple[str, str, str]]:
        """(id, title, abstract) in the same order as `titles()`, streamed."""
        for pid, title, abstract in self._db.execute("SELECT id, title, abstract FROM papers ORDER BY id"):
            yield str(pid), str(title), zlib.decompress(abstract).decode()

    def close(self) -> None:
        self._db.close()
