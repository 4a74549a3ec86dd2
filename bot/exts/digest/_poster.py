"""Posting digests exactly once per run, and recovering runs a crash left unfinished.

Each run is recorded *pending* before anything is posted and *done* after. After a crash between the two,
the channel's recent bot messages are searched for the run's marker (every digest message carries it,
invisibly, in its footer: `_marker`) before anything is posted again. Database work runs in worker threads,
off the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import discord

from app.channel_topics import with_channel_topic
from app.digests import pick_for
from bot.errors import log_failure
from bot.exts.digest._components import digest_view
from bot.exts.digest._marker import reveal
from bot.exts.digest._render import digest_messages
from bot.permissions import DIGEST_CHANNEL_PERMISSIONS, missing
from bot.replies import send_each
from core.errors import PaperBotError
from digest.compose import compose
from digest.models import Digest, DigestRun, DigestTarget, RunState, RunTrigger
from digest.schedule import Action, due_day, plan
from storage.digests import DigestStore

if TYPE_CHECKING:
    from bot.client import PaperBotCore

log = logging.getLogger(__name__)
T = TypeVar("T")

MARKER_SEARCH_DEPTH = 50
CONCURRENT_POSTS = 4


class TargetUnavailable(PaperBotError):
    """The channel (or user) a digest goes to cannot be reached; `gone` when it no longer exists."""

    def __init__(self, message: str, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone


def find_marker(messages: Sequence[discord.Message], marker: str, bot_id: int) -> list[int]:
    """Ids of the bot's messages that belong to the digest run with this marker (oldest first)."""
    found = []
    for message in messages:
        if message.author.id != bot_id:
            continue
        if any(marker in reveal(e.footer.text or "") for e in message.embeds):
            found.append(message.id)
    return sorted(found)


