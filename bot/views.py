"""Buttons: the ones under an answer (persistent: they keep working after a restart) and a paginator."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.errors import ReportingView, report_interaction_error
from bot.formatting import NO_MENTIONS, Outgoing
from bot.render import hits_message, sources_messages
from bot.replies import acknowledge, bot_of, deliver
from paperbot.commands import more_like
from storage.feedback import StoredAnswer, Vote

if TYPE_CHECKING:
    from bot.client import PaperBotCore

log = logging.getLogger(__name__)

GONE = "That answer is no longer available; ask again with /ask."


class _AnswerButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"pb:(?!x)x"):
    """Base for the answer buttons: the answer id lives in the custom id, failures go to the central handler."""

    def __init__(self, answer_id: int, button: discord.ui.Button[Any]) -> None:
        super().__init__(button)
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> _AnswerButton:
        return cls(int(match["id"]))  # type: ignore[call-arg]

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.handle(interaction)
        except Exception as error:
            await report_interaction_error(interaction, error, where="button")

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError

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
                                        guild_id=interaction.guild_id)
        emoji = "👍" if value > 0 else "👎"
        await interaction.response.send_message(
            f"Thanks, noted {emoji} ({tally.up} 👍 · {tally.down} 👎 so far). Feedback tunes what the digest picks.",
            ephemeral=True, allowed_mentions=NO_MENTIONS)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (SourcesButton, MoreButton, VoteButton)


def answer_view(answer_id: int, *, has_citations: bool = True) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if has_citations:
        view.add_item(SourcesButton(answer_id))
    view.add_item(MoreButton(answer_id))
    view.add_item(VoteButton(answer_id, "up"))
    view.add_item(VoteButton(answer_id, "down"))
    return view


class Paginator(ReportingView):
    """Pages of one result, turned with buttons by the person who asked (others are told to ask themselves)."""

    def __init__(self, pages: Sequence[Outgoing], owner_id: int, *, timeout: float = 600.0) -> None:
        super().__init__(timeout=timeout)
        self.pages = list(pages)
        self.owner_id = owner_id
        self.index = 0
        self.origin: discord.Interaction[Any] | None = None
        self._sync()

    @property
    def current(self) -> Outgoing:
        return self.pages[self.index]

    def _sync(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1
        self.position.label = f"{self.index + 1}/{len(self.pages)}"

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "Only the person who ran this search can turn its pages: run /search yourself.", ephemeral=True)
        return False

    async def _show(self, interaction: discord.Interaction[Any], index: int) -> None:
        self.index = max(0, min(index, len(self.pages) - 1))
        self._sync()
        page = self.current
        await interaction.response.edit_message(content=page.content, embeds=page.embeds, view=self,
                                                allowed_mentions=NO_MENTIONS)

    @discord.ui.button(emoji="◀️", label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await self._show(interaction, self.index - 1)

    @discord.ui.button(label="1/1", style=discord.ButtonStyle.secondary, disabled=True)
    async def position(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await interaction.response.defer()

    @discord.ui.button(emoji="▶️", label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        await self._show(interaction, self.index + 1)

    async def on_timeout(self) -> None:
        if self.origin is None:
            return
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        # A deleted message or an expired token leaves nothing to tidy.
        with contextlib.suppress(discord.HTTPException):
            await self.origin.edit_original_response(view=self)
