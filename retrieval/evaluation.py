"""Retrieval quality on a question set, for the fused ranker and for each of its two halves.

Question lines: {"kind": "known-item"|"topical"|"out-of-scope", "q", "gold": [titles], "also": [titles]}.
- known-item: hit@1, hit@5, MRR@10 (a gold or an `also` title counts as a hit);
- topical: recall@10 of the gold titles;
- out-of-scope: share rejected (relevant = false); in-scope questions rejected by mistake: false rejections.
The "rerank" ranker is the fused one with its hits passed through a `Reorder` (the LLM's listwise rerank, which
lives above retrieval) when the search judged the question relevant, as /ask does.

`split_questions` cuts a question file into a tuning half and a report half, deterministically: within each
kind, questions are sorted by text and shuffled with the fixed seed `SPLIT_SEED`; the first half (rounded up)
is "tune", the rest "report". Tune retrieval or answers on "tune" only; quote "report" as the held-out figure.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from core.errors import InputError
from core.models import Hit
from retrieval.corpus import normalize_title
from retrieval.search import Retriever

Ranker = Literal["fused", "bm25", "dense", "rerank"]
# The fused hits reordered (by the LLM, in `paperbot eval`): the question, the hits, best first.
Reorder = Callable[[str, list[Hit]], list[Hit]]
Split = Literal["all", "tune", "report"]
SPLIT_SEED = 13  # fixed: the halves must not change between runs, or "held out" would mean nothing


class Question(BaseModel):
    kind: Literal["known-item", "topical", "out-of-scope"]
    q: str
    gold: list[str] = Field(default_factory=list)
    also: list[str] = Field(default_factory=list)


class Metrics(BaseModel):
    ranker: Ranker
    known_items: int = 0
    hit_at_1: float = 0.0
    hit_at_5: float = 0.0
    mrr_at_10: float = 0.0
    topical: int = 0
    recall_at_10: float = 0.0
    out_of_scope: int = 0
    rejection_rate: float | None = None
    false_rejection_rate: float | None = None
    misses: list[str] = Field(default_factory=list, description="known-item questions not at rank 1")


def load_questions(path: Path) -> list[Question]:
    if not path.exists():
        raise InputError(f"no question file at {path}")
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            questions.append(Question.model_validate_json(line))
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            raise InputError(f"{path.name}:{number}: not a question line ({reason})") from None
    if not questions:
        raise InputError(f"{path} has no questions")
    return questions


def split_questions(questions: list[Question], split: Split) -> list[Question]:
    """The `split` half of `questions` (see the module doc); "all" returns them unchanged, in file order."""
    if split == "all":
        return questions
    chosen: set[int] = set()
    for kind in ("known-item", "topical", "out-of-scope"):
        members = sorted((i for i, q in enumerate(questions) if q.kind == kind), key=lambda i: questions[i].q)
        random.Random(f"{SPLIT_SEED}:{kind}").shuffle(members)
        half = (len(members) + 1) // 2
        chosen.update(members[:half] if split == "tune" else members[half:])
    return [q for i, q in enumerate(questions) if i in chosen]


def evaluate(retriever: Retriever, questions: list[Question], ranker: Ranker = "fused",
             progress: Callable[[int], None] | None = None, reorder: Reorder | None = None) -> Metrics:
    if ranker == "rerank" and reorder is None:
        raise ValueError("the rerank ranker needs a reorder function")
    metrics = Metrics(ranker=ranker)
    hit1 = hit5 = rr = recall = 0.0
    rejected_out = rejected_in = in_scope = 0
    for done, question in enumerate(questions, start=1):
        result = retriever.search(question.q, k=10)
        hits = result.hits
        if ranker == "rerank" and reorder is not None and result.relevant:  # the verdict is made before
            hits = reorder(question.q, hits)
        if ranker in ("fused", "rerank"):
            titles = [normalize_title(h.title) for h in hits]
        else:
            dense, lexical = retriever.rankings(question.q)
            ranking = dense if ranker == "dense" else lexical
            papers = {p.id: p for p in retriever.get_many([pid for pid, _ in ranking[:10]])}
            titles = [normalize_title(papers[pid].title) for pid, _ in ranking[:10] if pid in papers]
        if question.kind == "out-of-scope":
            metrics.out_of_scope += 1
            rejected_out += not result.relevant
        else:
            in_scope += 1
            rejected_in += not result.relevant
        if question.kind == "known-item":
            metrics.known_items += 1
            wanted = {normalize_title(t) for t in question.gold + question.also}
            rank = next((i for i, t in enumerate(titles, start=1) if t in wanted), None)
            if rank == 1:
                hit1 += 1
            else:
                metrics.misses.append(question.q)
            if rank is not None and rank <= 5:
                hit5 += 1
            if rank is not None:
                rr += 1.0 / rank
        elif question.kind == "topical":
            metrics.topical += 1
            gold = {normalize_title(t) for t in question.gold}
            recall += len(gold & set(titles[:10])) / max(1, len(gold))
        if progress:
            progress(done)
    if metrics.known_items:
        metrics.hit_at_1 = hit1 / metrics.known_items
        metrics.hit_at_5 = hit5 / metrics.known_items
        metrics.mrr_at_10 = rr / metrics.known_items
    if metrics.topical:
        metrics.recall_at_10 = recall / metrics.topical
    if metrics.out_of_scope:
        metrics.rejection_rate = rejected_out / metrics.out_of_scope
    if in_scope:
        metrics.false_rejection_rate = rejected_in / in_scope
    return metrics
