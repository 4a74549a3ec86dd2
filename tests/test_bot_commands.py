"""Slash commands on a simulated Discord (simcord), on the real index of the bundled corpus, no LLM."""

from __future__ import annotations

import datetime as dt
import re

import discord
import pytest
import simcord
from support.botsim import QUESTION, assert_within_limits, button_labels, text_of

from app.wiring import App
from bot import create_bot
from storage.feedback import FeedbackStore


def cited_titles(message: discord.Message) -> list[str]:
    """The numbered titles under an answer, in order, unescaped."""
    text = "\n".join(f.value for e in message.embeds for f in e.fields if f.name.startswith("Sources"))
    titles = re.findall(r"\*\*\[(\d+)\]\*\* \[?(.+?)(?:\]\(https?://[^)]+\))? · \d{4}-\d{2}-\d{2}$", text, re.M)
    assert [int(n) for n, _ in titles] == list(range(1, len(titles) + 1))
    return [t.replace("\\", "") for _, t in titles]


async def test_every_command_is_synced_with_described_options(simcord_env, world):
    _, channel, alice, _ = world
    assert set(alice.available_commands(channel)) >= {"ask", "search", "paper", "similar", "help", "about"}
    ask = next(c for c in simcord_env.bot.tree.get_commands() if c.name == "ask")
    assert {p.name for p in ask.parameters} == {"question", "since", "private", "author"}
    assert all(p.description and p.description != "…" for c in simcord_env.bot.tree.get_commands()
               for p in getattr(c, "parameters", []))


async def test_ask_defers_then_answers_with_markers_numbered_titles_and_mode(simcord_env, world, retriever):
    _, channel, alice, _ = world
    result = await alice.slash(channel, "ask", question=QUESTION)
    assert result.acknowledged and not result.ephemeral
    message = result.response.message
    answer = message.embeds[0]
    assert answer.title == QUESTION
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.description)}
    titles = cited_titles(message)
    assert markers == set(range(1, len(titles) + 1)) and titles
    known = {p.title for p in retriever.papers()}
    assert all(t in known for t in titles)
    assert "Mode: extractive" in message.embeds[-1].footer.text
    assert button_labels(message) == ["Sources", "More like this", "Helpful", "Not helpful", "Save"]
    assert_within_limits([message])


async def test_private_ask_is_only_visible_to_the_asker(simcord_env, world):
    _, channel, alice, bob = world
    result = await alice.slash(channel, "ask", question=QUESTION, private=True)
    assert result.ephemeral and result.response.embeds
    assert not channel.history(viewer=bob)


@pytest.mark.parametrize("form", ["date", "span"])
async def test_ask_since_keeps_only_newer_papers(simcord_env, world, retriever, form):
    _, channel, alice, _ = world
    since = dt.date(2026, 7, 1)
    option = since.isoformat() if form == "date" else f"{(dt.date.today() - since).days}d"  # e.g. since:150d
    result = await alice.slash(channel, "ask", question=QUESTION, since=option)
    titles = cited_titles(result.response.message)
    by_title = {p.title: p for p in retriever.papers()}
    assert titles and all(by_title[t].date >= since for t in titles)


@pytest.mark.parametrize("since", ["last tuesday", "2024-13-45", "99999y"])
async def test_a_bad_since_is_refused_privately_before_any_work(simcord_env, world, since):
    _, channel, alice, _ = world
    result = await alice.slash(channel, "ask", question=QUESTION, since=since)
    assert result.ephemeral and not result.deferred
    assert "7d" in result.response.content and "2024-05-01" in result.response.content


async def test_empty_or_emoji_only_questions_get_a_clear_private_message(simcord_env, world):
    _, channel, alice, _ = world
    blank = await alice.slash(channel, "ask", question="    ")
    assert blank.ephemeral and "empty" in blank.response.content
    emoji = await alice.slash(channel, "ask", question="🤔🤔🤔")
    visible = [m for m in [emoji.response, *emoji.followups] if m is not None]
    assert any(m.ephemeral and "nothing to search for" in m.content for m in visible)


async def test_the_longest_question_discord_accepts_is_answered_and_longer_cannot_be_sent(simcord_env, world):
    _, channel, alice, _ = world
    huge = ("Which papers study long context extension for transformers and how do they evaluate it? " * 30)[:2000]
    result = await alice.slash(channel, "ask", question=huge)
    message = result.response.message
    assert message.embeds and cited_titles(message)
    assert len(message.embeds[0].title) <= 256
    assert_within_limits([message])
    with pytest.raises(simcord.OptionError):
        await alice.slash(channel, "ask", question="x" * 2001)


