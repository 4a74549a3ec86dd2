"""The entry points README lists as public API import from their documented homes and keep their shapes."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import discord
import pytest

import core.settings
from paperbot.cli import COMMANDS, main


def test_settings_and_load_settings_are_importable_from_paperbot_settings(tmp_path: Path) -> None:
    from paperbot.settings import Settings, load_settings

    assert Settings is core.settings.Settings
    settings = load_settings(_env_file=None, data_dir=tmp_path, llm_model="local-model")
    assert isinstance(settings, Settings)
    assert (settings.data_dir, settings.llm_model, settings.llm_configured) == (tmp_path, "local-model", False)


async def test_create_bot_builds_a_discord_client_from_settings_alone(tmp_path: Path) -> None:
    from bot import create_bot
    from paperbot.settings import load_settings

    bot = create_bot(load_settings(_env_file=None, data_dir=tmp_path))
    try:
        assert isinstance(bot, discord.Client)
        assert not isinstance(bot, discord.AutoShardedClient)
        # (a sharded client that never connected cannot be closed: discord.py builds its queue on login)
        sharded = create_bot(load_settings(_env_file=None, data_dir=tmp_path, discord_sharded=True))
        assert isinstance(sharded, discord.AutoShardedClient)
    finally:
        await bot.close()


def test_the_console_script_is_paperbot_from_the_paperbot_research_distribution() -> None:
    scripts = metadata.distribution("paperbot-research").entry_points.select(group="console_scripts")
    assert {(e.name, e.value) for e in scripts} == {("paperbot", "paperbot.cli:main")}


def test_the_cli_offers_every_documented_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    documented = {"ingest", "remove", "search", "ask", "eval", "bench", "chat", "run", "digest", "config"}
    assert documented <= set(COMMANDS)
    assert all(name in out for name in documented)


def test_search_json_keeps_its_shape(settings: core.settings.Settings, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    assert main(["search", "--json", "-k", "2", "long context"]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert set(line) == {"query", "relevant", "results"}
    assert [set(hit) for hit in line["results"]] == [{"id", "title", "score", "date"}] * 2
