"""The steps shared by the scheduler, `/digest now` and the CLI: pick a target's papers, compose a preview."""

from __future__ import annotations

import asyncio
import datetime as dt

from digest.compose import DigestEngine, compose
from digest.models import Digest, DigestTarget, Ranking
from digest.selection import PaperSource, Selection, select
from storage import Database
from storage.digests import DigestStore
from storage.feedback import FeedbackStore


def feedback_for(db: Database, target: DigestTarget) -> tuple[list[str], list[str]]:
    """(liked, disliked) steering a target: its server's 👎 for a channel, the user's own 👍/👎 for DMs.

    A channel's dislikes are the 👎 its server gave digest papers and the papers of answers it voted down.
    """
    store = DigestStore(db)
    if target.kind == "dm" and target.user_id is not None:
        ratings = store.user_ratings(target.user_id)
        return [p for p, v in ratings.items() if v > 0], [p for p, v in ratings.items() if v < 0]
    if target.guild_id is not None:
        answers = FeedbackStore(db).paper_votes(guild_id=target.guild_id)
        disliked_answers = [paper_id for paper_id, net in answers.items() if net < 0]
        return [], list(dict.fromkeys([*store.guild_dislikes(target.guild_id), *disliked_answers]))
    return [], []


def pick_for(source: PaperSource, db: Database, target: DigestTarget, day: dt.date, *,
             new_days: int | None = None) -> Selection:
    """The target's next papers. Blocking (database reads, search and embedding): run it in a worker thread."""
    liked, disliked = feedback_for(db, target)
    posted = DigestStore(db).posted_ids(target.key)
    return select(source, posted=posted, size=target.size, day=day, topics=target.topics, liked=liked,
                  disliked=disliked, archive=target.archive, new_days=new_days, by=target.rank)


async def preview(
    source: PaperSource,
    engine: DigestEngine,
    *,
    day: dt.date,
    size: int,
    topics: str | None = None,
    since: dt.date | None = None,
    new_days: int | None = None,
    rank: Ranking = "relevance",
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
        by=rank,
    )
    return await compose(engine, selection, day=day, topics=topics)
