"""Searches shown with page buttons: what was asked, by whom, so that a page turn days later can redo it."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from storage.db import Database


class StoredSearch(BaseModel):
    id: int
    user_id: int
    query: str
    since: dt.date | None = None
    author: str | None = None
    created_at: dt.datetime


class SearchStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, user_id: int, query: str, since: dt.date | None, author: str | None = None) -> int:
        return self.db.insert(
            "INSERT INTO searches (user_id, query, since, author, created_at) VALUES (?, ?, ?, ?, ?)",
            (user_id, query, since.isoformat() if since else None, author,
             dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        )

    def get(self, search_id: int) -> StoredSearch | None:
        row = self.db.by_id("searches", search_id)
        if row is None:
            return None
        return StoredSearch(id=row["id"], user_id=row["user_id"], query=row["query"],
                            since=dt.date.fromisoformat(row["since"]) if row["since"] else None,
                            author=row["author"],
                            created_at=dt.datetime.fromisoformat(row["created_at"]))
