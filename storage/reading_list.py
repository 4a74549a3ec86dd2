"""Reading lists: papers people saved, per person and per server, and the servers' weekly roundup settings."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel

from storage.db import Database

Scope = Literal["mine", "server"]
DM = 0  # guild_id of saves made in a DM


class SavedPaper(BaseModel):
    paper_id: str
    title: str
    saved_at: dt.datetime
    savers: int = 1  # how many people saved it (server lists)


class Roundup(BaseModel):
    guild_id: int
    channel_id: int
    weekday: int
    time_utc: str
    last_week: dt.date | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ReadingListStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, guild_id: int | None, user_id: int, paper_id: str, title: str,
             at: dt.datetime | None = None) -> bool:
        """Add a paper to a person's list; False when it was there already."""
        cursor = self.db.execute(
            "INSERT INTO reading_list (guild_id, user_id, paper_id, title, saved_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (guild_id or DM, user_id, paper_id, title, (at or _now()).isoformat(timespec="seconds")))
        return cursor.rowcount > 0

    def remove(self, guild_id: int | None, paper_id: str, *, user_id: int | None) -> int:
        """Take a paper off one person's list, or (user_id None) off everyone's in the server."""
        if user_id is None:
            cursor = self.db.execute("DELETE FROM reading_list WHERE guild_id = ? AND paper_id = ?",
                                     (guild_id or DM, paper_id))
        else:
            cursor = self.db.execute("DELETE FROM reading_list WHERE guild_id = ? AND paper_id = ? AND user_id = ?",
                                     (guild_id or DM, paper_id, user_id))
        return cursor.rowcount

    def forget(self, user_id: int, paper_id: str) -> int:
        """Take a paper off a person's own list, wherever they saved it."""
        return self.db.execute("DELETE FROM reading_list WHERE user_id = ? AND paper_id = ?",
                               (user_id, paper_id)).rowcount

    def mine(self, user_id: int) -> list[SavedPaper]:
        """One person's saves from every server and DM, newest first, each paper once."""
        rows = self.db.query(
            "SELECT paper_id, MAX(title) AS title, MAX(saved_at) AS saved_at, 1 AS savers FROM reading_list"
            " WHERE user_id = ? GROUP BY paper_id ORDER BY saved_at DESC, MAX(rowid) DESC", (user_id,))
        return [_saved(r) for r in rows]

    def server(self, guild_id: int) -> list[SavedPaper]:
        """Everything saved in one server, newest first, with how many people saved each."""
        rows = self.db.query(
            "SELECT paper_id, MAX(title) AS title, MAX(saved_at) AS saved_at, COUNT(*) AS savers FROM reading_list"
            " WHERE guild_id = ? GROUP BY paper_id ORDER BY saved_at DESC, MAX(rowid) DESC", (guild_id,))
        return [_saved(r) for r in rows]

    def everything(self) -> list[SavedPaper]:
        """Every paper anyone saved anywhere (the CLI export of the whole database)."""
        rows = self.db.query(
            "SELECT paper_id, MAX(title) AS title, MAX(saved_at) AS saved_at, COUNT(*) AS savers FROM reading_list"
            " GROUP BY paper_id ORDER BY saved_at DESC, MAX(rowid) DESC")
        return [_saved(r) for r in rows]

    def most_saved(self, guild_id: int, since: dt.datetime, until: dt.datetime) -> list[SavedPaper]:
        rows = self.db.query(
            "SELECT paper_id, MAX(title) AS title, MAX(saved_at) AS saved_at, COUNT(*) AS savers FROM reading_list"
            " WHERE guild_id = ? AND saved_at >= ? AND saved_at < ? GROUP BY paper_id"
            " ORDER BY savers DESC, saved_at DESC, MAX(rowid) DESC",
            (guild_id, since.isoformat(timespec="seconds"), until.isoformat(timespec="seconds")))
        return [_saved(r) for r in rows]

    # -- weekly roundup settings ----------------------------------------------------------------------

    def set_roundup(self, guild_id: int, channel_id: int, weekday: int, time_utc: str) -> None:
        self.db.execute(
            "INSERT INTO roundups (guild_id, channel_id, weekday, time_utc, created_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, weekday = excluded.weekday,"
            " time_utc = excluded.time_utc",
            (guild_id, channel_id, weekday, time_utc, _now().isoformat(timespec="seconds")))

    def stop_roundup(self, guild_id: int) -> bool:
        return self.db.execute("DELETE FROM roundups WHERE guild_id = ?", (guild_id,)).rowcount > 0

    def roundups(self) -> list[Roundup]:
        return [Roundup(guild_id=r["guild_id"], channel_id=r["channel_id"], weekday=r["weekday"],
                        time_utc=r["time_utc"],
                        last_week=dt.date.fromisoformat(r["last_week"]) if r["last_week"] else None)
                for r in self.db.query("SELECT * FROM roundups ORDER BY guild_id")]

    def roundup_posted(self, guild_id: int, week: dt.date) -> None:
        self.db.execute("UPDATE roundups SET last_week = ? WHERE guild_id = ?", (week.isoformat(), guild_id))


def _saved(row: object) -> SavedPaper:
    return SavedPaper(paper_id=row["paper_id"], title=row["title"],  # type: ignore[index]
                      saved_at=dt.datetime.fromisoformat(row["saved_at"]), savers=row["savers"])  # type: ignore[index]
