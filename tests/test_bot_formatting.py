"""Fitting answers into Discord's limits: splits at natural boundaries, never inside a citation or a link."""

from __future__ import annotations

import datetime as dt
import re

import discord
import pytest

from bot.formatting import (
    CONTENT_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    Outgoing,
    escape,
    pack_embeds,
    split_text,
    thread_name,
    within_limits,
)
from bot.limits import Cooldowns, EditThrottle
from bot.render import answer_messages, search_pages, sources_messages
from bot.replies import OverLimitError, message_kwargs
from core.models import Answer, Citation, Hit, Paper, SearchResult

MARKER = re.compile(r"\[\d+(?:\s*[,;–-]\s*\d+)*\]")


def citations(count: int) -> list[Citation]:
    return [Citation(n=i, id=f"p{i}", title=f"Paper *{i}* with a [bracketed] _title_ about @everyone " + "x" * 120,
                     quote=f"Sentence {i} from the abstract.", urls=[f"https://arxiv.org/abs/2401.{i:05d}"],
                     date=dt.date(2024, 1, 1 + i % 28)) for i in range(1, count + 1)]


def long_answer(chars: int, sources: int) -> str:
    sentences = []
    i = 0
    while sum(len(s) + 1 for s in sentences) < chars:
        n = i % sources + 1
        marker = f"[{n}]" if i % 3 else f"[{n}, {(n % sources) + 1}]"
        sentences.append(f"Finding number {i} says something specific about the method {marker}.")
        if i % 7 == 6:
            sentences.append("\n\n")
        i += 1
    return " ".join(sentences)


def all_text(messages: list[Outgoing]) -> str:
    parts = []
    for m in messages:
        parts.append(m.content or "")
        for e in m.embeds:
            parts += [e.title or "", e.description or "", *(f.value or "" for f in e.fields), e.footer.text or ""]
    return "\n".join(parts)


def test_split_text_respects_the_limit_and_never_cuts_a_citation_marker():
    text = long_answer(9000, 12)
    chunks = split_text(text, 1000)
    assert len(chunks) >= 9
    assert all(len(c) <= 1000 for c in chunks)
    assert MARKER.findall(" ".join(chunks)) == MARKER.findall(text)
    # No chunk starts or ends in the middle of a bracket group.
    for chunk in chunks:
        assert chunk.count("[") == chunk.count("]")
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())


def test_split_text_prefers_paragraphs_then_sentences():
    paragraphs = ["First paragraph sentence one [1]. Sentence two [2]." * 3, "Second paragraph [3]." * 3]
    chunks = split_text("\n\n".join(paragraphs), len(paragraphs[0]) + 10)
    assert chunks == [p.strip() for p in paragraphs]


def test_split_text_keeps_markdown_links_whole():
    links = " ".join(f"see [a paper title number {i}](https://example.org/{i})" for i in range(60))
    chunks = split_text(links, 300)
    for chunk in chunks:
        assert chunk.count("](") == chunk.count("[a paper")


def test_a_6000_character_answer_is_split_within_every_limit():
    answer = Answer(question="How do retrieval methods compare? " * 20, answer=long_answer(6000, 30),
                    mode="llm", citations=citations(30))
    messages = answer_messages(answer, llm_model="gpt-test")
    assert len(messages) >= 2
    assert all(within_limits(m) for m in messages)
    assert all(len(e.description or "") <= EMBED_DESCRIPTION_LIMIT for m in messages for e in m.embeds)
    text = all_text(messages)
    # Every citation line is there exactly once and whole: number, title link and date.
    for c in answer.citations:
        line = re.search(rf"\*\*\[{c.n}\]\*\* \[[^\n]*\]\({re.escape(c.urls[0])}\) · {c.date.isoformat()}", text)
        assert line, f"citation {c.n} missing or cut"
    assert MARKER.findall(answer.answer) == MARKER.findall(text)[:len(MARKER.findall(answer.answer))]
    assert "Mode: LLM (gpt-test)" in messages[-1].embeds[-1].footer.text


