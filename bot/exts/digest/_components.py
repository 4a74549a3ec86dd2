"""The persistent components under a digest: ask about these papers, more like #n, rate #n.

The run id is in each custom id, so they keep working after a restart.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

import discord

from app.papers import SIMILAR_RESULTS, similar
from bot.client import bot_of
from bot.formatting import NO_MENTIONS, Outgoing, clip, escape
from bot.permissions import QUESTION_THREAD_PERMISSIONS, missing
from bot.persistent import PersistentItem
from bot.render import similar_message
from bot.replies import acknowledge, deliver
from bot.saving import save_pick
from bot.threads import open_question_thread
from core.models import Paper, Turn
from digest.models import Digest, DigestRun
from digest.render import short_date
from storage.conversations import dm_conversation_key, thread_conversation_key
from storage.digests import DigestStore

RUN_GONE = "That digest is no longer on record."


class _DigestItem(PersistentItem, template=r"pbd:(?!x)x"):
    """Base of the digest's components: loads the run and its papers the custom id names."""

    where = "digest button"

    def __init__(self, run_id: int, options: Sequence[discord.SelectOption] = ()) -> None:
        super().__init__(self.component(run_id, list(options)))
        self.run_id = run_id

    @staticmethod
    def component(run_id: int, options: list[discord.SelectOption]) -> Any:
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> _DigestItem:
        options = item.options if isinstance(item, discord.ui.Select) else []
        return cls(int(match["run"]), options)

    async def run_and_papers(self, interaction: discord.Interaction[Any]) -> tuple[DigestRun | None, list[Paper]]:
        bot = bot_of(interaction)
        run = await asyncio.to_thread(DigestStore(bot.app.db).get_run, self.run_id)
        if run is None:
            return None, []
        papers = await asyncio.to_thread(bot.app.retriever.get_many, run.paper_ids)
        return run, papers

    def chosen(self, interaction: discord.Interaction[Any]) -> str:
        data: dict[str, Any] = dict(interaction.data or {})
        values = data.get("values") or []
        return str(values[0]) if values else ""


def _select(custom_id: str, placeholder: str, options: list[discord.SelectOption]) -> discord.ui.Select[Any]:
    # Discord requires at least one option; a rebuilt item only needs its custom id.
    return discord.ui.Select(
        custom_id=custom_id, placeholder=placeholder, options=options or [discord.SelectOption(label="-")]
    )


async def _private(interaction: discord.Interaction[Any], text: str) -> None:
    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


class AskButton(_DigestItem, template=r"pbd:ask:(?P<run>\d+)"):
    @staticmethod
    def component(run_id: int, options: list[discord.SelectOption]) -> Any:
        return discord.ui.Button(label="Ask about these", emoji="💬", style=discord.ButtonStyle.primary,
                                 custom_id=f"pbd:ask:{run_id}")

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        bot = bot_of(interaction)
        run, papers = await self.run_and_papers(interaction)
        if run is None or not papers:
            await _private(interaction, RUN_GONE)
            return
        listing = "\n".join(f"[{i}] {p.title}" for i, p in enumerate(papers, 1))
        # The conversation starts as if the user had asked for the digest: "the second one" then resolves.
        turn = Turn(question=f"What is in the paper digest of {run.day.isoformat()}?",
                    answer=f"The digest lists these papers:\n{listing}", cited_ids=[p.id for p in papers])
        message = interaction.message
        # Drawn from these papers (their names and themes), so the examples fit the day's topic.
        examples = bot.app.digest_writer.suggestions(papers)
        if interaction.guild is None or message is None:
            # DMs have no threads: the conversation with the user continues right here.
            await asyncio.to_thread(bot.conversations.append, dm_conversation_key(interaction.user.id), turn, "dm",
                                    interaction.user.id)
            await interaction.response.send_message(
                f"Ask me anything about these papers: just write your question here{_for_example(examples)}. Type "
                "`reset` to start over.", allowed_mentions=NO_MENTIONS)
            return
        if message.thread is not None:
            await _private(interaction, f"Questions about this digest go in {message.thread.mention}.")
            return
        channel = interaction.channel
        if isinstance(channel, discord.TextChannel):
            lacking = missing(channel, interaction.guild.me, QUESTION_THREAD_PERMISSIONS)
            if lacking:
                await _private(interaction, f"I can't open a thread here: I need the {' and '.join(lacking)} "
                                            "permission.")
                return
        thread = await open_question_thread(message, f"Digest {short_date(run.day)}: questions")
        await asyncio.to_thread(bot.conversations.append, thread_conversation_key(thread.id), turn, "thread",
                                interaction.user.id)
        me = bot.user.mention if bot.user else "@PaperBot"
        await thread.send(
            "Ask me about the papers of this digest here: **mention me** with your question"
            f"{_for_example(examples, me)}. I know which papers [1]–[{len(papers)}] are.",
            allowed_mentions=NO_MENTIONS)
        await _private(interaction, f"Opened {thread.mention} for questions about this digest.")


