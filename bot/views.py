"""Buttons under answers and search results; all persistent: they keep working after a restart."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from typing import Any

import discord

from app.papers import more_like
from app.search import reranked, search
from app.wiring import App
from bot.client import PaperBotCore, bot_of
from bot.formatting import NO_MENTIONS, Outgoing
from bot.persistent import PersistentItem
from bot.render import PAGE_SIZE, hits_message, search_pages, sources_messages
from bot.replies import acknowledge, deliver
from bot.saving import SaveCitedButton, save_pick
from bot.topics import preferred_topics
from core.models import Hit
from storage.digests import DigestStore
from storage.feedback import StoredAnswer, Vote

log = logging.getLogger(__name__)

GONE = "That answer is no longer available; ask again with /ask."


class _AnswerButton(PersistentItem, template=r"pb:(?!x)x"):
    """Base for the buttons under an answer: the custom id carries the stored answer's id."""

    def __init__(self, answer_id: int, button: discord.ui.Button[Any]) -> None:
        super().__init__(button)
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> _AnswerButton:
        return cls(int(match["id"]))  # type: ignore[call-arg]

    async def _load(self, interaction: discord.Interaction[Any]) -> tuple[PaperBotCore, StoredAnswer] | None:
        """Acknowledge privately and load the answer this button sits under; say so when it is gone."""
        await acknowledge(interaction, ephemeral=True)
        bot = bot_of(interaction)
        stored = await asyncio.to_thread(bot.feedback.get_answer, self.answer_id)
        if stored is None:
            await deliver(interaction, [Outgoing(content=GONE)])
            return None
        return bot, stored


class SourcesButton(_AnswerButton, template=r"pb:src:(?P<id>\d+)"):
    def __init__(self, answer_id: int) -> None:
        super().__init__(answer_id, discord.ui.Button(label="Sources", emoji="📄", style=discord.ButtonStyle.secondary,
                                                      custom_id=f"pb:src:{answer_id}"))

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if (loaded := await self._load(interaction)) is None:
            return
        bot, stored = loaded
        papers = await asyncio.to_thread(bot.app.retriever.get_many, stored.cited_ids)
        await deliver(interaction, sources_messages(stored.citations, {p.id: p for p in papers}))


class MoreButton(_AnswerButton, template=r"pb:more:(?P<id>\d+)"):
    def __init__(self, answer_id: int) -> None:
        super().__init__(answer_id, discord.ui.Button(label="More like this", emoji="🔎",
                                                      style=discord.ButtonStyle.secondary,
                                                      custom_id=f"pb:more:{answer_id}"))

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        if (loaded := await self._load(interaction)) is None:
            return
        bot, stored = loaded
        hits = await asyncio.to_thread(more_like, bot.app, stored.cited_ids, stored.question)
        await deliver(interaction, [hits_message("More like this", hits, "No other paper in the corpus is close.")])


class VoteButton(_AnswerButton, template=r"pb:vote:(?P<vote>up|down):(?P<id>\d+)"):
    def __init__(self, answer_id: int, vote: str) -> None:
        emoji, label = ("👍", "Helpful") if vote == "up" else ("👎", "Not helpful")
        super().__init__(answer_id, discord.ui.Button(emoji=emoji, label=label, style=discord.ButtonStyle.secondary,
                                                      custom_id=f"pb:vote:{vote}:{answer_id}"))
        self.vote = vote

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> VoteButton:
        return cls(int(match["id"]), match["vote"])

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        bot = bot_of(interaction)
        stored = await asyncio.to_thread(bot.feedback.get_answer, self.answer_id)
        if stored is None:
            await interaction.response.send_message(GONE, ephemeral=True)
            return
        value: Vote = 1 if self.vote == "up" else -1
        tally = await asyncio.to_thread(bot.feedback.vote, self.answer_id, interaction.user.id, value,
                                        guild_id=interaction.guild_id, at=discord.utils.utcnow())
        emoji = "👍" if value > 0 else "👎"
        counts = f"{tally.up} 👍 · {tally.down} 👎 so far"
        if tally.withdrawn:
            text = f"Your {emoji} is withdrawn ({counts})."
        else:
            text = f"Thanks, noted {emoji} ({counts}). Press it again to withdraw it."
            if await asyncio.to_thread(feeds_a_digest, bot.app, interaction.guild_id):
                text += " Votes here tune what this server's digest picks."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


