"""The `/digest` commands and the scheduler loop that posts digests when they are due."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import tasks

from app.subscriptions import (
    Subscribed,
    set_server_zone,
    subscribe,
    subscription,
    subscriptions,
    unsubscribe,
)
from bot.errors import log_failure
from bot.exts.digest._components import DIGEST_ITEMS
from bot.exts.digest._poster import Poster, TargetUnavailable
from bot.exts.digest._render import moment_text, subscriptions_text, target_line, unmatched_note
from bot.formatting import Outgoing, clip
from bot.permissions import DIGEST_CHANNEL_PERMISSIONS, missing
from bot.persistent import ComponentsCog
from bot.replies import acknowledge, deliver, send_ephemeral
from core.errors import InputError
from digest.models import (
    DEFAULT_SIZE,
    MAX_SIZE,
    MAX_TOPICS_CHARS,
    DigestTarget,
    Ranking,
    channel_target_key,
    dm_target_key,
)
from digest.schedule import parse_time, today_for
from digest.subscriptions import clean_topics
from digest.timezones import canonical_zone, split_time_zone

if TYPE_CHECKING:
    from bot.client import PaperBotCore

# The options `/digest set` and `/digest-me` share, declared once.
TimeOption = app_commands.Range[str, 1, 20]
SizeOption = app_commands.Range[int, 1, MAX_SIZE]
TopicsOption = app_commands.Range[str, 1, MAX_TOPICS_CHARS]
SCHEDULE_OPTIONS = {
    "time": "Time of day, 24-hour, with a time zone if not the server's (08:00, 08:00 Europe/Berlin, 8am UTC+2)",
    "size": f"Papers per digest, 1-{MAX_SIZE} (default {DEFAULT_SIZE})",
    "topics": "Interests, comma-separated (e.g. 'long context, RLHF'): only papers on them. 'none' clears",
    "rank": "Order: relevance (default: topics, your 👍/👎, listing order) or upvotes (most upvoted first)",
}


def _schedule(time: str | None, topics: str | None) -> tuple[dt.time | None, str | None, str | None]:
    """The time (with its zone, if one was typed) and topics options parsed; an InputError (told to the user
    privately) when any is invalid."""
    if not time:
        return None, None, clean_topics(topics)
    clock, zone = split_time_zone(time)
    return parse_time(clock), (canonical_zone(zone) if zone else None), clean_topics(topics)


def _require_admin(interaction: discord.Interaction[Any], doing: str) -> None:
    if not interaction.permissions.manage_guild:
        raise InputError(f"You need the **Manage Server** permission to {doing}.")


def _managed_channel(interaction: discord.Interaction[Any], channel: discord.TextChannel | None, *, doing: str,
                     pick: str) -> discord.abc.GuildChannel:
    """The channel an admin command acts on (default: this one)."""
    _require_admin(interaction, doing)
    chosen = channel or interaction.channel
    if not isinstance(chosen, discord.abc.GuildChannel):
        raise InputError(pick)
    return chosen


def _subscribed_text(saved: Subscribed, lead: str, tail: str) -> str:
    return f"{lead}: {target_line(saved.target)}{tail}{unmatched_note(saved.unmatched_topics)}"


class DigestCog(ComponentsCog):
    items = DIGEST_ITEMS
    loops = ("scheduler",)
    bot: PaperBotCore

    # Hidden in servers from members without Manage Server (each command checks it again: a server can override
    # who sees a command). `/digest-me`, for everyone, is a command of its own for that reason.
    digest = app_commands.Group(name="digest", description="Daily digests of new papers in this server's channels "
                                "(Manage Server)", default_permissions=discord.Permissions(manage_guild=True))

    def __init__(self, bot: PaperBotCore) -> None:
        super().__init__(bot)
        self.poster = Poster(bot)

    # The loop checks every minute which targets are due; the schedule itself lives in the database, so a
    # restart, a new channel or a changed time needs no re-arming.
    @tasks.loop(minutes=1)
    async def scheduler(self) -> None:
        try:
            await self.poster.tick()
        except Exception as error:  # raised on, it would end the loop for good: logged, and tried next minute
            log_failure("digest scheduler tick", error)

    @scheduler.before_loop
    async def _before_scheduler(self) -> None:
        await self.bot.wait_until_ready()

    async def _subscribe(self, interaction: discord.Interaction[Any], base: DigestTarget, *, time: str | None,
                         size: int | None, topics: str | None, archive: bool | None,
                         rank: Ranking | None) -> Subscribed:
        at, tz, cleaned = _schedule(time, topics)
        await acknowledge(interaction, ephemeral=True)
        return await asyncio.to_thread(subscribe, self.bot.app, base, time=at, tz=tz, size=size, topics=cleaned,
                                       archive=archive, rank=rank)

    # -- /digest set, show, off, now (servers: Manage Server) --

    @digest.command(name="set", description="Post a daily digest of new papers in a channel (Manage Server)")
    @app_commands.describe(channel="The channel to post in", **SCHEDULE_OPTIONS,
                           archive="When nothing new is left, post older papers not yet shown here")
    async def set_digest(self, interaction: discord.Interaction[Any], channel: discord.TextChannel,
                         time: TimeOption | None = None, size: SizeOption | None = None,
                         topics: TopicsOption | None = None, archive: bool | None = None,
                         rank: Ranking | None = None) -> None:
        if interaction.guild is None:
            raise InputError("Use `/digest set` in a server. For a digest in your DMs: `/digest-me`.")
        _require_admin(interaction, "configure digests")
        lacking = missing(channel, interaction.guild.me, DIGEST_CHANNEL_PERMISSIONS)
        if lacking:
            raise InputError(f"I can't post the digest in {channel.mention}: I'm missing the "
                             f"{', '.join(f'**{m}**' for m in lacking)} permission there.")
        now = discord.utils.utcnow()
        base = DigestTarget(key=channel_target_key(channel.id), kind="channel", guild_id=interaction.guild.id,
                            channel_id=channel.id, user_id=interaction.user.id, active_from=now, created_at=now,
                            updated_at=now)
        saved = await self._subscribe(interaction, base, time=time, size=size, topics=topics, archive=archive,
                                      rank=rank)
        lead = f"Daily digest {'set' if saved.created else 'updated'}"
        await deliver(interaction, [Outgoing(content=_subscribed_text(
            saved, lead, f".\nNext digest: {moment_text(saved.next_at)}."))])

    @digest.command(name="show", description="The digests of this server (in DMs: yours)")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        now = discord.utils.utcnow()
        if interaction.guild is None:
            found = await asyncio.to_thread(subscriptions, self.bot.app, now, key=dm_target_key(interaction.user.id))
            empty = "You have no DM digest. Start one with `/digest-me`."
        else:
            _require_admin(interaction, "see digest settings")
            found = await asyncio.to_thread(subscriptions, self.bot.app, now, guild_id=interaction.guild.id)
            empty = "No digest in this server yet. Start one with `/digest set`."
        await send_ephemeral(interaction, clip(subscriptions_text(found), 2000) if found else empty)

    @digest.command(name="off", description="Stop the digest in a channel (Manage Server; in DMs: yours)")
    @app_commands.describe(channel="The channel (default: this one)")
    async def off(self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None) -> None:
        if interaction.guild is None:
            await self._stop_dm_digest(interaction)
            return
        where = _managed_channel(interaction, channel, doing="configure digests",
                                 pick="Pick the channel whose digest should stop.")
        stopped = await asyncio.to_thread(unsubscribe, self.bot.app, channel_target_key(where.id))
        await send_ephemeral(interaction, (
            f"The digest in {where.mention} is stopped. Papers already posted there stay remembered, so turning "
            "it on again never repeats them." if stopped else f"There is no digest in {where.mention}."))

    async def _stop_dm_digest(self, interaction: discord.Interaction[Any]) -> None:
        stopped = await asyncio.to_thread(unsubscribe, self.bot.app, dm_target_key(interaction.user.id))
        await send_ephemeral(interaction, "Your DM digest is stopped." if stopped else "You have no DM digest.")

    @digest.command(name="now", description="Post today's digest right away (Manage Server; in DMs: yours)")
    @app_commands.describe(channel="The channel (default: this one)")
    async def now(self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None) -> None:
        if interaction.guild is None:
            key, where_text = dm_target_key(interaction.user.id), "here"
            hint = "You have no DM digest yet: start one with `/digest-me`."
        else:
            where = _managed_channel(interaction, channel, doing="post a digest",
                                     pick="Pick the channel to post the digest in.")
            key, where_text = channel_target_key(where.id), where.mention
            hint = f"There is no digest in {where_text} yet: start one with `/digest set`."
        target = await asyncio.to_thread(subscription, self.bot.app, key)
        if target is None:
            raise InputError(hint)
        if key in self.poster.busy:
            raise InputError("That digest is being posted right now.")
        self.poster.busy.add(key)  # before any await: the scheduler must not start the same target meanwhile
        try:
            await acknowledge(interaction, ephemeral=True)
            _, digest = await self.poster.post(target, today_for(target, discord.utils.utcnow()), "manual")
        except TargetUnavailable as exc:  # an expected outcome with its own wording, not a failure of ours
            await deliver(interaction, [Outgoing(content=f"I couldn't post the digest: {exc}.")])
            return
        finally:
            self.poster.busy.discard(key)
        count = len(digest.items)
        text = (f"Posted today's digest {where_text}: {count} paper{'s' if count != 1 else ''}." if count
                else f"Nothing new to post; I said so {where_text}.")
        await deliver(interaction, [Outgoing(content=text)])

    @digest.command(name="timezone", description="The server's time zone for digest times given without one "
                    "(Manage Server)")
    @app_commands.describe(zone="An IANA name (Europe/Berlin, America/New_York) or a UTC offset (UTC+2, -05:30)")
    async def timezone(self, interaction: discord.Interaction[Any], zone: app_commands.Range[str, 1, 60]) -> None:
        if interaction.guild is None:
            raise InputError("A time zone is set per server; in DMs give it with the time: `/digest-me time:08:00 "
                             "Europe/Berlin`.")
        _require_admin(interaction, "set the server's time zone")
        name = canonical_zone(zone)
        await asyncio.to_thread(set_server_zone, self.bot.app, interaction.guild.id, name, discord.utils.utcnow())
        await send_ephemeral(interaction, f"Digest times given without a zone are now in **{name}** in this server "
                             "(digests already set keep theirs; set one again to change it).")

    # -- /digest-me (anyone, delivered by DM) --

    @app_commands.command(name="digest-me", description="Get a daily digest in your DMs; 👍/👎 on its papers "
                          "tunes it")
    @app_commands.describe(**SCHEDULE_OPTIONS, off="Stop your DM digest")
    async def me(self, interaction: discord.Interaction[Any], time: TimeOption | None = None,
                 topics: TopicsOption | None = None, size: SizeOption | None = None, rank: Ranking | None = None,
                 off: bool = False) -> None:
        if off:
            await self._stop_dm_digest(interaction)
            return
        now = discord.utils.utcnow()
        # From a server the DM channel is not known yet: the subscription keeps the one it has, if any.
        base = DigestTarget(key=dm_target_key(interaction.user.id), kind="dm", user_id=interaction.user.id,
                            channel_id=interaction.channel_id if interaction.guild is None else None,
                            active_from=now, created_at=now, updated_at=now)
        saved = await self._subscribe(interaction, base, time=time, size=size, topics=topics, archive=False,
                                      rank=rank)
        where = "" if interaction.guild is None else " (I'll send it by DM; keep DMs from server members open)"
        await deliver(interaction, [Outgoing(content=_subscribed_text(
            saved, "Your daily digest", f"{where}.\nNext one: {moment_text(saved.next_at)}. Rate its papers 👍/👎 "
            "to tune your picks."))])
