"""The bot with an LLM: a real OpenAI-compatible server on loopback (tests/support/openai_server.py).

Slow-LLM tests declare the bot's LLM waits to simcord (`outside_waits`), so a user action returns as soon as
the bot is waiting on the LLM: what the user sees at that moment is what Discord would show.
"""

from __future__ import annotations

import logging
import re
import time

import discord
import simcord
from support.botsim import QUESTION, assert_within_limits, bot_config, text_of, wait_until
from support.llm_waits import outside_waits
from support.openai_server import Reply, refused_base_url
from support.static_retriever import paper

from app.wiring import App
from bot import create_bot
from bot.errors import report_interaction_error


def footer(message) -> str:
    return message.embeds[-1].footer.text if message.embeds else message.content.rsplit("\n", 1)[-1]


def edits_of_original(env: simcord.Env) -> list[dict]:
    return [r.json for r in env.http_requests
            if r.method == "PATCH" and r.path.endswith("/messages/@original") and isinstance(r.json, dict)]


@bot_config(llm=True, llm_stream=False)
async def test_an_llm_answer_cites_with_markers_and_says_so(simcord_env, world, openai_server):
    _, channel, alice, _ = world
    result = await alice.slash(channel, "ask", question=QUESTION)
    message = result.response.message
    assert len(openai_server.chat_requests) == 1
    assert re.search(r"\[1\]", message.embeds[0].description)
    assert footer(message).startswith("Mode: LLM (fake-model) · ")
    assert "**[1]**" in message.embeds[-1].fields[0].value


@bot_config(llm=True, llm_stream=True)
async def test_a_streamed_answer_shows_progress_then_the_final_answer(simcord_env, world, openai_server):
    _, channel, alice, _ = world
    words = " ".join(f"word{i}" for i in range(40))
    openai_server.script(Reply(f"{words} shows it [1].", chunk_delay=0.02))
    result = await alice.slash(channel, "ask", question=QUESTION)
    edits = edits_of_original(simcord_env)
    partial = [e for e in edits if e.get("embeds") and e["embeds"][0].get("footer", {}).get("text") == "Writing…"]
    # 43 chunks arrived within a second of (virtual) time: one progress edit, then the answer.
    assert len(partial) == 1 and len(edits) == 2
    assert "word0" in partial[0]["embeds"][0]["description"]
    final = result.response.message
    assert "word39 shows it [1]." in final.embeds[0].description
    assert footer(final).startswith("Mode: LLM")


@bot_config(llm=True, llm_stream=True)
async def test_a_streamed_dm_answer_is_written_into_one_message(simcord_env, openai_server):
    carol = simcord_env.create_user("carol")
    openai_server.script(Reply(" ".join(f"w{i}" for i in range(30)) + " [1].", chunk_delay=0.02))
    await carol.send_dm(QUESTION)
    said = [m for m in carol.dm_channel.history() if m.author.id == simcord_env.bot.user.id]
    assert len(said) == 1  # the progress message became the answer
    assert "w29 [1]." in said[0].embeds[0].description and footer(said[0]).startswith("Mode: LLM")
    assert [c.label for row in said[0].components for c in row.children][:2] == ["Sources", "More like this"]
    posts = [r for r in simcord_env.http_requests if r.method == "POST" and r.path.endswith("/messages")]
    edits = [r for r in simcord_env.http_requests if r.method == "PATCH" and "/messages/" in r.path]
    assert len(posts) == 1 and len(edits) == 1
    assert posts[0].json["embeds"][0]["footer"]["text"] == "Writing…"


@bot_config(llm=True, llm_stream=True)
async def test_a_10_second_llm_is_acknowledged_at_once_and_answered_later(simcord_env, world, openai_server):
    _, channel, alice, _ = world
    outside_waits(simcord_env)
    openai_server.script(Reply("Long contexts are handled by extending position encodings [1].", delay=10))
    started = time.monotonic()
    result = await alice.slash(channel, "ask", question=QUESTION)
    acknowledged_after = time.monotonic() - started
    # Acknowledged (the "thinking…" placeholder) while the LLM has not answered yet.
    assert result.acknowledged and result.deferred
    assert openai_server.in_flight == 1 and not result.response.embeds
    assert acknowledged_after < 3.0
    # Streamed: partial edits come first ("Long ▌", footer "Writing…"); the answer is the one with a mode.
    await wait_until(simcord_env, lambda: result.response and result.response.embeds
                     and (result.response.embeds[0].footer.text or "").startswith("Mode:"), timeout=30)
    assert "extending position encodings [1]" in result.response.embeds[0].description
    assert time.monotonic() - started >= 10