async def test_search_pages_five_at_a_time_and_only_the_searcher_turns_pages(simcord_env, world):
    _, channel, alice, bob = world
    result = await alice.slash(channel, "search", query="long context language models")
    first = result.response.message
    lines = first.embeds[0].description.splitlines()
    assert [line.split(".")[0] for line in lines] == ["**1", "**2", "**3", "**4", "**5"]
    assert first.embeds[0].footer.text.startswith("Page 1/3")
    assert "Previous" in button_labels(first) and "Next" in button_labels(first)
    turned = await alice.click(first, label="Next")
    second = channel.last_message
    assert not turned.ephemeral
    assert second.embeds[0].footer.text.startswith("Page 2/3")
    assert second.embeds[0].description.startswith("**6.**")
    assert set(second.embeds[0].description.splitlines()).isdisjoint(lines)
    refused = await bob.click(second, label="Next")
    assert refused.ephemeral and "run /search yourself" in refused.response.content
    assert channel.last_message.embeds[0].footer.text.startswith("Page 2/3")
    await alice.click(channel.last_message, label="Previous")
    assert channel.last_message.embeds[0].description == first.embeds[0].description


async def test_search_pages_still_turn_after_a_restart_and_a_forgotten_search_says_so(
        simcord_env, world, settings, retriever):
    _, channel, alice, _ = world
    first = (await alice.slash(channel, "search", query="long context language models")).response.message
    fresh = App(settings, retriever=retriever)
    await simcord_env.restart_bot(create_bot(fresh.settings, fresh))
    await alice.click(first, label="Next")
    second = channel.last_message
    assert second.embeds[0].footer.text.startswith("Page 2/3")
    assert second.embeds[0].description.startswith("**6.**")
    assert "2/3" in button_labels(second)
    simcord_env.bot.app.db.execute("DELETE FROM searches")
    gone = await alice.click(second, label="Next")
    assert gone.ephemeral and "no longer available" in gone.response.content


async def test_search_since_lists_only_newer_papers_and_a_future_date_finds_none(simcord_env, world):
    _, channel, alice, _ = world
    recent = await alice.slash(channel, "search", query="long context language models", since="2026-07-01")
    dates = re.findall(r" · (\d{4}-\d{2}-\d{2})$", recent.response.embeds[0].description, re.M)
    assert dates and all(d >= "2026-07-01" for d in dates)
    assert "since 2026-07-01" in recent.response.embeds[0].footer.text
    result = await alice.slash(channel, "search", query="long context", since="2099-01-01")
    assert "No paper in the corpus matches" in result.response.content and "2099-01-01" in result.response.content


async def test_title_autocomplete_offers_at_most_25_matching_titles(simcord_env, world, retriever):
    _, channel, alice, _ = world
    choices = await alice.autocomplete(channel, "paper", "title", "long")
    assert 1 <= len(choices) <= 25
    assert all(len(c["name"]) <= 100 and "long" in c["name"].lower() for c in choices[:5])
    assert all(retriever.get(c["value"]) is not None for c in choices)
    newest = await alice.autocomplete(channel, "similar", "title", "")
    assert len(newest) == 25


async def test_paper_shows_abstract_dates_links_and_three_similar(simcord_env, world, retriever):
    _, channel, alice, _ = world
    choice = (await alice.autocomplete(channel, "paper", "title", "RankGen"))[0]
    result = await alice.slash(channel, "paper", title=choice["value"])
    embed = result.response.embeds[0]
    paper = retriever.get(choice["value"])
    assert embed.title.replace("\\", "") == paper.title
    assert paper.abstract[:80] in embed.description
    fields = {f.name: f.value for f in embed.fields}
    assert paper.date.isoformat() in fields["Listed"]
    assert len(fields["Similar papers"].splitlines()) == 3


async def test_paper_by_typed_title_and_unknown_title(simcord_env, world):
    _, channel, alice, _ = world
    typed = await alice.slash(channel, "paper", title="rankgen")
    assert typed.response.embeds[0].title.startswith("RankGen")
    unknown = await alice.slash(channel, "paper", title="A Theory of Everything for Cats")
    assert unknown.response.ephemeral
    assert "No paper titled “A Theory of Everything for Cats”" in unknown.response.content
    assert "/search" in unknown.response.content


