"""Papers close to a paper, and why: the ones that contribute the same thing, each with its closest point.

Neighbours are found by a hybrid search for what the paper contributes (its title and contribution
statement), not by its vector alone: the vector of "Long-CLIP: Unlocking the Long-Text Capability of CLIP"
sits near long-context language-model papers because of the word "long", while BM25 over the same text
weighs the rare words ("CLIP", "image-text") that say what it is about. The reason given for each is the
pair of contribution or result sentences, one from each abstract, that the embedding model finds closest in
meaning, shortened: it says what the two share, never a lone common word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from core.models import Hit, Paper
from core.sentences import contribution_statement, sentences, states_contribution, states_result
from core.text import shorten
from retrieval.search import Retriever

QUERY_CHARS = 1000
POINTS = 3  # sentences compared per paper: bounds what one /similar embeds (3 + 5 x 3)
POINT_CHARS = 240  # the embedding model's cost grows with every token; a sentence's opening carries its gist
SHOWN_CHARS = 90
# "To this end, we propose X" -> "X": the framing says nothing about what the two share.
_FRAMING = re.compile(r"^\W*((in this (paper|work|study|article|report)|here|to (this end|address|tackle|bridge|"
                      r"overcome)[^,]{0,60}|motivated by this|specifically|accordingly|furthermore|moreover|"
                      r"finally|therefore),\s+)?((we|this (paper|work|report))( also)? (propose|introduce|present)s?"
                      r"( here)?\s+)?", re.I)


class Neighbour(BaseModel):
    hit: Hit
    reason: str


def points(abstract: str) -> list[str]:
    """The sentences saying what a paper does or finds (the opening ones when none does), at most POINTS."""
    parts = sentences(abstract)
    stated = [s for s in parts if states_contribution(s) or states_result(s)]
    return (stated or parts)[:POINTS]


def neighbours(retriever: Retriever, paper: Paper, k: int) -> list[Hit]:
    """The k papers closest to `paper` in what they contribute (itself excluded)."""
    query = shorten(f"{paper.title}. {contribution_statement(paper.abstract)}", QUERY_CHARS)
    hits = retriever.search(query, k=k + 1).hits
    return [hit for hit in hits if hit.id != paper.id][:k]


def _shown(sentence: str) -> str:
    kept = _FRAMING.sub("", sentence, count=1) or sentence
    return f"“{shorten(kept[:1].upper() + kept[1:], SHOWN_CHARS)}”"


def reasons(retriever: Retriever, paper: Paper, hits: Sequence[Hit]) -> list[str]:
    """One line per hit: its point closest in meaning to one of `paper`'s, both quoted (shortened)."""
    mine = points(paper.abstract)
    theirs = [points(hit.abstract) for hit in hits]
    texts = [s[:POINT_CHARS] for s in mine] + [s[:POINT_CHARS] for group in theirs for s in group]
    if not mine or not texts:
        return ["close in meaning" for _ in hits]
    vectors = np.asarray(retriever.embed(texts), dtype=np.float32)
    own, start = vectors[:len(mine)], len(mine)
    lines = []
    for group in theirs:
        if not group:
            lines.append("close in meaning")
            continue
        scores = own @ vectors[start:start + len(group)].T
        start += len(group)
        i, j = np.unravel_index(int(scores.argmax()), scores.shape)
        lines.append(f"its {_shown(group[j])} ≈ this paper's {_shown(mine[i])}")
    return lines


def similar_with_reasons(retriever: Retriever, paper: Paper, k: int) -> list[Neighbour]:
    hits = neighbours(retriever, paper, k)
    return [Neighbour(hit=h, reason=r) for h, r in zip(hits, reasons(retriever, paper, hits), strict=True)]
