"""/help and /about."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from app.about import about as about_info
from bot.render import about_message, help_message
from bot.replies import acknowledge, deliver

if TYPE_CHECKING:
    from bot.client import PaperBotCore


class Info(commands.Cog):
    def __init__(self, bot: PaperBotCore) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What PaperBot can do and how to ask it")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        mention = self.bot.user.mention if self.bot.user else None
        await deliver(interaction, [help_message(mention)], ephemeral=True)

    @app_commands.command(name="about", description="Corpus size, last update, models in use, version")
    async def about(self, interaction: discord.Interaction[Any]) -> None:
        await acknowledge(interaction, ephemeral=True)
        info = await asyncio.to_thread(about_info, self.bot.app)
        await deliver(interaction, [about_message(info)])


async def setup(bot: PaperBotCore) -> None:
    await bot.add_cog(Info(bot))