@bot_config(llm=True, llm_stream=False, llm_max_answer_tokens=2000)
async def test_a_6000_character_llm_answer_is_split_within_limits(simcord_env, world, openai_server, retriever):
    _, channel, alice, _ = world
    sentence = "This finding about long context extension is supported by the first source [1]. "
    other = "The second source reports a complementary result on evaluation [2]. "
    body = ""
    while len(body) < 6000:
        body += sentence + other + ("\n\n" if len(body) % 900 < 160 else "")
    openai_server.script(Reply(body))
    result = await alice.slash(channel, "ask", question=QUESTION)
    messages = [result.response, *result.followups]
    assert len(messages) >= 2 and all(not m.ephemeral for m in messages)
    assert_within_limits([m.message for m in messages])
    text = "\n".join(e.description or "" for m in messages for e in m.embeds)
    assert text.count("[1]") == body.count("[1]") and text.count("[2]") == body.count("[2]")
    sources = [f.value for m in messages for e in m.embeds for f in e.fields]
    assert len(sources) == 1 and sources[0].count("**[") == 2
    labels = [c.label for row in messages[-1].message.components for c in row.children]
    assert "Sources" in labels


@bot_config(llm=True, llm_stream=False)
async def test_everyone_in_model_output_pings_nobody(simcord_env, openai_server):
    guild = simcord_env.create_guild("Lab")
    channel = guild.create_text_channel(
        "plain", overwrites={guild.me: discord.PermissionOverwrite(embed_links=False)})
    alice = guild.add_member(simcord_env.create_user("alice"))
    openai_server.script(Reply(f"@everyone @here <@{alice.id}> Long contexts need care [1]."))
    result = await alice.slash(channel, "ask", question=QUESTION)
    message = result.response.message
    assert "everyone" in message.content and "Long contexts need care [1]" in message.content
    assert not message.mention_everyone and not message.role_mentions
    stored = simcord_env.backend.get_message(channel.id, message.id)
    assert stored.ping_user_ids == [] and not stored.mention_everyone


async def test_everyone_in_an_abstract_pings_nobody(simcord_env, settings):
    from support.static_retriever import StaticRetriever

    retriever = StaticRetriever([
        paper("ping", "Attention @everyone: long context is all you need",
              "@everyone We extend the context of language models to a million tokens. @here It works well."),
    ])
    app = App(settings.model_copy(update={"user_cooldown_seconds": 0}), retriever=retriever)  # type: ignore[arg-type]
    await simcord_env.restart_bot(create_bot(app.settings, app))
    guild = simcord_env.create_guild("Lab")
    channel = guild.create_text_channel(
        "plain", overwrites={guild.me: discord.PermissionOverwrite(embed_links=False)})
    alice = guild.add_member(simcord_env.create_user("alice"))
    result = await alice.slash(channel, "ask", question="How do you extend the context of language models?")
    message = result.response.message
    assert "everyone" in message.content and "million tokens" in message.content
    stored = simcord_env.backend.get_message(channel.id, message.id)
    assert not stored.mention_everyone and stored.ping_user_ids == [] and stored.ping_role_ids == []
    sources = await alice.click(message, label="Sources")
    assert "everyone" in text_of(sources.response)


@bot_config(llm=True, openai_base_url=refused_base_url(), llm_stream=True)
async def test_with_the_llm_down_the_answer_is_extractive_and_says_why(simcord_env, world):
    _, channel, alice, _ = world
    result = await alice.slash(channel, "ask", question=QUESTION)
    message = result.response.message
    assert footer(message).startswith("Mode: extractive")
    assert "no LLM endpoint" not in footer(message) and len(footer(message)) > len("Mode: extractive, ")
    assert message.embeds[-1].fields[0].value.startswith("**[1]**")


