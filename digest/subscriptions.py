"""How a digest subscription changes: options given now merged over the old subscription's values."""

from __future__ import annotations

import datetime as dt

from core.errors import InputError
from digest.models import DEFAULT_SIZE, DEFAULT_TIME, MAX_TOPICS_CHARS, DigestTarget, Ranking

# Typed as the topics option, these remove the topics (every paper qualifies again).
CLEAR_TOPICS = {"none", "off", "-", "clear"}


def clean_topics(topics: str | None) -> str | None:
    """The topics option on one line, or an InputError when it is too long to be a few key phrases."""
    if topics is None:
        return None
    text = " ".join(topics.split())
    if len(text) > MAX_TOPICS_CHARS:
        raise InputError(f"Topics are limited to {MAX_TOPICS_CHARS} characters; keep to a few key phrases.")
    return text


def updated_target(
    old: DigestTarget | None,
    base: DigestTarget,
    *,
    time: dt.time | None,
    size: int | None,
    tz: str | None = None,
    topics: str | None,
    archive: bool | None,
    rank: Ranking | None = None,
) -> DigestTarget:
    """`base` (where, who, when now) with the options given, the old subscription's values for the rest.

    Changing the time restarts the schedule from now, so a new time already past today starts tomorrow. A DM
    subscription changed from a server keeps the DM channel it already has (`base.channel_id` is None).
    """
    now = base.updated_at
    when = time or (old.time if old else DEFAULT_TIME)
    zone = tz or (old.tz if old else base.tz)
    if topics is not None:
        new_topics = None if topics.casefold() in CLEAR_TOPICS else topics
    else:
        new_topics = old.topics if old else None
    channel_id = base.channel_id if base.channel_id is not None else (old.channel_id if old else None)
    return base.model_copy(
        update={
            "time": when,
            "tz": zone,
            "size": size or (old.size if old else DEFAULT_SIZE),
            "topics": new_topics,
            "archive": archive if archive is not None else (old.archive if old else False),
            "rank": rank or (old.rank if old else "relevance"),
            "channel_id": channel_id,
            "active_from": now if old is None or (old.time, old.tz) != (when, zone) else old.active_from,
        }
    )
