"""A running bot sees papers another process ingested after it started, through every command."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import discord
import pytest
from conftest import make_settings
from support.botsim import text_of
from support.small_index import AFTER, cli_ingest, write_corpus

from retrieval import Retriever
from retrieval.ingest import _Writer, ingest


@pytest.fixture
def retriever(small_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Retriever:
    """The bot's retriever, on an index of its own that an ingest in another process will grow."""
    data = tmp_path / "live" / "data"
    shutil.copytree(small_index, data)
    monkeypatch.setattr(Retriever, "REFRESH_SECONDS", 0.0)
    opened = Retriever.open(make_settings(data))
    opened.similar(opened.match_titles("Paper A")[0].id)  # Chroma is open and loaded before the ingest
    return opened


async def test_paper_and_similar_work_for_a_paper_ingested_after_the_bot_started(simcord_env, world, retriever,
                                                                               tmp_path):
    _, channel, alice, _ = world
    run = cli_ingest(retriever.settings.data_dir, write_corpus(tmp_path / "day2", AFTER))
    assert run.returncode == 0, run.stderr

    found = await alice.slash(channel, "search", query="protein folding with diffusion models")
    assert "Paper D" in text_of(found.response.message)
    paper = await alice.slash(channel, "paper", title="Paper E")
    shown = text_of(paper.response.message)
    assert "router picks two experts" in shown and "No answer" not in shown
    similar = await alice.slash(channel, "similar", title="Paper D")
    listed = text_of(similar.response.message)
    assert "No answer" not in listed and "Paper" in listed
    choices = await alice.autocomplete(channel, "paper", "title", "Paper")
    assert {"Paper D", "Paper E"} <= {c["name"] for c in choices}
    asked = await alice.slash(channel, "ask", question="Which paper benchmarks protein folding with diffusion?")
    answer = asked.response.message
    assert "Paper D" in text_of(answer) and "No answer" not in text_of(answer)
    more = await alice.click(answer, label="More like this")  # the cited new paper's neighbours, by its vector
    assert "No answer" not in text_of(more.response) and "Paper" in text_of(more.response)
    # The vectors of every paper, old and new, are found: none is missing from dense search.
    for title in AFTER:
        pid = retriever.match_titles(title)[0].id
        assert retriever.similar(pid, k=2), title


async def test_the_bot_answers_whole_while_an_ingest_writes_its_index(simcord_env, world, retriever, tmp_path,
                                                                     monkeypatch):
    _, channel, alice, _ = world
    monkeypatch.setattr(_Writer, "BATCH", 1)  # one Chroma upsert per paper: many states to be caught in
    more = {f"Routing study {n}": f"Mixture of experts routing variant {n} for long documents." for n in range(30)}
    corpus = write_corpus(tmp_path / "day2", {**AFTER, **more})
    writer = threading.Thread(target=ingest, args=([corpus], retriever.settings))
    writer.start()
    replies = 0
    try:
        while writer.is_alive() or replies == 0:
            found = await alice.slash(channel, "search", query="mixture of experts routing for long documents")
            shown = text_of(found.response.message)
            assert "No answer" not in shown and "⚠️" not in shown, shown
            paper = await alice.slash(channel, "paper", title="Paper A")
            assert "passages" in text_of(paper.response.message)
            replies += 1
    finally:
        writer.join()
    assert replies > 1  # the bot answered while the ingest was writing
    assert not simcord_env.errors  # no KeyError or Chroma lookup failure reached the error handler
    after = await alice.slash(channel, "paper", title="Routing study 7")
    assert "variant 7" in text_of(after.response.message)


async def test_the_next_digest_posts_papers_ingested_after_the_bot_started(simcord_env, world, retriever, tmp_path):
    """A lab's daily fetch ingests in another process; the bot's next digest carries those papers, once."""
    guild, channel, _, _ = world
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    ada = guild.add_member(simcord_env.create_user("ada"), roles=[admins])
    await ada.slash(channel, "digest set", channel=channel, time="09:00", size=5)
    await simcord_env.advance_time(9 * 3600 + 60)  # day 1, 09:01 UTC: the three papers of the first index
    first = _digest_titles(channel)
    assert sorted(first) == ["Paper A", "Paper B", "Paper C"]

    run = cli_ingest(retriever.settings.data_dir, write_corpus(tmp_path / "day2", AFTER))
    assert run.returncode == 0, run.stderr
    for _ in range(4):  # to day 2, 09:01 UTC, in steps (simcord settles each advance)
        await simcord_env.advance_time(6 * 3600)
    second = [t for t in _digest_titles(channel) if t not in first]
    # The new papers, and only they: Paper B's changed abstract does not post it again.
    assert sorted(second) == ["Paper D", "Paper E"]
    assert not simcord_env.errors


def _digest_titles(channel: object) -> list[str]:
    """Paper titles of every digest message in the channel, in posting order ("3. Title" fields)."""
    return [re.sub(r"^\d+\.\s+", "", f.name or "").replace("\\", "")
            for message in channel.history() for embed in message.embeds for f in embed.fields]  # type: ignore[attr-defined]
