"""Listwise reranking of the top search candidates by the LLM: one short call, bounded in tokens and time.

The LLM sees the question and the first RERANK_CANDIDATES fused hits, each as "[i] title: contribution
statement", inside a data block, and replies with an ordering such as "3 > 1 > 7". Unknown and repeated
numbers are dropped and candidates it left out follow the ones it ranked, in their fused order. Any failure
(timeout, HTTP error, an empty or unreadable reply, every slot of the LLM taken) keeps the fused order, logs
one line and raises nothing: the rerank can only reorder what the search found, never lose it. The relevance
verdict is the search's, made before: a rerank never turns an out-of-scope question into an answerable one.

Successful orders are remembered for the last CACHE_SIZE (question, candidates) pairs, so turning the pages of
a /search (which runs the search again) shows the same order without another call.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from answer.llm import LLMClient, LLMError
from core.models import Hit, Usage
from core.sentences import contribution_statement
from core.text import neutralise, one_line, shorten
from prompts import Prompts

log = logging.getLogger(__name__)

TITLE_CHARS = 120
STATEMENT_CHARS = 200  # with the title, about 60 tokens a candidate
CACHE_SIZE = 256
# An ordering: numbers (optionally bracketed) joined by ">" or ",", e.g. "3 > 1 > [7]" or "3, 1, 7".
_ORDERING = re.compile(r"\[?\d+\]?(?:\s*[>,]\s*\[?\d+\]?)+")
_ALONE = re.compile(r"\s*\[?(\d+)\]?\s*\.?\s*")


@dataclass
class Reranked:
    """The hits in their new order; `applied` is False (and `reason` says why) when the fused order stands."""

    hits: list[Hit]
    applied: bool
    reason: str | None = None
    ms: float = 0.0
    usage: Usage | None = None


def reply_tokens(candidates: int) -> int:
    """Room for "10 > 9 > ... > 1": a number and a separator are at most 3 tokens, plus a little slack."""
    return 3 * candidates + 8


def parse_order(text: str, count: int) -> list[int]:
    """The 0-based candidate positions an LLM reply ranks, best first: numbers outside 1..count and repeats
    dropped; [] when the reply holds no ordering (prose that merely mentions a number is not one)."""
    match = max(_ORDERING.findall(text), key=len, default=None)
    if match is None:
        alone = _ALONE.fullmatch(text)
        numbers = [alone.group(1)] if alone else []
    else:
        numbers = re.findall(r"\d+", match)
    order: list[int] = []
    for number in numbers:
        position = int(number) - 1
        if 0 <= position < count and position not in order:
            order.append(position)
    return order


def candidate_lines(hits: Sequence[Hit]) -> str:
    """One line per candidate, numbered from 1, with text that cannot open or close a prompt section."""
    lines = []
    for i, hit in enumerate(hits, start=1):
        title = shorten(hit.title, TITLE_CHARS)
        statement = shorten(contribution_statement(hit.abstract, sentences_kept=1), STATEMENT_CHARS)
        lines.append(neutralise(one_line(f"[{i}] {title}: {statement}" if statement else f"[{i}] {title}")))
    return "\n".join(lines)


class Reranker:
    def __init__(self, llm: LLMClient, prompts: Prompts, candidates: int, timeout: float) -> None:
        self.llm = llm
        self.prompts = prompts
        self.candidates = candidates
        self.timeout = min(timeout, llm.timeout)
        self._orders: OrderedDict[tuple[str, tuple[str, ...]], list[int]] = OrderedDict()

    def messages(self, question: str, hits: Sequence[Hit]) -> list[dict[str, str]]:
        prompt = self.prompts.render("rerank", question=neutralise(one_line(question)),
                                     candidates=candidate_lines(hits))
        return [{"role": "user", "content": prompt}]

    async def rerank(self, question: str, hits: Sequence[Hit]) -> Reranked:
        """`hits` with the first `candidates` of them in the LLM's order; the fused order on any failure."""
        started = time.perf_counter()
        head, tail = list(hits[:self.candidates]), list(hits[self.candidates:])
        if len(head) < 2:
            return Reranked(list(hits), applied=False, reason="fewer than two candidates")
        key = (question, tuple(h.id for h in head))
        usage = None
        order = self._orders.get(key)
        if order is None:
            try:
                order, usage = await self._ask(question, head)
            except LLMError as exc:
                ms = (time.perf_counter() - started) * 1000
                log.info("rerank fell back to the search's order", extra={"reason": exc.reason, "ms": round(ms)})
                return Reranked(list(hits), applied=False, reason=exc.reason, ms=ms)
            self._remember(key, order)
        ranked = [head[i] for i in order] + [h for i, h in enumerate(head) if i not in order]
        return Reranked(ranked + tail, applied=True, ms=(time.perf_counter() - started) * 1000, usage=usage)

    async def _ask(self, question: str, head: list[Hit]) -> tuple[list[int], Usage | None]:
        if self.llm.busy:  # every slot taken: waiting would cost the user more than the rerank gains
            raise LLMError("every LLM slot is busy")
        await self.llm.ready()
        try:
            # The deadline covers the wait for a slot as well as the call itself.
            async with asyncio.timeout(self.timeout):
                completion = await self.llm.complete(self.messages(question, head), reply_tokens(len(head)),
                                                     timeout=self.timeout, retries=0)
        except TimeoutError:
            raise LLMError(f"the LLM did not answer within {self.timeout:g} s") from None
        order = parse_order(completion.text, len(head))
        if not order:
            raise LLMError("the LLM's reply held no ordering of the candidates")
        return order, completion.usage

    def _remember(self, key: tuple[str, tuple[str, ...]], order: list[int]) -> None:
        self._orders[key] = order
        self._orders.move_to_end(key)
        while len(self._orders) > CACHE_SIZE:
            self._orders.popitem(last=False)
