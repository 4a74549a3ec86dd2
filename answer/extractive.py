"""Answers without a language model: the most relevant sentences of the top abstracts, quoted and cited.

This is what PaperBot says with no endpoint configured and whenever the endpoint fails, so it is written to
read as an answer: a lead sentence naming the papers, then two to four short points quoting the sentences
that bear on the question. That the answer is extractive, and why, is said once, by the mode line every
surface prints under an answer (`fallback_reason`), not again in the text.

Sentences are chosen by meaning: the embedding model scores each sentence of the retrieved abstracts
against the question (for a follow-up, the rewritten standalone query), and when the question asks what a
paper does, proposes, shows or finds, the sentences stating its contribution or results are preferred over
background. Without an embedding model (test retrievers), shared weighted words stand in for meaning.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from answer.context import Source
from answer.terms import terms
from core.sentences import is_complete, sentence_spans, states_contribution, states_result
from core.text import DocumentFrequency, defang_mentions, join_names, short_title, shorten

MAX_PAPERS = 3
MAX_POINTS = 4
POINT_CHARS = 280
QUERY_CHARS = 300  # a question's opening says what it asks; each token more costs model time
MAX_SENTENCES = 5  # per paper: bounds what one answer embeds (3 papers: 15 sentences, then cached)
SENTENCE_CHARS = 240  # a sentence's opening carries its gist; the model's cost grows with every token
OTHER_PAPER_MIN = 0.3  # a lower-ranked paper is quoted only if one of its sentences is this close to the question
SECOND_POINT_MIN = 0.45  # a second sentence of a paper is quoted only if this close
ASKS_WHAT_BONUS = 0.25  # "what does it propose?": the contribution sentence beats background that matches words
ASKS_RESULT_BONUS = 0.15
_ASKS_WHAT = re.compile(r"\b(what|which|how)\b.*\b(do|does|did|propos\w*|present\w*|introduc\w*|contribut\w*|"
                        r"offer\w*|about|idea|method|approach|new)\b|\b(summari[sz]e|summary|tell me about|"
                        r"explain|describe|main point)\b", re.I)
_ASKS_RESULT = re.compile(r"\b(show\w*|find\w*|found|results?|conclu\w*|achiev\w*|perform\w*|outperform\w*|"
                          r"better|improv\w*|work (well|better))\b", re.I)

Embed = Callable[[Sequence[str]], np.ndarray]


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
    meaning: float  # closeness to the question alone, before the contribution / result preferences


class SentenceVectors:
    """Unit embeddings of abstract sentences, cached per paper (keyed by its text, so a re-ingested abstract
    is embedded again): an answer scores the sentences of the 3-5 papers retrieved, and follow-ups come back
    to the same papers, so only the question is embedded on a repeat."""

    def __init__(self, embed: Embed, capacity: int = 1024) -> None:
        self._embed = embed
        self._capacity = capacity
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # answers run in worker threads

    def _unit(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.asarray(self._embed(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.asarray(vectors / np.where(norms == 0, 1, norms))

    def similarities(self, query: str, per_source: list[list[str]], sources: Sequence[Source]) -> list[np.ndarray]:
        keys = [hashlib.sha1(f"{s.id}\0{s.abstract}".encode()).hexdigest() for s in sources]
        with self._lock:
            missing = [i for i, key in enumerate(keys) if key not in self._cache]
        # The question apart: batched with short sentences, a long question would pad every one to its length.
        q = self._unit([query[:QUERY_CHARS]])[0]
        texts = [t[:SENTENCE_CHARS] for i in missing for t in per_source[i]]
        vectors, pos = self._unit(texts) if texts else np.zeros((0, len(q)), dtype=np.float32), 0
        with self._lock:
            for i in missing:
                self._cache[keys[i]] = vectors[pos:pos + len(per_source[i])]
                pos += len(per_source[i])
            for key in keys:
                self._cache.move_to_end(key)
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
            return [self._cache[key] @ q if len(self._cache[key]) else np.zeros(0) for key in keys]


def _lexical(query: str, per_source: list[list[str]]) -> list[np.ndarray]:
    """Shared weighted words, scaled to [0, 1] like a cosine, for retrievers without an embedding model."""
    sentence_terms = [[terms(sentence) for sentence in sentences] for sentences in per_source]
    weights = DocumentFrequency(t for source_terms in sentence_terms for t in source_terms)
    wanted = set(terms(query))
    raw = [np.array([weights.overlap(wanted, t) for t in source_terms]) for source_terms in sentence_terms]
    top = max((float(r.max()) for r in raw if len(r)), default=0.0) or 1.0
    return [r / top for r in raw]


def _shortlist(query: str, sentences: list[str]) -> list[str]:
    """At most `MAX_SENTENCES` of an abstract, in order, worth embedding: the opening two, those stating a
    contribution or result, and those sharing the most words with the query. Embedding every sentence of
    three abstracts costs seconds on a busy CPU; these hold the answer in practice."""
    if len(sentences) <= MAX_SENTENCES:
        return sentences
    wanted = set(terms(query))
    keep = {0, 1} | {i for i, s in enumerate(sentences) if states_contribution(s) or states_result(s)}
    by_words = sorted(range(len(sentences)), key=lambda i: -len(wanted & set(terms(sentences[i]))))
    for i in by_words:
        if len(keep) >= MAX_SENTENCES:
            break
        keep.add(i)
    return [sentences[i] for i in sorted(keep)[:MAX_SENTENCES]]


def _candidates(question: str, query: str, sources: Sequence[Source],
                vectors: SentenceVectors | None) -> list[list[_Candidate]]:
    per_source = [_shortlist(query, [source.abstract[s:e] for s, e in sentence_spans(source.abstract)])
                  for source in sources]
    similarity = vectors.similarities(query, per_source, sources) if vectors else _lexical(query, per_source)
    asks_what, asks_result = bool(_ASKS_WHAT.search(question)), bool(_ASKS_RESULT.search(question))
    result = []
    for rank, sentences in enumerate(per_source):
        candidates = []
        for position, sentence in enumerate(sentences):
            meaning = float(similarity[rank][position])
            score = meaning
            if states_contribution(sentence):
                score += ASKS_WHAT_BONUS if asks_what else 0.05
            if asks_result and states_result(sentence):
                score += ASKS_RESULT_BONUS
            if not is_complete(sentence):
                score -= 1.0  # a listing cut the abstract off mid-sentence: not worth quoting
            score -= 0.005 * position
            candidates.append(_Candidate(rank, position, sentence, score, meaning))
        result.append(sorted(candidates, key=lambda c: (-c.score, c.position)))
    return result


def build(question: str, sources: list[Source], *, focus: bool = False, query: str | None = None,
          vectors: SentenceVectors | None = None) -> Extract:
    """An extractive answer from `sources` (best first).

    `focus=True` means the user named these papers ("compare [1] and [3]"): each of them is covered, and the
    lead says so, instead of picking the best of the top results. `query` is what the sentences are compared
    with (the rewritten follow-up; default: the question); the question decides what kind of sentence is asked.
    """
    pool = sources if focus else sources[:MAX_PAPERS]
    ranked = _candidates(question, query or question, pool, vectors)

    chosen: list[_Candidate] = []
    papers: list[int] = []
    for rank, candidates in enumerate(ranked):
        if not candidates:
            continue
        if not focus:
            if len(papers) >= MAX_PAPERS:
                break
            if rank > 0 and max(c.meaning for c in candidates) < OTHER_PAPER_MIN:
                continue  # a lower-ranked paper with nothing close to the question
        chosen.append(candidates[0])
        papers.append(rank)
    # Room left: a second sentence from the best papers when it also bears on the question (at least two
    # points in all, so a single paper still gets a short summary rather than one line).
    # Asked what a paper does, the second point states a contribution or result if one is left, and is never
    # the abstract's opening background, which is close to such a question in words, not in what it asks.
    asks_what = bool(_ASKS_WHAT.search(question))
    for rank in papers:
        if len(chosen) >= MAX_POINTS:
            break
        candidates = ranked[rank][1:]
        if asks_what:
            candidates = ([c for c in candidates if states_contribution(c.sentence) or states_result(c.sentence)]
                          or [c for c in candidates if c.position > 0])
        if candidates and (candidates[0].meaning >= SECOND_POINT_MIN or len(chosen) < 2):
            chosen.append(candidates[0])

    chosen.sort(key=lambda c: (c.source_rank, c.position))
    order = list(dict.fromkeys(c.source_rank for c in chosen))
    number = {rank: i for i, rank in enumerate(order, start=1)}
    cited = []
    for rank in order:
        best = max((c for c in chosen if c.source_rank == rank), key=lambda c: (c.score, -c.position))
        cited.append((pool[rank], best.sentence))

    names = [f"{_named(pool[rank])} [{number[rank]}]" for rank in order]
    if focus:
        plural = len(names) > 1
        lead = f"Here is what the abstract{'s' if plural else ''} of {join_names(names)} say{'' if plural else 's'}:"
    elif len(names) == 1:
        lead = f"The most relevant paper is {names[0]}."
    else:
        lead = f"The most relevant papers are {join_names(names)}."
    points = [f"- \"{shorten(c.sentence, POINT_CHARS)}\" [{number[c.source_rank]}]" for c in chosen]
    text = "\n\n".join([lead, "\n".join(points)])
    return Extract(text=defang_mentions(text), cited=cited)


def _named(source: Source) -> str:
    """"Long-CLIP (Zhang et al., 2024)": the short title, with first author and year where known."""
    byline = source.byline
    return f"{short_title(source.title)} ({byline})" if byline else short_title(source.title)
