"""Helpers for PaperBot's simcord tests: a bot per test on the shared index, optional LLM, and real-time waits.

Configure the bot of one test with `@bot_config(llm=True, user_cooldown_seconds=30, ...)`: keyword arguments are
settings overrides; `llm=True` points the bot at the `openai_server` fixture (a real HTTP server on loopback)
unless `openai_base_url` is given.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import discord
import pytest
import simcord
from conftest import make_settings

from app.wiring import App
from bot import create_bot
from bot.client import PaperBotCore
from bot.errors import unwrap
from bot.formatting import Outgoing, within_limits
from core.errors import InputError


def bot_config(**overrides: Any) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("simcord_bot", [overrides], indirect=True, ids=["bot"])


@pytest.fixture
async def simcord_bot(request: pytest.FixtureRequest, settings: Any, retriever: Any) -> AsyncIterator[PaperBotCore]:
    overrides = dict(getattr(request, "param", {}))
    overrides.setdefault("user_cooldown_seconds", 0)
    if overrides.pop("llm", False):
        if "openai_base_url" not in overrides:
            overrides["openai_base_url"] = request.getfixturevalue("openai_server").base_url
        for key, value in {"openai_api_key": "test-key", "llm_model": "fake-model", "llm_retries": 0}.items():
            overrides.setdefault(key, value)
    app = App(make_settings(settings.data_dir, **overrides), retriever=retriever)
    bot = create_bot(app.settings, app)
    yield bot
    await app.close_engine()
    app.close_db()
    gc.unfreeze()  # as bot.close() does (simcord detaches a bot without closing it): later tests' garbage is
    # collected, not kept frozen with this bot's start-up heap


@pytest.fixture(autouse=True)
def refusals_are_not_failures(request: pytest.FixtureRequest) -> Iterator[None]:
    """An InputError is PaperBot refusing bad input with a one-line message: the central error handler's job,
    which tests check through what the user sees. simcord records every error the bot's handlers see; only the
    other ones (real failures) are left to fail the test."""
    if "simcord_env" not in request.fixturenames:
        yield
        return
    env: simcord.Env = request.getfixturevalue("simcord_env")
    yield
    # Only what the test did not look at itself (reading `env.errors` acknowledges what it saw).
    unread = env.errors_since(env._errors_acknowledged)
    env._errors_acknowledged = env.error_cursor
    failures = [e for e in unread if not isinstance(unwrap(e), InputError)]
    if failures:
        raise ExceptionGroup("bot raised errors during the test", failures)


async def wait_until(env: simcord.Env, condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Let real time pass (the LLM server is real) until `condition()` is truthy, then settle the bot."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.05)
    await env.settle()
    return value


def as_outgoing(message: Any) -> Outgoing:
    return Outgoing(content=message.content or None, embeds=list(message.embeds))


def assert_within_limits(messages: list[Any]) -> None:
    for message in messages:
        assert within_limits(as_outgoing(message)), f"message over Discord's limits: {message!r}"


def text_of(message: Any) -> str:
    """Everything a user reads in a message: content, embed titles, descriptions, fields and footers."""
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or ""]
        parts += [f"{f.name}\n{f.value}" for f in embed.fields]
        parts.append(embed.footer.text or "")
    return "\n".join(p for p in parts if p)


def button_labels(message: Any) -> list[str]:
    labels = []
    for row in message.components:
        for child in getattr(row, "children", []):
            if isinstance(child, discord.Button):  # menus (Save papers…) have no label
                labels.append(child.label or str(child.emoji))
    return labels


def no_pings(message: discord.Message) -> bool:
    return not message.mention_everyone and not message.mentions and not message.role_mentions


QUESTION = "How can language models handle very long contexts?"


@pytest.fixture
def world(simcord_env: simcord.Env) -> tuple[Any, Any, Any, Any]:
    """A server "Lab" with a #papers channel and two members, alice and bob."""
    guild = simcord_env.create_guild("Lab")
    channel = guild.create_text_channel("papers")
    alice = guild.add_member(simcord_env.create_user("alice"))
    bob = guild.add_member(simcord_env.create_user("bob"))
    return guild, channel, alice, bob
