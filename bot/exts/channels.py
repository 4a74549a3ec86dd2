"""/channel topic set|clear|show (Manage Server): the topic a channel's /ask, /search and digest prefer."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from app.channel_topics import channel_topic, clear_topic, set_topic
from bot.formatting import escape
from bot.replies import send_ephemeral
from digest.models import MAX_TOPICS_CHARS

if TYPE_CHECKING:
    from bot.client import PaperBotCore

EFFECT = ("/ask and /search here rank papers on it first (others still appear), and a digest posted here "
          "uses it when it has no topics of its own.")


def _where(interaction: discord.Interaction[Any]) -> str:
    return f"<#{interaction.channel_id}>"


async def _refused(interaction: discord.Interaction[Any]) -> bool:
    """Whether the user lacks Manage Server (told so): default_permissions hides the commands, but a server
    can grant them to anyone."""
    if interaction.guild_id is not None and interaction.permissions.manage_guild:
        return False
    await send_ephemeral(interaction, "You need the **Manage Server** permission to change channel topics.")
    return True


class Channels(commands.Cog):
    # Hidden from members without Manage Server (they can still read the topic in every footer it changes).
    channel = app_commands.Group(name="channel", description="Channel settings (Manage Server)", guild_only=True,
                                 default_permissions=discord.Permissions(manage_guild=True))
    topic = app_commands.Group(name="topic", description="The topic /ask, /search and the digest prefer here",
                               parent=channel)

    def __init__(self, bot: PaperBotCore) -> None:
        self.bot = bot

    @topic.command(name="set", description="Prefer papers on these topics in this channel (not only them)")
    @app_commands.describe(topics='Comma-separated terms, e.g. "speech, TTS"')
    async def topic_set(self, interaction: discord.Interaction[Any],
                        topics: app_commands.Range[str, 1, MAX_TOPICS_CHARS]) -> None:
        if await _refused(interaction):
            return
        assert interaction.guild_id is not None and interaction.channel_id is not None
        saved = await asyncio.to_thread(set_topic, self.bot.app, interaction.guild_id, interaction.channel_id, topics)
        text = f"{_where(interaction)} now prefers papers on: **{escape(', '.join(saved.topics))}**. {EFFECT}"
        if saved.unmatched:
            text += (f"\nNote: no paper in the corpus is about {', '.join(f'“{escape(t)}”' for t in saved.unmatched)}"
                     " yet; those terms prefer nothing until one arrives.")
        await send_ephemeral(interaction, text)

    @topic.command(name="clear", description="Stop preferring a topic in this channel")
    async def topic_clear(self, interaction: discord.Interaction[Any]) -> None:
        if await _refused(interaction):
            return
        assert interaction.channel_id is not None
        cleared = await asyncio.to_thread(clear_topic, self.bot.app, interaction.channel_id)
        await send_ephemeral(interaction, f"{_where(interaction)} has no topic now: every paper ranks alike here."
                             if cleared else f"{_where(interaction)} had no topic.")

    @topic.command(name="show", description="The topic this channel prefers")
    async def topic_show(self, interaction: discord.Interaction[Any]) -> None:
        if await _refused(interaction):
            return
        topics = await asyncio.to_thread(channel_topic, self.bot.app, interaction.channel_id)
        if not topics:
            await send_ephemeral(interaction, f"{_where(interaction)} has no topic. Set one with "
                                              '/channel topic set topics:"speech, TTS".')
            return
        await send_ephemeral(interaction, f"{_where(interaction)} prefers papers on: **{escape(', '.join(topics))}**. "
                                          f"{EFFECT}")


async def setup(bot: PaperBotCore) -> None:
    await bot.add_cog(Channels(bot))
