"""Rough edges a lab's server noticed, each as the user sees it (simcord, bundled index, no LLM)."""

from __future__ import annotations

import datetime as dt

import discord
from support.botsim import QUESTION, button_labels

from app.papers import PaperDetails
from bot.render import paper_message, search_pages, sources_messages
from core.models import Citation, Hit, Paper, SearchResult


async def test_a_no_match_answer_has_no_buttons(simcord_env, world):
    _, channel, alice, _ = world
    result = await alice.slash(channel, "ask", question="What is the best sourdough bread recipe?")
    message = result.response.message
    assert "no match" in message.embeds[-1].footer.text
    assert button_labels(message) == []


async def test_a_vote_can_be_withdrawn_and_the_digest_line_shows_only_where_a_digest_listens(simcord_env, world):
    guild, channel, alice, bob = world
    answer = (await alice.slash(channel, "ask", question=QUESTION)).response.message
    voted = await bob.click(answer, label="Helpful")
    assert "1 👍 · 0 👎" in voted.response.content and "Press it again to withdraw it" in voted.response.content
    assert "digest" not in voted.response.content  # no digest in this server: votes steer nothing more
    withdrawn = await bob.click(answer, label="Helpful")
    assert withdrawn.response.content == "Your 👍 is withdrawn (0 👍 · 0 👎 so far)."
    assert simcord_env.bot.feedback.paper_votes(guild_id=guild.id) == {}

    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(simcord_env.create_user("ada"), roles=[admins])
    await admin.slash(channel, "digest set", channel=channel, time="09:00")
    again = await bob.click(answer, label="Not helpful")
    assert "tune what this server's digest picks" in again.response.content


def test_papers_without_a_listing_date_show_no_date_at_all():
    undated = Hit(id="p1", title="An Undated Paper", score=0.9)
    page = search_pages(SearchResult(query="undated", relevant=True, hits=[undated]))[0]
    assert page.embeds[0].description == "**1.** An Undated Paper"
    shown = paper_message(PaperDetails(paper=Paper(id="p1", title="An Undated Paper", abstract="Text.")))
    assert [f.name for f in shown.embeds[0].fields] == []
    (source,) = sources_messages([Citation(n=1, id="p1", title="An Undated Paper", quote="Text.")], {})
    assert not source.embeds[0].footer.text
    dated = Hit(id="p2", title="Dated", score=0.9, date=dt.date(2026, 3, 1))
    assert search_pages(SearchResult(query="d", relevant=True, hits=[dated]))[0].embeds[0].description.endswith(
        "· 2026-03-01")


def test_an_undated_paper_in_a_digest_shows_no_date():
    from bot.exts.digest._render import digest_messages
    from digest.models import Digest, DigestItem
    from digest.render import digest_text

    item = DigestItem(n=1, id="p1", title="An Undated Paper", tldr="What it does.", urls=["https://github.com/x/y"])
    digest = Digest(day=dt.date(2026, 1, 1), source="new", items=[item])
    assert digest_messages(digest)[0].embeds[0].fields[0].value == "What it does.\n[code](https://github.com/x/y)"
    assert "   TL;DR: What it does.\n   https://github.com/x/y" in digest_text(digest)
