"""Digest state: subscriptions, runs (pending before posting, done after), papers posted, item feedback.

Every method takes the current time from its caller, so the scheduler's clock (virtual in tests) is the only
one.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence

from digest.models import DigestRun, DigestTarget, RunState, RunTrigger
from storage.db import Database


def _ts(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat()


def _parse_ts(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _target(row: sqlite3.Row) -> DigestTarget:
    hour, minute = (int(x) for x in row["time_utc"].split(":"))
    return DigestTarget(
        key=row["target_key"],
        kind=row["kind"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        user_id=row["user_id"],
        time=dt.time(hour, minute),
        tz=row["tz"],
        size=row["size"],
        topics=row["topics"],
        archive=bool(row["archive"]),
        rank=row["rank"],
        active_from=_parse_ts(row["active_from"]),
        created_at=_parse_ts(row["created_at"]),
        updated_at=_parse_ts(row["updated_at"]),
    )


def _run(row: sqlite3.Row) -> DigestRun:
    return DigestRun(
        id=row["id"],
        target_key=row["target_key"],
        day=dt.date.fromisoformat(row["day"]),
        trigger=row["trigger"],
        state=row["state"],
        paper_ids=json.loads(row["paper_ids"]),
        message_ids=json.loads(row["message_ids"]),
        attempts=row["attempts"],
        error=row["error"],
        created_at=_parse_ts(row["created_at"]),
        finished_at=_parse_ts(row["finished_at"]) if row["finished_at"] else None,
    )


class DigestStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- targets ---------------------------------------------------------------------------------------------

    def save_target(self, target: DigestTarget) -> DigestTarget:
        """Insert or replace a subscription; keeps `created_at` of an existing one."""
        with self.db.transaction() as conn:
            old = conn.execute(
                "SELECT created_at FROM digest_targets WHERE target_key = ?", (target.key,)
            ).fetchone()
            created = old["created_at"] if old else _ts(target.created_at)
            conn.execute(
                "INSERT OR REPLACE INTO digest_targets (target_key, kind, guild_id, channel_id, user_id,"
                " time_utc, tz, size, topics, archive, rank, active_from, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    target.key,
                    target.kind,
                    target.guild_id,
                    target.channel_id,
                    target.user_id,
                    target.time.strftime("%H:%M"),
                    target.tz,
                    target.size,
                    target.topics,
                    int(target.archive),
                    target.rank,
                    _ts(target.active_from),
                    created,
                    _ts(target.updated_at),
                ),
            )
        saved = self.get_target(target.key)
        assert saved is not None
        return saved

    def get_target(self, key: str) -> DigestTarget | None:
        rows = self.db.query("SELECT * FROM digest_targets WHERE target_key = ?", (key,))
        return _target(rows[0]) if rows else None

    def targets(self, guild_id: int | None = None) -> list[DigestTarget]:
        if guild_id is None:
            rows = self.db.query("SELECT * FROM digest_targets ORDER BY target_key")
        else:
            rows = self.db.query(
                "SELECT * FROM digest_targets WHERE guild_id = ? ORDER BY target_key", (guild_id,)
            )
        return [_target(r) for r in rows]

    def delete_target(self, key: str) -> bool:
        """Stops the digest; what was posted stays remembered, so re-subscribing never repeats a paper."""
        return self.db.execute("DELETE FROM digest_targets WHERE target_key = ?", (key,)).rowcount > 0

    # -- runs ----------------------------------------------------------------------------------------------

    def begin_run(
        self,
        target_key: str,
        day: dt.date,
        trigger: RunTrigger,
        paper_ids: Sequence[str],
        channel_id: int | None,
        now: dt.datetime,
        run_id: int | None = None,
    ) -> DigestRun:
        """Record a run as pending *before* posting (or re-arm an existing run for another attempt)."""
        with self.db.transaction() as conn:
            if run_id is None:
                cur = conn.execute(
                    "INSERT INTO digest_runs (target_key, day, trigger, state, paper_ids, channel_id,"
                    " attempts, created_at) VALUES (?, ?, ?, 'pending', ?, ?, 1, ?)",
                    (target_key, day.isoformat(), trigger, json.dumps(list(paper_ids)), channel_id, _ts(now)),
                )
                run_id = int(cur.lastrowid or 0)
            else:
                conn.execute(
                    "UPDATE digest_runs SET state = 'pending', paper_ids = ?, channel_id = ?,"
                    " attempts = attempts + 1, error = NULL WHERE id = ?",
                    (json.dumps(list(paper_ids)), channel_id, run_id),
                )
        run = self.get_run(run_id)
        assert run is not None
        return run

    def finish_run(self, run_id: int, message_ids: Sequence[int], now: dt.datetime) -> None:
        """Mark a run done and its papers posted for its target, in one transaction."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT target_key, day, paper_ids FROM digest_runs WHERE id = ?", (run_id,)
            ).fetchone()
            if row is None:
                return
            conn.execute(
                "UPDATE digest_runs SET state = 'done', message_ids = ?, finished_at = ?, error = NULL"
                " WHERE id = ?",
                (json.dumps(list(message_ids)), _ts(now), run_id),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO digest_posted (target_key, paper_id, run_id, day) VALUES (?, ?, ?, ?)",
                [(row["target_key"], pid, run_id, row["day"]) for pid in json.loads(row["paper_ids"])],
            )

    def end_run(self, run_id: int, state: RunState, now: dt.datetime, error: str | None = None) -> None:
        """Close a run that posted nothing: `retry` (may be attempted again today), `failed` or `missed`."""
        assert state in ("retry", "failed", "missed")
        self.db.execute(
            "UPDATE digest_runs SET state = ?, error = ?, finished_at = ? WHERE id = ?",
            (state, error, _ts(now), run_id),
        )

    def get_run(self, run_id: int) -> DigestRun | None:
        row = self.db.by_id("digest_runs", run_id)
        return _run(row) if row is not None else None

    def runs_to_consider(self, today: dt.date) -> list[DigestRun]:
        """Every pending run (whatever its day) and every run of the days around UTC `today`: what the schedule
        needs (a target's local day is at most one day off the UTC one)."""
        rows = self.db.query(
            "SELECT * FROM digest_runs WHERE state = 'pending' OR day BETWEEN ? AND ? ORDER BY id",
            ((today - dt.timedelta(days=1)).isoformat(), (today + dt.timedelta(days=1)).isoformat()),
        )
        return [_run(r) for r in rows]

    def runs(self, target_key: str, limit: int = 30) -> list[DigestRun]:
        rows = self.db.query(
            "SELECT * FROM digest_runs WHERE target_key = ? ORDER BY id DESC LIMIT ?", (target_key, limit)
        )
        return [_run(r) for r in rows]

    def served_on(self, target_key: str, day: dt.date) -> bool:
        rows = self.db.query(
            "SELECT 1 FROM digest_runs WHERE target_key = ? AND day = ? AND state IN"
            " ('pending', 'done', 'failed', 'missed') LIMIT 1",
            (target_key, day.isoformat()),
        )
        return bool(rows)

    # -- what was posted -----------------------------------------------------------------------------------

    def posted_ids(self, target_key: str) -> set[str]:
        rows = self.db.query("SELECT paper_id FROM digest_posted WHERE target_key = ?", (target_key,))
        return {r["paper_id"] for r in rows}

    # -- feedback on digest items ------------------------------------------------------------------------

    def rate(
        self,
        user_id: int,
        paper_id: str,
        value: int,
        guild_id: int | None,
        run_id: int | None,
        now: dt.datetime,
    ) -> None:
        """A user's 👍 (+1) or 👎 (-1) on a paper; rating again replaces the earlier rating."""
        if value not in (-1, 1):
            raise ValueError("value must be +1 or -1")
        self.db.execute(
            "INSERT OR REPLACE INTO digest_feedback (user_id, paper_id, guild_id, run_id, value, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, paper_id, guild_id, run_id, value, _ts(now)),
        )

    def user_ratings(self, user_id: int, limit: int = 100) -> dict[str, int]:
        rows = self.db.query(
            "SELECT paper_id, value FROM digest_feedback WHERE user_id = ? ORDER BY at DESC LIMIT ?",
            (user_id, limit),
        )
        return {r["paper_id"]: int(r["value"]) for r in rows}

    def guild_dislikes(self, guild_id: int, limit: int = 100) -> list[str]:
        """Papers the members of a server gave 👎 on digest items there, most recent first."""
        rows = self.db.query(
            "SELECT paper_id FROM digest_feedback WHERE guild_id = ? AND value = -1"
            " GROUP BY paper_id ORDER BY MAX(at) DESC LIMIT ?",
            (guild_id, limit),
        )
        return [r["paper_id"] for r in rows]

    def likes_between(self, guild_id: int, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
        """👍 per paper given on digest items in a server within a time window (the weekly roundup)."""
        rows = self.db.query(
            "SELECT paper_id, COUNT(*) AS n FROM digest_feedback WHERE guild_id = ? AND value = 1"
            " AND at >= ? AND at < ? GROUP BY paper_id",
            (guild_id, _ts(since), _ts(until)),
        )
        return {r["paper_id"]: int(r["n"]) for r in rows}

    # -- a server's default time zone ---------------------------------------------------------------------

    def set_guild_zone(self, guild_id: int, tz: str, now: dt.datetime) -> None:
        self.db.execute(
            "INSERT INTO guild_time_zones (guild_id, tz, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET tz = excluded.tz, updated_at = excluded.updated_at",
            (guild_id, tz, _ts(now)),
        )

    def guild_zone(self, guild_id: int | None) -> str | None:
        if guild_id is None:
            return None
        rows = self.db.query("SELECT tz FROM guild_time_zones WHERE guild_id = ?", (guild_id,))
        return str(rows[0]["tz"]) if rows else None
