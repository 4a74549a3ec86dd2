"""`paperbot run`: the Discord bot; without DISCORD_TOKEN, how to get one, then the local console."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys

from core.errors import PaperBotError
from core.settings import Settings

NO_TOKEN = """\
No DISCORD_TOKEN set, so starting the local console instead (same commands, same engine).
To run on Discord:
  1. https://discord.com/developers/applications -> New Application -> Bot -> Reset Token; copy it.
  2. Put DISCORD_TOKEN=<token> in .env (optional: DISCORD_GUILD_ID=<server id> for instant command sync).
  3. Invite the bot (OAuth2 -> URL Generator, scopes bot + applications.commands; see the README).
  4. paperbot run
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "Needs DISCORD_TOKEN (env or .env); DISCORD_GUILD_ID syncs commands to one server instantly."


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console

    from app.wiring import App
    from paperbot.console import ensure_index, run_console

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if settings.discord_token is None:
        err.print(NO_TOKEN, markup=False)
        ensure_index(settings, err)
        return run_console(App(settings))
    ensure_index(settings, err)
    return asyncio.run(_serve(settings))


def settle_memory() -> None:
    """Move everything loaded at startup (models, index, caches) out of the garbage collector's sight.

    Otherwise every full collection walks those millions of objects: 50-100 ms pauses of the event loop
    that land on whichever interactions are waiting to be acknowledged.
    """
    gc.collect()
    gc.freeze()


async def _serve(settings: Settings) -> int:
    import aiohttp
    import discord

    from bot import create_bot
    from bot.client import invite_url

    assert settings.discord_token is not None
    bot = create_bot(settings)
    try:
        async with bot:
            await bot.login(settings.discord_token.get_secret_value())  # runs setup_hook: index, engine, sync
            if bot.application_id is not None:
                print(f"PaperBot is starting; invite it to a server with:\n  {invite_url(bot.application_id)}",
                      file=sys.stderr)
            settle_memory()
            await bot.connect()
    except discord.LoginFailure:
        raise PaperBotError("Discord rejected DISCORD_TOKEN: copy a fresh token from the Developer Portal "
                            "(Bot -> Reset Token) into .env") from None
    except discord.PrivilegedIntentsRequired:
        raise PaperBotError("Discord refused the connection for a privileged intent; PaperBot needs none, "
                            "so check for a modified bot/client.py") from None
    except (OSError, aiohttp.ClientError, discord.GatewayNotFound, discord.DiscordServerError) as exc:
        raise PaperBotError(f"cannot reach Discord ({type(exc).__name__}: {exc}): check the network, DNS or "
                            "proxy to discord.com, then run `paperbot run` again") from None
    return 0
