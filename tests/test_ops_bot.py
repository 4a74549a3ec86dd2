"""Operations on a simulated Discord (simcord, virtual time): the heartbeat `paperbot health` reads."""

from __future__ import annotations

from app.health import check_heartbeat, heartbeat_path


async def test_the_running_bot_keeps_a_heartbeat(simcord_env):
    settings = simcord_env.bot.settings
    await simcord_env.advance_time(60)
    assert heartbeat_path(settings).exists()
    assert check_heartbeat(settings).status == "ok"
