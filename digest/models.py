"""The digest's data: who gets one and when (targets, runs) and what one contains (Digest).

`Digest` is the single composed form that the Discord layer and the terminal both render, so a preview in the
terminal shows exactly what a channel would receive.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from core.models import AnswerMode

DEFAULT_TIME = dt.time(9, 0)
DEFAULT_SIZE = 5
MAX_SIZE = 10
MAX_TOPICS_CHARS = 300

TargetKind = Literal["channel", "dm"]
RunState = Literal["pending", "done", "retry", "failed", "missed"]
RunTrigger = Literal["schedule", "manual"]
Source = Literal["new", "archive", "none"]
# How a digest orders its candidates: relevance (topics, feedback, listing order) or Daily Papers upvotes.
Ranking = Literal["relevance", "upvotes"]
RANKINGS: tuple[Ranking, ...] = ("relevance", "upvotes")


def channel_target_key(channel_id: int) -> str:
    return f"channel:{channel_id}"


def dm_target_key(user_id: int) -> str:
    return f"dm:{user_id}"


class DigestTarget(BaseModel):
    """One subscription: a server channel, or one user's direct messages."""

    key: str
    kind: TargetKind
    guild_id: int | None = None
    channel_id: int | None = Field(default=None, description="where it is posted; for DMs, the DM channel")
    user_id: int | None = Field(default=None, description="DM recipient, or who configured a channel digest")
    time: dt.time = Field(default=DEFAULT_TIME, description="time of day in `tz`")
    tz: str = Field(default="UTC", description="IANA zone name, 'UTC' or 'UTC+05:30' (digest.timezones)")
    size: int = Field(default=DEFAULT_SIZE, ge=1, le=MAX_SIZE)
    topics: str | None = None
    archive: bool = False
    rank: Ranking = Field(default="relevance", description="'upvotes': most upvoted first, topics still filtering")
    active_from: dt.datetime = Field(description="a slot earlier than this (UTC) is not owed a digest")
    created_at: dt.datetime
    updated_at: dt.datetime


class DigestRun(BaseModel):
    """One attempt at a digest for a target and UTC day, recorded before anything is posted."""

    id: int
    target_key: str
    day: dt.date
    trigger: RunTrigger
    state: RunState
    paper_ids: list[str] = Field(default_factory=list)
    message_ids: list[int] = Field(default_factory=list)
    attempts: int = 0
    error: str | None = None
    created_at: dt.datetime
    finished_at: dt.datetime | None = None

    @property
    def marker(self) -> str:
        return digest_marker(self.day, self.id)


def digest_marker(day: dt.date, run_id: int) -> str:
    """Text carried by every message of a posted digest, found again after a crash to avoid re-posting."""
    return f"digest {day.isoformat()} #{run_id}"


class DigestItem(BaseModel):
    n: int
    id: str
    title: str
    date: dt.date | None = None
    tldr: str
    urls: list[str] = Field(default_factory=list)
    upvotes: int | None = Field(default=None, description="Hugging Face Daily Papers upvotes, where listed there")
    byline: str | None = Field(default=None, description="first author and year, e.g. 'Zhang et al., 2024'")
    relevance: float | None = Field(default=None, description="relevance to the topics, when there are any")


class Digest(BaseModel):
    """A composed digest, ready to render."""

    day: dt.date
    topics: str | None = None
    source: Source
    overview: str = Field(default="", description="2-3 sentences, [n] refers to items[n-1]")
    overview_mode: AnswerMode | None = None
    fallback_reason: str | None = None
    items: list[DigestItem] = Field(default_factory=list)
    notice: str | None = Field(default=None, description="the short line when there is nothing to post")
    marker: str | None = None

    @property
    def empty(self) -> bool:
        return not self.items
