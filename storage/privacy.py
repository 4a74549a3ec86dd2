"""What PaperBot keeps about people, and deleting it: the retention prune and forgetting one user.

Kept per user: questions and answers (answers, with their votes in feedback), conversation memory
(conversations and conversation_turns), paged searches, DM digest subscriptions and their history, votes
on digest items, and saved papers (reading_list). A channel digest belongs to its server: forgetting the member
who set it up keeps the digest and drops their id from it. Each operation runs in one transaction, so a crash
deletes all or nothing.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from storage.db import Database


def _stamp(moment: dt.datetime) -> str:
    # Rows are stamped `isoformat(timespec="seconds")` in UTC; the same form compares correctly as text.
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _deleted(cursor: sqlite3.Cursor) -> int:
    return max(cursor.rowcount, 0)


def prune(db: Database, older_than: dt.datetime) -> dict[str, int]:
    """Delete stored questions, answers, conversation turns and searches from before `older_than`."""
    cutoff = _stamp(older_than)
    with db.transaction() as conn:
        counts = {
            "answers": _deleted(conn.execute("DELETE FROM answers WHERE created_at < ?", (cutoff,))),
            "conversation_turns": _deleted(conn.execute(
                "DELETE FROM conversation_turns WHERE created_at < ?", (cutoff,))),
            "searches": _deleted(conn.execute("DELETE FROM searches WHERE created_at < ?", (cutoff,))),
        }
        # A DM conversation left with no turns is gone; a thread's row stays (it marks a thread PaperBot opened).
        counts["conversations"] = _deleted(conn.execute(
            "DELETE FROM conversations WHERE kind = 'dm' AND created_at < ? "
            "AND key NOT IN (SELECT key FROM conversation_turns)", (cutoff,)))
    return counts


def forget_user(db: Database, user_id: int) -> dict[str, int]:
    """Delete every row about `user_id`; returns how many rows went from each table."""
    dm_key = f"dm:{user_id}"
    with db.transaction() as conn:
        counts = {
            "feedback": _deleted(conn.execute("DELETE FROM feedback WHERE user_id = ?", (user_id,))),
            "answers": _deleted(conn.execute("DELETE FROM answers WHERE user_id = ?", (user_id,))),
            "searches": _deleted(conn.execute("DELETE FROM searches WHERE user_id = ?", (user_id,))),
            "conversation_turns": _deleted(conn.execute(
                "DELETE FROM conversation_turns WHERE key IN (SELECT key FROM conversations WHERE owner_id = ?) "
                "OR key = ?", (user_id, dm_key))),
            "conversations": _deleted(conn.execute(
                "DELETE FROM conversations WHERE owner_id = ? OR key = ?", (user_id, dm_key))),
            "digest_feedback": _deleted(conn.execute("DELETE FROM digest_feedback WHERE user_id = ?", (user_id,))),
            "reading_list": _deleted(conn.execute("DELETE FROM reading_list WHERE user_id = ?", (user_id,))),
            "digest_posted": _deleted(conn.execute("DELETE FROM digest_posted WHERE target_key = ?", (dm_key,))),
            "digest_runs": _deleted(conn.execute("DELETE FROM digest_runs WHERE target_key = ?", (dm_key,))),
            "digest_targets": _deleted(conn.execute(
                "DELETE FROM digest_targets WHERE kind = 'dm' AND (user_id = ? OR target_key = ?)",
                (user_id, dm_key))),
        }
        conn.execute("UPDATE digest_targets SET user_id = NULL WHERE user_id = ?", (user_id,))
    return counts