def test_plain_text_answer_when_embeds_are_not_allowed_stays_under_2000_per_message():
    answer = Answer(question="q", answer=long_answer(6000, 10), mode="extractive", citations=citations(10),
                    fallback_reason="no LLM endpoint is configured")
    messages = answer_messages(answer, llm_model="m", embeds=False, max_messages=10)
    assert len(messages) >= 4
    assert all(m.embeds == [] and len(m.content or "") <= CONTENT_LIMIT for m in messages)
    text = all_text(messages)
    assert all(f"(<{c.urls[0]}>)" in text for c in answer.citations)  # links without previews
    assert "no LLM endpoint is configured" in messages[-1].content


def test_titles_are_escaped_so_markdown_and_mentions_show_literally():
    answer = Answer(question="q", answer="x [1]", mode="llm", citations=citations(1))
    field = answer_messages(answer, llm_model="m")[0].embeds[0].fields[0].value
    assert "\\*1\\*" in field and "\\[bracketed\\]" in field and "\\_title\\_" in field
    assert escape("<@123> <t:1:R> # head") == "\\<@123\\> \\<t:1:R\\> \\# head"


def test_sources_are_spread_over_messages_of_at_most_10_embeds_and_6000_characters():
    cites = citations(25)
    papers = {c.id: Paper(id=c.id, title=c.title, abstract="An abstract sentence that goes on. " * 80)
              for c in cites}
    messages = sources_messages(cites, papers)
    assert len(messages) > 3 and all(within_limits(m) for m in messages)
    assert sum(len(m.embeds) for m in messages) == 25
    assert all(e.description.startswith("> Sentence") for m in messages for e in m.embeds)


def test_pack_embeds_never_exceeds_the_per_message_budget():
    embeds = [discord.Embed(description="y" * 4000) for _ in range(5)] + [discord.Embed(description="z") for _ in
                                                                          range(25)]
    groups = pack_embeds(embeds)
    assert all(len(g) <= 10 and sum(len(e) for e in g) <= 6000 for g in groups)
    assert sum(len(g) for g in groups) == 30


def test_search_results_are_five_per_page():
    hits = [Hit(id=str(i), title=f"Title {i}", score=1 - i / 100, date=dt.date(2024, 5, 1)) for i in range(12)]
    pages = search_pages(SearchResult(query="q", relevant=True, hits=hits))
    assert len(pages) == 3
    assert [p.embeds[0].description.count("\n") + 1 for p in pages] == [5, 5, 2]
    assert pages[2].embeds[0].footer.text.startswith("Page 3/3")


def test_thread_names_are_one_clean_line_of_at_most_100_characters():
    assert thread_name("<@123> **What** is `RAG`?\n\nAnd more") == "What is RAG? And more"
    assert len(thread_name("word " * 100)) <= 100
    assert thread_name("<@1>") == "Question"


def test_edit_throttle_allows_one_edit_per_second():
    now = [0.0]
    throttle = EditThrottle(1.0, clock=lambda: now[0])
    allowed = []
    for step in range(50):  # 5 seconds of chunks every 100 ms
        now[0] = step * 0.1
        allowed.append(throttle.ready())
    assert sum(allowed) == 5


def test_cooldown_counts_per_user_and_expires():
    now = [100.0]
    cooldowns = Cooldowns(10, clock=lambda: now[0])
    assert cooldowns.retry_after(1) == 0
    assert cooldowns.retry_after(2) == 0
    now[0] = 104
    assert cooldowns.retry_after(1) == 6
    now[0] = 110
    assert cooldowns.retry_after(1) == 0


def test_a_message_over_the_limits_is_stopped_before_it_is_sent():
    assert message_kwargs(Outgoing(content="x" * CONTENT_LIMIT))["allowed_mentions"].to_dict() == {"parse": []}
    with pytest.raises(OverLimitError):
        message_kwargs(Outgoing(content="x" * (CONTENT_LIMIT + 1)))
    eleven = [discord.Embed(description="x") for _ in range(11)]
    with pytest.raises(OverLimitError):
        message_kwargs(Outgoing(embeds=eleven), edit=True)
