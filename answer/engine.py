"""The answer engine: question -> retrieval (-> LLM rerank) -> packed sources -> LLM -> verified citations -> Answer.

One object serves the Discord bot, the console and the CLI (through `app.ask`, which checks and cleans the
question first: the engine trusts it) and the digest's texts (`answer.digest_brief`). It never raises because
of the LLM: any failure (no endpoint, timeout, refused connection, 5xx after retries, garbage, an answer
citing nothing real) gives an extractive answer whose `fallback_reason` says why.

Answer text conventions (callers rely on them):
- `answer.answer` holds [n] markers, one number per marker ("[1][3]"), numbered 1.. in order of first use;
  the numbered titles are NOT appended: callers render them from `answer.citations` (n, title, quote).
- `stream()` yields the answer text so far (cumulative, already cleaned of invalid markers and renumbered,
  so it can replace a Discord message as is), then the final `Answer`. The final text may differ from the
  last partial (an extractive fallback replaces an answer that cited nothing): always render the `Answer`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing

from answer import extractive
from answer.bounds import bound, char_budget, drop_echo
from answer.citations import Verified, best_quote, citing_sentences, verify
from answer.context import ContextTooSmall, Packed, Packer, Source, byline_note
from answer.followup import (
    FollowUp,
    clean_rewrite,
    references_note,
    render_turns,
    resolve,
    standalone_query,
)
from answer.llm import Completion, LLMClient, LLMError, StreamResult
from answer.rerank import Reranker
from answer.terms import close_hits
from answer.tokens import TokenCounter
from core.models import Answer, Citation, Paper, SearchFilters, SearchResult, Timings, Turn, Usage
from core.settings import Settings
from core.text import defang_mentions, neutralise, one_line, shorten
from prompts import Prompts
from retrieval import Retriever
from retrieval.preference import PREFER_POOL, prefer_topics

log = logging.getLogger(__name__)

NO_LLM = "no LLM endpoint is configured"
NO_CITATION = "the LLM's answer cited none of the sources"
CUT_OFF = "the LLM's answer stopped mid-sentence with no citation"
ECHOED = "the LLM repeated its instructions instead of answering"
MAX_SOURCES = 6
PROMPT_TURNS = 3
REWRITE_TOKENS = 64
REWRITE_TIMEOUT = 10.0


class Engine:
    def __init__(self, settings: Settings, retriever: Retriever) -> None:
        self.settings = settings
        self.retriever = retriever
        self.prompts = Prompts(settings.prompts_dir)
        self.llm = LLMClient(settings) if settings.llm_configured else None
        self.reranker = (Reranker(self.llm, self.prompts, settings.rerank_candidates,
                                  settings.rerank_timeout_seconds)
                         if self.llm is not None and settings.rerank_enabled else None)
        window = settings.llm_context_window
        self.answer_tokens = settings.llm_max_answer_tokens
        self.answer_chars = char_budget(settings.llm_max_answer_tokens)
        if self.answer_tokens > window // 2:
            # A reply budget eating most of the window leaves no room for sources; keep the request valid.
            self.answer_tokens = max(16, window // 4)
            log.warning("LLM_MAX_ANSWER_TOKENS too large for LLM_CONTEXT_WINDOW; using %d", self.answer_tokens,
                        extra={"context_window": window, "max_answer_tokens": settings.llm_max_answer_tokens})
        embed = getattr(retriever, "embed", None)  # test retrievers without a model: extractive uses words
        self._sentence_vectors = extractive.SentenceVectors(embed) if callable(embed) else None

    @functools.cached_property
    def counter(self) -> TokenCounter:
        """Loaded on first use (an encoding to load, tiktoken to import): extractive answers never need it."""
        return TokenCounter.for_model(self.settings.llm_model)

    @functools.cached_property
    def packer(self) -> Packer:
        return Packer(self.prompts, self.counter, self.settings.llm_context_window - self.answer_tokens)

    # --- state the bot and benchmarks read -----------------------------------------------------------------

    @property
    def llm_configured(self) -> bool:
        return self.llm is not None

    @property
    def llm_busy(self) -> bool:
        """Every LLM slot is taken: a new question would wait; the bot tells the user to retry."""
        return self.llm is not None and self.llm.busy

    @property
    def llm_in_flight(self) -> int:
        return self.llm.in_flight if self.llm else 0

    @property
    def llm_max_in_flight(self) -> int:
        """The most LLM calls ever in flight at once (never above `llm_max_concurrency`)."""
        return self.llm.max_in_flight if self.llm else 0

    async def warm_up(self) -> None:
        """Load what the first LLM answer would load (token counter, HTTP client), in worker threads."""
        if self.llm is not None:
            await asyncio.to_thread(lambda: self.packer)
            await self.llm.warm_up()

    async def aclose(self) -> None:
        if self.llm is not None:
            await self.llm.aclose()

    # --- questions -----------------------------------------------------------------------------------------

    async def answer(self, question: str, history: list[Turn] | None = None,
                     filters: SearchFilters | None = None, *, notice: str | None = None,
                     prefer: Sequence[str] = ()) -> Answer:
        """The answer to a question already checked by `app.ask.check_question`; `notice` is passed on;
        papers on the `prefer` topics (a channel's scope) rank first among the relevant ones."""
        async with aclosing(self._run(question, history, filters, notice, stream=False, prefer=prefer)) as items:
            async for item in items:
                if isinstance(item, Answer):
                    return item
        raise AssertionError("the engine produced no answer")

    async def stream(self, question: str, history: list[Turn] | None = None,
                     filters: SearchFilters | None = None, *, notice: str | None = None,
                     prefer: Sequence[str] = ()) -> AsyncIterator[str | Answer]:
        """Cumulative partial answer texts while the LLM writes, then the final Answer (see module doc)."""
        async with aclosing(self._run(question, history, filters, notice,
                                      stream=self.settings.llm_stream, prefer=prefer)) as items:
            async for item in items:
                yield item

    async def _run(self, question: str, history: list[Turn] | None, filters: SearchFilters | None,
                   notice: str | None, *, stream: bool, prefer: Sequence[str] = ()
                   ) -> AsyncGenerator[str | Answer, None]:
        run = Run(time.perf_counter())
        run.notice = notice
        run.preferring = list(prefer)
        followup = resolve(question, history)
        carried = await self._carried(followup, run)
        query = search_text(question)
        if followup.is_followup:
            query = await self._standalone(question, followup, carried, history or [], run)
        started = time.perf_counter()
        result = await asyncio.to_thread(self._search, query, filters, prefer)
        run.retrieval_ms += elapsed_ms(started)
        if result.relevant and self.reranker is not None:  # the verdict is the search's, made before
            result = await self._reranked(query, result, run)

        sources = self._sources(result, followup, carried)
        if not sources:
            yield self._abstain(question, result, run, filters)
            return
        focus = [s for s in sources if s.carried and s.id in followup.referenced_ids]
        if self.llm is None:
            yield await self._extractive(question, query, sources, NO_LLM, run, focus=focus)
            return

        conversation = ""
        if followup.is_followup and history:
            conversation = self.prompts.render("conversation", turns=render_turns(history, PROMPT_TURNS))
        try:
            # Counting tokens of long abstracts takes a while: off the event loop, like all engine work.
            packed = await asyncio.to_thread(
                self.packer.pack, "answer", sources, system=self.prompts.template("system"),
                values={"question": neutralise(question), "conversation": conversation,
                        "references": references_note(followup) + byline_note(sources)},
                optional=("conversation", "references"), shrinkable="question")
        except ContextTooSmall as exc:
            yield await self._extractive(question, query, sources, str(exc), run, focus=focus)
            return
        run.sources_sent, run.sources_dropped = len(packed.sources), len(packed.dropped)
        if packed.question_cut:
            run.notice = " ".join(filter(None, [run.notice, "Your question was shortened to fit the model's "
                                                "context window."]))

        started = time.perf_counter()
        try:
            if stream:
                partials = StreamResult()
                valid = {s.n for s in packed.sources}
                shown = ""
                async with aclosing(self.llm.stream(packed.messages, self.answer_tokens, partials)) as deltas:
                    async for _delta in deltas:
                        if len(partials.text) > self.answer_chars:
                            break  # an endpoint ignoring max_tokens: stop reading, `bound` cuts the text
                        partial = defang_mentions(verify(partials.text, valid, partial=True).text)
                        if len(partial) > len(shown):  # a marker being hidden must not shrink the text
                            shown = partial
                            yield partial
                completion = Completion(partials.text, partials.usage, partials.finish_reason)
            else:
                completion = await self.llm.complete(packed.messages, self.answer_tokens)
        except LLMError as exc:
            run.llm_ms += elapsed_ms(started)
            yield await self._extractive(question, query, sources, exc.reason, run, focus=focus)
            return
        run.llm_ms += elapsed_ms(started)
        run.add_usage(completion.usage, packed.prompt_tokens, completion.text, self.counter)
        yield await self._grounded(question, query, completion, packed, sources, run, focus)

    # --- the pieces ----------------------------------------------------------------------------------------

    async def _carried(self, followup: FollowUp, run: Run) -> list[Paper]:
        if not followup.is_followup or not followup.carried:
            return []
        started = time.perf_counter()
        papers = await asyncio.to_thread(self.retriever.get_many, followup.carried)
        run.retrieval_ms += elapsed_ms(started)
        return papers

    async def _standalone(self, question: str, followup: FollowUp, carried: list[Paper], history: list[Turn],
                          run: Run) -> str:
        titles = {p.id: p.title for p in carried}
        fallback = search_text(standalone_query(question, followup, titles))
        if self.llm is None:
            return fallback
        papers = "\n".join(f"[{followup.carried.index(p.id) + 1}] {neutralise(one_line(p.title))}"
                           for p in carried)
        prompt = self.prompts.render("followup", turns=render_turns(history, PROMPT_TURNS, 300),
                                     papers=papers or "(none)", question=neutralise(question))
        messages = [{"role": "user", "content": prompt}]
        started = time.perf_counter()
        try:
            completion = await self.llm.complete(messages, REWRITE_TOKENS,
                                                 timeout=min(REWRITE_TIMEOUT, self.llm.timeout), retries=0)
        except LLMError as exc:
            log.info("follow-up rewrite failed; using the deterministic one", extra={"reason": exc.reason})
            return fallback
        finally:
            run.llm_ms += elapsed_ms(started)
        run.add_usage(completion.usage, self.counter.count_messages(messages), completion.text, self.counter)
        rewritten = clean_rewrite(completion.text)
        return search_text(rewritten) if rewritten else fallback

    async def _reranked(self, query: str, result: SearchResult, run: Run) -> SearchResult:
        """The hits with the top candidates in the LLM's order (the fused order when the rerank fails)."""
        assert self.reranker is not None
        ranked = await self.reranker.rerank(query, result.hits)
        run.llm_ms += ranked.ms
        run.reranked = ranked.applied
        if ranked.usage is not None:
            run.add(ranked.usage)
        return result.model_copy(update={"hits": ranked.hits})

    def _search(self, query: str, filters: SearchFilters | None, prefer: Sequence[str]) -> SearchResult:
        k = self.settings.search_default_k
        if not prefer:
            return self.retriever.search(query, k, filters)
        result = self.retriever.search(query, max(k, PREFER_POOL), filters)
        return result.model_copy(update={"hits": prefer_topics(result.hits, prefer)[:k]})

    def _sources(self, result: SearchResult, followup: FollowUp, carried: list[Paper]) -> list[Source]:
        """Numbered sources, best first: papers named in a follow-up, the rest of the papers cited last time
        (both keeping the numbers the user saw), then new hits."""
        by_id = {p.id: p for p in carried}
        # Ingest cuts longer abstracts; one indexed before that cap must not cost every step seconds of CPU.
        cap = self.settings.max_abstract_chars
        kept: list[Source] = []
        for paper_id in followup.referenced_ids + followup.carried:
            paper = by_id.get(paper_id)
            if paper is not None and all(s.id != paper_id for s in kept):
                kept.append(Source.of(followup.carried.index(paper_id) + 1, paper, carried=True, cap=cap))
        if not result.relevant:
            return kept
        room = max(2, MAX_SOURCES - len(kept)) if kept else MAX_SOURCES
        next_n = len(followup.carried) + 1 if kept else 1
        for hit in result.hits:
            if room == 0:
                break
            if hit.id in by_id or not hit.abstract.strip():
                continue
            kept.append(Source.of(next_n, hit, cap=cap))
            next_n += 1
            room -= 1
        return kept

    async def _grounded(self, question: str, query: str, completion: Completion, packed: Packed,
                        sources: list[Source], run: Run, focus: list[Source]) -> Answer:
        valid = {s.n: s for s in packed.sources}
        bounded = bound(completion.text, completion.finish_reason, self.answer_chars)
        # Markers count only in what the model wrote, not in instructions it repeated.
        text, echoed = drop_echo(bounded.text, next((m["content"] for m in packed.messages
                                                     if m["role"] == "system"), ""))
        verified = verify(text, valid)
        run.invalid = verified.removed
        if not verified.order:
            reason = ECHOED if echoed else CUT_OFF if bounded.cut_off else NO_CITATION
            return await self._extractive(question, query, sources, reason, run, focus=focus)
        run.notice = " ".join(filter(None, [run.notice, bounded.notice])) or None
        citations = await asyncio.to_thread(self.citations, verified, valid)
        return self.finish(Answer(question=question, answer=defang_mentions(verified.text), mode="llm",
                                   citations=citations), run)

    def citations(self, verified: Verified, sources: dict[int, Source], renumbered: bool = True) -> list[Citation]:
        claims = citing_sentences(verified.text)
        citations = []
        for new, old in enumerate(verified.order, start=1):
            source = sources[old]
            n = new if renumbered else old
            quote = best_quote(claims.get(n, []), source.abstract, source.shown)
            citations.append(citation(n, source, quote))
        return citations

    async def _extractive(self, question: str, query: str, sources: list[Source], reason: str, run: Run,
                          focus: list[Source] | None = None) -> Answer:
        # Scoring embeds sentences: off the event loop, so the bot keeps acknowledging other users meanwhile.
        extract = await asyncio.to_thread(extractive.build, question, focus or sources, focus=bool(focus),
                                          query=query, vectors=self._sentence_vectors)
        if not extract.cited:
            return self.finish(Answer(question=question, mode="extractive", fallback_reason=reason,
                                       answer=f"The papers found have no abstract text to quote ({reason})."),
                                run)
        citations = [citation(n, source, quote) for n, (source, quote) in enumerate(extract.cited, start=1)]
        answer = Answer(question=question, answer=extract.text, mode="extractive", fallback_reason=reason,
                        citations=citations)
        return self.finish(answer, run)

    def _abstain(self, question: str, result: SearchResult, run: Run, filters: SearchFilters | None) -> Answer:
        nearest = close_hits(question, result.hits)
        text = "The corpus has no paper about this, so there is nothing to answer from."
        if filters is not None and filters.active:
            span = " and ".join(part for part in (
                f"since {filters.since.isoformat()}" if filters.since else "",
                f"until {filters.until.isoformat()}" if filters.until else "") if part)
            text = (f"No paper listed {span} is about this, so there is nothing to answer from "
                    "(try a wider date range).")
        if nearest:
            lines = "\n".join(f"- {defang_mentions(one_line(h.title))}"
                              + (f" ({h.date.isoformat()})" if h.date else "") for h in nearest)
            text += f"\nThe closest titles, in case one of them is what you meant:\n{lines}"
        return self.finish(Answer(question=question, answer=text, mode="abstain", nearest=nearest), run)

    def finish(self, answer: Answer, run: Run) -> Answer:
        answer.notice = run.notice
        answer.preferring = run.preferring
        answer.usage = run.usage
        answer.invalid_citations_removed = run.invalid
        answer.reranked = run.reranked
        answer.timings_ms = Timings(retrieval=round(run.retrieval_ms, 2), llm=round(run.llm_ms, 2),
                                    total=round(elapsed_ms(run.started), 2))
        log.info("answer", extra={
            "mode": answer.mode, "fallback_reason": answer.fallback_reason, "model": self.settings.llm_model
            if self.llm else None, "question_chars": len(answer.question), "citations": len(answer.citations),
            "invalid_citations_removed": run.invalid, "sources_sent": run.sources_sent,
            "sources_dropped": run.sources_dropped, "prompt_tokens": run.usage.prompt_tokens,
            "completion_tokens": run.usage.completion_tokens, "retrieval_ms": answer.timings_ms.retrieval,
            "llm_ms": answer.timings_ms.llm, "total_ms": answer.timings_ms.total})
        return answer

class Run:
    """What one answer accumulates on its way: timings, usage, notices."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.retrieval_ms = 0.0
        self.llm_ms = 0.0
        self.usage = Usage()
        self.notice: str | None = None
        self.preferring: list[str] = []
        self.invalid = 0
        self.sources_sent = 0
        self.sources_dropped = 0
        self.reranked = False

    def add_usage(self, reported: Usage | None, prompt_tokens: int, text: str, counter: TokenCounter) -> None:
        self.add(reported or Usage(prompt_tokens=prompt_tokens, completion_tokens=counter.count(text)))

    def add(self, usage: Usage) -> None:
        self.usage = Usage(prompt_tokens=self.usage.prompt_tokens + usage.prompt_tokens,
                           completion_tokens=self.usage.completion_tokens + usage.completion_tokens)


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def citation(n: int, source: Source, quote: str) -> Citation:
    return Citation(**source.meta.meta(), n=n, id=source.id, title=source.title, quote=quote, urls=list(source.urls),
                    date=source.date)


def search_text(question: str) -> str:
    """The question as a search query: markdown and code-fence punctuation removed, one line."""
    text = re.sub(r"```[A-Za-z0-9_+-]*|[`*_~>#|]+", " ", question)
    return shorten(text, 1000)

