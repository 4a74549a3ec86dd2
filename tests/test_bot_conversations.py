"""Direct messages, mentions answered in threads, memory of earlier turns, and what happens when Discord refuses."""

from __future__ import annotations

import logging
import re

import discord
import pytest
import simcord
from support.botsim import assert_within_limits, bot_config

from storage.conversations import ConversationStore, dm_conversation_key, thread_conversation_key

FIRST = "Which papers are about extending the context length of language models?"


def cited(message: discord.Message) -> list[str]:
    text = "\n".join(f.value for e in message.embeds for f in e.fields if f.name.startswith("Sources"))
    if not message.embeds:
        text = message.content.split("**Sources**", 1)[-1]
    return [t.replace("\\", "") for t in re.findall(r"\*\*\[\d+\]\*\* \[?(.+?)(?:\]\(<?https?://[^)]+\))? · ",
                                                    text)]


def bot_messages(channel: simcord.ChannelHandle, env: simcord.Env) -> list[discord.Message]:
    return [m for m in channel.history() if m.author.id == env.bot.user.id]


def answered(result: simcord.InteractionResult) -> bool:
    return not result.ephemeral and bool(result.response.embeds) and bool(cited(result.response.message))


@pytest.fixture
def world(simcord_env: simcord.Env):
    guild = simcord_env.create_guild("Lab")
    channel = guild.create_text_channel("papers")
    alice = guild.add_member(simcord_env.create_user("alice"))
    return guild, channel, alice


async def test_dm_questions_remember_earlier_turns_and_reset_starts_over(simcord_env):
    carol = simcord_env.create_user("carol")
    await carol.send_dm(FIRST)
    first = bot_messages(carol.dm_channel, simcord_env)[-1]
    first_titles = cited(first)
    assert len(first_titles) >= 2

    await carol.send_dm("compare the first two")
    second = bot_messages(carol.dm_channel, simcord_env)[-1]
    assert cited(second) == first_titles[:2]
    store = ConversationStore(simcord_env.bot.app.db)
    history = store.history(dm_conversation_key(carol.id), 10)
    assert [t.question for t in history] == [FIRST, "compare the first two"]

    await carol.send_dm("reset")
    assert "Starting over" in carol.dm_channel.last_message.content
    assert store.history(dm_conversation_key(carol.id), 10) == []


async def test_a_mention_opens_a_thread_named_after_the_question_and_follow_ups_have_memory(simcord_env, world):
    _, channel, alice = world
    me = simcord_env.bot.user.mention
    await alice.send(channel, f"{me} {FIRST}")
    (thread,) = channel.threads
    assert thread.name == FIRST
    answer = bot_messages(thread, simcord_env)[-1]
    titles = cited(answer)
    assert answer.embeds[0].title == FIRST and titles

    # Without the message-content intent a plain reply arrives empty: the bot explains once how to ask.
    await alice.send(thread, "compare the first two")
    await alice.send(thread, "hello?")
    hints = [m for m in bot_messages(thread, simcord_env) if "mention me" in m.content]
    assert len(hints) == 1

    await alice.send(thread, f"{me} compare the first two")
    follow_up = bot_messages(thread, simcord_env)[-1]
    assert cited(follow_up) == titles[:2]
    history = ConversationStore(simcord_env.bot.app.db).history(thread_conversation_key(thread.id), 10)
    assert [t.question for t in history] == [FIRST, "compare the first two"]


async def test_replying_to_the_bot_in_its_thread_is_a_follow_up(simcord_env, world):
    _, channel, alice = world
    await alice.send(channel, f"{simcord_env.bot.user.mention} {FIRST}")
    (thread,) = channel.threads
    answer = bot_messages(thread, simcord_env)[-1]
    await alice.send(thread, "compare the first two", reply_to=answer)
    assert cited(bot_messages(thread, simcord_env)[-1]) == cited(answer)[:2]


async def test_a_bare_mention_asks_for_a_question_and_other_messages_are_ignored(simcord_env, world):
    guild, channel, alice = world
    await alice.send(channel, simcord_env.bot.user.mention)
    assert "Ask me a question" in channel.last_message.content and not channel.threads
    before = len(channel.history())
    await alice.send(channel, "just talking among humans about long context")
    robot = guild.add_member(simcord_env.create_user("otherbot", bot=True))
    await robot.send(channel, f"{simcord_env.bot.user.mention} {FIRST}")
    assert len(channel.history()) == before + 2 and not channel.threads


