"""An endpoint that ignores max_tokens cannot flood a channel: a few messages, the whole answer attached."""

from __future__ import annotations

from support.botsim import QUESTION, assert_within_limits, bot_config
from support.openai_server import Reply


@bot_config(llm=True, llm_stream=False, llm_max_answer_tokens=32_768)
async def test_a_50000_token_answer_becomes_at_most_three_messages_with_the_text_attached(simcord_env, world,
                                                                                          openai_server):
    _, channel, alice, _ = world
    sentence = "Long-context models extend attention with sparse patterns and retrieval [1]. "
    openai_server.script(Reply(sentence * 4_000))  # ~50,000 tokens, whatever max_tokens said
    result = await alice.slash(channel, "ask", question=QUESTION)
    messages = [result.response.message, *result.followups]
    assert 1 <= len(messages) <= 3
    assert_within_limits(messages)
    last = messages[-1]
    assert "attached file" in "".join(e.description or "" for m in messages for e in m.embeds)
    assert [a.filename for a in last.attachments] == ["answer.md"]
    assert channel.history()[-1].attachments


@bot_config(llm=True, llm_stream=False, answer_max_messages=1, llm_max_answer_tokens=32_768)
async def test_the_message_cap_is_a_setting(simcord_env, world, openai_server):
    _, channel, alice, _ = world
    openai_server.script(Reply("Sparse attention reaches long contexts [1]. " * 1_000))
    result = await alice.slash(channel, "ask", question=QUESTION)
    assert not result.followups
    text = "".join(e.description or "" for e in result.response.message.embeds)
    assert text.rstrip("*").endswith("attached file.")
    assert [a.filename for a in result.response.message.attachments] == ["answer.md"]
