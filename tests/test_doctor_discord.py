"""`paperbot doctor --deep` logging in to Discord: the loopback fake of Discord's REST API and gateway."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from conftest import make_settings
from pydantic import SecretStr
from support.fake_discord import BOT_PERMISSIONS, FakeDiscord, guard_loopback

from bot.doctor import check_login
from digest.models import DigestTarget
from paperbot.cli.doctor_cmd import collect
from storage import open_database
from storage.digests import DigestStore

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


class NoEmbedsDiscord(FakeDiscord):
    """A server where the bot's role lacks Embed Links."""

    def _guild(self) -> dict[str, Any]:
        guild = super()._guild()
        guild["roles"][0]["permissions"] = str(BOT_PERMISSIONS.value & ~discord.Permissions(embed_links=True).value)
        return guild


async def serve(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> FakeDiscord:
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", fake.gateway_url)
    return fake


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    escapes = guard_loopback(monkeypatch)
    async with FakeDiscord(token=TOKEN) as server:
        yield await serve(server, monkeypatch)
    assert escapes == []


async def test_logs_in_and_lists_the_servers(fake: FakeDiscord, tmp_path) -> None:
    check = await check_login(make_settings(tmp_path, discord_token=TOKEN), [(fake.guild_id, fake.channel_id)])
    assert check.status == "ok", check
    assert "1 server(s): Reading Group" in check.detail and "1 digest channel(s) can be posted to" in check.detail


async def test_a_revoked_token_is_named(fake: FakeDiscord, tmp_path) -> None:
    other = TOKEN[:-2] + "XY"
    check = await check_login(make_settings(tmp_path, discord_token=other), [])
    assert check.status == "fail" and "rejected DISCORD_TOKEN" in check.detail and "Reset Token" in check.fix


async def test_a_digest_channel_the_bot_cannot_see(fake: FakeDiscord, tmp_path) -> None:
    check = await check_login(make_settings(tmp_path, discord_token=TOKEN), [(fake.guild_id, 42)])
    assert check.status == "fail" and "digest channel 42: not visible" in check.detail


async def test_missing_permission_per_digest_channel(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    guard_loopback(monkeypatch)
    async with NoEmbedsDiscord(token=TOKEN) as server:
        await serve(server, monkeypatch)
        check = await check_login(make_settings(tmp_path, discord_token=TOKEN), [(server.guild_id, server.channel_id)])
    assert check.status == "fail" and "#papers in Reading Group: missing Embed Links" in check.detail


async def test_deep_doctor_reads_the_digest_channels_from_the_state_db(fake: FakeDiscord, settings) -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    db = open_database(settings.state_db)
    DigestStore(db).save_target(DigestTarget(key=f"channel:{fake.channel_id}", kind="channel",
                                             guild_id=fake.guild_id, channel_id=fake.channel_id,
                                             active_from=now, created_at=now, updated_at=now))
    db.close()
    configured = settings.model_copy(update={"discord_token": SecretStr(TOKEN)})
    # In a thread, as the CLI runs it: doctor starts its own event loop; the fake serves on this one.
    checks = {c.name: c for c in await asyncio.to_thread(collect, configured, True)}
    assert checks["discord login"].status == "ok" and "1 digest channel(s)" in checks["discord login"].detail