def feeds_a_digest(app: App, guild_id: int | None) -> bool:
    """Whether votes in this place do anything beyond the tally: a server's votes steer its digests."""
    return guild_id is not None and bool(DigestStore(app.db).targets(guild_id))


def answer_view(answer_id: int, *, has_citations: bool = True) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if has_citations:
        view.add_item(SourcesButton(answer_id))
    view.add_item(MoreButton(answer_id))
    view.add_item(VoteButton(answer_id, "up"))
    view.add_item(VoteButton(answer_id, "down"))
    if has_citations:
        view.add_item(SaveCitedButton(answer_id))
    return view


SEARCH_GONE = "That search is no longer available; run /search again."
NOT_YOURS = "Only the person who ran this search can turn its pages: run /search yourself."


class PageButton(PersistentItem, template=r"pb:page:(?P<id>\d+):(?P<page>\d+):(?P<way>prev|next)"):
    """Turns the pages of a /search result. The custom id names the stored search and the page to show, and
    the search runs again on a click, so the buttons keep working after a restart."""

    def __init__(self, search_id: int, page: int, way: str, *, disabled: bool = False) -> None:
        emoji, label = ("◀️", "Previous") if way == "prev" else ("▶️", "Next")
        super().__init__(discord.ui.Button(emoji=emoji, label=label, style=discord.ButtonStyle.secondary,
                                           disabled=disabled, custom_id=f"pb:page:{search_id}:{page}:{way}"))
        self.search_id = search_id
        self.page = page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> PageButton:
        return cls(int(match["id"]), int(match["page"]), match["way"])

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        bot = bot_of(interaction)
        stored = await asyncio.to_thread(bot.searches.get, self.search_id)
        if stored is None or interaction.user.id != stored.user_id:
            await interaction.response.send_message(SEARCH_GONE if stored is None else NOT_YOURS, ephemeral=True)
            return
        since = stored.since.isoformat() if stored.since else None
        prefer = await preferred_topics(bot, interaction)
        result = await reranked(bot.app, await asyncio.to_thread(search, bot.app, stored.query, since,
                                                                   stored.author, prefer))
        pages = search_pages(result, stored.since)
        index = max(0, min(self.page, len(pages) - 1))
        await interaction.response.edit_message(content=pages[index].content, embeds=pages[index].embeds,
                                                view=search_view(self.search_id, index, len(pages),
                                                                 page_hits(result.hits, index)),
                                                allowed_mentions=NO_MENTIONS)


def page_hits(hits: Sequence[Hit], index: int) -> list[Hit]:
    return list(hits[index * PAGE_SIZE:(index + 1) * PAGE_SIZE])


def save_view(hits: Sequence[Hit]) -> discord.ui.View | None:
    """A one-page search result: only the menu to save papers from it."""
    pick = save_pick(hits)
    if pick is None:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(pick)
    return view


def search_view(search_id: int, index: int, total: int, hits: Sequence[Hit] = ()) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if (pick := save_pick(hits)) is not None:
        view.add_item(pick)
    view.add_item(PageButton(search_id, max(index - 1, 0), "prev", disabled=index == 0))
    view.add_item(discord.ui.Button(label=f"{index + 1}/{total}", style=discord.ButtonStyle.secondary,
                                    disabled=True, custom_id=f"pb:page:{search_id}:at"))
    view.add_item(PageButton(search_id, min(index + 1, total - 1), "next", disabled=index >= total - 1))
    return view


ANSWER_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (SourcesButton, MoreButton, VoteButton)
SEARCH_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (PageButton,)
