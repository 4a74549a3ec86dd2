"""/search, /paper and /similar: finding papers without asking a question."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from app import papers, search
from bot.persistent import ComponentsCog
from bot.render import paper_message, search_pages, similar_message
from bot.replies import acknowledge, deliver
from bot.saving import save_button
from bot.topics import preferred_topics
from bot.views import SEARCH_ITEMS, page_hits, save_view, search_view
from core.dates import SINCE_HELP
from core.errors import PaperBotError
from core.models import Paper

if TYPE_CHECKING:
    from app.wiring import App
    from bot.client import PaperBotCore

log = logging.getLogger(__name__)
T = TypeVar("T")

# Autocomplete must answer within 3 s; past this the user gets an empty list rather than an error.
AUTOCOMPLETE_BUDGET = 2.0
# Lookups that validate input run before acknowledging when they finish within this.
PRE_ACK_BUDGET = 1.0


class Papers(ComponentsCog):
    items = SEARCH_ITEMS
    bot: PaperBotCore

    async def _titles(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        try:
            choices = await asyncio.wait_for(
                asyncio.to_thread(papers.title_choices, self.bot.app.retriever, current), AUTOCOMPLETE_BUDGET)
        except (TimeoutError, PaperBotError) as exc:  # no index yet, or slow: an empty list, not a failure
            log.info("title autocomplete gave up", extra={"error": repr(exc)[:300]})
            return []
        return [app_commands.Choice(name=c.name, value=c.value) for c in choices]

    @app_commands.command(name="search", description="Ranked papers for a topic, five per page")
    @app_commands.describe(query="A few words about the topic", since=f"Only papers listed since {SINCE_HELP}",
                           author="Only papers with an author of this name (e.g. Zhang)")
    async def search(self, interaction: discord.Interaction[Any],
                     query: app_commands.Range[str, 1, search.MAX_QUERY_CHARS],
                     since: app_commands.Range[str, 1, 40] | None = None,
                     author: app_commands.Range[str, 1, 100] | None = None) -> None:
        checked = search.check_search(query, since, author)
        await acknowledge(interaction)
        prefer = await preferred_topics(self.bot, interaction)
        result = await search.reranked(self.bot.app, await asyncio.to_thread(search.browse, self.bot.app, checked,
                                                                               prefer))
        pages = search_pages(result, checked.since)
        if len(pages) == 1:
            await deliver(interaction, pages, view=save_view(result.hits))
            return
        search_id = await asyncio.to_thread(self.bot.searches.record, interaction.user.id, checked.text,
                                            checked.since, author)
        await deliver(interaction, pages[:1], view=search_view(search_id, 0, len(pages), page_hits(result.hits, 0)))

    async def _resolve(self, interaction: discord.Interaction[Any], title: str) -> Paper:
        """The paper a title option names, looked up before acknowledging so a typo gets a private reply.

        The lookup takes milliseconds; if it ever takes longer than the budget the interaction is
        acknowledged meanwhile, so the 3-second deadline holds regardless.
        """
        lookup = asyncio.ensure_future(asyncio.to_thread(papers.resolve_paper, self.bot.app.retriever, title))
        done, _ = await asyncio.wait({lookup}, timeout=PRE_ACK_BUDGET)
        if not done:
            await acknowledge(interaction)
        return await lookup

    async def _looked_up(self, interaction: discord.Interaction[Any], title: str,
                         use_case: Callable[[App, str], T]) -> T:
        """The paper the user picked, acknowledged, then the use case's result for it (run off the event loop)."""
        found = await self._resolve(interaction, title)
        await acknowledge(interaction)
        return await asyncio.to_thread(use_case, self.bot.app, found.id)

    @app_commands.command(name="paper", description="One paper: abstract, dates, links and similar papers")
    @app_commands.describe(title="Start typing a title and pick it from the list")
    async def paper(self, interaction: discord.Interaction[Any], title: app_commands.Range[str, 1, 300]) -> None:
        details = await self._looked_up(interaction, title, papers.paper_details)
        button = save_button(details.paper.id)
        view = discord.ui.View(timeout=None).add_item(button) if button is not None else None
        await deliver(interaction, [paper_message(details)], view=view)

    @app_commands.command(name="similar", description="Papers closest to one you know, and why")
    @app_commands.describe(title="Start typing a title and pick it from the list")
    async def similar(self, interaction: discord.Interaction[Any], title: app_commands.Range[str, 1, 300]) -> None:
        result = await self._looked_up(interaction, title, papers.similar)
        await deliver(interaction, [similar_message(result)])

    @paper.autocomplete("title")
    async def _paper_titles(self, interaction: discord.Interaction[Any],
                            current: str) -> list[app_commands.Choice[str]]:
        return await self._titles(interaction, current)

    @similar.autocomplete("title")
    async def _similar_titles(self, interaction: discord.Interaction[Any],
                              current: str) -> list[app_commands.Choice[str]]:
        return await self._titles(interaction, current)


async def setup(bot: PaperBotCore) -> None:
    await bot.add_cog(Papers(bot))
