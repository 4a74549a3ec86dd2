"""A tiny in-memory retriever with the `retrieval.Retriever` read interface, over papers a test writes itself.

Engine tests use it when they need abstracts with particular content (an injection attempt, a very long
abstract) or a fixed ranking; tests about real retrieval use the session `retriever` fixture instead.
Ranking is by shared words with the query; `relevant` is False when no paper shares any.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from core.models import Hit, Paper, SearchFilters, SearchResult

_STOP = frozenset({"a", "an", "and", "are", "about", "the", "of", "for", "to", "in", "on", "with", "what", "which",
                   "how", "does", "do", "is", "it", "by", "from"})


def _terms(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP and len(w) > 2}


class StaticRetriever:
    def __init__(self, papers: Sequence[Paper], relevant: bool | None = None) -> None:
        """`relevant` forces the verdict (hits are still returned, nearest first), as the real retriever does
        for a question near the corpus but not about anything in it."""
        self.by_id = {p.id: p for p in papers}
        self.relevant = relevant
        self.queries: list[str] = []

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> SearchResult:
        self.queries.append(query)
        wanted = _terms(query)
        scored = []
        for index, paper in enumerate(self.by_id.values()):
            if filters and filters.since and (paper.date is None or paper.date < filters.since):
                continue
            if filters and filters.until and (paper.date is None or paper.date > filters.until):
                continue
            overlap = len(wanted & _terms(f"{paper.title} {paper.abstract}"))
            scored.append((overlap, -index, paper))
        scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
        hits = [Hit(id=p.id, title=p.title, score=float(s), date=p.date, abstract=p.abstract, urls=p.urls)
                for s, _, p in scored[:k]]
        relevant = bool(scored and scored[0][0] > 0) if self.relevant is None else self.relevant
        return SearchResult(query=query, relevant=relevant, hits=hits)

    def papers(self) -> list[Paper]:
        return sorted(self.by_id.values(), key=lambda p: p.date or dt.date.min, reverse=True)

    def get(self, paper_id: str) -> Paper | None:
        return self.by_id.get(paper_id)

    def get_many(self, paper_ids: Sequence[str]) -> list[Paper]:
        return [self.by_id[i] for i in paper_ids if i in self.by_id]


def paper(pid: str, title: str, abstract: str, day: int = 12) -> Paper:
    return Paper(id=pid, title=title, abstract=abstract, dates=[dt.date(2024, 3, day)],
                 urls=[f"https://example.org/{pid}"])


PAPERS = [
    paper("rankgen", "RankGen: Improving Text Generation with Large Ranking Models",
          "Given an input sequence (or prefix), modern language models often assign high probabilities to "
          "output sequences that are repetitive, incoherent, or irrelevant to the prefix. We present RankGen, "
          "a 1.2B parameter encoder model for English that scores model generations given a prefix. RankGen "
          "can be flexibly incorporated as a scoring function in beam search and used to decode from any "
          "pretrained language model. Human evaluators prefer RankGen outputs 74.5% of the time.", 12),
    paper("lookahead", "Lookahead: An Inference Acceleration Framework for Large Language Model with Lossless "
          "Generation Accuracy",
          "As large language models are deployed in real-world applications, inference speed matters. We "
          "propose Lookahead, a multi-branch decoding strategy that accelerates inference without any loss of "
          "generation accuracy. Lookahead is deployed at Alipay and speeds up decoding by 2 to 5 times.", 13),
    paper("deal", "DeAL: Decoding-time Alignment for Large Language Models",
          "Aligning large language models to human preferences usually happens during training. We propose "
          "DeAL, a framework that aligns models at decoding time by treating decoding as a heuristic-guided "
          "search with a reward. DeAL works with programmatic constraints and abstract alignment objectives "
          "such as harmlessness and helpfulness.", 14),
    paper("tape", "Evaluating Protein Transfer Learning with TAPE",
          "Protein modeling is an increasingly popular area of machine learning research. We introduce the "
          "Tasks Assessing Protein Embeddings (TAPE), a set of five biologically relevant semi-supervised "
          "learning tasks spread across different domains of protein biology. We benchmark a range of "
          "approaches to semi-supervised protein representation learning on the TAPE dataset.", 15),
]
