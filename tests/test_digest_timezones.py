"""Digest times in a time zone on a simulated Discord: 09:00 Europe/Berlin across the spring DST switch."""

from __future__ import annotations

import datetime as dt

import pytest
from discord.ext import tasks
from simcord.backend.errors import SetupError
from test_digest_bot import HOUR, World, digests, fresh_app

from bot import create_bot

# Berlin's clocks go from 02:00 CET to 03:00 CEST on 29 March 2026 (01:00 UTC).


def loops(bot):
    """Every background loop of every cog (digest, fetch, heartbeat, prune, roundup...), whoever added it."""
    return [loop for cog in bot.cogs.values() for loop in vars(cog).values() if isinstance(loop, tasks.Loop)]


async def skip_to(env, moment: dt.datetime, settings, retriever) -> None:
    """Jump the virtual clock with the bot's loops stopped (minute ticks over months would take minutes), then
    start a new bot process on the same data, as after a restart."""
    for loop in loops(env.bot):
        loop.cancel()
    await env.advance_time((moment - env.now()).total_seconds())
    app = fresh_app(settings, retriever)
    await env.restart_bot(create_bot(app.settings, app))


async def run_until(env, moment: dt.datetime) -> None:
    while (left := (moment - env.now()).total_seconds()) > 0:
        await env.advance_time(min(left, 6 * HOUR))


def posted_at(channel) -> list[dt.datetime]:
    """When each digest was posted (its first message), in order."""
    return sorted(messages[0].created_at for messages in digests(channel).values())


async def test_a_berlin_digest_posts_at_08_utc_in_winter_and_07_utc_in_summer_once_a_day(simcord_env, settings,
                                                                                           retriever):
    world = World(simcord_env)
    result = await world.admin.slash(world.channel, "digest set", channel=world.channel,
                                     time="09:00 Europe/Berlin", size=1)
    assert "09:00 Europe/Berlin" in result.response.content
    await run_until(simcord_env, dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC))
    assert [(p.hour, p.minute) for p in posted_at(world.channel)] == [(8, 0)]
    await skip_to(simcord_env, dt.datetime(2026, 3, 28, 0, tzinfo=dt.UTC), settings, retriever)
    await run_until(simcord_env, dt.datetime(2026, 3, 30, 12, tzinfo=dt.UTC))
    march = [p for p in posted_at(world.channel) if p.month == 3]
    assert [(p.day, p.hour) for p in march] == [(28, 8), (29, 7), (30, 7)]  # no day skipped or doubled


async def test_the_servers_time_zone_applies_to_times_given_without_one(simcord_env):
    world = World(simcord_env)
    with pytest.raises(SetupError, match="not visible to this user"):  # an admin command, hidden from members
        await world.member.slash(world.channel, "digest timezone", zone="Asia/Tokyo")
    bad = await world.admin.slash(world.channel, "digest timezone", zone="Mars/Olympus")
    assert bad.ephemeral and "not a time zone I know" in bad.response.content
    done = await world.admin.slash(world.channel, "digest timezone", zone="Asia/Tokyo")
    assert "Asia/Tokyo" in done.response.content
    result = await world.admin.slash(world.channel, "digest set", channel=world.channel, time="18:00", size=1)
    assert "18:00 Asia/Tokyo" in result.response.content
    await run_until(simcord_env, dt.datetime(2026, 1, 1, 8, 59, tzinfo=dt.UTC))
    assert posted_at(world.channel) == []
    await run_until(simcord_env, dt.datetime(2026, 1, 1, 9, 5, tzinfo=dt.UTC))  # 18:00 in Tokyo is 09:00 UTC
    assert [(p.hour, p.minute) for p in posted_at(world.channel)] == [(9, 0)]
