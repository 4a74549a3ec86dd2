"""Answer quality on a question set: does each answer cite the right papers, quote them, and stay supported?

For every question the engine answers as a user would get it (extractive, or the configured LLM), then:
- known-item: the answer cites a gold (or `also`) paper;
- citation precision: cited papers that are gold / `also`, or relevant by meaning (the question is within
  `RELEVANT_THRESHOLD` cosine of a sentence of the paper's abstract); the strict figure counts gold only;
- quotes: every citation's quote is a verbatim substring of that paper's abstract;
- support: each sentence citing [n] is within `SUPPORT_THRESHOLD` cosine (MiniLM, the retrieval model) of
  [n]'s quote, or is itself a verbatim sentence of [n]'s abstract. A sentence repeating a cited title
  ("The most relevant paper is X [1].") introduces papers, so it is not a claim to support;
- uncited sentences (LLM answers): sentences of four words or more that cite nothing;
- abstention: out-of-scope questions answered with "nothing in the corpus", and in-scope ones by mistake;
- invented markers: [n] naming no source, removed by the engine before the user sees them;
- latency: p50 / p95 of the engine's total time per answer.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence

import numpy as np
from pydantic import BaseModel, Field

from answer.citations import MARKER, citing_sentences
from answer.engine import Engine
from core.models import Answer, Paper
from core.sentences import sentences
from core.stats import percentile
from core.text import short_title
from retrieval import Retriever
from retrieval.corpus import normalize_title
from retrieval.evaluation import Question

SUPPORT_THRESHOLD = 0.5
RELEVANT_THRESHOLD = 0.45
MIN_CLAIM_WORDS = 4
_LEADING = re.compile(rf"^(?:\s*{MARKER.pattern})+[\s.,;:]*", re.I)


class AnswerMetrics(BaseModel):
    engine: str
    questions: int = 0
    known_items: int = 0
    cites_gold: float | None = Field(default=None, description="known-item answers citing a gold paper")
    citations: int = 0
    citation_precision: float | None = None
    citation_precision_strict: float | None = None
    quotes_verbatim: float | None = None
    claims: int = 0
    support_rate: float | None = None
    uncited_sentences: float | None = Field(default=None, description="LLM answers only")
    out_of_scope: int = 0
    abstained_out_of_scope: float | None = None
    false_abstains: float | None = Field(default=None, description="in-scope questions answered by abstaining")
    invented_markers_removed: int = Field(default=0, description="[n] naming no source, removed by the engine")
    answers_with_invented_markers: int = 0
    llm_fallbacks: int = Field(default=0, description="LLM answers replaced by the extractive one")
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = Field(default=None, description="the engine's total time per answer")
    misses: list[str] = Field(default_factory=list, description="known-item questions citing no gold paper")
    unsupported: list[str] = Field(default_factory=list, description="a few claims their quote does not back")
    not_verbatim: list[str] = Field(default_factory=list)


class _Tally:
    def __init__(self) -> None:
        self.gold_hits = self.precise = self.strict = self.cited = 0
        self.verbatim = self.quotes = self.supported = self.claims = 0
        self.uncited = self.llm_sentences = 0
        self.abstained_out = self.abstained_in = self.in_scope = 0
        self.latencies: list[float] = []


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.where(norms == 0, 1, norms))


def _marked_sentences(text: str) -> list[tuple[bool, str]]:
    """(cites something, text without markers) per sentence; "... prefix. [1]" cites for the sentence before."""
    result: list[tuple[bool, str]] = []
    for sentence in sentences(text, lines=True):
        leading = _LEADING.match(sentence)
        if leading and result:
            result[-1] = (True, result[-1][1])
            sentence = sentence[leading.end():]
        bare = " ".join(MARKER.sub(" ", sentence).split())
        if bare.strip(" .,;:"):
            result.append((bool(MARKER.search(sentence)), bare))
    return result


def _names_a_paper(claim: str, titles: list[str]) -> bool:
    """The claim repeats three consecutive words of a cited title: it introduces papers ("The most relevant
    papers are A [1] and B [2]", even when an abbreviation in a title split it into pieces)."""
    said = " ".join(re.findall(r"\w+", claim.lower()))
    for title in titles:
        words = re.findall(r"\w+", short_title(title).lower())
        if words and f" {' '.join(words)} " in f" {said} ":  # a short name: "Lookahead", "F5-TTS"
            return True
        if any(f" {' '.join(words[i:i + 3])} " in f" {said} " for i in range(max(0, len(words) - 2))):
            return True
    return False


class AnswerEvaluator:
    """Scores the answers of one engine; the embedding model is the retriever's."""

    def __init__(self, retriever: Retriever, label: str) -> None:
        self.retriever = retriever
        self.metrics = AnswerMetrics(engine=label)
        self._tally = _Tally()
        self._papers: dict[str, Paper] = {}
        self._sentence_vectors: dict[str, np.ndarray] = {}  # papers recur across answers: embed each once

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        return _unit(np.asarray(self.retriever.embed(list(texts)), dtype=np.float32))

    def _paper(self, paper_id: str) -> Paper | None:
        if paper_id not in self._papers:
            for paper in self.retriever.get_many([paper_id]):
                self._papers[paper.id] = paper
        return self._papers.get(paper_id)

    def add(self, question: Question, answer: Answer) -> None:
        m, t = self.metrics, self._tally
        m.questions += 1
        t.latencies.append(answer.timings_ms.total)
        m.invented_markers_removed += answer.invalid_citations_removed
        m.answers_with_invented_markers += answer.invalid_citations_removed > 0
        m.llm_fallbacks += answer.mode == "extractive" and m.engine == "llm"
        abstained = answer.mode == "abstain"
        if question.kind == "out-of-scope":
            m.out_of_scope += 1
            t.abstained_out += abstained
            return
        t.in_scope += 1
        t.abstained_in += abstained
        wanted = {normalize_title(title) for title in question.gold + question.also}
        cited_wanted = [c for c in answer.citations if normalize_title(c.title) in wanted]
        if question.kind == "known-item":
            m.known_items += 1
            if cited_wanted:
                t.gold_hits += 1
            else:
                m.misses.append(question.q)
        self._citations(question.q, answer, {c.n for c in cited_wanted})
        self._support(answer)

    def _citations(self, question: str, answer: Answer, wanted: set[int]) -> None:
        t, m = self._tally, self.metrics
        question_vector = self._embed([question])[0]
        for citation in answer.citations:
            t.cited += 1
            paper = self._paper(citation.id)
            abstract = paper.abstract if paper else ""
            t.quotes += 1
            if citation.quote and citation.quote in abstract:
                t.verbatim += 1
            elif len(m.not_verbatim) < 5:
                m.not_verbatim.append(f"{short_title(citation.title)}: {citation.quote[:80]}")
            if citation.n in wanted:
                t.strict += 1
                t.precise += 1
                continue
            if float((self._abstract_vectors(citation.id, abstract) @ question_vector).max()) >= RELEVANT_THRESHOLD:
                t.precise += 1

    def _abstract_vectors(self, paper_id: str, abstract: str) -> np.ndarray:
        if paper_id not in self._sentence_vectors:
            self._sentence_vectors[paper_id] = self._embed(sentences(abstract) or [abstract or "-"])
        return self._sentence_vectors[paper_id]

    def _support(self, answer: Answer) -> None:
        t, m = self._tally, self.metrics
        quotes = {c.n: c for c in answer.citations}
        titles = [c.title for c in answer.citations]
        pairs: list[tuple[str, str]] = []
        for n, claims in citing_sentences(answer.answer).items():
            citation = quotes.get(n)
            if citation is None:
                continue
            paper = self._paper(citation.id)
            for claim in claims:
                bare = re.sub(r'^[-*•\s"“]+|["”\s]+$', "", claim)
                if _names_a_paper(bare, titles) or len(bare.split()) < MIN_CLAIM_WORDS:
                    continue
                if paper is not None and bare.rstrip("…").strip() in paper.abstract:
                    t.claims += 1  # a verbatim sentence of the cited abstract backs itself
                    t.supported += 1
                    continue
                pairs.append((bare, citation.quote))
        if answer.mode == "llm":
            for cites, sentence in _marked_sentences(answer.answer):
                if len(sentence.split()) >= MIN_CLAIM_WORDS:
                    t.llm_sentences += 1
                    t.uncited += not cites
        if not pairs:
            return
        vectors = self._embed([text for pair in pairs for text in pair])
        for i, (claim, quote) in enumerate(pairs):
            t.claims += 1
            if float(vectors[2 * i] @ vectors[2 * i + 1]) >= SUPPORT_THRESHOLD:
                t.supported += 1
            elif len(m.unsupported) < 5:
                m.unsupported.append(f"{claim[:90]} <- {quote[:60]}")

    def result(self) -> AnswerMetrics:
        m, t = self.metrics, self._tally
        m.cites_gold = _ratio(t.gold_hits, m.known_items)
        m.citations = t.cited
        m.citation_precision = _ratio(t.precise, t.cited)
        m.citation_precision_strict = _ratio(t.strict, t.cited)
        m.quotes_verbatim = _ratio(t.verbatim, t.quotes)
        m.claims = t.claims
        m.support_rate = _ratio(t.supported, t.claims)
        m.uncited_sentences = _ratio(t.uncited, t.llm_sentences)
        m.abstained_out_of_scope = _ratio(t.abstained_out, m.out_of_scope)
        m.false_abstains = _ratio(t.abstained_in, t.in_scope)
        if t.latencies:
            m.latency_p50_ms = round(percentile(t.latencies, 50), 1)
            m.latency_p95_ms = round(percentile(t.latencies, 95), 1)
        return m


async def evaluate_answers(engine: Engine, retriever: Retriever, questions: list[Question], label: str,
                           progress: Callable[[int], None] | None = None) -> AnswerMetrics:
    """Answer every question with `engine` (one at a time, as latency is part of what is measured)."""
    evaluator = AnswerEvaluator(retriever, label)
    for done, question in enumerate(questions, start=1):
        answer = await engine.answer(question.q)
        await asyncio.to_thread(evaluator.add, question, answer)
        if progress:
            progress(done)
    return evaluator.result()
