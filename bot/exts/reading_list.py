"""Reading lists on Discord: /save, /list, /export, and the opt-in weekly roundup (/roundup, Manage Server)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import tasks

from app import reading_list as lists
from app.export import ExportFormat
from app.papers import title_choices
from bot.formatting import FIELD_VALUE_LIMIT, NO_MENTIONS, clip, escape, pack_lines
from bot.list_views import LIST_ITEMS, list_page
from bot.persistent import ComponentsCog
from bot.render import COLOURS
from bot.replies import acknowledge, send_ephemeral
from bot.saving import SAVE_ITEMS, saved_line
from core.errors import InputError
from digest.schedule import parse_time
from storage.reading_list import ReadingListStore, Roundup, Scope

if TYPE_CHECKING:
    from bot.client import PaperBotCore

log = logging.getLogger(__name__)

EMPTY = "the list is empty. Save papers with 🔖 Save or /save."
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def roundup_embed(guild_name: str, roundup: lists.WeeklyRoundup) -> discord.Embed:
    embed = discord.Embed(title=clip(f"📚 The week in {guild_name}", 256), colour=COLOURS["info"])
    if roundup.empty:
        embed.description = "Nothing was 👍-ed or saved this week. Save papers with 🔖 Save or /save."
    if roundup.liked:
        lines = [f"**{n}.** {escape(clip(i.title, 150))} · {i.count} 👍" for n, i in enumerate(roundup.liked, 1)]
        embed.add_field(name="Most 👍-ed", value=pack_lines(lines, FIELD_VALUE_LIMIT)[0], inline=False)
    if roundup.saved:
        lines = [f"**{n}.** {escape(clip(i.title, 150))} · saved by {i.count}"
                 for n, i in enumerate(roundup.saved, 1)]
        embed.add_field(name="Most saved", value=pack_lines(lines, FIELD_VALUE_LIMIT)[0], inline=False)
    embed.set_footer(text=f"Week from {roundup.week_start.isoformat()} · /list server shows everything saved here")
    return embed


def roundup_due(roundup: Roundup, now: dt.datetime) -> dt.date | None:
    """The week (its Monday) whose roundup is owed at `now`, or None: once a week, at its day and time."""
    week = lists.week_start(now)
    hour, minute = (int(part) for part in roundup.time_utc.split(":"))
    slot = dt.datetime.combine(week + dt.timedelta(days=roundup.weekday), dt.time(hour, minute), dt.UTC)
    if now < slot or roundup.last_week == week:
        return None
    return week


class ReadingLists(ComponentsCog):
    # The Save buttons and menus (under answers, search pages, /paper, digests) and the /list buttons.
    items = (*SAVE_ITEMS, *LIST_ITEMS)
    loops = ("roundup_loop",)
    bot: PaperBotCore

    def __init__(self, bot: PaperBotCore) -> None:
        super().__init__(bot)
        self.store = ReadingListStore(bot.app.db)

    @app_commands.command(name="save", description="Save a paper to your reading list (and this server's)")
    @app_commands.describe(title="Start typing a title and pick it from the list")
    async def save(self, interaction: discord.Interaction[Any], title: app_commands.Range[str, 1, 300]) -> None:
        try:
            result = await asyncio.to_thread(lists.save_title, self.bot.app, title, user_id=interaction.user.id,
                                             guild_id=interaction.guild_id, at=discord.utils.utcnow())
        except InputError as exc:
            await send_ephemeral(interaction, str(exc))
            return
        await send_ephemeral(interaction, saved_line([result]))

    @save.autocomplete("title")
    async def _save_titles(self, interaction: discord.Interaction[Any],
                           current: str) -> list[app_commands.Choice[str]]:
        choices = await asyncio.to_thread(title_choices, self.bot.app.retriever, current)
        return [app_commands.Choice(name=c.name, value=c.value) for c in choices]

    @app_commands.command(name="list", description="Your reading list, or everything saved in this server")
    @app_commands.describe(which="mine (default): what you saved; server: what everyone here saved")
    async def list_(self, interaction: discord.Interaction[Any], which: Literal["mine", "server"] = "mine") -> None:
        scope: Scope = which
        try:
            items = await asyncio.to_thread(lists.saved, self.bot.app, scope, user_id=interaction.user.id,
                                            guild_id=interaction.guild_id)
        except InputError as exc:
            await send_ephemeral(interaction, str(exc))
            return
        message, view, _ = list_page(items, scope, 0)
        kwargs: dict[str, Any] = {"view": view} if view is not None else {}
        await interaction.response.send_message(content=message.content, embeds=message.embeds, ephemeral=True,
                                                allowed_mentions=NO_MENTIONS, **kwargs)

    @app_commands.command(name="export", description="Your reading list (or this server's) as a file")
    @app_commands.describe(format="bibtex, markdown, ris or csv", which="mine (default) or server")
    async def export(self, interaction: discord.Interaction[Any], format: ExportFormat,
                     which: Literal["mine", "server"] = "mine") -> None:
        scope: Scope = which
        heading = "My reading list" if scope == "mine" else f"Reading list of {getattr(interaction.guild, 'name', '')}"
        try:
            exported = await asyncio.to_thread(lists.export, self.bot.app, format, scope, user_id=interaction.user.id,
                                               guild_id=interaction.guild_id, heading=heading)
        except InputError as exc:
            await send_ephemeral(interaction, str(exc))
            return
        if not exported.count:
            await send_ephemeral(interaction, f"Nothing to export: {EMPTY}")
            return
        await acknowledge(interaction, ephemeral=True)
        note = f"{exported.count} paper{'s' if exported.count != 1 else ''} as {format}."
        if exported.missing:
            note += f" {exported.missing} of them are no longer in the corpus: only their titles are exported."
        await interaction.followup.send(note, file=discord.File(io.BytesIO(exported.text.encode()), exported.filename),
                                        ephemeral=True, allowed_mentions=NO_MENTIONS)

    roundup = app_commands.Group(name="roundup", description="The weekly roundup of the server's most liked "
                                 "and most saved papers (Manage Server)", guild_only=True,
                                 default_permissions=discord.Permissions(manage_guild=True))

    @roundup.command(name="set", description="Post the week's most 👍-ed and most saved papers every week")
    @app_commands.describe(channel="Where to post it", day="The day of the week (UTC)",
                           time="The time of day, HH:MM UTC (default 09:00)")
    async def roundup_set(self, interaction: discord.Interaction[Any], channel: discord.TextChannel,
                          day: Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                       "Sunday"] = "Monday",
                          time: app_commands.Range[str, 1, 10] = "09:00") -> None:
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            await send_ephemeral(interaction, "You need the **Manage Server** permission to set the roundup.")
            return
        try:
            when = parse_time(time)
        except InputError as exc:
            await send_ephemeral(interaction, str(exc))
            return
        at = f"{when.hour:02d}:{when.minute:02d}"
        await asyncio.to_thread(self.store.set_roundup, interaction.guild_id, channel.id, WEEKDAYS.index(day), at)
        await send_ephemeral(interaction, f"The weekly roundup will be posted in {channel.mention} every {day} at "
                                          f"{at} UTC. Stop it with /roundup stop.")

    @roundup.command(name="stop", description="Stop the weekly roundup")
    async def roundup_stop(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            await send_ephemeral(interaction, "You need the **Manage Server** permission to stop the roundup.")
            return
        stopped = await asyncio.to_thread(self.store.stop_roundup, interaction.guild_id)
        await send_ephemeral(interaction, "The weekly roundup is stopped." if stopped else "No roundup was set here.")

    # The loop only looks for an owed roundup; which week was posted lives in the database, so a restart
    # neither repeats nor skips one.
    @tasks.loop(minutes=10)  # a roundup is posted within ten minutes of its time
    async def roundup_loop(self) -> None:
        now = discord.utils.utcnow()
        for roundup in await asyncio.to_thread(self.store.roundups):
            week = roundup_due(roundup, now)
            if week is not None:
                await self._post(roundup, week, now)

    @roundup_loop.before_loop
    async def _ready(self) -> None:
        await self.bot.wait_until_ready()

    async def _post(self, roundup: Roundup, week: dt.date, now: dt.datetime) -> None:
        channel = self.bot.get_channel(roundup.channel_id)
        guild = self.bot.get_guild(roundup.guild_id)
        if not isinstance(channel, discord.abc.Messageable) or guild is None:
            log.warning("roundup channel is gone", extra={"guild_id": roundup.guild_id})
            return
        content = await asyncio.to_thread(lists.roundup, self.bot.app, roundup.guild_id, now)
        try:
            await channel.send(embed=roundup_embed(guild.name, content), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("roundup not posted", extra={"guild_id": roundup.guild_id, "status": exc.status})
            return
        await asyncio.to_thread(self.store.roundup_posted, roundup.guild_id, week)


async def setup(bot: PaperBotCore) -> None:
    await bot.add_cog(ReadingLists(bot))
