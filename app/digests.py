"""The steps shared by the scheduler, `/digest now` and the CLI: pick a target's papers, compose a preview."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable

from digest.compose import DigestEngine, compose
from digest.models import Digest, DigestTarget
from digest.selection import PaperSource, Selection, select
from storage.digests import DigestStore


def feedback_for(
    store: DigestStore, target: DigestTarget, guild_dislikes: Iterable[str] = ()
) -> tuple[list[str], list[str]]:
    """(liked, disliked) steering a target: its server's 👎 for a channel, the user's own 👍/👎 for DMs.

    `guild_dislikes` adds 👎 the server's members gave elsewhere (e.g. on answers).
    """
    if target.kind == "dm" and target.user_id is not None:
        ratings = store.user_ratings(target.user_id)
        return [p for p, v in ratings.items() if v > 0], [p for p, v in ratings.items() if v < 0]
    if target.guild_id is not None:
        return [], list(dict.fromkeys([*store.guild_dislikes(target.guild_id), *guild_dislikes]))
    return [], []


async def pick_for(
    source: PaperSource,
    store: DigestStore,
    target: DigestTarget,
    day: dt.date,
    *,
    new_days: int | None = None,
    guild_dislikes: Iterable[str] = (),
) -> Selection:
    """The target's next papers. Runs in a worker thread: search and embedding are CPU work."""
    liked, disliked = feedback_for(store, target, guild_dislikes)
    posted = store.posted_ids(target.key)
    return await asyncio.to_thread(
        select,
        source,
        posted=posted,
        size=target.size,
        day=day,
        topics=target.topics,
        liked=liked,
        disliked=disliked,
        archive=target.archive,
        new_days=new_days,
    )


async def preview(
    source: PaperSource,
    engine: DigestEngine,
    *,
    day: dt.date,
    size: int,
    topics: str | None = None,
    since: dt.date | None = None,
    new_days: int | None = None,
) -> Digest:
    """What a fresh channel with these settings would receive today (nothing posted yet, no feedback)."""
    selection = await asyncio.to_thread(
        select,
        source,
        posted=set(),
        size=size,
        day=day,
        topics=topics,
        new_days=new_days,
        since=since,
    )
    return await compose(engine, selection, day=day, topics=topics)
