"""Getting an answer from the engine onto Discord: streamed progress, then the final answer with its buttons.

Used by /ask (an interaction) and by DMs and threads (plain channel messages); a `Surface` hides which.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import discord

from app import ask
from app.ask import Prices, Question
from bot.formatting import Outgoing
from bot.limits import EditThrottle
from bot.render import answer_messages, partial_message
from bot.replies import deliver, embeds_allowed, message_kwargs, send_messages, show_partial
from bot.views import answer_view
from core.models import Answer, SearchFilters, Turn
from storage.feedback import Surface as SurfaceName

if TYPE_CHECKING:
    from bot.client import PaperBotCore

log = logging.getLogger(__name__)

STREAM_EDIT_INTERVAL = 1.0


class Surface(Protocol):
    embeds: bool

    async def partial(self, message: Outgoing) -> None: ...

    async def final(self, messages: Sequence[Outgoing], view: discord.ui.View | None) -> None: ...


class InteractionSurface:
    def __init__(self, interaction: discord.Interaction[Any]) -> None:
        self.interaction = interaction
        self.embeds = embeds_allowed(interaction)

    async def partial(self, message: Outgoing) -> None:
        await show_partial(self.interaction, message)

    async def final(self, messages: Sequence[Outgoing], view: discord.ui.View | None) -> None:
        await deliver(self.interaction, messages, view=view)


class ChannelSurface:
    """A DM or thread: progress goes into one message, which the answer then replaces."""

    def __init__(self, channel: discord.abc.Messageable, *, embeds: bool, reference: discord.Message | None = None):
        self.channel = channel
        self.embeds = embeds
        self.reference = reference
        self.placeholder: discord.Message | None = None
        self.sent: list[discord.Message] = []

    async def partial(self, message: Outgoing) -> None:
        if self.placeholder is None:
            self.placeholder = (await send_messages(self.channel, [message], reference=self.reference))[0]
        else:
            await self.placeholder.edit(**message_kwargs(message, edit=True))

    async def final(self, messages: Sequence[Outgoing], view: discord.ui.View | None) -> None:
        rest = list(messages)
        if self.placeholder is not None and rest:
            first = rest.pop(0)
            self.sent.append(await self.placeholder.edit(**message_kwargs(first, None if rest else view, edit=True)))
            reference = None
        else:
            reference = self.reference
        if rest:
            self.sent += await send_messages(self.channel, rest, view=view, reference=reference)


async def produce_answer(bot: PaperBotCore, question: Question, surface: Surface, *,
                         history: list[Turn] | None = None, filters: SearchFilters | None = None,
                         prefer: Sequence[str] = ()) -> Answer:
    """Run the /ask use case; while an LLM streams, show the text so far at most once a second."""
    if not ask.streams(bot.app):
        return await ask.answer(bot.app, question, history, filters, prefer)
    throttle = EditThrottle(STREAM_EDIT_INTERVAL)
    stream = ask.stream(bot.app, question, history, filters, prefer)
    showing = True
    try:
        while True:
            try:
                item = await anext(stream)
            except StopAsyncIteration:
                break
            if isinstance(item, Answer):
                return item
            if showing and item.strip() and throttle.ready():
                try:
                    await surface.partial(partial_message(question.text, item, embeds=surface.embeds))
                except discord.HTTPException as exc:
                    # Progress is a nicety: the final answer is still attempted.
                    showing = False
                    log.info("streaming edit failed", extra={"status": exc.status, "code": exc.code})
    finally:
        close = getattr(stream, "aclose", None)  # an async generator: release its HTTP stream now
        if close is not None:
            await close()
    raise RuntimeError("the answer engine's stream ended without a final answer")


async def answer_and_deliver(bot: PaperBotCore, question: Question, surface: Surface, *, source: SurfaceName,
                             user_id: int | None, guild_id: int | None, channel_id: int | None,
                             history: list[Turn] | None = None, filters: SearchFilters | None = None,
                             prefer: Sequence[str] = ()) -> Answer:
    """The whole answer path: engine, record (so buttons keep working), render within limits, send."""
    answer = await produce_answer(bot, question, surface, history=history, filters=filters, prefer=prefer)
    answer_id = await asyncio.to_thread(bot.feedback.record_answer, answer, surface=source, user_id=user_id,
                                        guild_id=guild_id, channel_id=channel_id)
    messages = await asyncio.to_thread(answer_messages, answer, llm_model=bot.settings.llm_model,
                                       embeds=surface.embeds, max_messages=bot.settings.answer_max_messages,
                                       prices=Prices.of(bot.settings))
    # A no-match has nothing to vote on, save or find more of: no buttons under it.
    view = None if answer.mode == "abstain" else answer_view(answer_id, has_citations=bool(answer.citations))
    await surface.final(messages, view)
    log.info("answered", extra={"source": source, "answer_id": answer_id, "mode": answer.mode,
                                "citations": len(answer.citations), "messages": len(messages),
                                "total_ms": round(answer.timings_ms.total, 1)})
    return answer
