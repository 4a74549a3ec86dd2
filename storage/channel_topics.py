"""Channel topic scopes: the terms a server admin gave a channel (`/channel topic set "speech, TTS"`)."""

from __future__ import annotations

import datetime as dt

from storage.db import Database


class ChannelTopicStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def set(self, guild_id: int, channel_id: int, terms: str, at: dt.datetime | None = None) -> None:
        when = (at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
        self.db.execute(
            "INSERT INTO channel_topics (channel_id, guild_id, terms, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (channel_id) DO UPDATE SET terms = excluded.terms, updated_at = excluded.updated_at",
            (channel_id, guild_id, terms, when))

    def clear(self, channel_id: int) -> bool:
        """Remove a channel's topic; False when it had none."""
        return self.db.execute("DELETE FROM channel_topics WHERE channel_id = ?", (channel_id,)).rowcount > 0

    def get(self, channel_id: int | None) -> str | None:
        if channel_id is None:
            return None
        rows = self.db.query("SELECT terms FROM channel_topics WHERE channel_id = ?", (channel_id,))
        return str(rows[0]["terms"]) if rows else None

