"""`paperbot backup` / `restore`: what a backup holds comes back, a running bot or a newer backup is refused."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from conftest import make_settings

from app import health
from app.backup import backup, restore
from core.errors import InputError, PaperBotError
from paperbot.cli import main
from retrieval import Retriever
from storage import open_database


@pytest.fixture
def data(tmp_path, index_dir):
    """A DATA_DIR of its own: a copy of the shared index and a state DB with one stored search."""
    settings = make_settings(tmp_path / "data")
    shutil.copytree(index_dir / "index", settings.index_dir)
    db = open_database(settings.state_db)
    db.execute("INSERT INTO searches (user_id, query, created_at) VALUES (7, 'kept', '2026-01-01T00:00:00+00:00')")
    db.close()
    return settings


def searches(settings) -> list[str]:
    db = open_database(settings.state_db)
    try:
        return [r["query"] for r in db.query("SELECT query FROM searches")]
    finally:
        db.close()


def test_backup_then_restore_brings_back_state_and_index(data, tmp_path) -> None:
    db = open_database(data.state_db)  # held open, as by a running bot: the online backup still works
    manifest = backup(data, tmp_path / "bk")
    assert manifest.parts == ["state.sqlite3", "index"]
    db.execute("DELETE FROM searches")
    db.close()
    shutil.rmtree(data.index_dir)
    assert restore(data, tmp_path / "bk") == ["state.sqlite3", "index"]
    assert searches(data) == ["kept"]
    restored = Retriever.open(data)
    assert restored.stats().papers == 327 and restored.search("long context").hits
    assert not list(data.data_dir.glob("*before-restore*"))


def test_backup_refuses_a_non_empty_destination(data, tmp_path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        backup(data, tmp_path / "full")


def test_restore_refuses_while_the_bot_runs_and_a_newer_backup(data, tmp_path) -> None:
    backup(data, tmp_path / "bk")
    health.beat(data)
    with pytest.raises(PaperBotError, match="stop it first"):
        restore(data, tmp_path / "bk")
    health.heartbeat_path(data).unlink()
    newer = sqlite3.connect(tmp_path / "bk" / "state.sqlite3")
    with newer:
        newer.execute("INSERT INTO schema_migrations(name) VALUES ('9999_future.sql')")
    newer.close()
    with pytest.raises(InputError, match="newer PaperBot"):
        restore(data, tmp_path / "bk")
    assert searches(data) == ["kept"]  # nothing changed
    with pytest.raises(InputError, match="not a PaperBot backup"):
        restore(data, tmp_path)


def test_backup_and_restore_commands(data, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATA_DIR", str(data.data_dir))
    monkeypatch.setenv("PAPERBOT_HOME", str(tmp_path / "home"))
    assert main(["backup", str(tmp_path / "cli")]) == 0
    assert "backed up state.sqlite3, index" in capsys.readouterr().out
    assert main(["restore", str(tmp_path / "cli")]) == 0
    assert main(["backup", str(tmp_path / "cli")]) == 2 and "not empty" in capsys.readouterr().err
