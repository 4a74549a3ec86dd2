"""The base of every persistent component: its state lives in the custom id, so it works after a restart."""

from __future__ import annotations

from typing import Any, ClassVar

import discord
from discord.ext import commands

from bot.errors import report_interaction_error


class PersistentItem(discord.ui.DynamicItem[Any], template=r"pb:(?!x)x"):
    """Base for persistent components: state lives in the custom id, failures go to the central handler."""

    where: ClassVar[str] = "button"  # how the error report names the component

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        # discord.py only logs a failing component callback; this routes it to the one error handler instead,
        # so the user is told, as for a failing command.
        try:
            await self.handle(interaction)
        except Exception as error:
            await report_interaction_error(interaction, error, where=self.where)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError


class ComponentsCog(commands.Cog):
    """A cog that, while loaded, registers its extension's persistent components and runs its background loops:
    each extension owns its own, so the client imports none of them."""

    items: ClassVar[tuple[type[discord.ui.DynamicItem[Any]], ...]] = ()
    loops: ClassVar[tuple[str, ...]] = ()  # names of the cog's discord.ext.tasks loops
    bot: commands.Bot

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*self.items)
        for name in self.loops:
            getattr(self, name).start()

    async def cog_unload(self) -> None:
        for name in self.loops:
            getattr(self, name).cancel()
        self.bot.remove_dynamic_items(*self.items)
