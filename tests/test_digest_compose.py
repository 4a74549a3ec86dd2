"""Composing a digest from picked papers: overview markers mean digest items, TL;DRs are one line, and a
failing engine never stops the digest. The engine here is a stand-in: composition is what is under test."""

from __future__ import annotations

import datetime as dt

from core.models import Answer, Citation, Paper
from digest.compose import compose, paper_links, renumber
from digest.models import DigestItem
from digest.render import digest_text
from digest.selection import Pick, Selection

DAY = dt.date(2026, 1, 1)


def paper(n: int, **kw) -> Paper:
    return Paper(id=f"p{n}", title=f"Paper {n}", abstract=f"First finding of paper {n}. More detail follows here.",
                 dates=[dt.date(2026, 7, 31)], **kw)


def selection(*papers: Paper, source: str = "new", topics: list[str] | None = None) -> Selection:
    return Selection(picks=[Pick(paper=p) for p in papers], source=source, topics=topics or [])  # type: ignore[arg-type]


class Engine:
    def __init__(self, overview: Answer | Exception, tldr: str | Exception = "A short line.") -> None:
        self._overview, self._tldr = overview, tldr

    async def overview(self, papers: list[Paper]) -> Answer:
        if isinstance(self._overview, Exception):
            raise self._overview
        return self._overview

    async def tldr(self, paper: Paper) -> str:
        if isinstance(self._tldr, Exception):
            raise self._tldr
        return f"{self._tldr}\n  with a second   line " + "x" * 400


def cite(n: int, pid: str) -> Citation:
    return Citation(n=n, id=pid, title=pid, quote="q")


async def test_overview_markers_are_rewritten_to_digest_item_numbers():
    # An engine that numbered by first use: its [1] is the digest's third paper.
    answer = Answer(question="q", answer="Theme A [1] and theme B [2, 3]. Also [1-2].", mode="llm",
                    citations=[cite(1, "p3"), cite(2, "p1"), cite(3, "p9")])
    digest = await compose(Engine(answer), selection(paper(1), paper(2), paper(3)), day=DAY, marker="m")
    assert digest.overview == "Theme A [3] and theme B [1]. Also [1, 3]."
    assert digest.overview_mode == "llm" and [i.n for i in digest.items] == [1, 2, 3]
    tldr = digest.items[0].tldr
    assert "\n" not in tldr and len(tldr) <= 280 and tldr.endswith("…")


async def test_a_failing_engine_still_gives_a_digest():
    digest = await compose(Engine(RuntimeError("boom"), RuntimeError("boom")), selection(paper(1), paper(2)),
                           day=DAY)
    assert [i.tldr for i in digest.items] == ["First finding of paper 1.", "First finding of paper 2."]
    assert digest.overview == "" and digest.overview_mode is None
    assert "No overview" in digest_text(digest)


async def test_extractive_overview_says_why():
    answer = Answer(question="q", answer="Paper one finds [1].", mode="extractive",
                    fallback_reason="the LLM timed out", citations=[cite(1, "p1")])
    text = digest_text(await compose(Engine(answer), selection(paper(1)), day=DAY))
    assert "Overview: extractive, quoted from the abstracts; the LLM timed out" in text


async def test_nothing_new_and_archive_notices():
    empty = await compose(Engine(RuntimeError("unused")), selection(topics=["long context"]), day=DAY)
    assert empty.empty and empty.notice == "Nothing new on long context today."
    answer = Answer(question="q", answer="Old [1].", mode="llm", citations=[cite(1, "p1")])
    old = await compose(Engine(answer), selection(paper(1), source="archive"), day=DAY)
    assert old.notice == "Nothing new today: from the archive instead."


def test_links_are_the_papers_own_cleaned_else_an_arxiv_title_search():
    assert paper_links(paper(1, urls=["https://github.com/OpenLMLab/LEval}."])) == [
        "https://github.com/OpenLMLab/LEval"]
    (search,) = paper_links(paper(2))
    assert search.startswith("https://arxiv.org/search/?query=Paper+2")


def test_renumber_drops_markers_for_papers_not_in_the_digest():
    items = [DigestItem(n=1, id="a", title="A", tldr="t")]
    answer = Answer(question="q", answer="x [2] y [1].", mode="llm", citations=[cite(1, "a"), cite(2, "zz")])
    assert renumber(answer.answer, answer, items) == "x y [1]."
