"""Operations: the heartbeat `paperbot health` reads, the daily retention prune, /forget-me, /paperbot status."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from app.health import HEARTBEAT_SECONDS, beat
from app.status import ServerStatus, server_status
from bot.formatting import Outgoing, escape
from bot.replies import acknowledge, deliver
from storage.privacy import forget_user, prune

if TYPE_CHECKING:
    from bot.client import PaperBotCore

log = logging.getLogger(__name__)
# Beats closer than this in real time (perf_counter: simulators replace monotonic) are skipped: a simulated
# Discord may run hours of loop time in seconds.
MIN_REAL_GAP_SECONDS = 5.0
PRUNE_AT = dt.time(3, 30, tzinfo=dt.UTC)


class Ops(commands.Cog):
    admin = app_commands.Group(name="paperbot", description="PaperBot administration (Manage Server)",
                               guild_only=True, default_permissions=discord.Permissions(manage_guild=True))

    def __init__(self, bot: PaperBotCore) -> None:
        self.bot = bot
        self._last_beat = float("-inf")

    async def cog_load(self) -> None:
        self.heartbeat.start()
        self.daily_prune.start()

    async def cog_unload(self) -> None:
        self.heartbeat.cancel()
        self.daily_prune.cancel()

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

    @tasks.loop(time=PRUNE_AT)
    async def daily_prune(self) -> None:
        started = time.perf_counter()
        cutoff = discord.utils.utcnow() - dt.timedelta(days=self.bot.settings.retention_days)
        counts = await asyncio.to_thread(prune, self.bot.app.db, cutoff)
        log.info("retention prune", extra={"outcome": "ok", "older_than": cutoff.isoformat(timespec="seconds"),
                                           **counts, "total_ms": round((time.perf_counter() - started) * 1000, 1)})

    @app_commands.command(name="forget-me", description="Delete everything PaperBot stored about you")
    async def forget_me(self, interaction: discord.Interaction[Any]) -> None:
        await acknowledge(interaction, ephemeral=True)
        counts = await asyncio.to_thread(forget_user, self.bot.app.db, interaction.user.id)
        log.info("user forgotten", extra={"outcome": "ok", "rows": sum(counts.values())})
        await deliver(interaction, [Outgoing(content=forgotten_text(counts))])


    @admin.command(name="status", description="Last ingest and fetch, each digest's last run, LLM errors, feedback")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        if not interaction.permissions.manage_guild or interaction.guild_id is None:
            await deliver(interaction, [Outgoing(content="You need the **Manage Server** permission to see this.")],
                          ephemeral=True)
            return
        await acknowledge(interaction, ephemeral=True)
        report = await asyncio.to_thread(server_status, self.bot.app, interaction.guild_id, discord.utils.utcnow())
        await deliver(interaction, [Outgoing(embeds=[status_embed(report)])])


def status_embed(report: ServerStatus) -> discord.Embed:
    embed = discord.Embed(title="PaperBot status", colour=discord.Colour.blurple())
    if report.index_problem:
        index = report.index_problem[:1000]
    else:
        when = discord.utils.format_dt(report.last_ingest, "R") if report.last_ingest else "never"
        index = f"{report.papers or 0:,} papers, last ingest {when}"
    embed.add_field(name="Index", value=index, inline=False)
    embed.add_field(name="Last fetch", value=report.last_fetch[:1000], inline=False)
    lines = []
    for d in report.digests[:15]:
        where = f"<#{d.channel_id}>" if d.channel_id else "DM"
        last = f"{d.last_day:%Y-%m-%d} {d.outcome}" if d.last_day else d.outcome
        lines.append(f"{where} at {d.time_utc} UTC: {last}" + (f" — {escape(d.why)}" if d.why else ""))
    embed.add_field(name="Digests", value="\n".join(lines)[:1024] or "none: `/digest set` adds one", inline=False)
    llm = (f"{report.llm_fallbacks_24h} of {report.answers_24h} answers fell back to extractive"
           if report.llm_configured else f"no LLM configured ({report.answers_24h} extractive answers)")
    embed.add_field(name="LLM, last 24 h", value=llm, inline=False)
    (up, down), (dup, ddown) = report.answer_votes, report.digest_votes
    embed.add_field(name="Feedback", value=f"answers {up} 👍 · {down} 👎; digest items {dup} 👍 · {ddown} 👎",
                    inline=False)
    return embed


def forgotten_text(counts: dict[str, int]) -> str:
    parts = [f"{counts.get('answers', 0)} question(s) with their answers",
             f"{counts.get('conversation_turns', 0)} conversation turn(s)",
             f"{counts.get('searches', 0)} search(es)",
             f"{counts.get('feedback', 0) + counts.get('digest_feedback', 0)} vote(s)",
             f"{counts.get('digest_targets', 0)} DM digest subscription(s)"]
    return ("Done: I deleted " + ", ".join(parts) + ". Channel digests you set up stay (they belong to the "
            "server) without your name on them. Anything you ask from now on is kept for the retention period.")


async def setup(bot: PaperBotCore) -> None:
    await bot.add_cog(Ops(bot))
