"""A paper named by a typed title: the lookup behind /paper, /similar and /save (on `core.text`'s words)."""

from __future__ import annotations

from core.models import Paper
from core.text import words
from retrieval.search import Retriever


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

