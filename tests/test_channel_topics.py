"""Channel topics as a server sees them (simcord, bundled index, no LLM): /channel topic set|clear|show, what
/ask and /search prefer in that channel and nowhere else, and the channel's digest taking it as its topics."""

from __future__ import annotations

import discord
import pytest
from simcord.backend.errors import SetupError
from support.botsim import text_of

from storage.channel_topics import ChannelTopicStore

# Speech papers are among the candidates for this question, but not its best ones without a preference.
STREAMING = "How do models generate output with low latency in streaming settings?"
SPEECH = ("Speech", "Voice", "TTS", "ASR", "CTC", "Whisper")


def speechy(titles: list[str]) -> int:
    return sum(any(word in title for word in SPEECH) for title in titles)


def cited(message: discord.Message) -> list[str]:
    field = next(f for f in message.embeds[0].fields if f.name == "Sources")
    return [line.split("** ", 1)[1] for line in field.value.splitlines()]


@pytest.fixture
def lab(simcord_env):
    guild = simcord_env.create_guild("Lab")
    speech, general = guild.create_text_channel("speech"), guild.create_text_channel("general")
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(simcord_env.create_user("ada"), roles=[admins])
    member = guild.add_member(simcord_env.create_user("bob"))
    return guild, speech, general, admin, member


async def test_a_channel_topic_changes_what_ask_and_search_prefer_there_and_nowhere_else(simcord_env, lab):
    _, speech, general, admin, member = lab
    before = (await member.slash(general, "ask", question=STREAMING)).response.message

    result = await admin.slash(speech, "channel topic set", topics="speech,  TTS")
    assert result.ephemeral and f"<#{speech.id}> now prefers papers on: **speech, TTS**" in result.response.content
    shown = await admin.slash(speech, "channel topic show")
    assert "prefers papers on: **speech, TTS**" in shown.response.content

    there = (await member.slash(speech, "ask", question=STREAMING)).response.message
    elsewhere = (await member.slash(general, "ask", question=STREAMING)).response.message
    assert there.embeds[-1].footer.text.endswith("· preferring: speech, TTS")
    assert "preferring" not in elsewhere.embeds[-1].footer.text
    assert speechy(cited(there)) >= speechy(cited(elsewhere))  # fusion may already cite the speech papers
    assert any(word in cited(there)[0] for word in SPEECH)  # a speech paper leads the answer there
    assert cited(elsewhere) == cited(before)  # the other channel answers as before the topic was set

    searched = (await member.slash(speech, "search", query=STREAMING)).response.message
    plain = (await member.slash(general, "search", query=STREAMING)).response.message
    assert "preferring: speech, TTS" in searched.embeds[0].footer.text
    assert "preferring" not in plain.embeds[0].footer.text
    top = lambda m: m.embeds[0].description.splitlines()[:3]  # noqa: E731
    # The fused ranking may already put speech papers in the plain top 3: the preference shows in what leads.
    assert speechy(top(searched)[:1]) > speechy(top(plain)[:1])

    cleared = await admin.slash(speech, "channel topic clear")
    assert "has no topic now" in cleared.response.content
    again = (await member.slash(speech, "ask", question=STREAMING)).response.message
    assert "preferring" not in again.embeds[-1].footer.text and cited(again) == cited(before)
    assert "had no topic" in (await admin.slash(speech, "channel topic clear")).response.content


async def test_channel_topic_commands_are_hidden_from_members_and_refuse_an_empty_topic(simcord_env, lab):
    _, speech, _, admin, member = lab
    command = next(c for c in simcord_env.bot.tree.get_commands() if c.name == "channel")
    assert command.default_permissions == discord.Permissions(manage_guild=True) and command.guild_only
    with pytest.raises(SetupError, match="not visible to this user"):
        await member.slash(speech, "channel topic set", topics="speech")
    refused = await admin.slash(speech, "channel topic set", topics=" , ; ")
    assert refused.ephemeral and 'a few comma-separated terms, e.g. "speech, TTS"' in refused.response.content
    assert ChannelTopicStore(simcord_env.bot.app.db).get(speech.id) is None


async def test_the_channels_digest_takes_its_topic_when_it_has_none_of_its_own(simcord_env, lab):
    _, speech, _, admin, _ = lab
    await admin.slash(speech, "channel topic set", topics="speech synthesis")
    await admin.slash(speech, "digest set", channel=speech, time="09:00", size=2, archive=True)
    shown = await admin.slash(speech, "digest show")
    assert "topics: speech synthesis (the channel's topic)" in shown.response.content
    result = await admin.slash(speech, "digest now")
    assert "2 papers" in (result.response.content or "")
    posted = [m for m in speech.history() if m.embeds and m.author.bot]
    digest = "\n".join(text_of(m) for m in posted)
    assert "**Topics:** speech synthesis" in posted[0].embeds[0].description
    assert speechy([line for line in digest.splitlines() if line[:1].isdigit()]) == 2
