"""The /list pages: five saved papers per page with a Remove button each, and page buttons; persistent."""

from __future__ import annotations

import asyncio
import re
from typing import Any, ClassVar

import discord

from app.reading_list import remove, saved
from bot.client import bot_of
from bot.formatting import EMBED_DESCRIPTION_LIMIT, NO_MENTIONS, Outgoing, clip, escape
from bot.persistent import PersistentItem
from bot.render import COLOURS
from storage.reading_list import SavedPaper, Scope

PAGE_SIZE = 5
CUSTOM_ID_LIMIT = 100


def list_page(items: list[SavedPaper], scope: Scope, page: int) -> tuple[Outgoing, discord.ui.View | None, int]:
    """The message for one page (clamped to the pages there are), its buttons, and the page shown."""
    heading = "Your reading list" if scope == "mine" else "This server's reading list"
    if not items:
        return Outgoing(content=f"{heading} is empty: save papers with 🔖 Save or /save."), None, 0
    pages = (len(items) + PAGE_SIZE - 1) // PAGE_SIZE
    page = max(0, min(page, pages - 1))
    shown = items[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    lines = []
    for n, item in enumerate(shown, page * PAGE_SIZE + 1):
        who = f" · saved by {item.savers}" if scope == "server" else ""
        lines.append(f"**{n}.** {escape(clip(item.title, 200))} · {item.saved_at.date().isoformat()}{who}")
    embed = discord.Embed(title=f"🔖 {heading} ({len(items)} paper{'s' if len(items) != 1 else ''})",
                          colour=COLOURS["info"], description=clip("\n".join(lines), EMBED_DESCRIPTION_LIMIT))
    embed.set_footer(text=f"Page {page + 1}/{pages} · /export turns it into BibTeX, RIS, Markdown or CSV")
    view = discord.ui.View(timeout=None)
    for n, item in enumerate(shown, page * PAGE_SIZE + 1):
        if len(f"pb:rm:{scope}:{page}:{item.paper_id}") <= CUSTOM_ID_LIMIT:
            view.add_item(RemoveButton(scope, page, item.paper_id, n))
    if pages > 1:
        view.add_item(ListPageButton(scope, page - 1, "prev", disabled=page == 0))
        view.add_item(ListPageButton(scope, page + 1, "next", disabled=page >= pages - 1))
    return Outgoing(embeds=[embed]), view, page


async def _show(interaction: discord.Interaction[Any], scope: Scope, page: int, note: str | None = None) -> None:
    bot = bot_of(interaction)
    items = await asyncio.to_thread(saved, bot.app, scope, user_id=interaction.user.id,
                                    guild_id=interaction.guild_id)
    message, view, _ = list_page(items, scope, page)
    content = "\n".join(p for p in (note, message.content) if p) or None
    await interaction.response.edit_message(content=content, embeds=message.embeds, view=view,
                                            allowed_mentions=NO_MENTIONS)


class _ListButton(PersistentItem, template=r"pb:(?!x)x"):
    """A button of a /list page: it knows which list (mine or server) and which page it sits on."""

    extra: ClassVar[str]  # the custom id's third group, the subclass's own state

    def __init__(self, button: discord.ui.Button[Any], scope: Scope, page: int) -> None:
        super().__init__(button)
        self.scope: Scope = scope
        self.page = page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> _ListButton:
        return cls(match["scope"], int(match["page"]), match[cls.extra])  # type: ignore[arg-type]


class ListPageButton(_ListButton, template=r"pb:list:(?P<scope>mine|server):(?P<page>-?\d+):(?P<way>prev|next)"):
    where = "list page button"
    extra = "way"

    def __init__(self, scope: Scope, page: int, way: str, *, disabled: bool = False) -> None:
        emoji, label = ("◀️", "Previous") if way == "prev" else ("▶️", "Next")
        super().__init__(discord.ui.Button(emoji=emoji, label=label, style=discord.ButtonStyle.secondary, row=1,
                                           disabled=disabled, custom_id=f"pb:list:{scope}:{page}:{way}"),
                         scope, page)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await _show(interaction, self.scope, self.page)


class RemoveButton(_ListButton, template=r"pb:rm:(?P<scope>mine|server):(?P<page>\d+):(?P<id>.+)"):
    """Takes a paper off the list: one's own save; on the server list a server manager removes it for all."""

    where = "remove button"
    extra = "id"

    def __init__(self, scope: Scope, page: int, paper_id: str, n: int = 0) -> None:
        super().__init__(discord.ui.Button(label=f"Remove {n}" if n else "Remove", emoji="🗑️",
                                           style=discord.ButtonStyle.secondary,
                                           custom_id=f"pb:rm:{scope}:{page}:{paper_id}"), scope, page)
        self.paper_id = paper_id

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        bot = bot_of(interaction)
        manager = interaction.guild_id is not None and bool(interaction.permissions.manage_guild)
        removed = await asyncio.to_thread(remove, bot.app, self.paper_id, self.scope, user_id=interaction.user.id,
                                          guild_id=interaction.guild_id, can_manage=manager)
        if removed:
            note = "Removed."
        elif self.scope == "server":
            note = "Only its savers or a server manager (Manage Server) can remove that paper."
        else:
            note = "That paper was not on your list any more."
        await _show(interaction, self.scope, self.page, note)


LIST_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (ListPageButton, RemoveButton)
