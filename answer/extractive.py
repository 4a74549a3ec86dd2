"""Answers without a language model: the most relevant sentences of the top abstracts, quoted and cited.

This is what PaperBot says with no endpoint configured and whenever the endpoint fails, so it is written to
read as an answer: a lead sentence naming the papers, then two to four short points quoting the sentences
that bear on the question, then one plain line saying it is an extractive summary and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from answer.context import Source
from core.sentences import is_complete, is_contribution, sentence_spans
from core.text import TermWeights, content_terms, defang_mentions, join_names, short_title, shorten

MAX_PAPERS = 3
MAX_POINTS = 4
POINT_CHARS = 280


@dataclass(frozen=True)
class Extract:
    text: str
    cited: list[tuple[Source, str]]  # (source, quote), in citation order [1], [2], ...


@dataclass(frozen=True)
class _Candidate:
    source_rank: int
    position: int
    sentence: str
    score: float


def _candidates(query_terms: set[str], sources: list[Source]) -> list[list[_Candidate]]:
    per_source = [[source.abstract[s:e] for s, e in sentence_spans(source.abstract)] for source in sources]
    terms = [[content_terms(sentence) for sentence in sentences] for sentences in per_source]
    weights = TermWeights(t for source_terms in terms for t in source_terms)
    result = []
    for rank, sentences in enumerate(per_source):
        candidates = []
        for position, sentence in enumerate(sentences):
            score = weights.overlap(query_terms, terms[rank][position])
            if is_contribution(sentence):
                score += 1.0
            if not is_complete(sentence):
                score -= 3.0  # a listing cut the abstract off mid-sentence: not worth quoting
            score -= 0.05 * position
            candidates.append(_Candidate(rank, position, sentence, score))
        result.append(sorted(candidates, key=lambda c: (-c.score, c.position)))
    return result


def build(question: str, sources: list[Source], reason: str, *, focus: bool = False) -> Extract:
    """An extractive answer from `sources` (best first).

    `focus=True` means the user named these papers ("compare [1] and [3]"): each of them is covered, and the
    lead says so, instead of picking the best of the top results.
    """
    query = set(content_terms(question))
    pool = sources if focus else sources[: MAX_PAPERS + 2]
    ranked = _candidates(query, pool)

    chosen: list[_Candidate] = []
    papers: list[int] = []
    for rank, candidates in enumerate(ranked):
        if not candidates:
            continue
        if not focus:
            if len(papers) >= MAX_PAPERS:
                break
            if rank > 0 and candidates[0].score <= 0.5:
                continue  # a lower-ranked paper whose abstract shares nothing with the question
        chosen.append(candidates[0])
        papers.append(rank)
    # Room left: a second sentence from the best papers when it also bears on the question (at least two
    # points in all, so a single paper still gets a short summary rather than one line).
    for rank in papers:
        if len(chosen) >= MAX_POINTS:
            break
        candidates = ranked[rank]
        if len(candidates) > 1 and (candidates[1].score > 0.5 or len(chosen) < 2):
            chosen.append(candidates[1])

    chosen.sort(key=lambda c: (c.source_rank, c.position))
    order = list(dict.fromkeys(c.source_rank for c in chosen))
    number = {rank: i for i, rank in enumerate(order, start=1)}
    cited = []
    for rank in order:
        best = max((c for c in chosen if c.source_rank == rank), key=lambda c: (c.score, -c.position))
        cited.append((pool[rank], best.sentence))

    names = [f"{short_title(pool[rank].title)} [{number[rank]}]" for rank in order]
    if focus:
        plural = len(names) > 1
        lead = f"Here is what the abstract{'s' if plural else ''} of {join_names(names)} say{'' if plural else 's'}:"
    elif len(names) == 1:
        lead = f"The most relevant paper is {names[0]}."
    else:
        lead = f"The most relevant papers are {join_names(names)}."
    points = [f"- \"{shorten(c.sentence, POINT_CHARS)}\" [{number[c.source_rank]}]" for c in chosen]
    footer = f"Extractive summary ({reason}): the points quote the abstracts as written, nothing is generated."
    text = "\n\n".join([lead, "\n".join(points), footer])
    return Extract(text=defang_mentions(text), cited=cited)

