"""Which papers a digest picks, on the real index of the bundled corpus."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import Paper
from digest.selection import rank, select, split_topics, topic_relevance

DAY = dt.date(2026, 8, 3)


def ids(selection) -> list[str]:
    return [p.id for p in selection.papers]


def test_without_topics_newest_listing_first_and_never_a_posted_paper(retriever):
    posted: set[str] = set()
    seen_dates = []
    for _ in range(4):
        picked = select(retriever, posted=posted, size=10, day=DAY)
        assert picked.source == "new" and len(picked.papers) == 10
        assert not set(ids(picked)) & posted
        posted |= set(ids(picked))
        seen_dates += [p.date for p in picked.papers]
    newest = max(p.date for p in retriever.papers() if p.date)
    assert all(d == newest for d in seen_dates)  # 40 picks, all from the newest listing day (108 papers)


def test_topics_pick_only_relevant_papers_best_first(retriever):
    picked = select(retriever, posted=set(), size=10, day=DAY, topics="long context")
    titles = [p.title for p in picked.papers]
    assert len(titles) == 10 and titles[0] == "How to Train Long-Context Language Models (Effectively)"
    assert all(p.relevance is not None for p in picked.picks)
    assert [p.relevance for p in picked.picks] == sorted((p.relevance for p in picked.picks), reverse=True)


def test_a_topic_the_corpus_does_not_cover_picks_nothing_rather_than_filling_up(retriever):
    picked = select(retriever, posted=set(), size=5, day=DAY, topics="medieval pottery glazes")
    assert picked.papers == [] and picked.source == "none"
    assert topic_relevance(retriever, ["cooking recipes for risotto"]) == {}


def test_several_topics_are_each_searched(retriever):
    speech = topic_relevance(retriever, ["speech synthesis"])
    long_context = topic_relevance(retriever, ["long context"])
    both = topic_relevance(retriever, split_topics("long context; speech synthesis"))
    assert speech and long_context and set(both) == set(speech) | set(long_context)


def test_split_topics():
    assert split_topics(" long context,  RLHF ;code models\nRLHF ") == ["long context", "RLHF", "code models"]
    assert split_topics(None) == [] and split_topics(" , ") == []


def test_a_dislike_lowers_the_papers_like_it(retriever):
    plain = ids(select(retriever, posted=set(), size=10, day=DAY))
    # The member dislikes the picked paper with the most look-alikes among today's other picks.
    near = {pid: {h.id for h in retriever.similar(pid, k=15)} & set(plain) for pid in plain}
    disliked = max(plain, key=lambda pid: len(near[pid]))
    assert near[disliked], "the corpus should have two similar papers in the top 10"
    picked = ids(select(retriever, posted=set(), size=10, day=DAY, disliked=[disliked]))
    assert disliked not in picked and not near[disliked] & set(picked)
    assert len(picked) == 10 and set(picked) >= set(plain) - near[disliked] - {disliked}


def test_a_dislike_lowers_neighbours_under_topics_too(retriever):
    plain = select(retriever, posted=set(), size=5, day=DAY, topics="long context")
    disliked = plain.papers[0].id
    picked = select(retriever, posted=set(), size=5, day=DAY, topics="long context", disliked=[disliked])
    assert disliked not in ids(picked)
    assert all(p.paper.id in topic_relevance(retriever, ["long context"]) for p in picked.picks)


def test_a_like_raises_the_papers_like_it(retriever):
    day_papers = [p for p in retriever.papers() if p.date == dt.date(2026, 7, 31)]
    plain = rank(day_papers, None, {})
    liked = plain[-1].paper.id  # the last of the day in page order
    neighbours = {h.id for h in retriever.similar(liked, k=15)} & {p.id for p in day_papers}
    picked = select(retriever, posted={liked}, size=5, day=DAY, liked=[liked])
    assert set(ids(picked)) <= neighbours


def test_archive_only_when_opted_in_and_nothing_new_is_left(retriever):
    newest_day = [p.id for p in retriever.papers() if p.date == dt.date(2026, 7, 31)]
    posted = set(newest_day)
    none = select(retriever, posted=posted, size=5, day=DAY, new_days=7)
    assert none.source == "none" and none.papers == []
    old = select(retriever, posted=posted, size=5, day=DAY, new_days=7, archive=True)
    assert old.source == "archive" and len(old.papers) == 5
    assert all(p.date == dt.date(2026, 3, 17) for p in old.papers)
    fresh = select(retriever, posted=set(), size=5, day=DAY, new_days=7, archive=True)
    assert fresh.source == "new" and set(ids(fresh)) <= posted


@pytest.mark.parametrize("since", [dt.date(2026, 3, 12), dt.date(2026, 3, 17)])
def test_since_keeps_later_listings_only(retriever, since):
    picked = select(retriever, posted=set(), size=10, day=DAY, topics="long context", since=since)
    assert picked.papers and all(p.date and p.date >= since for p in picked.papers)


def _paper(pid: str, upvotes: int | None, day: dt.date = dt.date(2026, 7, 31), line: int = 1) -> Paper:
    return Paper(id=pid, title=pid, abstract="", dates=[day], sources=[f"{day}.md:{line}"], upvotes=upvotes)


def test_ranked_by_upvotes_within_the_newest_day_unvoted_last_ties_in_listing_order():
    # Listing order a, b, c, d, e (page lines); upvotes 3, none, 40, 3, 12.
    papers = [_paper("a", 3, line=1), _paper("b", None, line=2), _paper("c", 40, line=3),
              _paper("d", 3, line=4), _paper("e", 12, line=5), _paper("old", 99, day=dt.date(2026, 7, 1))]
    assert [k.paper.id for k in rank(papers, None, {})] == ["a", "b", "c", "d", "e", "old"]  # the default
    # An older listing's paper comes after today's however upvoted: its votes had weeks to accumulate.
    assert [k.paper.id for k in rank(papers, None, {}, "upvotes")] == ["c", "e", "a", "d", "b", "old"]


def test_ranked_by_upvotes_topics_still_filter_first():
    papers = [_paper("on-topic", 2), _paper("off-topic", 500), _paper("also-on", 30)]
    relevance = {"on-topic": 1.0, "also-on": 0.5}
    assert [k.paper.id for k in rank(papers, relevance, {})] == ["on-topic", "also-on"]
    assert [k.paper.id for k in rank(papers, relevance, {}, "upvotes")] == ["also-on", "on-topic"]
