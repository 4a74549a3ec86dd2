"""The digest's texts: an overview of the day's papers and a TL;DR of each, by the LLM when it is
configured and backed by the abstracts, else extractive (`answer.briefs`).

`overview()` keeps the numbering of the papers passed in ([3] is the third paper of the digest).
"""

from __future__ import annotations

import asyncio
import logging
import time

from answer.briefs import (
    PhraseFrequency,
    clean_tldr,
    extractive_overview,
    key_line,
    suggested_questions,
    tldr_supported,
)
from answer.citations import key_sentence, verify
from answer.context import ContextTooSmall, Source
from answer.engine import NO_CITATION, NO_LLM, Engine, Run, citation, elapsed_ms
from answer.llm import LLMError
from core.models import Answer, Paper
from core.text import defang_mentions, neutralise, one_line

log = logging.getLogger(__name__)

TLDR_TOKENS = 80
TLDR_ABSTRACT_TOKENS = 700


class DigestWriter:
    """What `digest.compose` needs of an engine (`DigestEngine`), on the answer engine's LLM and prompts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._phrase_frequency: PhraseFrequency | None = None

    async def overview(self, papers: list[Paper]) -> Answer:
        """2-3 sentences on the themes of `papers`, citing [n] = the n-th paper given; extractive fallback."""
        engine = self.engine
        run = Run(time.perf_counter())
        label = f"Themes of {len(papers)} papers"
        sources = [Source.of(i, p) for i, p in enumerate(papers, start=1)]
        if not sources:
            return engine.finish(Answer(question=label, answer="No papers to summarise.", mode="abstain"), run)
        reason = NO_LLM
        if engine.llm is not None:
            started = time.perf_counter()
            try:
                packed = engine.packer.pack("overview", sources, system=engine.prompts.template("system"),
                                            values={"count": str(len(sources))})
                completion = await engine.llm.complete(packed.messages, engine.answer_tokens)
                run.add_usage(completion.usage, packed.prompt_tokens, completion.text, engine.counter)
                valid = {s.n: s for s in packed.sources}
                verified = verify(completion.text, valid, renumber=False)
                run.invalid = verified.removed
                if verified.order:
                    run.llm_ms += elapsed_ms(started)
                    citations = sorted(engine.citations(verified, valid, renumbered=False), key=lambda c: c.n)
                    return engine.finish(Answer(question=label, answer=defang_mentions(verified.text),
                                                mode="llm", citations=citations), run)
                reason = NO_CITATION
            except LLMError as exc:
                reason = exc.reason
            except ContextTooSmall as exc:
                reason = str(exc)
            run.llm_ms += elapsed_ms(started)
        text, cited = extractive_overview(sources, await self._corpus_phrases())
        by_n = {s.n: s for s in sources}
        citations = [citation(n, by_n[n], key_sentence(by_n[n].abstract)) for n in cited]
        return engine.finish(Answer(question=label, answer=defang_mentions(text), mode="extractive",
                                    fallback_reason=reason, citations=citations), run)

    async def tldr(self, paper: Paper) -> str:
        """One line for the digest: the LLM's, if every word of it is backed by the abstract, else the
        abstract's key sentence. Never raises."""
        engine = self.engine
        if engine.llm is not None and paper.abstract.strip():
            abstract = engine.counter.truncate(paper.abstract, TLDR_ABSTRACT_TOKENS)
            prompt = engine.prompts.render("tldr", title=neutralise(one_line(paper.title)),
                                           abstract=neutralise(abstract))
            try:
                completion = await engine.llm.complete([{"role": "user", "content": prompt}], TLDR_TOKENS)
            except LLMError as exc:
                log.info("tldr fell back to the key sentence", extra={"paper": paper.id, "reason": exc.reason})
            else:
                line = clean_tldr(completion.text)
                if tldr_supported(line, paper.title, paper.abstract):
                    return defang_mentions(line)
                log.info("tldr not supported by the abstract; using the key sentence", extra={"paper": paper.id})
        return defang_mentions(key_line(paper.title, paper.abstract))

    def suggestions(self, papers: list[Paper]) -> list[str]:
        """Example questions about these papers (`answer.briefs.suggested_questions`). Themes are judged against
        the corpus's vocabulary when an extractive overview has counted it, else against these papers only:
        counting a large corpus could outlast a button press's 3 seconds."""
        return suggested_questions(papers, self._phrase_frequency)

    async def _corpus_phrases(self) -> PhraseFrequency | None:
        """Phrase frequencies over the whole corpus, computed once (a theme must be rarer than everyday
        vocabulary); None if the corpus cannot be listed, and the digest's own papers are used instead."""
        if self._phrase_frequency is None:
            try:
                papers = await asyncio.to_thread(self.engine.retriever.papers)
            except Exception as exc:  # the overview must not fail because the listing did
                log.warning("corpus listing failed; themes from the digest's papers only",
                            extra={"error": str(exc)})
                return None
            self._phrase_frequency = await asyncio.to_thread(
                PhraseFrequency, [f"{p.title} {p.abstract}" for p in papers])
        return self._phrase_frequency
