"""Save components: the Save button under /paper, answers and digest items, and the pick-a-paper menu under
search results. Persistent: the custom id carries the paper (or answer) id, so they work after a restart."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

import discord

from app.reading_list import Saved, save_paper
from bot.client import bot_of
from bot.formatting import NO_MENTIONS, clip
from bot.persistent import PersistentItem
from core.errors import InputError
from core.models import Hit
from digest.models import DigestItem

CUSTOM_ID_LIMIT = 100
ANSWER_GONE = "That answer is no longer available; ask again with /ask."


def saved_line(results: Sequence[Saved]) -> str:
    added = [r.title for r in results if r.added]
    already = [r.title for r in results if not r.added]
    parts = []
    if added:
        parts.append("Saved to your reading list: " + "; ".join(f"“{clip(t, 120)}”" for t in added) + ".")
    if already:
        parts.append("Already on your list: " + "; ".join(f"“{clip(t, 120)}”" for t in already) + ".")
    return " ".join(parts) + " See it with /list, export it with /export."


async def _save_all(interaction: discord.Interaction[Any], paper_ids: Sequence[str]) -> None:
    bot = bot_of(interaction)
    at = discord.utils.utcnow()

    def work() -> list[Saved]:
        return [save_paper(bot.app, pid, user_id=interaction.user.id, guild_id=interaction.guild_id, at=at)
                for pid in paper_ids]
    try:
        results = await asyncio.to_thread(work)
    except InputError as exc:
        await interaction.response.send_message(str(exc), ephemeral=True)
        return
    await interaction.response.send_message(clip(saved_line(results), 2000), ephemeral=True,
                                            allowed_mentions=NO_MENTIONS)


class SaveButton(PersistentItem, template=r"pb:save:p:(?P<id>.+)"):
    """Saves one paper (under /paper and each digest item)."""

    where = "save button"

    def __init__(self, paper_id: str, *, label: str = "Save") -> None:
        super().__init__(discord.ui.Button(label=label, emoji="🔖", style=discord.ButtonStyle.secondary,
                                           custom_id=f"pb:save:p:{paper_id}"))
        self.paper_id = paper_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> SaveButton:
        return cls(match["id"])

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await _save_all(interaction, [self.paper_id])


class SaveCitedButton(PersistentItem, template=r"pb:save:a:(?P<id>\d+)"):
    """Saves the papers an answer cited."""

    where = "save button"

    def __init__(self, answer_id: int) -> None:
        super().__init__(discord.ui.Button(label="Save", emoji="🔖", style=discord.ButtonStyle.secondary,
                                           custom_id=f"pb:save:a:{answer_id}"))
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> SaveCitedButton:
        return cls(int(match["id"]))

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        stored = await asyncio.to_thread(bot_of(interaction).feedback.get_answer, self.answer_id)
        if stored is None:
            await interaction.response.send_message(ANSWER_GONE, ephemeral=True)
            return
        await _save_all(interaction, stored.cited_ids)


class SavePick(PersistentItem, template=r"pb:save:pick"):
    """A menu of the papers shown (a search page): the chosen ones are saved; the values are paper ids."""

    where = "save menu"

    def __init__(self, options: Sequence[discord.SelectOption] = ()) -> None:
        super().__init__(discord.ui.Select(custom_id="pb:save:pick", placeholder="🔖 Save papers to your reading list…",
                                           min_values=1, max_values=max(1, len(options)),
                                           options=list(options) or [discord.SelectOption(label="-")]))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> SavePick:
        return cls(item.options if isinstance(item, discord.ui.Select) else [])

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        await _save_all(interaction, [str(v) for v in data.get("values") or []])


def save_pick(papers: Sequence[Hit | DigestItem], *, numbered: bool = False) -> SavePick | None:
    """The menu to save any of these papers (a search page, a digest); None when there is nothing to offer."""
    options = [discord.SelectOption(label=clip(f"#{n} {p.title}" if numbered else p.title, 100), value=p.id)
               for n, p in enumerate(papers[:25], 1) if len(p.id) <= CUSTOM_ID_LIMIT]
    return SavePick(options) if options else None


def save_button(paper_id: str, *, label: str = "Save") -> SaveButton | None:
    return SaveButton(paper_id, label=label) if len(f"pb:save:p:{paper_id}") <= CUSTOM_ID_LIMIT else None


SAVE_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (SaveButton, SaveCitedButton, SavePick)
