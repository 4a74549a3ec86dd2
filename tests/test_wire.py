"""Wire level: the real bot on the real discord.py client, talking HTTP and a zlib-stream gateway to a fake
Discord on loopback (tests/support/fake_discord.py).

The simcord tests cover behaviour; these prove the path underneath it that a simulator replaces: login, the
gateway handshake and heartbeat, command sync, interaction callbacks and webhook edits, channel messages, and
discord.py's own 429 handling, with nothing on the bot's side mocked.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import discord
import pytest
from support.fake_discord import Call, FakeDiscord, guard_loopback

from app.wiring import App
from bot import create_bot
from bot.client import PaperBotCore
from core.settings import BUNDLED_CORPUS, Settings
from retrieval.corpus import corpus_files, normalize_title, parse_corpus

TOKEN = "fake-bot-token.for-the-loopback-discord"
USER_COMMANDS = {"ask", "search", "paper", "similar", "help", "about"}
QUESTION = "How does retrieval-augmented generation reduce hallucinations in language models?"
PRIVILEGED_INTENTS = discord.Intents(members=True, presences=True, message_content=True).value


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    escapes = guard_loopback(monkeypatch)
    async with FakeDiscord(token=TOKEN) as server:
        monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", server.gateway_url)
        yield server
    assert escapes == [], f"connections tried to leave loopback: {escapes}"


@pytest.fixture(scope="module")
def corpus_titles() -> set[str]:
    return {normalize_title(p.title) for p in parse_corpus(corpus_files([BUNDLED_CORPUS])).papers}


async def until(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"{what} within {timeout}s") from None


@asynccontextmanager
async def running(fake: FakeDiscord, settings: Settings, app: App) -> AsyncIterator[PaperBotCore]:
    """The bot started with `Client.start` (login + gateway), until it holds the guild; then closed cleanly."""
    bot = create_bot(settings, app)
    task = asyncio.create_task(bot.start(TOKEN))
    try:
        await until(lambda: task.done() or bot.get_guild(fake.guild_id) is not None, "the bot never saw the guild")
        if task.done():
            task.result()  # startup failed: raise why
            raise AssertionError("the bot stopped during startup")
        yield bot
    finally:
        await bot.close()
        # start() returns once the client is closed; a hang or an exception here fails the test.
        await asyncio.wait_for(task, 10)
    # The client hung up (discord.py closes with 4000 when a read is pending, keeping the session resumable).
    assert fake.gateway_close_codes and None not in fake.gateway_close_codes


def reply_route(fake: FakeDiscord, interaction: dict[str, Any]) -> str:
    """Where a deferred interaction's answer goes: an edit of the original response, or a followup."""
    token = re.escape(interaction["token"])
    return rf"/webhooks/{fake.application_id}/{token}(?:/messages/@original)?"


def cited(message: dict[str, Any]) -> tuple[set[int], dict[int, str]]:
    """The [n] markers in the answer text, and the numbered titles listed under it."""
    embeds = message.get("embeds") or []
    text = "\n".join(e.get("description", "") for e in embeds)
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    listed: dict[int, str] = {}
    for embed in embeds:
        for line in "\n".join(f["value"] for f in embed.get("fields", [])).splitlines():
            match = re.match(r"\W*\[(\d+)\]\W*(.+)", line)
            if match:
                title = re.sub(r"^\[(.+)\]\(<?https?://\S+\)$", r"\1", match[2].split(" · ")[0].strip())
                listed[int(match[1])] = title
    return markers, listed


def assert_grounded_answer(message: dict[str, Any], corpus_titles: set[str]) -> None:
    markers, listed = cited(message)
    assert 1 in markers, f"the answer cites no [1]: {message.get('embeds')}"
    assert markers <= set(listed), f"markers {markers} without a listed title: {listed}"
    invented = [t for t in listed.values() if normalize_title(t) not in corpus_titles]
    assert not invented, f"cited titles not in the corpus: {invented}"


def assert_no_pings(call: Call) -> None:
    assert call.body["allowed_mentions"] == {"parse": []}, call.body.get("allowed_mentions")


@pytest.mark.parametrize("sharded", [False, True], ids=["bot", "autosharded"])
async def test_connects_through_the_gateway(fake: FakeDiscord, settings: Settings, app: App, sharded: bool) -> None:
    settings = settings.model_copy(update={"discord_sharded": sharded})
    async with running(fake, settings, app) as bot:
        # READY was decompressed from zlib-stream and parsed: the client knows who it is and where it is.
        assert bot.user is not None and bot.user.id == fake.application_id
        guild = bot.get_guild(fake.guild_id)
        assert guild is not None and guild.name == "Reading Group"
        assert guild.get_channel(fake.channel_id) is not None
        # The heartbeat sent on HELLO was acknowledged, which is what gives the client a latency.
        assert fake.heartbeats_acked >= 1 and math.isfinite(bot.latency)

        [identify] = [f["d"] for f in fake.gateway_received if f["op"] == 2]
        assert identify["token"] == TOKEN
        assert identify["intents"] & PRIVILEGED_INTENTS == 0, "asks for a privileged intent"
        if sharded:
            assert identify["shard"] == [0, 1]
            assert fake.calls_to("GET", "/gateway/bot", status=200)
        # Bot-authenticated calls carry the token; interaction webhooks carry theirs in the URL instead.
        assert fake.calls and all(c.authorization == f"Bot {TOKEN}" for c in fake.calls)


