"""Which papers go into a target's next digest.

- Only papers not yet posted to that target; none is ever posted twice.
- Without topics: newest listing date first, in the order of the listing page. Within one listing day, 👎
  feedback pushes papers like the disliked ones down, and (in DM digests) 👍 pulls papers like the liked ones
  up.
- With topics: only papers the hybrid retriever judges relevant to at least one topic, best first, the same
  feedback adjusting the ranking; a paper that is not relevant is never used to fill the digest up.
- "New" is every unposted paper unless `new_days` is set (then: listed within that many days of the digest's
  day). When nothing new is left, a target that opted into the archive gets the best older unposted papers;
  otherwise the digest is empty and says so.
- Ranked by upvotes (`rank="upvotes"`): the same candidates (topics still filter first), newest listing day
  first and, within a day, most Hugging Face Daily Papers upvotes first (upvotes keep coming in for weeks, so
  across days they would favour old papers); papers without upvotes after them; ties keep the order above.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from pydantic import BaseModel, Field

from core.models import Hit, Paper, SearchFilters, SearchResult
from digest.models import Ranking, Source

# How many hybrid hits per topic are considered: enough to reach past the papers already posted.
TOPIC_SEARCH_K = 100
# A hit counts as relevant to a topic only when both retrievers found it (hybrid agreement) and either its
# MiniLM cosine to the topic is high in absolute terms and close to the best hit's, or it is fairly high and
# BM25 finds the topic's words in it about as strongly as in the best lexical match. Measured on the bundled
# corpus (papers embedded by title and contribution statement): on-topic papers for a 2-3 word topic score
# 0.43-0.58, generic neighbours ("A Review of Multi-Modal LLMs") 0.31-0.40; papers that name the topic
# exactly but state their contribution in other words ("LoRAMoE", "LCFO: Long Context and Long Form
# Output") can sit at 0.35-0.45 but match the topic's words almost as strongly as the best match.
MIN_COSINE = 0.40
COSINE_SPREAD = 0.12
RESCUE_COSINE = 0.33
RESCUE_TERMS = 0.80
# Neighbours looked up per rated paper, and how many rated papers are taken into account.
FEEDBACK_NEIGHBOURS = 15
FEEDBACK_MAX_PAPERS = 50
# How far a 👎 lowers (👍 raises) a neighbour of the rated paper, at full similarity; relevance is in [0, 1].
DISLIKE_WEIGHT = 1.0
LIKE_WEIGHT = 0.5


class PaperSource(Protocol):
    """The part of `retrieval.Retriever` selection uses."""

    def papers(self) -> list[Paper]: ...

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> SearchResult: ...

    def similar(self, paper_id: str, k: int = 5) -> list[Hit]: ...

    def rankings(
        self, query: str, filters: SearchFilters | None = None
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]: ...


class Pick(BaseModel):
    paper: Paper
    relevance: float | None = None
    adjustment: float = 0.0


class Selection(BaseModel):
    picks: list[Pick] = Field(default_factory=list)
    source: Source = "none"
    topics: list[str] = Field(default_factory=list)

    @property
    def papers(self) -> list[Paper]:
        return [p.paper for p in self.picks]


def split_topics(topics: str | None) -> list[str]:
    """'long context; RLHF, code models' -> three topics (each searched on its own)."""
    if not topics:
        return []
    parts = re.split(r"[,;\n|]+", topics)
    return list(dict.fromkeys(" ".join(p.split()) for p in parts if p.strip()))


def topic_relevance(source: PaperSource, topics: Sequence[str]) -> dict[str, float]:
    """Paper id -> relevance in (0, 1] (best over topics) for the papers relevant to at least one topic."""
    scores: dict[str, float] = {}
    for topic in topics:
        for paper_id, score in relevant_hits(source, topic).items():
            scores[paper_id] = max(score, scores.get(paper_id, 0.0))
    return scores


def relevant_hits(source: PaperSource, topic: str) -> dict[str, float]:
    """The hybrid hits about `topic`, scored by hybrid rank: 1.0 for the best, falling linearly."""
    result = source.search(topic, k=TOPIC_SEARCH_K)
    if not result.relevant:
        return {}
    dense, lexical = source.rankings(topic)
    if not dense or not lexical:
        return {}
    cosine, terms = dict(dense), dict(lexical)
    floor = max(MIN_COSINE, dense[0][1] - COSINE_SPREAD)
    top_terms = lexical[0][1]
    relevant: dict[str, float] = {}
    for rank, hit in enumerate(result.hits):
        c, t = cosine.get(hit.id), terms.get(hit.id)
        if c is None or t is None:
            continue
        if c >= floor or (c >= RESCUE_COSINE and t >= RESCUE_TERMS * top_terms):
            relevant[hit.id] = 1.0 - rank / len(result.hits)
    return relevant


def feedback_adjustments(
    source: PaperSource, liked: Iterable[str], disliked: Iterable[str]
) -> dict[str, float]:
    """Paper id -> score change from the neighbours of rated papers (negative: lowered)."""
    adjust: dict[str, float] = {}

    def spread(paper_ids: Iterable[str], weight: float) -> None:
        for paper_id in list(dict.fromkeys(paper_ids))[:FEEDBACK_MAX_PAPERS]:
            adjust[paper_id] = adjust.get(paper_id, 0.0) + weight
            for hit in source.similar(paper_id, k=FEEDBACK_NEIGHBOURS):
                similarity = min(max(hit.score, 0.0), 1.0)
                adjust[hit.id] = adjust.get(hit.id, 0.0) + weight * similarity

    spread(disliked, -DISLIKE_WEIGHT)
    spread(liked, LIKE_WEIGHT)
    return adjust


def is_new(paper: Paper, day: dt.date, new_days: int | None) -> bool:
    if new_days is None:
        return True
    return paper.date is not None and paper.date >= day - dt.timedelta(days=new_days)


def rank(
    papers: Sequence[Paper],
    relevance: Mapping[str, float] | None,
    adjust: Mapping[str, float],
    by: Ranking = "relevance",
) -> list[Pick]:
    """Order candidates: by relevance (+feedback) with topics, else by listing day then feedback; with
    `by="upvotes"`, newest listing day then most upvoted first (a stable sort, so that order breaks ties)."""
    order = {p.id: (page_position(p), i) for i, p in enumerate(papers)}
    if relevance is not None:
        picks = [
            Pick(paper=p, relevance=relevance[p.id], adjustment=adjust.get(p.id, 0.0))
            for p in papers
            if p.id in relevance
        ]
        picks.sort(
            key=lambda k: (-(k.relevance or 0.0) - k.adjustment, -_day_number(k.paper), order[k.paper.id])
        )
    else:
        picks = [Pick(paper=p, adjustment=adjust.get(p.id, 0.0)) for p in papers]
        picks.sort(key=lambda k: (-_day_number(k.paper), -k.adjustment, order[k.paper.id]))
    if by == "upvotes":
        picks.sort(key=lambda k: (-_day_number(k.paper), k.paper.upvotes is None, -(k.paper.upvotes or 0)))
    return picks


def _day_number(paper: Paper) -> int:
    return paper.date.toordinal() if paper.date else 0


def page_position(paper: Paper) -> tuple[str, int]:
    """Where the paper stood on its listing page ('file:line'): Daily Papers list the most upvoted first."""
    if not paper.sources:
        return ("", 0)
    name, _, line = paper.sources[-1].rpartition(":")
    return (name, int(line)) if line.isdigit() else (paper.sources[-1], 0)


def select(
    source: PaperSource,
    *,
    posted: set[str],
    size: int,
    day: dt.date,
    topics: str | None = None,
    liked: Iterable[str] = (),
    disliked: Iterable[str] = (),
    archive: bool = False,
    new_days: int | None = None,
    since: dt.date | None = None,
    by: Ranking = "relevance",
) -> Selection:
    """The next picks for a target; `since` keeps only papers listed on or after that day."""
    topic_list = split_topics(topics)
    unposted = [
        p
        for p in source.papers()
        if p.id not in posted and (since is None or (p.date is not None and p.date >= since))
    ]
    relevance = topic_relevance(source, topic_list) if topic_list else None
    liked, disliked = list(liked), list(disliked)
    adjust = feedback_adjustments(source, liked, disliked) if liked or disliked else {}
    fresh = [p for p in unposted if is_new(p, day, new_days)]
    picks = rank(fresh, relevance, adjust, by)[:size]
    if picks:
        return Selection(picks=picks, source="new", topics=topic_list)
    if archive:
        older = [p for p in unposted if not is_new(p, day, new_days)]
        picks = rank(older, relevance, adjust, by)[:size]
        if picks:
            return Selection(picks=picks, source="archive", topics=topic_list)
    return Selection(source="none", topics=topic_list)
