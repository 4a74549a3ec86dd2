"""The Discord permissions PaperBot asks for and checks: in a server, in a digest channel, for a thread."""

from __future__ import annotations

from collections.abc import Sequence

import discord

# Everything the bot does in a server, and nothing more: read the channel, answer (in threads it opens),
# show embeds, reply to the question message (replies need Read Message History), and react to a mention it
# may not answer where it was asked.
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, send_messages_in_threads=True, create_public_threads=True,
    embed_links=True, read_message_history=True, add_reactions=True)

# (attribute, the name the Discord client shows) for each check below.
DIGEST_CHANNEL_PERMISSIONS = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    # Read back after a restart to check whether an interrupted digest was already posted.
    ("read_message_history", "Read Message History"),
)
QUESTION_THREAD_PERMISSIONS = (
    ("create_public_threads", "Create Public Threads"),
    ("send_messages_in_threads", "Send Messages in Threads"),
)


def missing(channel: discord.abc.GuildChannel, me: discord.Member | None,
            wanted: Sequence[tuple[str, str]]) -> list[str]:
    """The names of the `wanted` permissions the bot lacks in `channel` (all of them when it is not a member)."""
    if me is None:
        return [name for _, name in wanted]
    perms = channel.permissions_for(me)
    return [name for attr, name in wanted if not getattr(perms, attr)]