@pytest.mark.parametrize("to_guild", [False, True], ids=["global", "guild"])
async def test_syncs_the_slash_commands(fake: FakeDiscord, settings: Settings, app: App, to_guild: bool) -> None:
    settings = settings.model_copy(update={"discord_guild_id": fake.guild_id if to_guild else None})
    async with running(fake, settings, app):
        guild_route = rf"/applications/{fake.application_id}/guilds/{fake.guild_id}/commands"
        global_route = rf"/applications/{fake.application_id}/commands"
        wanted, other = (guild_route, global_route) if to_guild else (global_route, guild_route)
        [sync] = fake.calls_to("PUT", wanted, status=200)
        assert not fake.calls_to("PUT", other)

    commands = {c["name"]: c for c in sync.body}
    assert set(commands) >= USER_COMMANDS
    assert all(c["description"].strip() for c in commands.values())
    options = {o["name"]: o for o in commands["ask"]["options"]}
    assert options["question"]["type"] == 3 and options["question"]["required"] is True
    assert {"since", "private"} <= set(options) and not options["private"].get("required")


async def test_ask_defers_then_answers_with_a_cited_embed(
    fake: FakeDiscord, settings: Settings, app: App, corpus_titles: set[str]
) -> None:
    async with running(fake, settings, app):
        interaction = fake.slash_command("ask", question=QUESTION)
        await fake.dispatch("INTERACTION_CREATE", interaction)
        [reply] = await fake.wait_for_call("PATCH|POST", reply_route(fake, interaction))

    [callback] = fake.calls_to("POST", rf"/interactions/{interaction['id']}/[^/]+/callback")
    assert callback.status == 200 and callback.body["type"] == 5, callback.body  # deferred: "thinking…"
    assert callback.at <= reply.at
    assert_grounded_answer(reply.body, corpus_titles)
    assert_no_pings(reply)
    # The "thinking…" placeholder itself now shows the answer (a followup alone would leave it spinning).
    shown = fake.original_response(interaction["token"])
    assert shown is not None and shown["edited_timestamp"] is not None
    assert_grounded_answer(shown, corpus_titles)
    labels = {c.get("label") for row in reply.body.get("components", []) for c in row["components"]}
    assert "Sources" in labels


async def test_direct_message_is_answered_in_the_dm(
    fake: FakeDiscord, settings: Settings, app: App, corpus_titles: set[str]
) -> None:
    async with running(fake, settings, app):
        await fake.dispatch("MESSAGE_CREATE", fake.direct_message(QUESTION))
        [reply] = await fake.wait_for_call("POST", rf"/channels/{fake.dm_channel_id}/messages")

    assert_grounded_answer(reply.body, corpus_titles)
    assert_no_pings(reply)
    assert not fake.calls_to("POST", rf"/channels/{fake.channel_id}/messages"), "a DM answer leaked to the guild"


@pytest.mark.parametrize("where", ["interaction", "dm"])
async def test_a_rate_limited_reply_is_retried_and_delivered_once(
    fake: FakeDiscord, settings: Settings, app: App, where: str
) -> None:
    retry_after = 0.5
    async with running(fake, settings, app):
        if where == "interaction":
            # The webhook adapter's retry loop (interaction edits and followups)...
            event, payload = "INTERACTION_CREATE", fake.slash_command("ask", question=QUESTION)
            method, route = "PATCH|POST", reply_route(fake, payload)
            fake.rate_limit_next("PATCH", route, retry_after=retry_after)
            fake.rate_limit_next("POST", route, retry_after=retry_after)
        else:
            # ...and the HTTP client's (channel messages) are different code in discord.py.
            event, payload = "MESSAGE_CREATE", fake.direct_message(QUESTION)
            method, route = "POST", rf"/channels/{fake.dm_channel_id}/messages"
            fake.rate_limit_next("POST", route, retry_after=retry_after)
        await fake.dispatch(event, payload)
        [delivered] = await fake.wait_for_call(method, route, status=200)

    attempts = fake.calls_to(method, route)
    assert [c.status for c in attempts] == [429, 200]
    limited = attempts[0]
    assert limited.body == delivered.body
    assert delivered.at - limited.at >= retry_after * 0.9, "retried before retry_after"
