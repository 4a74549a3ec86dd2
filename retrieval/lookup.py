"""A paper named by a typed title, and why two papers are close: the lookups behind /paper and /similar.

Both work on `core.text`'s words and stems. Reasons name the distinctive words two papers share, rarer
first; a word most papers use ("language", "models") says nothing about why these two are close.
"""

from __future__ import annotations

import math
import weakref
from collections import Counter

from core.models import Hit, Paper
from core.text import STOPWORDS, DocumentFrequency, stems, words
from retrieval.search import Retriever

# Beyond the base list: research boilerplate every abstract uses, which would make any two papers "close".
_EXTRA_WORDS = """
above achieve achieves across after again against all almost also although always am among another art based
because been before being below between both could data demonstrate did doing done down during each either
enough especially even every existing experiments few first framework from further given had has have having
here however its itself just large less like made make makes many may might model models more most much must
new nor novel off often once one only other out over own per performance proposes provide provides rather
recent recently result results same several should significant significantly since so some state task tasks
than them those three through thus too towards two under until up upon us uses various very via well were
when where whether while who whose why within without would yet
"""
REASON_STOPWORDS = STOPWORDS | frozenset(_EXTRA_WORDS.split())

# A word used by more than 30% of the papers (12% for abstract words) says little about why two are close.
TITLE_MAX_SHARE = 0.30
BODY_MAX_SHARE = 0.12


def title_matches(query: str, title: str) -> bool:
    """Whether a typed text names this title rather than merely resembling it."""
    q, t = words(query), words(title)
    if not q or not t:
        return False
    if q == t:
        return True
    q_text, t_text = " ".join(q), " ".join(t)
    if q_text in t_text and len(q_text) >= 0.6 * len(t_text):
        return True
    q_set, t_set = set(q), set(t)
    shared = len(q_set & t_set)
    return shared / len(q_set) >= 0.8 and shared / len(t_set) >= 0.6


def short_name(title: str) -> str:
    """The name before a title's colon ("rankgen" for "RankGen: Improving..."), or "" without one."""
    head, sep, _ = title.partition(":")
    return " ".join(words(head)) if sep else ""


def find_by_title(retriever: Retriever, text: str) -> tuple[Paper | None, list[Paper]]:
    """The paper `text` names (an id, a near-exact title or a unique short name), and the closest titles."""
    by_id = retriever.get(text)
    if by_id is not None:
        return by_id, []
    candidates = retriever.match_titles(text, limit=5)
    for paper in candidates:
        if title_matches(text, paper.title):
            return paper, candidates
    needle = " ".join(words(text))
    named = [p for p in candidates if needle and needle == short_name(p.title)]
    return (named[0] if len(named) == 1 else None), candidates


def _terms(text: str) -> list[tuple[str, str]]:
    """(stem, word) of the words of `text` that can say what it is about."""
    kept = [w for w in words(text) if len(w) > 2 and w not in REASON_STOPWORDS and not w.isdigit()]
    return list(zip(stems(kept), kept, strict=True))


_RARITY: weakref.WeakKeyDictionary[Retriever, DocumentFrequency] = weakref.WeakKeyDictionary()


def term_rarity(retriever: Retriever) -> DocumentFrequency:
    """How many papers of the corpus use each stem (computed once per opened index)."""
    cached = _RARITY.get(retriever)
    if cached is None:
        cached = DocumentFrequency([stem for stem, _ in _terms(f"{p.title} {p.abstract}")]
                                   for p in retriever.papers())
        _RARITY[retriever] = cached
    return cached


def similarity_reason(paper: Paper, hit: Hit, rarity: DocumentFrequency) -> str:
    """One line saying why two papers are close: the most distinctive words they share.

    Shared title words come first (unless most papers use them); then words both abstracts repeat, rarer
    first: a topic word recurs in an abstract, a generic one appears once.
    """
    terms_a = _terms(f"{paper.title} {paper.abstract}")
    counts_a = Counter(stem for stem, _ in terms_a)
    counts_b = Counter(stem for stem, _ in _terms(f"{hit.title} {hit.abstract}"))
    surface = {stem: word for stem, word in reversed(terms_a)}  # the paper's first spelling of each stem
    in_titles = {s for s, _ in _terms(paper.title)} & {s for s, _ in _terms(hit.title)}
    body_floor = math.log(1 / BODY_MAX_SHARE)

    def score(stem: str) -> float:
        return rarity.idf(stem) * min(counts_a[stem], counts_b[stem])

    titles = sorted((s for s in in_titles if rarity.share(s) <= TITLE_MAX_SHARE), key=score, reverse=True)
    body = sorted((s for s in counts_a.keys() & counts_b.keys()
                   if s not in in_titles and rarity.share(s) <= BODY_MAX_SHARE), key=score, reverse=True)
    ranked = (titles + [s for s in body if score(s) >= body_floor * 2 or not titles])[:4]
    if ranked:
        return "both about " + ", ".join(surface[s] for s in ranked)
    return f"close in meaning (similarity {hit.score:.2f})"