async def test_similar_lists_nearest_papers_with_a_reason_each(simcord_env, world, retriever):
    _, channel, alice, _ = world
    choice = (await alice.autocomplete(channel, "similar", "title", "How to Train Long-Context"))[0]
    result = await alice.slash(channel, "similar", title=choice["value"])
    embed = result.response.embeds[0]
    lines = embed.description.splitlines()
    assert embed.title.startswith("Similar to:")
    assert len(lines) == 10 and all(line.startswith("↳ ") for line in lines[1::2])
    assert any("long" in line for line in lines[1::2])


async def test_help_and_about(simcord_env, world, retriever):
    _, channel, alice, _ = world
    help_result = await alice.slash(channel, "help")
    assert help_result.ephemeral
    assert all(f"/{name}" in text_of(help_result.response) for name in ("ask", "search", "paper", "similar"))
    about = await alice.slash(channel, "about")
    fields = {f.name: f.value for f in about.response.embeds[0].fields}
    assert fields["Corpus"] == f"{retriever.stats().papers} papers" == "327 papers"
    assert "UTC" in fields["Last ingest"]
    assert fields["Embedding model"] == "all-MiniLM-L6-v2"
    assert "extractive" in fields["Answer model"]
    assert about.response.embeds[0].footer.text.startswith("PaperBot 0.")


async def test_sources_more_and_feedback_buttons(simcord_env, world, retriever):
    guild, channel, alice, bob = world
    answer = (await alice.slash(channel, "ask", question=QUESTION)).response.message
    titles = cited_titles(answer)

    sources = await bob.click(answer, label="Sources")
    shown = [m for m in [sources.response, *sources.followups] if m is not None]
    assert all(m.ephemeral for m in shown)
    embeds = [e for m in shown for e in m.embeds]
    assert [e.title.replace("\\", "").split("] ", 1)[1] for e in embeds] == titles
    by_title = {p.title: p for p in retriever.papers()}
    for embed, title in zip(embeds, titles, strict=True):
        quote = embed.description.split("\n\n", 1)[0]
        # Markdown escapes undone one level (an abstract may itself hold a backslash, as in LaTeX macros).
        assert quote.startswith("> ") and re.sub(r"\\(.)", r"\1", quote[2:])[:60] in by_title[title].abstract
    assert_within_limits([m.message for m in shown])

    more = await bob.click(answer, label="More like this")
    listed = text_of(more.response)
    assert more.response.ephemeral and listed.count("**") >= 6
    assert not any(t[:50] in listed.replace("\\", "") for t in titles)

    await bob.click(answer, label="Not helpful")
    vote = await alice.click(answer, label="Helpful")
    assert vote.ephemeral and "1 👍 · 1 👎" in vote.response.content
    again = await bob.click(answer, label="Helpful")
    assert "2 👍 · 0 👎" in again.response.content
    store = FeedbackStore(simcord_env.bot.app.db)
    votes = store.paper_votes(guild_id=guild.id)
    assert set(votes) == {by_title[t].id for t in titles} and all(v == 2 for v in votes.values())


async def test_answer_buttons_still_work_after_a_restart(simcord_env, world, settings, retriever):
    _, channel, alice, _ = world
    answer = (await alice.slash(channel, "ask", question=QUESTION)).response.message
    fresh = App(settings.model_copy(update={"user_cooldown_seconds": 0}), retriever=retriever)
    await simcord_env.restart_bot(create_bot(fresh.settings, fresh))
    sources = await alice.click(answer, label="Sources")
    assert sources.response.ephemeral and sources.response.embeds


async def test_a_button_of_a_forgotten_answer_says_so(simcord_env, world):
    _, channel, alice, _ = world
    answer = (await alice.slash(channel, "ask", question=QUESTION)).response.message
    simcord_env.bot.app.db.execute("DELETE FROM answers")
    result = await alice.click(answer, label="Sources")
    assert result.ephemeral and "no longer available" in result.response.content


async def test_slash_commands_work_in_direct_messages(simcord_env):
    carol = simcord_env.create_user("carol")
    result = await carol.slash("ask", question=QUESTION)
    assert result.response.embeds and cited_titles(result.response.message)