async def test_without_permission_to_create_threads_the_answer_comes_in_the_channel(simcord_env):
    guild = simcord_env.create_guild("Lab")
    channel = guild.create_text_channel(
        "no-threads", overwrites={guild.me: discord.PermissionOverwrite(create_public_threads=False)})
    alice = guild.add_member(simcord_env.create_user("alice"))
    question = await alice.send(channel, f"{simcord_env.bot.user.mention} {FIRST}")
    assert not channel.threads
    said = bot_messages(channel, simcord_env)
    assert "Create Public Threads" in said[0].content
    assert said[-1].embeds and cited(said[-1])
    assert said[-1].reference is not None and said[-1].reference.message_id == question.id


async def test_without_embed_links_answers_are_plain_text_within_2000_characters(simcord_env):
    guild = simcord_env.create_guild("Lab")
    channel = guild.create_text_channel(
        "no-embeds", overwrites={guild.me: discord.PermissionOverwrite(embed_links=False)})
    alice = guild.add_member(simcord_env.create_user("alice"))
    result = await alice.slash(channel, "ask", question=FIRST)
    shown = [result.response, *result.followups]
    assert all(not m.embeds and m.content for m in shown)
    assert "**Sources**" in shown[-1].content and "Mode: extractive" in shown[-1].content
    assert_within_limits([m.message for m in shown])

    await alice.send(channel, f"{simcord_env.bot.user.mention} {FIRST}")
    (thread,) = channel.threads
    answer = bot_messages(thread, simcord_env)
    assert answer and all(not m.embeds and len(m.content) <= 2000 for m in answer)
    assert cited(answer[-1])


async def test_a_dm_to_a_user_who_blocked_the_bot_is_logged_and_the_bot_carries_on(simcord_env, caplog):
    carol = simcord_env.create_user("carol")
    dave = simcord_env.create_user("dave")
    simcord_env.inject_error("POST", f"/channels/{carol.dm_channel.id}/messages", status=403, code=50007,
                             message="Cannot send messages to this user", times=None)
    with caplog.at_level(logging.WARNING, logger="bot"):
        await carol.send_dm(FIRST)
    record = next(r for r in caplog.records if "cannot reply" in r.getMessage())
    assert re.fullmatch(r"[0-9a-f]{8}", record.error_id) and "50007" in record.error
    assert not bot_messages(carol.dm_channel, simcord_env)
    assert [type(e) for e in simcord_env.errors] == [discord.Forbidden]  # seen by the central handler
    await dave.send_dm(FIRST)
    assert cited(bot_messages(dave.dm_channel, simcord_env)[-1])


async def test_a_thread_deleted_before_the_answer_is_logged_and_the_bot_carries_on(simcord_env, world, caplog):
    _, channel, alice = world
    simcord_env.inject_error("POST", "/channels/*/messages", status=404, code=10003, message="Unknown Channel")
    with caplog.at_level(logging.WARNING, logger="bot"):
        await alice.send(channel, f"{simcord_env.bot.user.mention} {FIRST}")
    assert any("cannot reply" in r.getMessage() and "10003" in r.error for r in caplog.records)
    assert [type(e) for e in simcord_env.errors] == [discord.NotFound]  # seen by the central handler
    await alice.send(channel, f"{simcord_env.bot.user.mention} what is speculative decoding?")
    assert len(channel.threads) == 2 and bot_messages(channel.threads[-1], simcord_env)


async def test_a_failure_while_answering_a_dm_is_reported_with_an_error_id(simcord_env, caplog):
    carol = simcord_env.create_user("carol")
    simcord_env.bot.app.db.execute("DROP TABLE conversation_turns")
    with caplog.at_level(logging.ERROR, logger="bot"):
        await carol.send_dm(FIRST)
    said = carol.dm_channel.last_message.content
    error_id = re.search(r"error id `([0-9a-f]{8})`", said).group(1)
    assert any(getattr(r, "error_id", None) == error_id for r in caplog.records)
    assert [type(e).__name__ for e in simcord_env.errors] == ["OperationalError"]  # seen by the central handler


