"""The one place failures are turned into a human message for the user and a log line for the operator.

Every entry point ends here: the command tree's on_error, on_command_error (hybrid commands), views and
buttons, and the message listeners (DMs, mentions). The user gets a short message with an error id; the log
line carries the same id with the details, so a report can be matched to its traceback.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.formatting import NO_MENTIONS, clip
from bot.replies import send_ephemeral
from core.errors import InputError, PaperBotError

log = logging.getLogger(__name__)


def new_error_id() -> str:
    return secrets.token_hex(4)


def unwrap(error: BaseException) -> BaseException:
    """The exception that actually happened, out of discord.py's wrappers."""
    while True:
        if isinstance(error, app_commands.CommandInvokeError | commands.CommandInvokeError
                      | commands.HybridCommandError):
            error = error.original
        elif isinstance(error, app_commands.TransformerError) and isinstance(error.__cause__, PaperBotError):
            error = error.__cause__
        else:
            return error


def describe(error: BaseException, error_id: str) -> tuple[str, int]:
    """(message for the user, log level) for a failure."""
    if isinstance(error, InputError):
        return str(error), logging.DEBUG
    if isinstance(error, PaperBotError):
        return f"{error} (error id `{error_id}`)", logging.WARNING
    if isinstance(error, app_commands.TransformerError):
        return f"That value can't be used here: {clip(str(error), 300)}", logging.DEBUG
    if isinstance(error, app_commands.BotMissingPermissions | commands.BotMissingPermissions):
        missing = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I need the {missing} permission here to do that.", logging.INFO
    if isinstance(error, app_commands.CheckFailure | commands.CheckFailure):
        return "You can't use this command here.", logging.DEBUG
    if isinstance(error, discord.Forbidden):
        return (f"Discord refused an action because I'm missing a permission here ({clip(error.text, 120)}). "
                f"A server admin can fix my role's permissions (error id `{error_id}`)."), logging.WARNING
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return (f"That took too long and was stopped; please try again (error id `{error_id}`)."), logging.WARNING
    return (f"Something went wrong on my side and it has been logged. If it keeps happening, "
            f"mention error id `{error_id}`."), logging.ERROR


def _log(level: int, event: str, error: BaseException, error_id: str, **fields: object) -> None:
    exc_info = (type(error), error, error.__traceback__) if level >= logging.WARNING else None
    log.log(level, event, exc_info=exc_info,
            extra={"error_id": error_id, "error": f"{type(error).__name__}: {error}"[:500], **fields})


def log_failure(where: str, error: BaseException, **fields: object) -> str:
    """A failure with nobody to tell (a background job such as the digest scheduler): one log line, its id."""
    error = unwrap(error)
    error_id = new_error_id()
    _, level = describe(error, error_id)
    _log(level, f"{where} failed", error, error_id, **fields)
    return error_id


async def report_interaction_error(interaction: discord.Interaction[Any], error: BaseException,
                                   where: str = "command") -> None:
    error = unwrap(error)
    error_id = new_error_id()
    text, level = describe(error, error_id)
    command = interaction.command.qualified_name if interaction.command else None
    _log(level, f"{where} failed", error, error_id, command=command, custom_id=interaction.data.get("custom_id")
         if interaction.data else None, user_id=interaction.user.id, guild_id=interaction.guild_id,
         channel_id=interaction.channel_id)
    try:
        delivered = await send_ephemeral(interaction, text)
    except Exception:  # the error path must never raise: the bot stays up
        log.exception("error message delivery failed", extra={"error_id": error_id})
        delivered = False
    if not delivered:
        log.warning("user could not be told about a failure", extra={"error_id": error_id})


async def report_message_error(channel: discord.abc.Messageable | None, error: BaseException,
                               where: str = "message", **fields: object) -> None:
    """A failure while answering a DM or a mention: say so in the conversation when possible."""
    error = unwrap(error)
    error_id = new_error_id()
    text, level = describe(error, error_id)
    if isinstance(error, discord.Forbidden | discord.NotFound):
        # Blocked DMs, deleted threads, revoked permissions: nowhere to say it, so the log is the message.
        _log(logging.WARNING, f"{where}: cannot reply", error, error_id, **fields)
        return
    _log(level, f"{where} failed", error, error_id, **fields)
    if channel is None:
        return
    try:
        await channel.send(clip(text, 2000), allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.warning("could not deliver an error message", extra={"error_id": error_id, "status": exc.status,
                                                                  "code": exc.code, **fields})


async def report_event_error(event_method: str, error: BaseException, args: tuple[Any, ...]) -> None:
    """A listener failed: a message listener tells the conversation, any other only logs."""
    message = args[0] if args and isinstance(args[0], discord.Message) else None
    if message is not None:
        await report_message_error(message.channel, error, where=event_method.removeprefix("on_"),
                                   channel_id=message.channel.id, user_id=message.author.id)
    else:
        log_failure(f"event {event_method}", error)


class PaperTree(app_commands.CommandTree[Any]):
    async def on_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /) -> None:
        await report_interaction_error(interaction, error)


async def on_command_error(ctx: commands.Context[Any], error: commands.CommandError) -> None:
    if isinstance(error, commands.CommandNotFound):
        return
    if ctx.interaction is not None:
        await report_interaction_error(ctx.interaction, error)
    else:
        await report_message_error(ctx.channel, error, where="command", command=ctx.command and ctx.command.name)