def burst_ask(env: simcord.Env, guild, channel, users) -> list:
    """/ask from every user at the same instant (simcord's actor verbs deliver one at a time)."""
    from simcord import interactions as sim_interactions

    root = env.backend.find_command("ask", guild.id)
    records = []
    for user in users:
        data = {"id": root["id"], "name": "ask", "type": 1,
                "options": [{"name": "question", "type": 3, "value": QUESTION}]}
        record, payload = sim_interactions.base_payload(env.backend, type=2, channel_id=channel.id,
                                                        guild_id=guild.id, user_id=user.id, data=data)
        env.backend.emit("INTERACTION_CREATE", payload)
        records.append(record)
    return records


def shown(env: simcord.Env, record) -> str:
    if record.message_id is None:
        return ""
    message = env.backend.get_message(record.channel_id, record.message_id)
    return (message.content or "") + "".join(e.get("description", "") for e in message.embeds)


@bot_config(llm=True, llm_stream=False, llm_max_concurrency=4)
async def test_of_50_simultaneous_askers_with_4_slots_8_are_answered_and_42_told_to_retry(simcord_env, world,
                                                                                       openai_server):
    guild, channel, _, _ = world
    outside_waits(simcord_env)
    openai_server.default_reply = lambda body: Reply("Slow answer [1].", delay=2)
    askers = [guild.add_member(simcord_env.create_user(f"user{n}")) for n in range(50)]
    records = burst_ask(simcord_env, guild, channel, askers)
    await wait_until(simcord_env, lambda: all(r.responded for r in records), timeout=60)
    # Answered at once show "thinking…", queued ones "Queued (n ahead)"; the rest were told when to retry.
    admitted = [r for r in records if r.deferred or "Queued (" in shown(simcord_env, r)]
    assert (len(records) - len(admitted), len(admitted)) == (42, 8)
    queued = [r for r in admitted if "Queued (" in shown(simcord_env, r)]
    assert sorted(int(shown(simcord_env, r).split("Queued (")[1].split()[0]) for r in queued) == [0, 1, 2, 3]
    await wait_until(simcord_env, lambda: all("Slow answer" in shown(simcord_env, r) for r in admitted),
                     timeout=120)
    assert openai_server.max_concurrent == 4


async def test_a_failure_after_deferring_reaches_the_user_privately_with_an_error_id(simcord_env, world, caplog):
    _, channel, alice, _ = world
    simcord_env.inject_error("PATCH", "/webhooks/*/messages/@original", status=400, code=50035,
                             message="Invalid Form Body")
    with caplog.at_level(logging.WARNING, logger="bot"):
        result = await alice.slash(channel, "ask", question=QUESTION)
    assert "No answer this time" in result.response.content
    (private,) = result.followups
    assert private.ephemeral
    error_id = re.search(r"error id `([0-9a-f]{8})`", private.content).group(1)
    logged = [r for r in caplog.records if getattr(r, "error_id", None) == error_id]
    assert logged and logged[0].exc_info and logged[0].command == "ask"
    assert isinstance(simcord_env.errors[0].original, discord.HTTPException)  # seen by the central handler


async def test_a_failure_past_the_15_minute_token_is_told_in_the_channel_without_a_ping(simcord_env, world,
                                                                                          caplog):
    """Interaction tokens die after 15 minutes: a late failure can only be reported in the channel."""
    _, channel, alice, _ = world
    seen: list[discord.Interaction] = []

    async def capture(interaction: discord.Interaction) -> None:
        seen.append(interaction)

    simcord_env.bot.add_listener(capture, "on_interaction")
    await alice.slash(channel, "help")
    (interaction,) = seen
    await simcord_env.advance_time(16 * 60)
    assert interaction.is_expired()
    with caplog.at_level(logging.ERROR, logger="bot"):
        await report_interaction_error(interaction, RuntimeError("late failure"))
    said = channel.last_message
    assert said.author.id == simcord_env.bot.user.id and said.content.startswith(alice.mention)
    error_id = re.search(r"error id `([0-9a-f]{8})`", said.content).group(1)
    assert any(getattr(r, "error_id", None) == error_id for r in caplog.records)
    stored = simcord_env.backend.get_message(channel.id, said.id)
    assert stored.ping_user_ids == [] and not stored.mention_everyone
