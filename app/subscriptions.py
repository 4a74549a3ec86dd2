"""Digest subscriptions as every surface uses them: subscribe or change, list with their next slot, stop.

Each function reads and writes the state database, so callers on an event loop run it in a worker thread.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from app.wiring import App
from core.errors import PaperBotError
from digest.models import DigestRun, DigestTarget, Ranking
from digest.schedule import next_slot, today_for
from digest.selection import split_topics, topic_relevance
from digest.subscriptions import updated_target
from storage.channel_topics import ChannelTopicStore
from storage.digests import DigestStore


class Subscription(BaseModel):
    """A subscription as stored, when its next digest goes out, and its last run (if any)."""

    target: DigestTarget
    next_at: dt.datetime
    last_run: DigestRun | None = None
    channel_topic: str | None = None  # a channel digest without topics of its own picks by its channel's topic


class Subscribed(Subscription):
    created: bool
    unmatched_topics: list[str] = []


def _status(app: App, store: DigestStore, target: DigestTarget, now: dt.datetime) -> Subscription:
    served = store.served_on(target.key, today_for(target, now))
    runs = store.runs(target.key, 1)
    inherited = (ChannelTopicStore(app.db).get(target.channel_id)
                 if target.kind == "channel" and not target.topics and target.channel_id is not None else None)
    return Subscription(target=target, next_at=next_slot(target, now, app.settings.digest_grace_hours, served),
                        last_run=runs[0] if runs else None, channel_topic=inherited or None)


def unmatched_topics(app: App, topics: str | None) -> list[str]:
    """The topics no paper in the corpus is about today (e.g. an acronym the corpus only spells out)."""
    names = split_topics(topics)
    try:
        return [t for t in names if not topic_relevance(app.retriever, [t])]
    except PaperBotError:  # no index yet: the subscription still stands, there is nothing to check against
        return []


def subscribe(app: App, base: DigestTarget, *, time: dt.time | None, size: int | None, topics: str | None,
              archive: bool | None, tz: str | None = None, rank: Ranking | None = None) -> Subscribed:
    """Create or change the subscription `base` names: the options given, the old values for the rest.

    A time given without a zone is in the server's default zone (`/digest timezone`), else UTC.
    """
    store = DigestStore(app.db)
    old = store.get_target(base.key)
    if tz is None and time is not None:
        tz = store.guild_zone(base.guild_id)
    saved = store.save_target(updated_target(old, base, time=time, tz=tz, size=size, topics=topics,
                                             archive=archive, rank=rank))
    status = _status(app, store, saved, base.updated_at)
    return Subscribed(**status.model_dump(), created=old is None, unmatched_topics=unmatched_topics(app, saved.topics))


def subscriptions(app: App, now: dt.datetime, *, guild_id: int | None = None,
                  key: str | None = None) -> list[Subscription]:
    """A server's subscriptions (`guild_id`), or the one with `key` (a user's DM digest)."""
    store = DigestStore(app.db)
    if key is not None:
        found = store.get_target(key)
        targets = [found] if found else []
    else:
        targets = store.targets(guild_id)
    return [_status(app, store, target, now) for target in targets]


def subscription(app: App, key: str) -> DigestTarget | None:
    return DigestStore(app.db).get_target(key)


def unsubscribe(app: App, key: str) -> bool:
    """Stop a subscription; what it posted stays remembered, so subscribing again never repeats papers."""
    return DigestStore(app.db).delete_target(key)


def set_server_zone(app: App, guild_id: int, tz: str, now: dt.datetime) -> None:
    DigestStore(app.db).set_guild_zone(guild_id, tz, now)


def server_zone(app: App, guild_id: int | None) -> str:
    return DigestStore(app.db).guild_zone(guild_id) or "UTC"
