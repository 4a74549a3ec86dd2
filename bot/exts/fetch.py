"""The daily fetch of new papers, run in the bot: fetch + ingest in a worker thread, never blocking anything.

The bot keeps answering from the index it has while the job runs (an ingest becomes visible only once it
is committed whole) and a digest due meanwhile posts from that index.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from app.daily_fetch import DailyFetch
from app.fetching import FetchReport
from storage.digests import DigestStore

if TYPE_CHECKING:
    from bot.client import PaperBotCore

log = logging.getLogger(__name__)


class Fetching(commands.Cog):
    def __init__(self, bot: PaperBotCore) -> None:
        self.bot = bot
        self.job = DailyFetch(bot.settings)
        # Its own thread: a fetch can take minutes and must not hold a slot of the loop's shared executor,
        # which every command's database and search calls use.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="daily-fetch")
        self.last_report: FetchReport | None = None

    async def cog_load(self) -> None:
        self.scheduler.start()

    async def cog_unload(self) -> None:
        self.scheduler.cancel()
        self._worker.shutdown(wait=False, cancel_futures=True)

    @tasks.loop(minutes=1)
    async def scheduler(self) -> None:
        now = discord.utils.utcnow()
        targets = await asyncio.to_thread(DigestStore(self.bot.app.db).targets)
        if not self.job.due(now, [t.time for t in targets]):
            return
        self.job.running = True
        report: FetchReport | None = None
        error: str | None = None
        try:
            report = self.last_report = await self.run_job(now.date())
        except Exception as exc:  # the job must survive anything one run does; the reason is logged and shown
            error = str(exc) or type(exc).__name__
            log.exception("daily fetch crashed")
        finally:
            self.job.running = False
            self.job.finished(discord.utils.utcnow(), report, error)

    async def run_job(self, day: dt.date) -> FetchReport:
        """The fetch and ingest of `day`, awaited without blocking the loop."""
        return await asyncio.wrap_future(self._worker.submit(self.job.run, day))

    @scheduler.before_loop
    async def _ready(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: PaperBotCore) -> None:
    await bot.add_cog(Fetching(bot))