class Poster:
    """Posts digests exactly once per run: pending before posting, done after, recovered after a crash."""

    def __init__(self, bot: PaperBotCore) -> None:
        self.bot = bot
        self.store = DigestStore(bot.app.db)
        self.busy: set[str] = set()
        self._slots = asyncio.Semaphore(CONCURRENT_POSTS)

    @property
    def grace(self) -> float:
        return self.bot.settings.digest_grace_hours

    async def _db(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(call, *args)

    async def channel_for(self, target: DigestTarget) -> discord.abc.Messageable:
        where = f"<#{target.channel_id}>" if target.kind == "channel" else "your DMs"
        try:
            if target.kind == "dm":
                assert target.user_id is not None
                user = self.bot.get_user(target.user_id) or await self.bot.fetch_user(target.user_id)
                return user.dm_channel or await user.create_dm()
            assert target.channel_id is not None
            channel = self.bot.get_channel(target.channel_id) or await self.bot.fetch_channel(target.channel_id)
        except discord.NotFound:
            raise TargetUnavailable(f"{where} no longer exists", gone=True) from None
        except discord.HTTPException as exc:
            raise TargetUnavailable(f"{where} cannot be reached (HTTP {exc.status})") from None
        if not isinstance(channel, discord.abc.Messageable):
            raise TargetUnavailable(f"{where} is not a channel I can post in", gone=True)
        if isinstance(channel, discord.abc.GuildChannel):
            lacking = missing(channel, channel.guild.me, DIGEST_CHANNEL_PERMISSIONS)
            if lacking:
                raise TargetUnavailable(f"I'm missing the {', '.join(lacking)} permission in {where}")
        return channel

    async def execute(self, action: Action) -> None:
        key = action.target.key
        if key in self.busy:
            return
        self.busy.add(key)
        try:
            async with self._slots:
                if action.kind == "recover":
                    assert action.run is not None
                    await self._recover(action.target, action.run)
                else:
                    await self.post(action.target, action.day, "schedule", retry=action.run)
        except TargetUnavailable:
            pass  # logged where it was found, with the reason
        finally:
            self.busy.discard(key)

    async def _give_up(self, target: DigestTarget, day: dt.date, trigger: RunTrigger, retry_id: int | None,
                       state: RunState, reason: str) -> None:
        """Record a run that posted nothing: `retry` lets a later tick try again, `failed` does not."""
        now = discord.utils.utcnow()
        run = await self._db(lambda: self.store.begin_run(target.key, day, trigger, [], target.channel_id, now,
                                                          run_id=retry_id))
        await self._db(self.store.end_run, run.id, state, now, reason[:300])

    async def post(
        self, target: DigestTarget, day: dt.date, trigger: RunTrigger, retry: DigestRun | None = None
    ) -> tuple[DigestRun, Digest]:
        """Select, record pending, compose, send, record done. Returns the run and what was posted."""
        retry_id = retry.id if retry else None
        target = await self._db(with_channel_topic, self.bot.app.db, target)
        try:
            channel = await self.channel_for(target)
            selection = await asyncio.to_thread(pick_for, self.bot.app.retriever, self.bot.app.db, target, day,
                                                new_days=self.bot.settings.digest_new_days)
        except TargetUnavailable as exc:
            await self._give_up(target, day, trigger, retry_id, "failed", str(exc))
            if exc.gone:
                await self._db(self.store.delete_target, target.key)
            log.warning("digest not posted", extra={"target": target.key, "reason": str(exc), "stopped": exc.gone})
            raise
        except Exception as exc:
            # Recorded, then raised on to the error log: the index or the database failed before anything was
            # posted, so a later tick may try again.
            await self._give_up(target, day, trigger, retry_id, "retry", f"{type(exc).__name__}: {exc}")
            raise
        channel_id = getattr(channel, "id", target.channel_id)
        now = discord.utils.utcnow()
        run = await self._db(lambda: self.store.begin_run(target.key, day, trigger, [p.id for p in selection.papers],
                                                          channel_id, now, run_id=retry_id))
        digest = await compose(self.bot.app.digest_writer, selection, day=day, topics=target.topics, marker=run.marker)
        view = digest_view(run.id, digest) if digest.items else None
        sent: list[discord.Message] = []
        try:
            async for message in send_each(channel, digest_messages(digest), view=view):
                sent.append(message)
        except discord.HTTPException as exc:
            finished = discord.utils.utcnow()
            if sent:
                # Part of it is out: count it as posted rather than ever posting those papers again.
                await self._db(self.store.finish_run, run.id, [m.id for m in sent], finished)
            else:
                state: RunState = "failed" if isinstance(exc, discord.Forbidden | discord.NotFound) else "retry"
                await self._db(self.store.end_run, run.id, state, finished, f"HTTP {exc.status}: {exc.text}"[:300])
            raise
        await self._db(self.store.finish_run, run.id, [m.id for m in sent], discord.utils.utcnow())
        log.info("digest posted", extra={
            "target": target.key, "run": run.id, "day": day.isoformat(), "papers": len(digest.items),
            "messages": len(sent), "trigger": trigger, "overview": digest.overview_mode})
        done = await self._db(self.store.get_run, run.id)
        assert done is not None
        return done, digest

    async def _recover(self, target: DigestTarget, run: DigestRun) -> None:
        """A run left pending by an earlier process: posted or not? The channel says."""
        now = discord.utils.utcnow()
        try:
            channel = await self.channel_for(target)
            history = [m async for m in channel.history(limit=MARKER_SEARCH_DEPTH)]
        except (TargetUnavailable, discord.HTTPException) as exc:
            # Unverifiable: not posting is the lesser harm than posting twice.
            await self._db(self.store.end_run, run.id, "failed", now,
                           f"could not check whether it was posted: {exc}"[:300])
            log.warning("digest run could not be recovered", extra={"target": target.key, "run": run.id})
            return
        bot_id = self.bot.user.id if self.bot.user else 0
        found = find_marker(history, run.marker, bot_id)
        if found:
            await self._db(self.store.finish_run, run.id, found, now)
            log.info("digest run recovered: it had been posted", extra={"target": target.key, "run": run.id})
            return
        if run.day == due_day(target, now, self.grace):
            log.info("digest run recovered: not posted, posting now", extra={"target": target.key, "run": run.id})
            await self.post(target, run.day, run.trigger, retry=run)
            return
        await self._db(self.store.end_run, run.id, "missed", now, "interrupted before posting; its day has passed")
        log.info("digest run recovered: not posted and too late", extra={"target": target.key, "run": run.id})

    async def tick(self) -> None:
        """Post or recover whatever is due now; one failing target does not hold up the others."""
        now = discord.utils.utcnow()
        targets = await self._db(self.store.targets)
        runs = await self._db(self.store.runs_to_consider, now.date())
        actions = plan(targets, runs, now, self.grace, busy=self.busy)
        outcomes = await asyncio.gather(*(self.execute(a) for a in actions), return_exceptions=True)
        for action, outcome in zip(actions, outcomes, strict=True):
            if isinstance(outcome, Exception):
                log_failure("digest action", outcome, target=action.target.key, action=action.kind,
                            day=action.day.isoformat())
            elif isinstance(outcome, BaseException):
                raise outcome  # cancellation: the cog is unloading
