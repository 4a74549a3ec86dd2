"""Turn a selection into a `Digest`: the day's overview (cited [n] = item n) and a one-line TL;DR per paper.

The answer engine writes both (LLM, verified; extractive when there is no LLM or it fails). Composition never
fails because of it: if the engine itself raises, the digest still goes out with the abstracts' first
sentences and says why.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import urllib.parse
from collections.abc import Sequence
from typing import Protocol

from core.models import Answer, Paper
from core.text import shorten
from digest.models import Digest, DigestItem
from digest.selection import Selection

log = logging.getLogger(__name__)

TLDR_MAX_CHARS = 280
_MARKER = re.compile(r"\[(\d+(?:\s*[-–,]\s*\d+)*)\]")
_SENTENCE = re.compile(r"(.+?[.!?])(?:\s|$)", re.S)


class DigestEngine(Protocol):
    """The part of `answer.engine.Engine` composition uses."""

    async def overview(self, papers: list[Paper]) -> Answer: ...

    async def tldr(self, paper: Paper) -> str: ...


def first_sentence(text: str) -> str:
    match = _SENTENCE.match(" ".join(text.split()))
    return match.group(1) if match else text


def paper_links(paper: Paper) -> list[str]:
    """The arXiv abstract page, the code and project pages, else links from the abstract, else a title search
    on arXiv (the corpus lists arXiv papers)."""
    given = [paper.abs_url, paper.links.code, paper.links.project]
    # Links found in abstracts can carry the sentence's punctuation ("...LEval}." ).
    found = [u.rstrip(".,;:}]'\"") for u in paper.urls if u.startswith(("http://", "https://"))]
    own = list(dict.fromkeys([u for u in given if u] + found))
    if own:
        return own[:3]
    query = urllib.parse.quote_plus(paper.title)
    return [f"https://arxiv.org/search/?query={query}&searchtype=title"]


def renumber(text: str, answer: Answer, items: Sequence[DigestItem]) -> str:
    """Rewrite the overview's [n] (numbered by the engine) so that [n] means digest item n."""
    position = {item.id: item.n for item in items}
    mapping = {c.n: position[c.id] for c in answer.citations if c.id in position}

    def expand(group: str) -> list[int]:
        numbers: list[int] = []
        for part in re.split(r"\s*,\s*", group):
            bounds = [int(x) for x in re.split(r"\s*[-–]\s*", part) if x]
            if len(bounds) == 2 and bounds[0] <= bounds[1] <= bounds[0] + 20:
                numbers.extend(range(bounds[0], bounds[1] + 1))
            else:
                numbers.extend(bounds)
        return numbers

    def replace(match: re.Match[str]) -> str:
        cited = sorted({mapping[n] for n in expand(match.group(1)) if n in mapping})
        return "[" + ", ".join(str(n) for n in cited) + "]" if cited else ""

    text = _MARKER.sub(replace, text)
    return re.sub(r"\s+([.,;])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()


async def _tldr(engine: DigestEngine, paper: Paper) -> str:
    try:
        text = await engine.tldr(paper)
    except Exception:
        log.exception("digest tldr failed", extra={"paper": paper.id})
        text = ""
    return shorten(text or first_sentence(paper.abstract), TLDR_MAX_CHARS)


async def _overview(engine: DigestEngine, papers: list[Paper]) -> Answer | None:
    try:
        return await engine.overview(papers)
    except Exception:
        log.exception("digest overview failed", extra={"papers": len(papers)})
        return None


def nothing_new(topics: Sequence[str]) -> str:
    if topics:
        return f"Nothing new on {', '.join(topics)} today."
    return "Nothing new today."


async def compose(
    engine: DigestEngine,
    selection: Selection,
    *,
    day: dt.date,
    topics: str | None = None,
    marker: str | None = None,
) -> Digest:
    papers = selection.papers
    if not papers:
        return Digest(day=day, topics=topics, source="none", notice=nothing_new(selection.topics), marker=marker)
    answer, tldrs = await asyncio.gather(_overview(engine, papers), asyncio.gather(*(_tldr(engine, p) for p in papers)))
    items = [
        DigestItem(
            n=i,
            id=pick.paper.id,
            title=" ".join(pick.paper.title.split()),
            date=pick.paper.date,
            tldr=tldr,
            urls=paper_links(pick.paper),
            upvotes=pick.paper.upvotes,
            byline=pick.paper.byline(pick.paper.date),
            relevance=pick.relevance,
        )
        for i, (pick, tldr) in enumerate(zip(selection.picks, tldrs, strict=True), start=1)
    ]
    notice = None
    if selection.source == "archive":
        notice = nothing_new(selection.topics)[:-1] + ": from the archive instead."
    digest = Digest(day=day, topics=topics, source=selection.source, items=items, notice=notice, marker=marker)
    if answer is None or answer.mode == "abstain" or not answer.answer.strip():
        return digest.model_copy(update={"fallback_reason": "the overview could not be written"})
    return digest.model_copy(update={"overview": renumber(answer.answer, answer, items),
                                     "overview_mode": answer.mode, "fallback_reason": answer.fallback_reason})
