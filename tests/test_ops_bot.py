"""Operations on a simulated Discord (simcord, virtual time): the heartbeat, /paperbot status."""

from __future__ import annotations

import discord
import pytest
from simcord.backend.errors import SetupError

from app.health import check_heartbeat, heartbeat_path
from storage.digests import DigestStore
from storage.feedback import FeedbackStore


async def test_the_running_bot_keeps_a_heartbeat(simcord_env):
    settings = simcord_env.bot.settings
    await simcord_env.advance_time(60)
    assert heartbeat_path(settings).exists()
    assert check_heartbeat(settings).status == "ok"


class Lab:
    def __init__(self, env):
        self.env = env
        self.guild = env.create_guild("Lab")
        self.papers = self.guild.create_text_channel("papers")
        self.quiet = self.guild.create_text_channel("quiet")
        admins = self.guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
        self.admin = self.guild.add_member(env.create_user("ada"), roles=[admins])
        self.member = self.guild.add_member(env.create_user("bob"))


@pytest.mark.simcord(settle_timeout=60)  # the status reads the index and state DB in a worker: slow when loaded
async def test_status_shows_each_digest_and_why_one_did_not_post(simcord_env):
    lab = Lab(simcord_env)
    db = simcord_env.bot.app.db  # an answered question with a 👍 (asking for real is tested elsewhere)
    answer_id = db.execute("INSERT INTO answers (surface, question, answer, mode, user_id, guild_id, created_at) "
                           "VALUES ('slash', 'q', 'a', 'extractive', ?, ?, ?)",
                           (lab.member.id, lab.guild.id, simcord_env.now().isoformat(timespec="seconds"))).lastrowid
    FeedbackStore(db).vote(answer_id, lab.member.id, 1, guild_id=lab.guild.id)
    await lab.admin.slash(lab.papers, "digest set", channel=lab.papers, time="09:00", size=2)
    await lab.admin.slash(lab.papers, "digest set", channel=lab.quiet, time="10:00", size=2)
    # Runs recorded as the poster records them (posting for real is tested in test_digest_bot.py).
    store = DigestStore(simcord_env.bot.app.db)
    now = simcord_env.now()
    posted = store.begin_run(f"channel:{lab.papers.id}", now.date(), "schedule", [], lab.papers.id, now)
    store.finish_run(posted.id, [1], now)
    run = store.begin_run(f"channel:{lab.quiet.id}", now.date(), "schedule", [], lab.quiet.id, now)
    store.end_run(run.id, "failed", now, "HTTP 403: Missing Permissions")

    result = await lab.admin.slash(lab.papers, "paperbot status")
    assert result.ephemeral
    embed = result.response.embeds[0]
    fields = {f.name: f.value for f in embed.fields}
    assert "327 papers" in fields["Index"]
    digests = fields["Digests"]
    assert f"<#{lab.papers.id}> at 09:00 UTC: 2026-01-01 done" in digests
    assert f"<#{lab.quiet.id}> at 10:00 UTC: 2026-01-01 failed" in digests and "Missing Permissions" in digests
    assert "no LLM configured" in fields["LLM, last 24 h"]
    assert "answers 1 👍 · 0 👎" in fields["Feedback"]


async def test_status_is_for_server_managers_only(simcord_env):
    lab = Lab(simcord_env)
    command = next(c for c in simcord_env.bot.tree.get_commands() if c.name == "paperbot")
    assert command.default_permissions == discord.Permissions(manage_guild=True) and command.guild_only
    with pytest.raises(SetupError, match="not visible to this user"):  # hidden from members without it
        await lab.member.slash(lab.papers, "paperbot status")
