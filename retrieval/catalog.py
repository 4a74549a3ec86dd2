"""The paper catalog: every paper's text and metadata in one SQLite file beside the vectors.

Chroma holds only vectors and a content hash per paper (storing documents there costs ~15 KB per paper);
titles, abstracts (zlib-compressed), dates and links live here, keyed by paper id, along with facts about
the index itself (embedding model, dimension, last ingest).

The schema is versioned (`PRAGMA user_version`): opening an older catalog applies the missing migrations in
place. A migration only adds columns, so no vector is touched and nothing is embedded again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
import unicodedata
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
# Migration n brings a catalog from user_version n-1 to n. 1: the metadata fetched sources give (the arXiv id
# for merging across sources, authors for the author filter, upvotes and the first submission date).
_MIGRATIONS = [
    """
    ALTER TABLE papers ADD COLUMN arxiv_id TEXT;
    ALTER TABLE papers ADD COLUMN authors TEXT NOT NULL DEFAULT '';
    ALTER TABLE papers ADD COLUMN upvotes INTEGER;
    ALTER TABLE papers ADD COLUMN published INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX IF NOT EXISTS papers_arxiv ON papers(arxiv_id);
    """,
]
_COLUMNS = "id, title, abstract, meta, date, hash, arxiv_id, authors, upvotes, published"


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


def author_key(name: str) -> str:
    """An author's name as the author filter compares it: accents, case and punctuation ignored."""
    decomposed = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _migrate(db: sqlite3.Connection) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
        with db:
            db.executescript(f"BEGIN; {script} PRAGMA user_version = {number}; COMMIT;")


def _from_key(key: int) -> dt.date | None:
    return dt.date(key // 10_000, key // 100 % 100, key % 100) if key else None


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
            _migrate(self._db)
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
                         "authors": p.authors, "categories": p.categories,
                         "links": p.links.model_dump(exclude_none=True)}),
             date_key(p.date), record_fingerprint(p), p.arxiv_id, "\n".join(author_key(a) for a in p.authors),
             p.upvotes, date_key(p.published))
            for p in papers
        ]
        marks = ", ".join("?" * len(_COLUMNS.split(",")))
        with self._writing():
            self._db.executemany(f"INSERT OR REPLACE INTO papers ({_COLUMNS}) VALUES ({marks})", rows)

    def delete(self, ids: Sequence[str]) -> None:
        with self._writing():
            self._db.executemany("DELETE FROM papers WHERE id = ?", [(i,) for i in ids])

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM papers").fetchone()[0])

    def ids_for_arxiv(self, arxiv_ids: Sequence[str]) -> dict[str, str]:
        """The catalog's paper id for each of these arXiv ids it holds."""
        found: dict[str, str] = {}
        for start in range(0, len(arxiv_ids), 500):
            chunk = list(arxiv_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            found.update(self._db.execute(f"SELECT arxiv_id, id FROM papers WHERE arxiv_id IN ({marks})", chunk))
        return found

    def author_keys(self) -> dict[str, str]:
        """Each paper's normalized author names, one per line (papers without authors left out)."""
        return dict(self._db.execute("SELECT id, authors FROM papers WHERE authors != ''"))

    @staticmethod
    def _paper(row: sqlite3.Row | tuple[object, ...]) -> Paper:
        pid, title, abstract, meta_json, _date, _hash, arxiv_id, _authors, upvotes, published = row
        meta = json.loads(str(meta_json))
        return Paper(id=str(pid), title=str(title), abstract=zlib.decompress(bytes(abstract)).decode(),  # type: ignore[arg-type]
                     dates=meta["dates"], sources=meta["sources"], urls=meta["urls"], authors=meta["authors"],
                     categories=meta.get("categories", []), links=meta.get("links", {}),
                     arxiv_id=arxiv_id, upvotes=upvotes, published=_from_key(int(published)))  # type: ignore[arg-type]

    def get_many(self, ids: Sequence[str]) -> list[Paper]:
        found: dict[str, Paper] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(f"SELECT {_COLUMNS} FROM papers WHERE id IN ({marks})", chunk):
                found[row[0]] = self._paper(row)
        return [found[i] for i in ids if i in found]

    def all(self) -> list[Paper]:
        """Every paper, newest listing date first, then by title."""
        return [self._paper(r) for r in self._db.execute(f"SELECT {_COLUMNS} FROM papers ORDER BY date DESC, title")]

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
