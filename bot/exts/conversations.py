"""Questions outside slash commands: direct messages, and mentions answered in a thread of their own.

Both keep memory of the last turns, so "compare the first two" works. Without the message-content intent
Discord only shows the bot DMs and messages that mention it (or reply to it), which is all this needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from app.ask import question as check_question
from bot.answering import ChannelSurface, answer_and_deliver
from bot.formatting import NO_MENTIONS, text_messages
from bot.permissions import QUESTION_THREAD_PERMISSIONS, missing
from bot.replies import send_messages
from bot.threads import open_question_thread
from core.models import Turn
from storage.conversations import ConversationKind, dm_conversation_key, thread_conversation_key

if TYPE_CHECKING:
    from bot.client import PaperBotCore

log = logging.getLogger(__name__)

# What a user types in a DM or thread to make PaperBot forget the conversation so far.
CONVERSATION_RESET_WORDS = {"reset", "start over", "new topic", "forget"}
# Put on a mention the bot may not answer where it was asked (see Conversations._cannot_answer).
CANNOT_ANSWER_REACTION = "🔇"
# The custom ids of an answer's buttons (bot.views), which carry its stored answer's id.
_ANSWER_BUTTON = re.compile(r"pb:(?:src|more|vote:up|vote:down):(\d+)")


def is_reset(text: str) -> bool:
    return text.strip().strip("!.").casefold() in CONVERSATION_RESET_WORDS


class Conversations(commands.Cog):
    def __init__(self, bot: PaperBotCore) -> None:
        self.bot = bot

    def _strip_mentions(self, text: str) -> str:
        if self.bot.user is not None:
            text = re.sub(rf"<@!?{self.bot.user.id}>", " ", text)
        return " ".join(text.split())

    def _addresses_bot(self, message: discord.Message) -> bool:
        me = self.bot.user
        return me is not None and any(user.id == me.id for user in message.mentions)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.webhook_id is not None:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        # A failure goes to PaperBotCore.on_error, which tells the conversation (bot.errors.report_event_error).
        if message.guild is None:
            await self._on_dm(message)
        else:
            await self._on_guild_message(message)

    async def _on_dm(self, message: discord.Message) -> None:
        text = self._strip_mentions(message.content)
        if not text:
            return  # an attachment or sticker alone: nothing to answer
        key = dm_conversation_key(message.author.id)
        if is_reset(text):
            await asyncio.to_thread(self.bot.conversations.reset, key)
            await self._say(message.channel, "Starting over: I've forgotten our earlier questions.")
            return
        await self._follow_up(message, text, message.channel, memory=(key, "dm"), embeds=True)

    async def _on_guild_message(self, message: discord.Message) -> None:
        channel = message.channel
        text = self._strip_mentions(message.content)
        if isinstance(channel, discord.Thread):
            key = thread_conversation_key(channel.id)
            ours = await asyncio.to_thread(self.bot.conversations.exists, key)
            if not (ours or self._addresses_bot(message)):
                return
            if not text:
                if ours and not self._addresses_bot(message) and await asyncio.to_thread(
                        self.bot.conversations.mark_hinted, key):
                    await self._say(channel, "To ask a follow-up here, mention me or reply to one of my answers: "
                                             "I can't read other messages.")
                elif self._addresses_bot(message):
                    await self._say(channel, "Ask me a question after the mention, e.g. “@PaperBot what is RAG?”")
                return
            if is_reset(text):
                await asyncio.to_thread(self.bot.conversations.reset, key)
                await self._say(channel, "Starting over in this thread: earlier questions are forgotten.")
                return
            await self._follow_up(message, text, channel, memory=(key, "thread"), embeds=self._can_embed(channel),
                                  reference=message)
            return
        if not self._addresses_bot(message):
            return
        if not text:
            await self._say(channel, "Ask me a question after the mention, e.g. “@PaperBot what is RAG?”",
                            reference=message)
            return
        await self._answer_in_new_thread(message, text)

    async def _answer_in_new_thread(self, message: discord.Message, text: str) -> None:
        refusal = self.bot.admission(message.author.id)
        if refusal:
            await self._say(message.channel, refusal, reference=message)
            return
        with self.bot.answering():
            await self._open_thread_and_answer(message, text, await self._replied_answer(message))

    async def _replied_answer(self, message: discord.Message) -> list[Turn]:
        """A mention replying to one of PaperBot's answers in the channel (an /ask) follows on from that answer:
        its buttons carry the answer's id."""
        replied = message.reference.resolved if message.reference is not None else None
        me = self.bot.user
        if not isinstance(replied, discord.Message) or me is None or replied.author.id != me.id:
            return []
        ids = [int(found.group(1)) for row in replied.components for item in getattr(row, "children", [])
               if (found := _ANSWER_BUTTON.fullmatch(getattr(item, "custom_id", None) or ""))]
        stored = await asyncio.to_thread(self.bot.feedback.get_answer, ids[0]) if ids else None
        return [Turn(question=stored.question, answer=stored.answer, cited_ids=stored.cited_ids)] if stored else []

    async def _open_thread_and_answer(self, message: discord.Message, text: str, seed: list[Turn]) -> None:
        channel = message.channel
        me = message.guild.me if message.guild else None
        perms = channel.permissions_for(me) if me is not None and not isinstance(channel, discord.DMChannel) \
            else discord.Permissions.none()
        thread: discord.Thread | None = None
        if isinstance(channel, discord.TextChannel) and not missing(channel, me, QUESTION_THREAD_PERMISSIONS):
            try:
                thread = await open_question_thread(message, text)
            except discord.HTTPException as exc:
                log.warning("could not open a thread for a question",
                            extra={"channel_id": channel.id, "status": exc.status, "code": exc.code})
        if thread is not None:
            key = thread_conversation_key(thread.id)
            # Registered before answering, so replies in the thread count as follow-ups even meanwhile.
            await asyncio.to_thread(self.bot.conversations.open, key, "thread", message.author.id)
            for turn in seed:  # the answer replied to starts the thread's memory
                await asyncio.to_thread(self.bot.conversations.append, key, turn, "thread", message.author.id)
            await self._answer(message, text, thread, embeds=self._can_embed(thread), memory=(key, "thread"))
            return
        if not perms.send_messages:
            await self._cannot_answer(message, perms)
            return
        if isinstance(channel, discord.TextChannel):
            await self._say(channel, "I can't open a thread here (I need the Create Public Threads and Send "
                                     "Messages in Threads permissions), so I'm answering in the channel.",
                            reference=message)
        await self._answer(message, text, channel, embeds=perms.embed_links, reference=message, seed=seed)

    async def _cannot_answer(self, message: discord.Message, perms: discord.Permissions) -> None:
        """No thread and no channel message possible: a reaction says the mention was seen, a DM when even that
        is not allowed (the asker should not be left wondering whether the bot is down)."""
        where = {"channel_id": message.channel.id, "guild_id": message.guild and message.guild.id}
        if perms.add_reactions and perms.read_message_history:
            try:
                await message.add_reaction(CANNOT_ANSWER_REACTION)
                log.info("mention not answered: no permission to send messages; reacted", extra=where)
                return
            except discord.HTTPException as exc:
                log.info("could not react to a mention", extra={**where, "status": exc.status, "code": exc.code})
        channel = getattr(message.channel, "mention", "that channel")
        try:
            await message.author.send(
                f"I saw your question in {channel} but I'm not allowed to post there (I need the Send Messages "
                "permission, or Create Public Threads for a thread). Ask me here in DMs instead, or ask a server "
                "admin to let me post there.", allowed_mentions=NO_MENTIONS)
            log.info("mention not answered: no permission to send messages; told the asker by DM", extra=where)
        except discord.HTTPException as exc:
            log.warning("mention not answered: no permission to post, react or DM",
                        extra={**where, "status": exc.status, "code": exc.code})

    def _can_embed(self, channel: Any) -> bool:
        guild = getattr(channel, "guild", None)
        if guild is None:
            return True
        return bool(channel.permissions_for(guild.me).embed_links)

    async def _say(self, channel: discord.abc.Messageable, text: str,
                   reference: discord.Message | None = None) -> None:
        await send_messages(channel, text_messages(text), reference=reference)

    async def _follow_up(self, message: discord.Message, text: str, target: discord.abc.Messageable, *,
                         memory: tuple[str, ConversationKind], embeds: bool,
                         reference: discord.Message | None = None) -> None:
        """A question in a conversation that already exists (a DM, PaperBot's thread)."""
        refusal = self.bot.admission(message.author.id)
        if refusal:
            await self._say(target, refusal, reference=reference)
            return
        with self.bot.answering():
            await self._answer(message, text, target, embeds=embeds, memory=memory, reference=reference)

    async def _answer(self, message: discord.Message, text: str, target: discord.abc.Messageable, *,
                      embeds: bool, memory: tuple[str, ConversationKind] | None = None,
                      reference: discord.Message | None = None, seed: list[Turn] | None = None) -> None:
        """Answer with the conversation's memory (or `seed`, outside one), then remember this turn (only once
        the user has it)."""
        asked = check_question(self.bot.app, text)  # nothing to search for: on_error tells the user
        store = self.bot.conversations
        history = seed or []
        if memory is not None:
            # A reply to an older answer follows on from that answer, not from the latest one.
            anchor = message.reference.message_id if message.reference is not None else None
            history = await asyncio.to_thread(store.history, memory[0], self.bot.settings.conversation_turns,
                                              anchor)
        with contextlib.suppress(discord.HTTPException):  # typing is cosmetic; a real failure shows on send
            await target.typing()
        surface = ChannelSurface(target, embeds=embeds, reference=reference)
        answer = await answer_and_deliver(
            self.bot, asked, surface, source=memory[1] if memory else "channel", user_id=message.author.id,
            guild_id=message.guild.id if message.guild else None, channel_id=getattr(target, "id", None),
            history=history)
        if memory is not None:
            await asyncio.to_thread(store.append, memory[0], answer.as_turn(), memory[1], message.author.id,
                                    [sent.id for sent in surface.sent])


async def setup(bot: PaperBotCore) -> None:
    await bot.add_cog(Conversations(bot))
