"""/ask: a question answered from the corpus, with the cited papers and buttons under it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from app.ask import question as check_question
from app.search import filters_since
from bot.answering import InteractionSurface, answer_and_deliver
from bot.formatting import Outgoing
from bot.persistent import ComponentsCog
from bot.replies import acknowledge, send_ephemeral
from bot.topics import preferred_topics
from bot.views import ANSWER_ITEMS
from core.dates import SINCE_HELP

if TYPE_CHECKING:
    from bot.client import PaperBotCore

# Discord caps what the client lets a user type into the option; `app.ask` shortens longer questions anyway.
QUESTION_MAX = 2000


class Ask(ComponentsCog):
    # The buttons under every answer (here and in DMs and threads): persistent, so they outlive a restart.
    items = ANSWER_ITEMS
    bot: PaperBotCore

    @app_commands.command(name="ask", description="Answer a question from the paper abstracts, citing the papers")
    @app_commands.describe(
        question="What you want to know; the answer cites the papers it comes from",
        since=f"Only papers listed since {SINCE_HELP}",
        private="Only you see the answer",
        author="Only papers with an author of this name (e.g. Zhang)",
    )
    async def ask(self, interaction: discord.Interaction[Any],
                  question: app_commands.Range[str, 1, QUESTION_MAX],
                  since: app_commands.Range[str, 1, 40] | None = None, private: bool = False,
                  author: app_commands.Range[str, 1, 100] | None = None) -> None:
        # Everything before the defer is instant: refusals (InputError, told privately by the error handler)
        # cost the user nothing.
        asked = check_question(self.bot.app, question)
        filters = filters_since(since, author)
        refusal = self.bot.admission(interaction.user.id)
        if refusal:
            await send_ephemeral(interaction, refusal)
            return
        ahead = self.bot.queued_ahead()
        with self.bot.answering():
            await acknowledge(interaction, ephemeral=private)
            prefer = await preferred_topics(self.bot, interaction)
            surface = InteractionSurface(interaction)
            if ahead is not None:
                await surface.partial(Outgoing(content=f"⏳ Queued ({ahead} ahead): every LLM slot is answering "
                                                       "someone; yours starts as soon as one is free."))
            await answer_and_deliver(self.bot, asked, surface, source="slash",
                                     user_id=interaction.user.id, guild_id=interaction.guild_id,
                                     channel_id=interaction.channel_id, filters=filters, prefer=prefer)


async def setup(bot: PaperBotCore) -> None:
    await bot.add_cog(Ask(bot))
