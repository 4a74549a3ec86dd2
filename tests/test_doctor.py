"""`paperbot doctor` and `paperbot health`: every check seen passing and failing, on real files and servers."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import make_settings
from support.openai_server import FakeOpenAI, refused_base_url

from app import health
from app.health import check_data_dir, check_disk, check_heartbeat, check_index, check_settings, check_state_db
from app.health_services import check_chroma, check_llm
from bot.doctor import check_token, token_user_id
from core.errors import ConfigError, PaperBotError
from paperbot.cli import main
from retrieval.catalog import Catalog
from storage import open_database

SHAPED_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def own_index(tmp_path: Path, index_dir: Path):
    """A writable copy of the shared index (the shared one must not be altered)."""
    data_dir = tmp_path / "own"
    shutil.copytree(index_dir / "index", data_dir / "index")
    return make_settings(data_dir)


# -- settings and disk ----------------------------------------------------------------------------------

def test_settings_valid_and_env_syntax_error_named(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    assert check_settings([env], None).status == "ok"
    env.write_text("LLM_MODEL=gpt-4o-mini\nDISCORD TOKEN abc\n", encoding="utf-8")
    check = check_settings([env], None)
    assert check.status == "fail" and "line 2" in check.detail and "DISCORD TOKEN" in check.detail


def test_invalid_setting_value_is_reported() -> None:
    check = check_settings([Path("/nonexistent/.env")], ConfigError("invalid setting LLM_TEMPERATURE: expected <= 2"))
    assert check.status == "fail" and "LLM_TEMPERATURE" in check.detail


def test_data_dir_writable_missing_and_unusable(tmp_path: Path) -> None:
    assert check_data_dir(make_settings(tmp_path)).status == "ok"
    assert "created on first" in check_data_dir(make_settings(tmp_path / "new")).detail
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert check_data_dir(make_settings(afile)).status == "fail"
    check = check_data_dir(make_settings(afile / "below"))
    assert check.status == "fail" and "not writable" in check.detail


def test_disk_space(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_disk(make_settings(tmp_path)).status == "ok"
    monkeypatch.setattr(health.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9 - 2**20, 2**20))
    check = check_disk(make_settings(tmp_path))
    assert check.status == "fail" and "0.0 GiB free" in check.detail


# -- index and chroma -----------------------------------------------------------------------------------

def test_index_present_missing_and_other_model(settings, own_index, tmp_path: Path) -> None:
    good = check_index(settings)
    assert good.status == "ok" and "all-MiniLM-L6-v2" in good.detail
    assert check_index(make_settings(tmp_path / "empty")).status == "warn"
    catalog = Catalog(own_index.index_dir / "catalog.sqlite3")
    catalog.set_info(embedding_model="text-embedding-3-small")
    catalog.close()
    bad = check_index(own_index)
    assert bad.status == "fail" and "--rebuild" in bad.fix


def test_an_index_from_an_older_version_says_to_run_ingest(own_index) -> None:
    catalog = Catalog(own_index.index_dir / "catalog.sqlite3")
    catalog.set_info(format="6")
    catalog.close()
    old = check_index(own_index)
    assert old.status == "fail" and "index format 6" in old.detail and "`paperbot ingest`" in old.fix


def test_chroma_embedded_count_matches_catalog(settings) -> None:
    check = check_chroma(settings)
    assert check.status == "ok" and "= catalog" in check.detail


def test_chroma_count_differs_from_catalog(own_index) -> None:
    db = sqlite3.connect(own_index.index_dir / "catalog.sqlite3")
    with db:
        db.execute("DELETE FROM papers WHERE id IN (SELECT id FROM papers LIMIT 3)")
    db.close()
    check = check_chroma(own_index)
    assert check.status == "fail" and "vectors but" in check.detail


def test_chroma_server_at_a_closed_port(settings) -> None:
    port = closed_port()
    check = check_chroma(settings.model_copy(update={"chroma_host": "127.0.0.1", "chroma_port": port}))
    assert check.status == "fail" and f"127.0.0.1:{port}" in check.detail and "CHROMA_HOST" in check.fix


# -- LLM --------------------------------------------------------------------------------------------------

def test_llm_not_configured_is_fine(tmp_path: Path) -> None:
    check = check_llm(make_settings(tmp_path))
    assert check.status == "ok" and "extractive" in check.detail


def test_llm_reachable_model_listed_and_deep_completion(tmp_path: Path, openai_server: FakeOpenAI) -> None:
    settings = make_settings(tmp_path, openai_base_url=openai_server.base_url, llm_model="fake-model")
    assert check_llm(settings).status == "ok"
    assert openai_server.chat_requests == []
    deep = check_llm(settings, deep=True)
    assert deep.status == "ok" and "completion works" in deep.detail
    assert openai_server.chat_requests[0]["max_tokens"] == 1


def test_llm_model_not_listed(tmp_path: Path, openai_server: FakeOpenAI) -> None:
    check = check_llm(make_settings(tmp_path, openai_base_url=openai_server.base_url, llm_model="llama3"))
    assert check.status == "fail" and "'llama3' is not served" in check.detail and "fake-model" in check.detail


def test_llm_unreachable(tmp_path: Path) -> None:
    url = refused_base_url()
    check = check_llm(make_settings(tmp_path, openai_base_url=url))
    assert check.status == "fail" and url in check.detail


# -- Discord token ----------------------------------------------------------------------------------------

def test_discord_token_shape(tmp_path: Path) -> None:
    assert check_token(make_settings(tmp_path)).status == "ok"
    assert token_user_id(SHAPED_TOKEN) == 123456789012345678
    good = check_token(make_settings(tmp_path, discord_token=SHAPED_TOKEN))
    assert good.status == "ok" and "123456789012345678" in good.detail and SHAPED_TOKEN not in good.detail
    for bad in ("Bot " + SHAPED_TOKEN, "not-a-token", "1234567890123456789"):
        assert check_token(make_settings(tmp_path, discord_token=bad)).status == "fail"


# -- state DB ---------------------------------------------------------------------------------------------

def test_state_db_missing_migrated_and_newer(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert check_state_db(settings).status == "ok"
    open_database(settings.state_db).close()
    migrated = check_state_db(settings)
    assert migrated.status == "ok" and "migrations applied" in migrated.detail
    db = sqlite3.connect(settings.state_db)
    with db:
        db.execute("INSERT INTO schema_migrations(name) VALUES ('9999_from_the_future.sql')")
    db.close()
    newer = check_state_db(settings)
    assert newer.status == "fail" and "newer PaperBot" in newer.detail
    with pytest.raises(PaperBotError, match="newer PaperBot"):
        open_database(settings.state_db)


# -- heartbeat and `paperbot health` ----------------------------------------------------------------------

def test_heartbeat_missing_fresh_and_stale(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert check_heartbeat(settings).status == "fail"
    health.beat(settings)
    assert check_heartbeat(settings).status == "ok"
    later = time.time() + health.HEARTBEAT_STALE_SECONDS + 5
    stale = check_heartbeat(settings, now=later)
    assert stale.status == "fail" and "stale" in stale.detail


@pytest.fixture
def fresh_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory with DATA_DIR inside it and nothing configured."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERBOT_HOME", str(tmp_path / "home"))  # no developer's ~/.local/share/paperbot/.env
    for var in ("CHROMA_HOST", "OPENAI_BASE_URL", "OPENAI_API_KEY", "DISCORD_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_health_command_follows_the_heartbeat(fresh_machine: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health"]) == 1
    assert "heartbeat" in capsys.readouterr().out
    health.beat(make_settings(fresh_machine / "data"))
    assert main(["health"]) == 0
    assert main(["doctor", "--quick"]) == 0


# -- the whole table --------------------------------------------------------------------------------------

def test_doctor_on_a_fresh_machine_exits_0_with_next_steps(fresh_machine: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name in ("settings", "data dir", "disk", "index", "chroma", "llm", "discord", "state db"):
        assert name in out
    assert "paperbot ingest" in out and "extractive" in out


def test_doctor_names_a_closed_chroma_port_and_fails(fresh_machine: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    port = closed_port()
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(port))
    assert main(["doctor", "--json"]) == 1
    out = capsys.readouterr().out
    assert f"127.0.0.1:{port}" in out and '"ok": false' in out


def test_doctor_reports_a_broken_env_file_instead_of_crashing(fresh_machine: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (fresh_machine / ".env").write_text("LLM_TEMPERATURE=0.2\nexport = = =\n", encoding="utf-8")
    assert main(["doctor"]) == 1
    assert "line 2" in capsys.readouterr().out
    assert main(["ask", "anything"]) == 2
    assert "line 2" in capsys.readouterr().err
