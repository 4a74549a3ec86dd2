"""CLI failures an operator meets are one line saying what to do, with a documented exit status."""

from __future__ import annotations

from pathlib import Path

import discord.http
import pytest

from paperbot.cli import main


def test_a_question_that_is_not_utf8_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    question = b"caf\xe9 long context".decode("utf-8", "surrogateescape")  # what Python makes of a Latin-1 shell
    assert main(["ask", question]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not valid UTF-8" in err and "LANG=C.UTF-8" in err


def test_paperbot_run_with_discord_unreachable_is_one_line(settings, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(settings.data_dir.parent)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("DISCORD_TOKEN", "x" * 24 + ".abcdef." + "y" * 27)
    # Nothing listens on port 1 of loopback: the connection is refused at once, as with no network.
    monkeypatch.setattr(discord.http.Route, "BASE", "http://127.0.0.1:1/api/v10")
    assert main(["run"]) == 1
    err = capsys.readouterr().err.strip()
    assert "cannot reach Discord" in err and "paperbot run" in err and "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_a_missing_prompts_dir_is_one_line(settings, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(settings.data_dir.parent)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PROMPTS_DIR", str(settings.data_dir / "no-such-folder"))
    assert main(["ask", "How can language models handle very long contexts?"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "PROMPTS_DIR" in err and "Traceback" not in err
