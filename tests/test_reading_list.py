"""The shared reading list on a simulated Discord: Save from every surface, /list with remove, /export files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import bibtexparser
import discord
from bibtexparser.middlewares import LatexDecodingMiddleware
from support.botsim import QUESTION, button_labels, text_of

from app.export import bibtex, bibtex_key
from core.models import Paper
from storage.reading_list import ReadingListStore


def parse_bibtex(text: str) -> bibtexparser.Library:
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert not library.failed_blocks
    return library


def save_menu(message: discord.Message) -> tuple[str, list[str]]:
    """The custom id of the Save menu under a message and the paper ids it offers."""
    for row in message.components:
        for child in row.children:
            if isinstance(child, discord.SelectMenu) and child.custom_id == "pb:save:pick":
                return child.custom_id, [o.value for o in child.options]
    raise AssertionError("no save menu")


def listed_titles(message) -> list[str]:
    text = message.embeds[0].description or ""
    return [t.replace("\\", "") for t in re.findall(r"^\*\*\d+\.\*\* (.+?) · \d{4}-\d{2}-\d{2}", text, re.M)]


async def attachment_text(result) -> tuple[str, str]:
    message = result.followups[-1] if result.followups else result.response
    (attachment,) = message.attachments
    return attachment.filename, (await attachment.read()).decode()


async def test_save_from_paper_answer_search_and_by_title_then_list_and_remove(simcord_env, world, retriever):
    _, channel, alice, bob = world
    papers = retriever.papers()
    first = papers[0]
    shown = await alice.slash(channel, "paper", title=first.id)
    assert "Save" in button_labels(shown.response.message)
    saved = await alice.click(shown.response.message, label="Save")
    assert saved.ephemeral and "Saved to your reading list" in saved.response.content
    again = await alice.click(shown.response.message, label="Save")
    assert "Already on your list" in again.response.content

    answer = (await alice.slash(channel, "ask", question=QUESTION)).response.message
    assert button_labels(answer)[-1] == "Save"
    from_answer = await alice.click(answer, label="Save")
    assert "Saved to your reading list" in from_answer.response.content

    found = (await bob.slash(channel, "search", query="diffusion models for images")).response.message
    custom_id, offered = save_menu(found)
    shown_hits = [line for line in found.embeds[0].description.splitlines() if line.startswith("**")]
    assert len(offered) == len(shown_hits) >= 2  # every paper on the page, the loosely related ones too
    picked = await bob.select(found, offered[:2], custom_id=custom_id)
    assert picked.ephemeral and "Saved to your reading list" in picked.response.content

    by_title = await bob.slash(channel, "save", title=first.title)
    assert by_title.ephemeral and first.title[:40] in by_title.response.content.replace("\\", "")

    mine = await alice.slash(channel, "list")
    assert mine.ephemeral
    alice_titles = listed_titles(mine.response.message)
    assert first.title in alice_titles and len(alice_titles) >= 2
    server = await bob.slash(channel, "list", which="server")
    assert "saved by 2" in text_of(server.response.message)  # the first paper: alice and bob

    removed = await alice.click(mine.response.message, label="Remove 1")
    assert "Removed." in (removed.response.content or "")
    after = ReadingListStore(simcord_env.bot.app.db).mine(alice.id)
    assert len(after) == len(alice_titles) - 1


async def test_save_from_a_digest(simcord_env, world):
    guild, channel, alice, _ = world
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(simcord_env.create_user("ada"), roles=[admins])
    await admin.slash(channel, "digest set", channel=channel, time="09:00", size=3)
    await admin.slash(channel, "digest now")
    digest = channel.last_message
    custom_id, offered = save_menu(digest)
    assert len(offered) == 3
    picked = await alice.select(digest, [offered[1]], custom_id=custom_id)
    assert "Saved to your reading list" in picked.response.content
    assert [s.paper_id for s in ReadingListStore(simcord_env.bot.app.db).mine(alice.id)] == [offered[1]]


async def test_export_twenty_papers_in_each_format(simcord_env, world, retriever):
    _, channel, alice, _ = world
    papers = retriever.papers()[:20]
    for paper in papers:
        await alice.slash(channel, "save", title=paper.id)
    filename, text = await attachment_text(await alice.slash(channel, "export", format="bibtex"))
    assert filename == "reading-list-mine.bib"
    library = parse_bibtex(text)
    assert len(library.entries) == 20
    assert sorted(e["title"] for e in library.entries) == sorted(" ".join(p.title.split()) for p in papers)
    assert all(e.entry_type == "misc" and e["url"] for e in library.entries if "eprint" not in e.fields_dict)
    keys = [e.key for e in library.entries]
    again = parse_bibtex((await attachment_text(await alice.slash(channel, "export",
                                                                                format="bibtex")))[1])
    assert [e.key for e in again.entries] == keys and len(set(keys)) == 20  # stable and distinct

    _, ris = await attachment_text(await alice.slash(channel, "export", format="ris"))
    assert ris.count("ER  - ") == 20 and f"TI  - {papers[0].title}" in ris
    _, md = await attachment_text(await alice.slash(channel, "export", format="markdown"))
    assert md.startswith("# My reading list") and md.count("\n- ") == 20
    _, table = await attachment_text(await alice.slash(channel, "export", format="csv"))
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [r["title"] for r in rows] == [" ".join(p.title.split()) for p in papers]


async def test_export_of_an_empty_list_says_so(simcord_env, world):
    _, channel, alice, _ = world
    result = await alice.slash(channel, "export", format="bibtex")
    assert result.ephemeral and "the list is empty" in result.response.content


def test_bibtex_escapes_specials_and_accents_and_names_the_arxiv_eprint():
    tricky = Paper(id="x1", title="Ünïcode {Braces} & 100% of_it: Café", abstract="",
                   authors=["Zoë Ångström", "Ada Lovelace"], dates=[dt.date(2024, 5, 1)],
                   urls=["https://arxiv.org/abs/2405.01234v2"])
    plain = Paper(id="x2", title="No Links Here", abstract="", urls=["https://example.org/project"])
    text = bibtex([tricky, plain])
    assert text.isascii()
    assert r"\{Braces\} \& 100\% of\_it" in text and r"Caf{\'e}" in text
    first, second = parse_bibtex(text).entries
    assert first["title"] == "Ünïcode {Braces} & 100% of_it: Café"
    assert first["author"] == "Zoë Ångström and Ada Lovelace"
    assert (first["eprint"], first["archivePrefix"]) == ("2405.01234", "arXiv")
    assert first["url"] == "https://arxiv.org/abs/2405.01234"
    assert second.entry_type == "misc" and second["url"] == "https://example.org/project"
    assert "eprint" not in second.fields_dict
    assert first.key == bibtex_key(tricky) == "angstrom2024unicode_" + first.key.rsplit("_", 1)[1]


async def test_weekly_roundup_over_eight_days_names_the_weeks_most_liked_and_saved(simcord_env, world, retriever):
    guild, channel, alice, bob = world
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(simcord_env.create_user("ada"), roles=[admins])
    assert "roundup set" not in alice.available_commands(channel)  # hidden from members (Manage Server)
    assert "roundup set" in admin.available_commands(channel)
    done = await admin.slash(channel, "roundup set", channel=channel, day="Friday", time="09:00")
    assert "every Friday at 09:00 UTC" in done.response.content
    first, second, third = retriever.papers()[:3]
    for member in (alice, bob):  # Thursday 1 January
        await member.slash(channel, "save", title=first.id)
    await alice.slash(channel, "save", title=second.id)
    answer = (await bob.slash(channel, "ask", question=QUESTION)).response.message
    await alice.click(answer, label="Helpful")
    cited = simcord_env.bot.feedback.get_answer(int(re.search(r"(\d+)$", next(
        c.custom_id for row in answer.components for c in row.children if c.custom_id.startswith("pb:src:")))[1]))

    for cog in ("DigestCog", "Ops"):  # their minute-by-minute loops only slow the virtual days down
        await simcord_env.bot.remove_cog(cog)

    async def advance(hours: float) -> None:
        for _ in range(int(hours // 6)):
            await simcord_env.advance_time(6 * 3600)
        await simcord_env.advance_time(hours % 6 * 3600)

    def roundups() -> list[discord.Message]:
        return [m for m in channel.history() if m.embeds and (m.embeds[0].title or "").startswith("📚 The week in")]

    await advance(32)  # Friday 2 January, 08:00
    assert roundups() == []
    await advance(1.25)
    (week1,) = roundups()
    text = text_of(week1)
    assert f"{first.title} · saved by 2" in text.replace("\\", "") and "Most 👍-ed" in text
    assert cited is not None and cited.citations[0].title in text.replace("\\", "")
    for member in (alice, bob):  # Monday 5 January
        await advance(24)
        await member.slash(channel, "save", title=third.id)
    await advance(5 * 24)  # Saturday 10 January: 8 days on
    week1_again, week2 = roundups()
    assert week1_again.id == week1.id  # one roundup a week, never repeated
    text = text_of(week2).replace("\\", "")
    assert f"{third.title} · saved by 2" in text and first.title not in text
