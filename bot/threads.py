"""Opening a thread for questions under a message: its name and how long it stays open."""

from __future__ import annotations

from typing import Literal

import discord

from bot.formatting import thread_name

# A day without messages closes a question thread (a reply in it reopens it).
QUESTION_THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440


async def open_question_thread(message: discord.Message, topic: str) -> discord.Thread:
    """A public thread on `message` named after `topic` (one line, no mentions, within Discord's length)."""
    return await message.create_thread(name=thread_name(topic), auto_archive_duration=QUESTION_THREAD_ARCHIVE_MINUTES)
