"""`paperbot doctor` checks that need nothing but the disk: settings, DATA_DIR, disk space, index, state DB, heartbeat.

Each check returns one `Check`: what was looked at, whether it is fine, and when it is not, what to do.
A part that is optional and not configured (no LLM, no Discord token) is "ok" with a note, not a failure.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from core.envfile import env_file_errors
from core.errors import ConfigError, PaperBotError
from core.files import write_atomic
from core.settings import Settings

Status = Literal["ok", "warn", "fail"]

HEARTBEAT_SECONDS = 30
HEARTBEAT_STALE_SECONDS = 4 * HEARTBEAT_SECONDS  # a few missed beats: the loop is stuck, not just slow
DISK_FAIL_BYTES = 100 * 2**20
DISK_WARN_BYTES = 500 * 2**20


class Check(BaseModel):
    name: str
    status: Status
    detail: str
    fix: str = ""


def ok(name: str, detail: str) -> Check:
    return Check(name=name, status="ok", detail=detail)


def fail(name: str, detail: str, fix: str) -> Check:
    return Check(name=name, status="fail", detail=detail, fix=fix)


def warn(name: str, detail: str, fix: str) -> Check:
    return Check(name=name, status="warn", detail=detail, fix=fix)


def guarded(name: str, check: Callable[[], Check]) -> Check:
    """Run one check; an unexpected error is that check's failure, never the end of the report."""
    try:
        return check()
    except PaperBotError as exc:
        return fail(name, str(exc), "see the message")
    except Exception as exc:  # a doctor that crashes on the problem it should report is no doctor
        return fail(name, f"{type(exc).__name__}: {exc}", "report this with the full message")


def heartbeat_path(settings: Settings) -> Path:
    return settings.data_dir / "heartbeat"


def beat(settings: Settings) -> None:
    """Record that the bot is alive: `paperbot health` reads the file's age."""
    write_atomic(heartbeat_path(settings), f"{time.time():.0f}\n".encode())


def check_settings(env_files: Sequence[Path], error: ConfigError | None) -> Check:
    problems = [problem for path in env_files for problem in env_file_errors(path)]
    if problems:
        return fail("settings", "; ".join(problems), "fix those lines (NAME=value, one per line)")
    if error is not None:
        return fail("settings", str(error), "correct the variable in .env or the environment (see .env.example)")
    read = [str(path.resolve()) for path in env_files if path.is_file()]
    where = f"{', '.join(read)} and the environment" if read else "the environment (no .env file)"
    return ok("settings", f"valid, read from {where}")


def _nearest_existing(path: Path) -> Path:
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_data_dir(settings: Settings) -> Check:
    data_dir = settings.data_dir.resolve()
    if data_dir.exists() and not data_dir.is_dir():
        return fail("data dir", f"DATA_DIR {data_dir} is a file, not a folder", "point DATA_DIR at a folder")
    if not data_dir.exists():
        parent = _nearest_existing(data_dir)
        if os.access(parent, os.W_OK | os.X_OK):
            return ok("data dir", f"{data_dir} (created on first ingest)")
        return fail("data dir", f"DATA_DIR {data_dir} does not exist and {parent} is not writable",
                    f"mkdir -p {data_dir} as a user who may, and give it to the user running PaperBot")
    probe = data_dir / f".doctor-{os.getpid()}"
    try:
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        return fail("data dir", f"DATA_DIR {data_dir} is not writable ({exc.strerror})",
                    f"chown the folder to the user running PaperBot, or mount it read-write: {data_dir}")
    return ok("data dir", f"{data_dir} (writable)")


def check_disk(settings: Settings) -> Check:
    where = _nearest_existing(settings.data_dir)
    free = shutil.disk_usage(where).free
    text = f"{free / 2**30:.1f} GiB free on {where}"
    if free < DISK_FAIL_BYTES:
        return fail("disk", text, "free space there: ingest and the state DB need room to write")
    if free < DISK_WARN_BYTES:
        return warn("disk", text, "free some space soon: a large ingest may fill it")
    return ok("disk", text)


def check_index(settings: Settings) -> Check:
    from retrieval.catalog import Catalog
    from retrieval.commit import INDEX_FORMAT
    from retrieval.index import catalog_path, model_identity

    path = catalog_path(settings)
    if not path.exists():
        return warn("index", f"no index yet in {settings.index_dir.resolve()}", "run `paperbot ingest` to build it")
    catalog = Catalog(path)
    try:
        papers, built_with = catalog.count(), catalog.info("embedding_model")
        last = catalog.info("last_ingest") or "never"
        built_format = catalog.info("format")
    finally:
        catalog.close()
    configured, _ = model_identity(settings)
    if built_with is not None and built_with != configured:
        return fail("index", f"built with embedding model {built_with!r}, {configured!r} is configured",
                    f"run `paperbot ingest --rebuild`, or set EMBEDDING_MODEL back to {built_with!r}")
    if papers and built_format != INDEX_FORMAT:
        # An upgrade changed the side-index files: searches fail until one ingest rewrites them.
        return fail("index", f"built by another PaperBot version (index format {built_format}, this one reads "
                    f"{INDEX_FORMAT})", "run `paperbot ingest` to upgrade it (the vectors are kept, nothing is "
                    "re-embedded)")
    return ok("index", f"{papers:,} papers, model {built_with or configured}, last ingest {last[:19]}")


def _migration_names() -> set[str]:
    from storage.db import migration_names

    return migration_names()


def check_state_db(settings: Settings) -> Check:
    path = settings.state_db
    if not path.exists():
        return ok("state db", f"{path.resolve()} (created on first start)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            applied = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return fail("state db", f"{path} is unreadable ({exc})", "restore it with `paperbot restore BACKUP`")
    known = _migration_names()
    newer = sorted(applied - known)
    if newer:
        return fail("state db", f"written by a newer PaperBot (unknown migrations: {', '.join(newer)})",
                    "upgrade PaperBot, or restore a backup made by this version")
    pending = sorted(known - applied)
    if pending:
        return warn("state db", f"{len(pending)} migration(s) not applied yet: {', '.join(pending)}",
                    "they run when PaperBot next starts (`paperbot run`)")
    return ok("state db", f"{path}, {len(applied)} migrations applied")


def check_heartbeat(settings: Settings, now: float | None = None) -> Check:
    path = heartbeat_path(settings)
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
        return fail("heartbeat", f"no heartbeat at {path}: the bot is not running (or not yet ready)",
                    "start it with `paperbot run`; look at its log for why it stopped")
    if age > HEARTBEAT_STALE_SECONDS:
        return fail("heartbeat", f"last beat {age:.0f} s ago (stale after {HEARTBEAT_STALE_SECONDS} s)",
                    "the bot is stuck or stopped: restart it and read its log")
    return ok("heartbeat", f"last beat {age:.0f} s ago")
