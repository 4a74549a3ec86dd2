"""`paperbot backup` / `restore`: a consistent copy of the state DB (SQLite online backup) and of the index.

The state DB and the index catalog are copied with SQLite's online backup API, so a running bot (or an
ingest) can keep writing meanwhile; the other index files are written once per generation and never changed
in place, so a plain copy is consistent. Restore puts everything back through temporary names and renames,
and keeps what it replaced beside it (`*.before-restore-<time>`) until it has succeeded.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

from pydantic import BaseModel

from app.health import check_heartbeat
from core import __version__
from core.errors import InputError, PaperBotError
from core.settings import Settings

MANIFEST = "paperbot-backup.json"
STATE = "state.sqlite3"
INDEX = "index"
CATALOG = "catalog.sqlite3"


class Manifest(BaseModel):
    """`paperbot-backup.json`: what the backup holds and where it came from."""

    paperbot: str
    created_at: str
    parts: list[str]
    data_dir: str
    vectors: str


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _copy_index(source: Path, target: Path) -> None:
    """The index folder; its catalog through the backup API, lock and temporary files left out."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(
        CATALOG, f"{CATALOG}-wal", f"{CATALOG}-shm", "*.lock", "*.tmp", "staging*", "*.aside-*"))
    if (source / CATALOG).exists():
        _sqlite_copy(source / CATALOG, target / CATALOG)


def backup(settings: Settings, dest: Path) -> Manifest:
    if dest.exists() and any(dest.iterdir()):
        raise InputError(f"{dest} is not empty: back up into a new folder")
    if not settings.state_db.exists() and not settings.index_dir.exists():
        raise InputError(f"nothing to back up in {settings.data_dir} (no state DB, no index)")
    dest.mkdir(parents=True, exist_ok=True)
    parts = []
    if settings.state_db.exists():
        _sqlite_copy(settings.state_db, dest / STATE)
        parts.append(STATE)
    if settings.index_dir.exists():
        _copy_index(settings.index_dir, dest / INDEX)
        parts.append(INDEX)
    manifest = Manifest(
        paperbot=__version__, created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), parts=parts,
        data_dir=str(settings.data_dir.resolve()),
        vectors="in the Chroma server (back up its volume, or run `paperbot ingest` after restoring)"
                if settings.chroma_host else "included (embedded Chroma)")
    (dest / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return manifest


def restore(settings: Settings, source: Path) -> list[str]:
    """Put a backup's parts in place of DATA_DIR's; refuses while the bot is running."""
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise InputError(f"{source} is not a PaperBot backup (no {MANIFEST})")
    if check_heartbeat(settings).status == "ok":
        raise PaperBotError("the bot is running on this DATA_DIR: stop it first, then restore")
    try:
        parts = Manifest.model_validate_json(manifest_path.read_text(encoding="utf-8")).parts
    except ValueError as exc:
        raise InputError(f"{manifest_path} is damaged: {str(exc).splitlines()[0]}") from None
    if not set(parts) <= {STATE, INDEX}:
        raise InputError(f"{manifest_path} lists unknown parts: {parts}")
    if STATE in parts:
        _check_state(source / STATE)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    replaced: list[tuple[Path, Path]] = []
    try:
        for part in parts:
            target = settings.data_dir / part
            incoming = settings.data_dir / f".{part}.restoring"
            shutil.rmtree(incoming, ignore_errors=True)
            if part == INDEX:
                shutil.copytree(source / part, incoming)
            else:
                shutil.copy2(source / part, incoming)
            if target.exists():
                aside = target.with_name(f"{part}.before-restore-{stamp}")
                target.rename(aside)
                replaced.append((target, aside))
            for suffix in ("-wal", "-shm"):  # the old DB's journal must not be replayed onto the restored one
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            incoming.rename(target)
    except OSError as exc:
        for target, aside in replaced:  # put back what was there
            _remove(target)
            aside.rename(target)
        raise PaperBotError(f"restore failed, nothing changed: {exc}") from None
    for _, aside in replaced:
        _remove(aside)
    return parts


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _check_state(path: Path) -> None:
    from storage.db import migration_names

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        applied = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    except sqlite3.DatabaseError as exc:
        raise InputError(f"the backup's state DB is unreadable: {exc}") from None
    finally:
        conn.close()
    if applied - migration_names():
        raise InputError("the backup was made by a newer PaperBot: upgrade PaperBot before restoring it")
