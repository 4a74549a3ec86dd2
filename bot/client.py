"""The bot object: intents, mention policy, error routing, extension loading, command sync, shared services."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import pkgutil
import sys
import time
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

import bot.exts
from app.wiring import App
from bot import errors
from bot.formatting import NO_MENTIONS
from bot.limits import Cooldowns
from bot.permissions import INVITE_PERMISSIONS
from bot.replies import mark_received
from core.errors import PaperBotError
from core.settings import Settings
from storage.conversations import ConversationStore
from storage.feedback import FeedbackStore
from storage.searches import SearchStore

log = logging.getLogger(__name__)

BUSY_RETRY_SECONDS = 15

def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=INVITE_PERMISSIONS,
                                   scopes=("bot", "applications.commands"))


def intents() -> discord.Intents:
    """No privileged intent: DMs and messages that mention the bot carry their content without one."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    return wanted


def extension_names() -> list[str]:
    """Every module in bot/exts, so a new feature is one new file there."""
    return sorted(f"{bot.exts.__name__}.{m.name}" for m in pkgutil.iter_modules(bot.exts.__path__)
                  if not m.name.startswith("_"))


if TYPE_CHECKING:
    _Base = commands.Bot
else:
    _Base = object


class PaperBotCore(_Base):
    """What PaperBot adds to discord.py's Bot; mixed into Bot or AutoShardedBot."""

    def __init__(self, settings: Settings, app: App, **options: Any) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=intents(), allowed_mentions=NO_MENTIONS,
                         help_command=None, tree_cls=errors.PaperTree, **options)
        self.settings = settings
        self.app = app
        self.feedback = FeedbackStore(app.db)
        self.conversations = ConversationStore(app.db)
        self.searches = SearchStore(app.db)
        self.cooldowns = Cooldowns(settings.user_cooldown_seconds)
        self.questions_in_progress = 0
        self._answer_seconds = float(BUSY_RETRY_SECONDS)  # moving average: how long an answer takes
        # Seconds from receiving an interaction to acknowledging it (the benchmark and operators read this).
        self.ack_latencies: deque[float] = deque(maxlen=10_000)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        if event_name == "interaction" and args and isinstance(args[0], discord.Interaction):
            # Dispatched synchronously as the gateway event is parsed: the moment the 3 s clock starts for us.
            mark_received(args[0])
        super().dispatch(event_name, *args, **kwargs)

    async def setup_hook(self) -> None:
        # Each extension registers its own persistent components (buttons, menus) as it loads.
        for name in extension_names():
            await self.load_extension(name)
        await self._warm_up()
        # What is loaded by now (libraries, the index, the engine) lives as long as the bot. Out of the
        # collector's sight, a full collection no longer walks it: that walk took 150-400 ms on the event
        # loop, a stall for every interaction arriving meanwhile. (No collection first: that would be the
        # same walk; the little garbage frozen with it is not worth it.)
        gc.freeze()
        await self.sync_commands()

    async def _warm_up(self) -> None:
        """Open the index and build the engine now, in a worker thread, rather than on the first question
        (which would stall every interaction behind it); a missing index is reported, not fatal."""
        try:
            engine = await asyncio.to_thread(lambda: self.app.engine)
            await engine.warm_up()
        except PaperBotError as exc:
            log.warning("index not available; commands will say so", extra={"reason": str(exc)})

    async def sync_commands(self) -> None:
        guild_id = self.settings.discord_guild_id
        try:
            if guild_id is not None:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
            else:
                synced = await self.tree.sync()
        except discord.HTTPException as exc:
            log.error("slash command sync failed; invite the bot with the applications.commands scope",
                      extra={"status": exc.status, "code": exc.code, "guild_id": guild_id})
            return
        log.info("slash commands synced", extra={"count": len(synced), "guild_id": guild_id})

    def admission(self, user_id: int) -> str | None:
        """Why a question cannot be taken right now (cooldown, LLM at capacity), or None to go ahead.

        Going ahead reserves the question's place in the queue at once (a burst of questions must not all
        see an empty queue): the caller must then run the answer inside `answering()`, which frees it.
        """
        wait = self.cooldowns.retry_after(user_id)
        if wait > 0:
            return (f"You're asking a bit fast: try again {_retry_text(wait)} "
                    f"(the limit is one question every {self.settings.user_cooldown_seconds:g} s).")
        if self._llm_saturated():
            self.cooldowns.forget(user_id)
            return (f"I'm answering as many questions as I can right now; please try again "
                    f"{_retry_text(max(5.0, self._answer_seconds))}.")
        self.questions_in_progress += 1
        return None

    def _llm_saturated(self) -> bool:
        """Every LLM slot taken and as many questions again waiting for one.

        Questions beyond the slots wait their turn behind a "thinking…" placeholder; a longer queue would keep
        people waiting for several answers' time (or past the 15-minute interaction token), so they are told
        when to retry instead. The engine's own flag covers slots taken by others (the digest).
        """
        if not self.settings.llm_configured:
            return False
        cap = self.settings.llm_max_concurrency
        # LLM calls that are not questions of this queue (a digest's summaries) take places in it too.
        others = max(0, self.app.engine.llm_in_flight - self.questions_in_progress)
        return self.questions_in_progress + others >= 2 * cap

    def queued_ahead(self) -> int | None:
        """For a question just admitted: None when an LLM slot is free for it, else how many wait before it."""
        waiting = self.questions_in_progress - self.settings.llm_max_concurrency
        return waiting - 1 if self.settings.llm_configured and waiting > 0 else None

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Frees the place `admission` reserved when the answer is done, and learns how long answers take."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.questions_in_progress -= 1
            self._answer_seconds = 0.8 * self._answer_seconds + 0.2 * (time.perf_counter() - started)

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: DMs and mentions are questions, handled by bot.exts.conversations."""

    async def on_command_error(self, context: commands.Context[Any], exception: commands.CommandError,
                               /) -> None:
        await errors.on_command_error(context, exception)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """Every listener's failure ends here (a question by DM or mention among them)."""
        error = sys.exc_info()[1]
        if error is not None:
            await errors.report_event_error(event_method, error, args)

    async def close(self) -> None:
        await super().close()
        await self.app.close_engine()
        gc.unfreeze()  # a process that starts another bot (tests) lets the collector see this one's objects


def _retry_text(seconds: float) -> str:
    """When to try again, as the reader's relative time and in seconds."""
    at = discord.utils.utcnow() + dt.timedelta(seconds=max(1.0, seconds))
    return f"{discord.utils.format_dt(at, 'R')} (in {max(1, round(seconds))} s)"


def bot_of(interaction: discord.Interaction[Any]) -> PaperBotCore:
    """The PaperBot an interaction arrived at, with its services (app, stores, admission)."""
    client = interaction.client
    if not isinstance(client, PaperBotCore):
        raise TypeError("PaperBot components used outside PaperBot")
    return client


class PaperBot(PaperBotCore, commands.Bot):
    pass


class ShardedPaperBot(PaperBotCore, commands.AutoShardedBot):
    pass
