"""`paperbot digest`: the same digest in the terminal, and the schedules on record."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from digest.models import DigestTarget, channel_target_key
from paperbot.cli import main
from storage import open_database
from storage.digests import DigestStore


@pytest.fixture
def data_dir(settings, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.chdir(settings.data_dir)  # no developer .env is read from the working directory
    return settings.data_dir


def test_preview_prints_the_digest(data_dir, capsys):
    assert main(["digest", "--preview", "--topics", "long context", "--size", "3"]) == 0
    out = capsys.readouterr().out
    assert re.match(r"Paper digest · \w+day \d{1,2} \w+ \d{4} · long context\n=+\n", out)
    items = re.findall(r"^(\d+)\. (.+)$", out, re.M)
    assert [n for n, _ in items] == ["1", "2", "3"]
    assert items[0][1] == "How to Train Long-Context Language Models (Effectively)"
    assert out.count("TL;DR: ") == 3 and out.count("Listed ") == 3
    assert "Overview: extractive" in out and re.search(r"\[1\]", out)


def test_preview_as_json_matches_the_model(data_dir, capsys):
    assert main(["digest", "--preview", "--size", "2", "--since", "2026-03-17", "--json"]) == 0
    digest = json.loads(capsys.readouterr().out)
    assert len(digest["items"]) == 2 and digest["source"] == "new"
    assert all(dt.date.fromisoformat(i["date"]) >= dt.date(2026, 3, 17) for i in digest["items"])


def test_nothing_relevant_is_said_in_one_line(data_dir, capsys):
    assert main(["digest", "--preview", "--topics", "medieval pottery glazes"]) == 0
    assert "Nothing new on medieval pottery glazes today." in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["digest", "--preview", "--size", "11"], "--size must be between 1 and 10"),
    (["digest", "--preview", "--since", "yesterday"], "not a date"),
    (["digest", "--topics", "x"], "go with --preview"),
])
def test_bad_options_get_one_line(data_dir, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_without_preview_lists_the_schedules(data_dir, capsys):
    assert main(["digest"]) == 0
    assert "No digest is scheduled yet" in capsys.readouterr().out
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    db = open_database(data_dir / "state.sqlite3")
    DigestStore(db).save_target(DigestTarget(
        key=channel_target_key(42), kind="channel", guild_id=7, channel_id=42, time=dt.time(17, 30), size=4,
        topics="long context", active_from=now, created_at=now, updated_at=now))
    db.close()
    assert main(["digest"]) == 0
    out = capsys.readouterr().out
    assert "channel 42 (server 7): 17:30 UTC, 4 papers, topics: long context" in out
    assert "never posted yet" in out