def _for_example(questions: list[str], mention: str = "") -> str:
    return ", e.g. " + " or ".join(f"“{mention}{' ' if mention else ''}{escape(q)}”" for q in questions) \
        if questions else ""


class MoreSelect(_DigestItem, template=r"pbd:more:(?P<run>\d+)"):
    @staticmethod
    def component(run_id: int, options: list[discord.SelectOption]) -> Any:
        return _select(f"pbd:more:{run_id}", "🔎 More like #n…", options)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await acknowledge(interaction, ephemeral=True)
        bot = bot_of(interaction)
        run, papers = await self.run_and_papers(interaction)
        n = int(self.chosen(interaction) or 0)
        if run is None or not 1 <= n <= len(papers):
            await deliver(interaction, [Outgoing(content=RUN_GONE)])
            return
        paper = papers[n - 1]
        shown = set(run.paper_ids)
        # Papers of the same digest are already in front of the reader: show others.
        result = await asyncio.to_thread(similar, bot.app, paper.id, SIMILAR_RESULTS + len(shown))
        result.items = [item for item in result.items if item.hit.id not in shown][:SIMILAR_RESULTS]
        await deliver(interaction, [similar_message(result)])


class RateSelect(_DigestItem, template=r"pbd:rate:(?P<run>\d+)"):
    @staticmethod
    def component(run_id: int, options: list[discord.SelectOption]) -> Any:
        return _select(f"pbd:rate:{run_id}", "👍 / 👎 a paper: tunes the next digests", options)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        bot = bot_of(interaction)
        run, papers = await self.run_and_papers(interaction)
        vote, _, number = self.chosen(interaction).partition(":")
        n = int(number) if number.isdigit() else 0
        if run is None or vote not in ("up", "down") or not 1 <= n <= len(papers):
            await _private(interaction, RUN_GONE)
            return
        paper = papers[n - 1]
        value = 1 if vote == "up" else -1
        await asyncio.to_thread(DigestStore(bot.app.db).rate, interaction.user.id, paper.id, value,
                                interaction.guild_id, run.id, discord.utils.utcnow())
        title = clip(escape(paper.title), 120)
        if value > 0:
            text = f"👍 noted: your DM digest (`/digest-me`) will favour papers like “{title}”."
        elif interaction.guild_id is not None:
            text = f"👎 noted: papers like “{title}” will come up less in this server's digests and in your DM digest."
        else:
            text = f"👎 noted: papers like “{title}” will come up less in your digests."
        await _private(interaction, text)


DIGEST_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (AskButton, MoreSelect, RateSelect)


def digest_view(run_id: int, digest: Digest) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AskButton(run_id))
    more = [discord.SelectOption(label=clip(f"#{i.n} {i.title}", 100), value=str(i.n)) for i in digest.items]
    view.add_item(MoreSelect(run_id, more))
    rate = [
        discord.SelectOption(label=clip(f"#{i.n} {i.title}", 100), value=f"{vote}:{i.n}", emoji=emoji)
        for i in digest.items
        for vote, emoji in (("up", "👍"), ("down", "👎"))
    ]
    view.add_item(RateSelect(run_id, rate))
    if (pick := save_pick(digest.items, numbered=True)) is not None:
        view.add_item(pick)
    return view
