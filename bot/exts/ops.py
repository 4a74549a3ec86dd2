"""Operations: the heartbeat `paperbot health` reads."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from app.health import HEARTBEAT_SECONDS, beat

if TYPE_CHECKING:
    from bot.client import PaperBotCore

log = logging.getLogger(__name__)
# Beats closer than this in real time (perf_counter: simulators replace monotonic) are skipped: a simulated
# Discord may run hours of loop time in seconds.
MIN_REAL_GAP_SECONDS = 5.0


class Ops(commands.Cog):
    def __init__(self, bot: PaperBotCore) -> None:
        self.bot = bot
        self._last_beat = float("-inf")

    async def cog_load(self) -> None:
        self.heartbeat.start()

    async def cog_unload(self) -> None:
        self.heartbeat.cancel()

    @tasks.loop(seconds=HEARTBEAT_SECONDS)
    async def heartbeat(self) -> None:
        if time.perf_counter() - self._last_beat < MIN_REAL_GAP_SECONDS:
            return
        self._last_beat = time.perf_counter()
        try:
            await asyncio.to_thread(beat, self.bot.settings)
        except OSError as exc:  # a full or read-only disk: the health check will report the stale beat
            log.warning("heartbeat not written", extra={"reason": str(exc)})

    @heartbeat.before_loop
    async def _connected(self) -> None:
        await self.bot.wait_until_ready()  # healthy means connected to Discord, not merely started


async def setup(bot: PaperBotCore) -> None:
    await bot.add_cog(Ops(bot))
