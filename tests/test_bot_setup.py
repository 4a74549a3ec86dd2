"""How the bot is put together: intents, invite permissions, extensions, command sync, sharding."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import discord
import pytest
import simcord
from conftest import make_settings
from support.botsim import bot_config

import bot.exts
from app.wiring import App
from bot import create_bot
from bot.client import extension_names, intents, invite_url
from bot.permissions import INVITE_PERMISSIONS


def test_the_invite_asks_for_exactly_the_permissions_the_bot_uses():
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(invite_url(1234)).query)
    assert query["client_id"] == ["1234"]
    assert query["scope"] == ["bot applications.commands"]
    assert query["permissions"] == ["309237730368"] == [str(INVITE_PERMISSIONS.value)]
    granted = {name for name, on in INVITE_PERMISSIONS if on}
    assert granted == {"read_messages", "send_messages", "send_messages_in_threads", "create_public_threads",
                       "embed_links", "read_message_history", "add_reactions"}  # read_messages is View Channels


def test_no_privileged_intent_is_requested():
    wanted = intents()
    assert not (wanted.message_content or wanted.members or wanted.presences)
    assert wanted.guilds and wanted.guild_messages and wanted.dm_messages


@pytest.mark.simcord(approved_intents=discord.Intents.default())  # a portal with no privileged intent enabled
async def test_the_bot_starts_where_no_privileged_intent_is_approved(simcord_env):
    carol = simcord_env.create_user("carol")
    await carol.send_dm("Which papers are about long context language models?")
    assert carol.dm_channel.last_message.embeds


async def test_every_module_in_bot_exts_is_loaded(simcord_env):
    folder = Path(bot.exts.__path__[0])
    modules = [p.stem for p in folder.glob("*.py")] + [p.parent.name for p in folder.glob("*/__init__.py")]
    on_disk = {name for name in modules if not name.startswith("_")}
    assert {name.rsplit(".", 1)[1] for name in extension_names()} == on_disk
    assert {"ask", "papers", "info", "conversations", "digest"} <= on_disk
    assert set(simcord_env.bot.extensions) == set(extension_names())
    assert simcord_env.bot.allowed_mentions.to_dict() == {"parse": []}


async def test_with_a_guild_id_commands_sync_to_that_server_only(settings, retriever):
    app = App(make_settings(settings.data_dir, discord_guild_id=4242424242424242), retriever=retriever)
    env = simcord.Env(create_bot(app.settings, app))
    guild = env.create_guild("Dev", id=4242424242424242)
    await env.start()
    try:
        channel = guild.create_text_channel("dev")
        alice = guild.add_member(env.create_user("alice"))
        assert "ask" in alice.available_commands(channel)
        assert (await alice.slash(channel, "help")).response.embeds
        elsewhere = env.create_guild("Elsewhere")
        bob = elsewhere.add_member(env.create_user("bob"))
        assert "ask" not in bob.available_commands(elsewhere.create_text_channel("general"))
    finally:
        await env.shutdown()
        app.db.close()


@bot_config(discord_sharded=True)
@pytest.mark.simcord(shard_count=2)
async def test_a_sharded_bot_answers_on_every_shard(simcord_env):
    assert isinstance(simcord_env.bot, discord.AutoShardedClient)
    for shard in (0, 1):
        guild = simcord_env.create_guild(f"Shard {shard}", shard_id=shard)
        channel = guild.create_text_channel("papers")
        alice = guild.add_member(simcord_env.create_user(f"alice{shard}"))
        result = await alice.slash(channel, "search", query="long context")
        assert result.response.embeds
