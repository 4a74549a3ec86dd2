"""The channel topic an interaction's channel prefers (a thread: its parent channel's)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import discord

from app.channel_topics import channel_topic

if TYPE_CHECKING:
    from bot.client import PaperBotCore


async def preferred_topics(bot: PaperBotCore, interaction: discord.Interaction[Any]) -> list[str]:
    if interaction.guild_id is None:
        return []
    parent_id = getattr(interaction.channel, "parent_id", None)
    return await asyncio.to_thread(channel_topic, bot.app, interaction.channel_id, parent_id)
