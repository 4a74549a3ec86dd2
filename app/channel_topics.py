"""Channel topics: a server admin's topic scope for one channel, which /ask and /search there prefer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from app.subscriptions import unmatched_topics
from core.errors import InputError
from digest.models import DigestTarget
from digest.selection import split_topics
from digest.subscriptions import CLEAR_TOPICS, clean_topics
from storage import Database
from storage.channel_topics import ChannelTopicStore

if TYPE_CHECKING:
    from app.wiring import App


class TopicSet(BaseModel):
    """What `/channel topic set` stored, and the terms no paper of the corpus is about yet."""

    topics: list[str]
    unmatched: list[str] = []


def set_topic(app: App, guild_id: int, channel_id: int, text: str) -> TopicSet:
    """Store a channel's topic terms ("speech, TTS"); an empty or "none" text is refused (clear removes one)."""
    cleaned = clean_topics(text) or ""
    topics = split_topics(cleaned)
    if not topics or cleaned.casefold() in CLEAR_TOPICS:
        raise InputError('Give the topic as a few comma-separated terms, e.g. "speech, TTS"; '
                         "/channel topic clear removes it.")
    ChannelTopicStore(app.db).set(guild_id, channel_id, ", ".join(topics))
    return TopicSet(topics=topics, unmatched=unmatched_topics(app, ", ".join(topics)))


def clear_topic(app: App, channel_id: int) -> bool:
    return ChannelTopicStore(app.db).clear(channel_id)


def channel_topic(app: App, channel_id: int | None, parent_id: int | None = None) -> list[str]:
    """The topic terms of a channel (a thread has its parent channel's), or [] when it has none."""
    store = ChannelTopicStore(app.db)
    terms = store.get(channel_id) or store.get(parent_id)
    return split_topics(terms)


def with_channel_topic(db: Database, target: DigestTarget) -> DigestTarget:
    """A channel digest without topics of its own takes its channel's topic."""
    if target.kind != "channel" or target.topics or target.channel_id is None:
        return target
    terms = ChannelTopicStore(db).get(target.channel_id)
    return target.model_copy(update={"topics": terms}) if terms else target
