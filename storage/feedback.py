"""Delivered answers and the 👍/👎 votes on them.

Answers are stored so that a button pressed days later (or after a restart) still finds what it refers to:
the button's custom id carries only the answer id. The digest reads the votes to lower papers a server
disliked.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal

from pydantic import BaseModel, Field

from core.models import Answer, AnswerMode, Citation
from storage.db import Database

Surface = Literal["slash", "dm", "thread", "channel", "console"]
Vote = Literal[-1, 1]


class StoredAnswer(BaseModel):
    id: int
    surface: str
    question: str
    answer: str
    mode: AnswerMode
    citations: list[Citation] = Field(default_factory=list)
    user_id: int | None = None
    guild_id: int | None = None
    channel_id: int | None = None
    created_at: dt.datetime

    @property
    def cited_ids(self) -> list[str]:
        return [c.id for c in self.citations]


class VoteTally(BaseModel):
    up: int = 0
    down: int = 0
    withdrawn: bool = False  # this vote took back the voter's earlier, identical one


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class FeedbackStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record_answer(self, answer: Answer, *, surface: Surface, user_id: int | None = None,
                      guild_id: int | None = None, channel_id: int | None = None) -> int:
        citations = json.dumps([c.model_dump(mode="json") for c in answer.citations])
        return self.db.insert(
            "INSERT INTO answers (surface, question, answer, mode, citations, user_id, guild_id, channel_id,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (surface, answer.question, answer.answer, answer.mode, citations, user_id, guild_id, channel_id,
             _now()),
        )

    def get_answer(self, answer_id: int) -> StoredAnswer | None:
        row = self.db.by_id("answers", answer_id)
        if row is None:
            return None
        return StoredAnswer(
            id=row["id"], surface=row["surface"], question=row["question"], answer=row["answer"],
            mode=row["mode"], citations=[Citation.model_validate(c) for c in json.loads(row["citations"])],
            user_id=row["user_id"], guild_id=row["guild_id"], channel_id=row["channel_id"],
            created_at=dt.datetime.fromisoformat(row["created_at"]),
        )

    def vote(self, answer_id: int, user_id: int, vote: Vote, *, guild_id: int | None = None,
             at: dt.datetime | None = None) -> VoteTally:
        """Record a vote; the same vote again withdraws it (the tally says which happened)."""
        now = at.astimezone(dt.UTC).isoformat(timespec="seconds") if at else _now()
        with self.db.transaction() as conn:
            row = conn.execute("SELECT vote FROM feedback WHERE answer_id = ? AND user_id = ?",
                               (answer_id, user_id)).fetchone()
            if row is not None and int(row["vote"]) == vote:
                conn.execute("DELETE FROM feedback WHERE answer_id = ? AND user_id = ?", (answer_id, user_id))
            else:
                conn.execute(
                    "INSERT INTO feedback (answer_id, user_id, vote, guild_id, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (answer_id, user_id)"
                    " DO UPDATE SET vote = excluded.vote, updated_at = excluded.updated_at",
                    (answer_id, user_id, vote, guild_id, now, now))
        tally = self.tally(answer_id)
        tally.withdrawn = row is not None and int(row["vote"]) == vote
        return tally

    def tally(self, answer_id: int) -> VoteTally:
        row = self.db.query(
            "SELECT COALESCE(SUM(vote = 1), 0) AS up, COALESCE(SUM(vote = -1), 0) AS down"
            " FROM feedback WHERE answer_id = ?",
            (answer_id,),
        )[0]
        return VoteTally(up=row["up"], down=row["down"])

    def paper_votes(self, *, guild_id: int | None = None, user_id: int | None = None) -> dict[str, int]:
        """Net vote per cited paper id (negative = disliked), over one server's or one user's feedback."""
        clauses, params = [], []
        if guild_id is not None:
            clauses.append("f.guild_id = ?")
            params.append(guild_id)
        if user_id is not None:
            clauses.append("f.user_id = ?")
            params.append(user_id)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self.db.query(
            f"SELECT a.citations, f.vote FROM feedback f JOIN answers a ON a.id = f.answer_id{where}", tuple(params)
        )
        totals: dict[str, int] = {}
        for row in rows:
            for citation in json.loads(row["citations"]):
                totals[citation["id"]] = totals.get(citation["id"], 0) + int(row["vote"])
        return totals

    def likes_between(self, guild_id: int, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
        """👍 per cited paper on answers given in a server within a time window (the weekly roundup)."""
        rows = self.db.query(
            "SELECT a.citations FROM feedback f JOIN answers a ON a.id = f.answer_id"
            " WHERE f.guild_id = ? AND f.vote = 1 AND f.updated_at >= ? AND f.updated_at < ?",
            (guild_id, since.astimezone(dt.UTC).isoformat(timespec="seconds"),
             until.astimezone(dt.UTC).isoformat(timespec="seconds")))
        totals: dict[str, int] = {}
        for row in rows:
            for citation in json.loads(row["citations"]):
                totals[citation["id"]] = totals.get(citation["id"], 0) + 1
        return totals
