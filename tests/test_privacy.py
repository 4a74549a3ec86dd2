"""Stored data about people: the daily retention prune (simcord virtual time), /forget-me and `paperbot forget`."""

from __future__ import annotations

import datetime as dt

import pytest
from support.botsim import QUESTION

from paperbot.cli import main
from storage import open_database
from storage.privacy import forget_user, prune

# The first answer in a process embeds its candidates' sentences (seconds on a loaded 2-core machine).
SLOW_FIRST_ANSWER = pytest.mark.simcord(settle_timeout=60)


def rows_mentioning(db, user_id: int) -> list[str]:
    """Every row of every table holding `user_id` in a column, or the user's DM key ('dm:<id>')."""
    found = []
    tables = [r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for row in db.query(f"SELECT * FROM {table}"):  # table names come from sqlite_master
            values = tuple(row)
            if user_id in values or f"dm:{user_id}" in values:
                found.append(f"{table}: {values}")
    return found


def stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


@SLOW_FIRST_ANSWER
async def test_forget_me_leaves_no_row_of_that_user(simcord_env, world):
    _, channel, alice, bob = world
    asked = await alice.slash(channel, "ask", question=QUESTION)
    await alice.click(asked.response.message, label="Helpful")
    await alice.click(asked.response.message, label="Save")  # the cited papers, on her reading list
    await alice.slash(channel, "search", query="long context language models")
    await alice.send_dm("what is retrieval-augmented generation?")
    await alice.user.slash("digest-me", time="08:00", size=2)
    await bob.slash(channel, "ask", question=QUESTION)
    db = simcord_env.bot.app.db
    assert len(rows_mentioning(db, alice.id)) >= 6

    result = await alice.slash(channel, "forget-me")
    assert result.ephemeral and "deleted 2 question(s)" in result.response.content
    assert rows_mentioning(db, alice.id) == []
    assert rows_mentioning(db, bob.id), "another user's data must stay"


async def test_the_daily_prune_drops_questions_older_than_the_retention(simcord_env, world):
    _, _, alice, _ = world
    db = simcord_env.bot.app.db
    now = simcord_env.now()  # virtual: 2026-01-01 00:00 UTC
    for age_days, question in ((40, "an old question"), (10, "a recent question")):
        db.execute("INSERT INTO answers (surface, question, answer, mode, user_id, created_at) "
                   "VALUES ('slash', ?, 'an answer', 'extractive', ?, ?)",
                   (question, alice.id, stamp(now - dt.timedelta(days=age_days))))
        db.execute("INSERT INTO searches (user_id, query, created_at) VALUES (?, ?, ?)",
                   (alice.id, question, stamp(now - dt.timedelta(days=age_days))))
    await simcord_env.advance_time(3 * 3600)  # 03:00: not pruned yet
    assert len(db.query("SELECT * FROM answers")) == 2
    await simcord_env.advance_time(3600)  # past 03:30 UTC
    assert [r["question"] for r in db.query("SELECT question FROM answers")] == ["a recent question"]
    assert [r["query"] for r in db.query("SELECT query FROM searches")] == ["a recent question"]


def test_prune_keeps_thread_markers_and_drops_old_turns(tmp_path) -> None:
    db = open_database(tmp_path / "state.sqlite3")
    old, new = "2025-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00"
    for key, kind in (("dm:1", "dm"), ("thread:2", "thread")):
        db.execute("INSERT INTO conversations (key, kind, owner_id, created_at) VALUES (?, ?, 1, ?)", (key, kind, old))
        db.execute("INSERT INTO conversation_turns (key, question, answer, created_at) VALUES (?, 'q', 'a', ?)",
                   (key, old))
    counts = prune(db, dt.datetime(2025, 12, 1, tzinfo=dt.UTC))
    assert counts["conversation_turns"] == 2 and counts["conversations"] == 1
    assert [r["key"] for r in db.query("SELECT key FROM conversations")] == ["thread:2"]
    db.execute("INSERT INTO conversation_turns (key, question, answer, created_at) VALUES ('thread:2', 'q', 'a', ?)",
               (new,))
    assert forget_user(db, 1)["conversations"] == 1 and rows_mentioning(db, 1) == []
    db.close()


def test_forget_command(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PAPERBOT_HOME", str(tmp_path / "home"))
    assert main(["forget", "42"]) == 0 and "nothing stored" in capsys.readouterr().out
    db = open_database(tmp_path / "state.sqlite3")
    db.execute("INSERT INTO searches (user_id, query, created_at) VALUES (42, 'x', '2026-01-01T00:00:00+00:00')")
    db.close()
    assert main(["forget", "42"]) == 0 and "1 searches" in capsys.readouterr().out
    assert main(["forget", "alice"]) == 2 and "digits" in capsys.readouterr().err
