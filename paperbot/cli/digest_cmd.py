"""`paperbot digest --preview [--topics T] [--size N] [--since D] [--date D] [--rank R] [--json]`; else: schedules."""

from __future__ import annotations

import argparse
import datetime as dt

from core.dates import SINCE_HELP
from core.settings import Settings
from digest.models import Ranking


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preview",
        action="store_true",
        help="print today's digest as a new channel would receive it (posts nothing)",
    )
    parser.add_argument(
        "--topics",
        metavar="TEXT",
        help="interests, comma-separated (e.g. 'long context, RLHF'); only relevant papers",
    )
    parser.add_argument(
        "--size", type=int, default=None, metavar="N", help="papers in the digest (1-10, default 5)"
    )
    parser.add_argument("--since", metavar="WHEN", help=f"only papers listed on or after {SINCE_HELP}")
    parser.add_argument(
        "--rank",
        choices=("relevance", "upvotes"),
        default=None,
        help="order: relevance (default) or upvotes (most Hugging Face upvotes first; topics still filter)",
    )
    parser.add_argument("--json", action="store_true", help="print the digest as JSON")
    parser.add_argument("--date", type=_day, metavar="YYYY-MM-DD",
                        help="preview the digest of that day instead of today (e.g. to reproduce one)")


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def run(args: argparse.Namespace, settings: Settings) -> int:
    from core.errors import InputError

    if not args.preview:
        if args.topics or args.size or args.since or args.rank or args.json or args.date:
            raise InputError("--topics, --size, --since, --rank, --json and --date go with --preview")
        return _list_schedules(settings)
    from digest.models import DEFAULT_SIZE, MAX_SIZE, MAX_TOPICS_CHARS

    size = DEFAULT_SIZE if args.size is None else args.size
    if not 1 <= size <= MAX_SIZE:
        raise InputError(f"--size must be between 1 and {MAX_SIZE}")
    topics = " ".join((args.topics or "").split()) or None
    if topics and len(topics) > MAX_TOPICS_CHARS:
        raise InputError(f"--topics is limited to {MAX_TOPICS_CHARS} characters")
    day = args.date or dt.datetime.now(dt.UTC).date()
    return _preview(settings, day=day, topics=topics, size=size, since=args.since, rank=args.rank or "relevance",
                    as_json=args.json)


def _preview(settings: Settings, *, day: dt.date, topics: str | None, size: int, since: str | None, rank: Ranking,
             as_json: bool) -> int:
    import asyncio

    from app.digests import preview
    from app.wiring import App
    from core.dates import parse_since
    from digest.render import digest_text

    app = App(settings)
    digest = asyncio.run(
        preview(
            app.retriever,
            app.digest_writer,
            day=day,
            size=size,
            topics=topics,
            since=parse_since(since),
            new_days=settings.digest_new_days,
            rank=rank,
        )
    )
    print(digest.model_dump_json(indent=2) if as_json else digest_text(digest))
    return 0


def _list_schedules(settings: Settings) -> int:
    from digest.schedule import next_slot
    from storage import open_database
    from storage.digests import DigestStore

    store = DigestStore(open_database(settings.state_db)) if settings.state_db.exists() else None
    targets = store.targets() if store else []
    if store is None or not targets:
        print(
            "No digest is scheduled yet: use /digest set in Discord. Preview one: paperbot digest --preview"
        )
        return 0
    now = dt.datetime.now(dt.UTC)
    for t in targets:
        where = (
            f"channel {t.channel_id} (server {t.guild_id})"
            if t.kind == "channel"
            else f"DM to user {t.user_id}"
        )
        upcoming = next_slot(t, now, settings.digest_grace_hours, store.served_on(t.key, now.date()))
        runs = store.runs(t.key, limit=1)
        last = f"last: {runs[0].day} {runs[0].state}" if runs else "never posted yet"
        topics = (f", topics: {t.topics}" if t.topics else "") + (", most upvoted first" if t.rank == "upvotes" else "")
        print(
            f"{where}: {t.time:%H:%M} UTC, {t.size} papers{topics}; "
            f"next {upcoming:%Y-%m-%d %H:%M} UTC; {last}"
        )
    return 0
