"""Settings: grouped sections read flat from the environment, one-line errors, .env.example kept in step."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.env_example import render
from core.settings import SECTIONS, Settings, load_settings
from paperbot.cli import main

ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def _example_names(text: str) -> list[str]:
    return [line[2:].split("=", 1)[0] for line in text.splitlines() if line.startswith("# ") and "=" in line
            and line[2:].split("=", 1)[0].isupper() and " " not in line[2:].split("=", 1)[0]]


def test_env_example_is_generated_from_the_settings() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    names = _example_names(text)
    fields = [name.upper() for name in Settings.model_fields]
    assert sorted(set(names) - set(fields)) == [], "unknown variables in .env.example"
    assert sorted(set(fields) - set(names)) == [], "settings missing from .env.example"
    assert text == render(), "run `paperbot config --example > .env.example`"


def test_every_setting_has_a_description_and_one_section() -> None:
    owners = [name for section in SECTIONS for name in section.model_fields]
    assert sorted(owners) == sorted(Settings.model_fields), "each setting belongs to exactly one section"
    undescribed = [name for name, field in Settings.model_fields.items() if not (field.description or "").strip()]
    assert undescribed == []


def test_an_example_line_shows_the_default() -> None:
    assert "# LLM_MODEL=gpt-4o-mini\n" in render()
    assert "# LLM_STREAM=true\n" in render()
    assert "# CHROMA_PORT=8000\n" in render()


def test_settings_are_read_flat_from_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_MODEL", "llama3.1:8b")
    monkeypatch.setenv("CHROMA_PORT", "9000")
    monkeypatch.setenv("DIGEST_NEW_DAYS", "3")
    settings = load_settings(_env_file=None)
    assert (settings.llm_model, settings.chroma_port, settings.digest_new_days) == ("llama3.1:8b", 9000, 3)


def test_an_empty_variable_leaves_an_optional_setting_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_BASE_URL", "EMBEDDING_BASE_URL", "CHROMA_HOST", "DISCORD_TOKEN", "OPENAI_API_KEY",
                 "DISCORD_GUILD_ID", "DIGEST_NEW_DAYS", "PROMPTS_DIR"):
        monkeypatch.setenv(name, "  ")
    settings = load_settings(_env_file=None)
    assert settings.openai_base_url is None and settings.embedding_base_url is None and settings.chroma_host is None
    assert settings.discord_token is None and settings.openai_api_key is None
    assert settings.discord_guild_id is None and settings.digest_new_days is None and settings.prompts_dir is None
    assert not settings.llm_configured


def test_an_empty_variable_keeps_the_default_of_any_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERBOT_HOME", str(tmp_path))
    for name in ("DATA_DIR", "LLM_MODEL", "CHROMA_PORT", "LLM_STREAM"):
        monkeypatch.setenv(name, "")
    settings = load_settings(_env_file=None)
    assert settings.data_dir == tmp_path / "data", "DATA_DIR= must not mean the current directory"
    assert (settings.llm_model, settings.chroma_port, settings.llm_stream) == ("gpt-4o-mini", 8000, True)


@pytest.mark.parametrize("url", ["localhost:11434/v1", "ftp://example.org", "http://", "127.0.0.1:8080"])
def test_a_base_url_that_is_not_http_is_refused_in_one_line(url: str, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("EMBEDDING_BASE_URL", url)
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert err == ("paperbot: invalid setting EMBEDDING_BASE_URL: expected an http(s) URL such as "
                   "http://127.0.0.1:11434/v1\n")


def test_http_and_https_base_urls_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.example.org/v1")
    monkeypatch.setenv("EMBEDDING_BASE_URL", "http://127.0.0.1:8000/v1")
    settings = load_settings(_env_file=None)
    assert (settings.openai_base_url, settings.embedding_base_url) == ("https://api.example.org/v1",
                                                                       "http://127.0.0.1:8000/v1")


def test_data_dir_follows_paperbot_home_not_the_current_directory(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("PAPERBOT_HOME", str(home))
    monkeypatch.chdir(elsewhere)
    settings = load_settings()
    assert settings.data_dir == home / "data"
    assert settings.index_dir == home / "data" / "index"


def test_without_a_home_data_goes_to_the_xdg_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERBOT_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    assert load_settings().data_dir == tmp_path / "xdg" / "paperbot" / "data"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert load_settings().data_dir == tmp_path / "user" / ".local" / "share" / "paperbot" / "data"


def test_env_files_of_home_and_current_directory_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    (home / ".env").write_text("LLM_MODEL=from-home\nCHROMA_COLLECTION=home-papers\n", encoding="utf-8")
    (cwd / ".env").write_text("LLM_MODEL=from-cwd\n", encoding="utf-8")
    monkeypatch.setenv("PAPERBOT_HOME", str(home))
    monkeypatch.chdir(cwd)
    settings = load_settings()
    assert (settings.llm_model, settings.chroma_collection) == ("from-cwd", "home-papers")
    monkeypatch.setenv("LLM_MODEL", "from-environment")
    assert load_settings().llm_model == "from-environment"


def test_config_prints_settings_in_effect_with_secrets_hidden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("LLM_MODEL", "qwen2.5")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "sk-very-secret" not in out
    assert "OPENAI_API_KEY=(set, hidden)\n" in out and "LLM_MODEL=qwen2.5\n" in out
    assert main(["config", "--example"]) == 0
    assert capsys.readouterr().out == render()
