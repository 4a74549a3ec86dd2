"""Conversation memory: the last turns of a DM or an answer thread, so follow-ups know what came before.

A conversation is keyed by where it happens ('dm:<user id>', 'thread:<thread id>'). A thread's row also
marks the thread as one PaperBot opened, which is how replies in it are recognised as follow-ups.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Literal

from core.models import Turn
from storage.db import Database

ConversationKind = Literal["dm", "thread"]

# Older turns are pruned: follow-ups only ever use the last few, and memory must not grow without bound.
_KEEP_TURNS = 50


def dm_conversation_key(user_id: int) -> str:
    return f"dm:{user_id}"


def thread_conversation_key(thread_id: int) -> str:
    return f"thread:{thread_id}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def open(self, key: str, kind: ConversationKind, owner_id: int | None = None) -> None:
        self.db.execute(
            "INSERT INTO conversations (key, kind, owner_id, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (key) DO NOTHING",
            (key, kind, owner_id, _now()),
        )

    def exists(self, key: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM conversations WHERE key = ?", (key,)))

    def history(self, key: str, limit: int, anchor: int | None = None) -> list[Turn]:
        """The last `limit` turns, oldest first; with `anchor` (the id of a message a user replied to), the
        turns up to the one answered by that message, so a reply to an older answer follows on from it."""
        if limit <= 0:
            return []
        upto = None
        if anchor is not None:
            found = self.db.query(
                "SELECT conversation_turns.id FROM conversation_turns, json_each(conversation_turns.message_ids)"
                " WHERE conversation_turns.key = ? AND json_each.value = ?", (key, anchor))
            upto = found[0]["id"] if found else None
        rows = self.db.query(
            "SELECT question, answer, cited_ids FROM conversation_turns WHERE key = ? AND id <= ?"
            " ORDER BY id DESC LIMIT ?",
            (key, upto if upto is not None else 2**63 - 1, limit),
        )
        return [Turn(question=r["question"], answer=r["answer"], cited_ids=json.loads(r["cited_ids"]))
                for r in reversed(rows)]

    def append(self, key: str, turn: Turn, kind: ConversationKind = "dm", owner_id: int | None = None,
               message_ids: Sequence[int] = ()) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO conversations (key, kind, owner_id, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO NOTHING",
                (key, kind, owner_id, _now()),
            )
            conn.execute(
                "INSERT INTO conversation_turns (key, question, answer, cited_ids, message_ids, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key, turn.question, turn.answer, json.dumps(turn.cited_ids), json.dumps(list(message_ids)), _now()),
            )
            conn.execute(
                "DELETE FROM conversation_turns WHERE key = ? AND id NOT IN"
                " (SELECT id FROM conversation_turns WHERE key = ? ORDER BY id DESC LIMIT ?)",
                (key, key, _KEEP_TURNS),
            )

    def reset(self, key: str) -> int:
        """Forget the turns (the conversation itself stays, so a thread remains PaperBot's)."""
        return int(self.db.execute("DELETE FROM conversation_turns WHERE key = ?", (key,)).rowcount)

    def mark_hinted(self, key: str) -> bool:
        """True the first time only: used to explain once per thread how to address the bot."""
        cursor = self.db.execute("UPDATE conversations SET hinted = 1 WHERE key = ? AND hinted = 0", (key,))
        return cursor.rowcount > 0
