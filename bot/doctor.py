"""`paperbot doctor` Discord checks: the token's shape, and with --deep a real login listing servers and permissions."""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import discord

from app.health import Check, fail, ok, warn
from bot.client import intents
from bot.permissions import DIGEST_CHANNEL_PERMISSIONS, missing
from core.settings import Settings

# Discord bot tokens are three base64url parts: the bot's user id, a timestamp and a signature.
_TOKEN = re.compile(r"^([A-Za-z0-9_-]{16,})\.([A-Za-z0-9_-]{4,})\.([A-Za-z0-9_-]{20,})$")
LOGIN_TIMEOUT_SECONDS = 20.0
RESET_FIX = "Developer Portal -> your application -> Bot -> Reset Token; put the new token in DISCORD_TOKEN"


def token_user_id(token: str) -> int | None:
    """The bot's user id a well-formed token starts with, or None when the token is not shaped like one."""
    match = _TOKEN.match(token.strip())
    if not match:
        return None
    head = match.group(1)
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(decoded) if decoded.isdigit() else None


def check_token(settings: Settings) -> Check:
    if settings.discord_token is None:
        return ok("discord", "no DISCORD_TOKEN: `paperbot run` starts the local console")
    token = settings.discord_token.get_secret_value()
    if token.lower().startswith("bot "):
        return fail("discord", "DISCORD_TOKEN starts with 'Bot '", "put the token alone in DISCORD_TOKEN")
    user_id = token_user_id(token)
    if user_id is None:
        return fail("discord", "DISCORD_TOKEN is not shaped like a bot token (three dot-separated parts)",
                    RESET_FIX + " (the token, not the client secret or application id)")
    return ok("discord", f"token shaped right, for bot user {user_id} (--deep logs in)")


async def check_login(settings: Settings, digest_channels: Sequence[tuple[int, int]]) -> Check:
    """Log in through the gateway; report the servers and, per digest channel, what permission is missing."""
    assert settings.discord_token is not None
    client = discord.Client(intents=intents())
    ready = asyncio.Event()
    client.event(_on_ready(ready))
    try:
        await client.login(settings.discord_token.get_secret_value())
        runner = asyncio.create_task(client.connect(reconnect=False))
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait({runner, waiter}, timeout=LOGIN_TIMEOUT_SECONDS,
                                     return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()  # the gateway closed before ready: raise why
        if waiter not in done:
            return fail("discord login", f"no ready event from the gateway within {LOGIN_TIMEOUT_SECONDS:g} s",
                        "check the network to Discord and retry")
        return _report(client, digest_channels)
    except discord.LoginFailure:
        return fail("discord login", "Discord rejected DISCORD_TOKEN (revoked or wrong)", RESET_FIX)
    except (discord.HTTPException, discord.GatewayNotFound, discord.ConnectionClosed, OSError) as exc:
        return fail("discord login", f"cannot reach Discord: {exc}", "check the network to Discord and retry")
    finally:
        await client.close()


def _on_ready(ready: asyncio.Event) -> Callable[[], Coroutine[Any, Any, None]]:
    async def on_ready() -> None:
        ready.set()

    return on_ready


def _report(client: discord.Client, digest_channels: Sequence[tuple[int, int]]) -> Check:
    guilds = ", ".join(g.name for g in client.guilds[:5]) + (" ..." if len(client.guilds) > 5 else "")
    detail = f"logged in as {client.user}, in {len(client.guilds)} server(s)" + (f": {guilds}" if guilds else "")
    problems = []
    for guild_id, channel_id in digest_channels:
        guild = client.get_guild(guild_id)
        channel = guild.get_channel(channel_id) if guild else None
        if guild is None or channel is None or guild.me is None:
            problems.append(f"digest channel {channel_id}: not visible to the bot (removed, or bot not in server)")
            continue
        lacking = missing(channel, guild.me, DIGEST_CHANNEL_PERMISSIONS)
        if lacking:
            problems.append(f"#{channel.name} in {guild.name}: missing {', '.join(lacking)}")
    if problems:
        return fail("discord login", detail + "; " + "; ".join(problems),
                    "grant those permissions to the bot's role in that channel, or `/digest off` there")
    if not client.guilds:
        return warn("discord login", detail, "invite the bot: `paperbot run` prints the invite link")
    return ok("discord login", detail + (f"; {len(digest_channels)} digest channel(s) can be posted to"
                                         if digest_channels else ""))
