"""Digest state in SQLite: subscriptions, pending-before-post / done-after runs, posted papers, feedback."""

from __future__ import annotations

import datetime as dt

import pytest

from digest.models import DigestTarget, channel_target_key, dm_target_key
from digest.subscriptions import updated_target
from storage import open_database
from storage.digests import DigestStore

NOW = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)
DAY = NOW.date()


@pytest.fixture
def store(tmp_path):
    db = open_database(tmp_path / "state.sqlite3")
    yield DigestStore(db)
    db.close()


def channel_target(channel_id: int = 5, guild_id: int = 1, **kw) -> DigestTarget:
    return DigestTarget(
        key=channel_target_key(channel_id),
        kind="channel",
        guild_id=guild_id,
        channel_id=channel_id,
        active_from=NOW,
        created_at=NOW,
        updated_at=NOW,
        **kw,
    )


def test_targets_round_trip_and_keep_their_creation_time(store):
    saved = store.save_target(
        channel_target(time=dt.time(17, 30), size=7, topics="long context", archive=True)
    )
    assert (saved.time, saved.size, saved.topics, saved.archive) == (dt.time(17, 30), 7, "long context", True)
    later = NOW + dt.timedelta(days=3)
    updated = store.save_target(
        channel_target(size=3).model_copy(update={"created_at": later, "updated_at": later})
    )
    assert updated.size == 3 and updated.created_at == NOW and updated.updated_at == later
    store.save_target(channel_target(channel_id=6))
    store.save_target(channel_target(channel_id=7, guild_id=2))
    assert [t.channel_id for t in store.targets(guild_id=1)] == [5, 6]
    assert len(store.targets()) == 3
    assert store.delete_target(channel_target_key(6)) and not store.delete_target(channel_target_key(6))
    assert store.get_target(channel_target_key(6)) is None


def test_a_run_is_pending_until_finished_and_only_then_its_papers_count_as_posted(store, tmp_path):
    run = store.begin_run(channel_target_key(5), DAY, "schedule", ["a", "b"], channel_id=5, now=NOW)
    assert run.state == "pending" and run.paper_ids == ["a", "b"]
    assert store.posted_ids(channel_target_key(5)) == set()
    assert store.served_on(channel_target_key(5), DAY)
    # Another process (a restart) sees the pending run.
    other = DigestStore(open_database(tmp_path / "state.sqlite3"))
    assert [r.id for r in other.runs_to_consider(DAY + dt.timedelta(days=5))] == [run.id]
    store.finish_run(run.id, [111, 112], now=NOW)
    done = other.get_run(run.id)
    assert done is not None and done.state == "done" and done.message_ids == [111, 112]
    assert other.posted_ids(channel_target_key(5)) == {"a", "b"}
    assert other.runs_to_consider(DAY + dt.timedelta(days=5)) == []
    assert other.posted_ids(channel_target_key(6)) == set()


def test_a_retried_run_keeps_its_id_and_counts_attempts(store):
    run = store.begin_run(channel_target_key(5), DAY, "schedule", ["a"], channel_id=5, now=NOW)
    store.end_run(run.id, "retry", NOW, error="HTTP 503")
    assert not store.served_on(channel_target_key(5), DAY)
    again = store.begin_run(channel_target_key(5), DAY, "schedule", ["b"], channel_id=5, now=NOW, run_id=run.id)
    assert again.id == run.id and again.attempts == 2 and again.state == "pending" and again.error is None


def test_feedback_per_user_and_per_server(store):
    store.rate(1, "p1", -1, guild_id=100, run_id=None, now=NOW)
    store.rate(2, "p2", -1, guild_id=100, run_id=None, now=NOW + dt.timedelta(minutes=1))
    store.rate(3, "p3", -1, guild_id=200, run_id=None, now=NOW)
    store.rate(1, "p4", 1, guild_id=None, run_id=None, now=NOW)
    assert store.guild_dislikes(100) == ["p2", "p1"]
    assert store.user_ratings(1) == {"p1": -1, "p4": 1}
    store.rate(1, "p1", 1, guild_id=100, run_id=None, now=NOW)  # changed their mind
    assert store.guild_dislikes(100) == ["p2"]
    with pytest.raises(ValueError):
        store.rate(1, "p1", 0, guild_id=None, run_id=None, now=NOW)


def test_dm_targets(store):
    t = DigestTarget(key=dm_target_key(42), kind="dm", user_id=42, active_from=NOW, created_at=NOW, updated_at=NOW)
    assert store.save_target(t).kind == "dm"
    assert store.targets(guild_id=None)[0].user_id == 42


def test_the_ranking_is_stored_relevance_by_default_and_kept_when_other_options_change(store):
    assert store.save_target(channel_target()).rank == "relevance"
    old = store.save_target(channel_target(rank="upvotes"))
    assert store.get_target(old.key).rank == "upvotes"
    later = updated_target(old, channel_target(), time=None, size=3, topics=None, archive=None)
    assert store.save_target(later).rank == "upvotes"
    back = updated_target(old, channel_target(), time=None, size=None, topics=None, archive=None, rank="relevance")
    assert store.save_target(back).rank == "relevance"
