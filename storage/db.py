"""One SQLite file, schema managed by numbered migrations in `storage/migrations/NNNN_name.sql`.

Each migration runs once, in order, inside a transaction; `schema_migrations` records which ran.
Modules that own tables (feedback, memory, digests) take a `Database` and keep their SQL to themselves.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from core.errors import PaperBotError


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migration_names() -> set[str]:
    """The migrations this version of PaperBot knows (a database with others was written by a newer one)."""
    return {name for _number, name, _sql in _migrations()}


class Database:
    """A thread-safe SQLite connection (the bot calls it from the event loop and from worker threads)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA busy_timeout=5000")
        except sqlite3.DatabaseError as exc:
            raise PaperBotError(f"cannot open the state database {self.path}: {exc}") from None
        self._lock = threading.RLock()
        self.migrate()

    def applied(self) -> set[str]:
        return {row[0] for row in self._conn.execute("SELECT name FROM schema_migrations")}

    def migrate(self) -> None:
        """Apply every migration file not applied yet, each in its own transaction.

        Applied migrations are recorded by file name, not by a high-water mark, so a migration numbered
        below one already applied (two branches adding tables at once) still runs.
        """
        with self._lock:
            self._conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                               "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)")
            done = self.applied()
            newer = sorted(done - migration_names())
            if newer:
                raise PaperBotError(f"the state database {self.path} was written by a newer PaperBot (migration "
                                    f"{newer[0]} is unknown here): upgrade PaperBot, or restore a backup made "
                                    "by this version")
            for _number, name, sql in _migrations():
                if name in done:
                    continue
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                    for statement in _split_sql(sql):
                        self._conn.execute(statement)
                    self._conn.execute("INSERT INTO schema_migrations(name) VALUES (?)", (name,))
                    self._conn.execute("COMMIT")
                except sqlite3.DatabaseError as exc:
                    self._conn.execute("ROLLBACK")
                    raise PaperBotError(f"state database migration {name} failed: {exc}") from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def execute(self, sql: str, params: tuple[object, ...] | dict[str, object] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    def query(self, sql: str, params: tuple[object, ...] | dict[str, object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def insert(self, sql: str, params: tuple[object, ...] | dict[str, object] = ()) -> int:
        """Run one INSERT and return the new row's id."""
        return int(self.execute(sql, params).lastrowid or 0)

    def by_id(self, table: str, row_id: int) -> sqlite3.Row | None:
        """The row of `table` (a name from our own code, never user input) with this id, if any."""
        rows = self.query(f"SELECT * FROM {table} WHERE id = ?", (row_id,))
        return rows[0] if rows else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _split_sql(script: str) -> list[str]:
    """Statements of a migration file (migrations use no triggers, so `;` only ends statements)."""
    code = "\n".join(line for line in script.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


def open_database(path: Path | str) -> Database:
    return Database(path)