@bot_config(user_cooldown_seconds=30)
async def test_questions_are_rate_limited_per_user_with_a_retry_time(simcord_env, world):
    guild, channel, alice = world
    bob = guild.add_member(simcord_env.create_user("bob"))
    assert answered(await alice.slash(channel, "ask", question=FIRST))
    again = await alice.slash(channel, "ask", question=FIRST)
    assert again.ephemeral and not again.response.embeds
    assert "try again <t:" in again.response.content and "in 30 s" in again.response.content
    assert answered(await bob.slash(channel, "ask", question=FIRST))  # per user, not global
    await alice.send_dm(FIRST)
    assert "asking a bit fast" in alice.user.dm_channel.last_message.content
    await simcord_env.advance_time(30)
    assert answered(await alice.slash(channel, "ask", question=FIRST))
    # Cheap lookups are not rate limited.
    assert (await alice.slash(channel, "search", query="long context")).response.embeds


async def test_every_message_the_bot_sends_disallows_pings(simcord_env, world):
    _, channel, alice = world
    await alice.slash(channel, "ask", question=FIRST)
    await alice.send(channel, f"{simcord_env.bot.user.mention} {FIRST}")
    await simcord_env.create_user("carol").send_dm(FIRST)
    sends = [r for r in simcord_env.http_requests
             if r.method in ("POST", "PATCH") and ("/messages" in r.path or "/webhooks/" in r.path)
             and isinstance(r.json, dict) and ("content" in r.json or "embeds" in r.json)]
    assert len(sends) >= 3
    assert all(r.json.get("allowed_mentions", {}).get("parse") == [] for r in sends)


async def test_a_reply_to_an_older_answer_follows_on_from_that_answer(simcord_env, world):
    _, channel, alice = world
    me = simcord_env.bot.user.mention
    await alice.send(channel, f"{me} {FIRST}")
    (thread,) = channel.threads
    first = bot_messages(thread, simcord_env)[-1]
    await alice.send(thread, f"{me} Which papers align language models with human preferences?")
    second = bot_messages(thread, simcord_env)[-1]
    assert cited(first)[:2] != cited(second)[:2]

    # Replying to the first answer: "the first two" are the first answer's papers, not the latest answer's.
    await alice.send(thread, f"{me} compare the first two", reply_to=first)
    assert cited(bot_messages(thread, simcord_env)[-1]) == cited(first)[:2]
    # Without a reply it is the latest answer that "the first two" points at.
    await alice.send(thread, f"{me} which papers align models with human feedback?")
    latest = bot_messages(thread, simcord_env)[-1]
    await alice.send(thread, f"{me} compare the first two")
    assert cited(bot_messages(thread, simcord_env)[-1]) == cited(latest)[:2]


async def test_a_mention_the_bot_may_not_answer_gets_a_reaction_or_else_a_dm(simcord_env):
    guild = simcord_env.create_guild("Lab")
    mute = discord.PermissionOverwrite(send_messages=False, create_public_threads=False)
    muted = guild.create_text_channel("announcements", overwrites={guild.me: mute})
    alice = guild.add_member(simcord_env.create_user("alice"))
    await alice.send(muted, f"{simcord_env.bot.user.mention} {FIRST}")
    (question,) = muted.history()
    assert [str(r.emoji) for r in question.reactions] == ["🔇"]
    assert alice.user.dm_channel is None or not alice.user.dm_channel.history()

    silent = discord.PermissionOverwrite(send_messages=False, create_public_threads=False, add_reactions=False)
    locked = guild.create_text_channel("locked", overwrites={guild.me: silent})
    await alice.send(locked, f"{simcord_env.bot.user.mention} {FIRST}")
    assert not locked.history()[0].reactions
    told = alice.user.dm_channel.last_message.content
    assert told.startswith(f"I saw your question in {locked.mention} but I'm not allowed to post there")


async def test_a_mention_replying_to_an_ask_answer_in_the_channel_follows_on_from_it(simcord_env, world):
    _, channel, alice = world
    asked = (await alice.slash(channel, "ask", question=FIRST)).response.message
    assert len(cited(asked)) >= 2
    await alice.send(channel, f"{simcord_env.bot.user.mention} compare the first two", reply_to=asked)
    (thread,) = channel.threads
    assert cited(bot_messages(thread, simcord_env)[-1]) == cited(asked)[:2]
    history = ConversationStore(simcord_env.bot.app.db).history(thread_conversation_key(thread.id), 10)
    assert [t.question for t in history] == [FIRST, "compare the first two"]
