"""/search, /similar and the answer footer as a user reads them (simcord, bundled index): where relevance
ends, why two papers are close, and what an LLM answer cost."""

from __future__ import annotations

import re

from support.botsim import bot_config, button_labels, text_of
from support.openai_server import Reply

LONG_CONTEXT = ("Long Context", "Long-Context", "LongPO", "LCFO", "Length", "Context Window")


async def test_search_diffusion_lists_the_three_papers_about_it_then_the_loosely_related(simcord_env, world):
    _, channel, alice, _ = world
    message = (await alice.slash(channel, "search", query="diffusion")).response.message
    embed = message.embeds[0]
    lines = embed.description.splitlines()
    assert embed.footer.text == "Page 1/1 · 3 relevant papers"
    assert [line.split(".")[0] for line in lines[:3]] == ["**1", "**2", "**3"]
    assert lines[3] == "── *loosely related* ──"
    assert len(lines[4:]) == 2 and lines[4].startswith("**4.**")
    relevant = "\n".join(lines[:3])
    assert "Text-to-Image Diffusion Models" in relevant and "A Picture is Worth a Thousand Words" in relevant
    assert "Next" not in button_labels(message)  # one page, not five


async def test_a_search_nothing_is_about_shows_one_page_of_the_closest(simcord_env, world):
    _, channel, alice, _ = world
    embed = (await alice.slash(channel, "search", query="sourdough bread recipe")).response.message.embeds[0]
    assert embed.footer.text == "Page 1/1 · 0 relevant papers"
    lines = embed.description.splitlines()
    assert lines[0] == "*Nothing in the corpus is clearly about this; these are the closest papers.*"
    assert len(lines) == 6 and "loosely related" not in embed.description


async def test_similar_gives_one_reason_from_both_abstracts_and_no_long_context_paper_for_long_clip(
        simcord_env, world, retriever):
    _, channel, alice, _ = world
    long_clip = retriever.match_titles("Long-CLIP")[0]
    result = await alice.slash(channel, "similar", title=long_clip.id)
    embed = result.response.message.embeds[0]
    assert embed.title == "Similar to: Long-CLIP: Unlocking the Long-Text Capability of CLIP"
    entries = re.findall(r"^\*\*\d\.\*\* \[?(.+?)\]?(?:\(.*\))?(?: · [\d-]+)?\n↳ (.+)$", embed.description, re.M)
    assert len(entries) == 5
    by_title = {p.title: p for p in retriever.papers()}
    for title, reason in entries:
        title = title.replace("\\", "")
        assert not any(word in title for word in LONG_CONTEXT), title  # not listed for sharing the word "long"
        assert any(word in title for word in ("CLIP", "Image", "Video", "LIP")), title
        assert "both about" not in reason
        theirs, mine = re.fullmatch(r"its “(.+?)…?” ≈ this paper's “(.+?)…?”", reason.replace("\\", "")).groups()
        assert len(theirs.split()) >= 6 and len(mine.split()) >= 6  # sentences, not a lone common word
        assert theirs[1:].casefold() in by_title[title].abstract.casefold()
        assert mine[1:].casefold() in long_clip.abstract.casefold()


@bot_config(llm=True, llm_stream=False, llm_price_per_1k_input=0.5, llm_price_per_1k_output=1.5)
async def test_an_llm_answer_shows_its_tokens_and_cost(simcord_env, world, openai_server):
    _, channel, alice, _ = world
    openai_server.script(Reply("Long inputs need position interpolation [1].",
                               usage={"prompt_tokens": 1234, "completion_tokens": 56}))
    message = (await alice.slash(channel, "ask", question="How can language models handle long contexts?")
               ).response.message
    assert message.embeds[-1].footer.text.startswith("Mode: LLM (fake-model) · 1 paper cited · "
                                                     "1,290 tokens (1,234 in, 56 out) · $0.7010")


@bot_config(llm=True, llm_stream=True)
async def test_a_streamed_answer_without_prices_shows_tokens_but_no_cost(simcord_env, world, openai_server):
    _, channel, alice, _ = world
    openai_server.script(Reply("Long inputs need position interpolation [1].",
                               usage={"prompt_tokens": 900, "completion_tokens": 10}))
    message = (await alice.slash(channel, "ask", question="How can language models handle long contexts?")
               ).response.message
    footer = message.embeds[-1].footer.text
    assert "tokens (" in footer and "$" not in footer
    assert re.search(r"· [\d,]+ tokens \([\d,]+ in, [\d,]+ out\)", footer)


async def test_an_extractive_answer_shows_no_tokens(simcord_env, world):
    _, channel, alice, _ = world
    message = (await alice.slash(channel, "ask", question="How can language models handle long contexts?")
               ).response.message
    assert "tokens" not in text_of(message).rsplit("Mode:", 1)[-1]
