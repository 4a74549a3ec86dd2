"""/ask as every surface runs it: the question checked and cleaned here, once, then answered by the engine.

The engine and the retriever trust what they are given; the Discord handlers, the console and the CLI all
go through `check_question`, so a question is refused or shortened in one place, with one wording.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel

from core.errors import InputError
from core.models import Answer, SearchFilters, Turn, Usage
from core.settings import Settings
from core.text import strip_mentions

if TYPE_CHECKING:
    from app.wiring import App

RERANKED = "papers reordered by the LLM"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Question(BaseModel):
    """A question fit for the engine, and a notice for the user when it had to be shortened."""

    text: str
    notice: str | None = None


def check_question(raw: str | None, max_chars: int) -> Question:
    """The question as the engine uses it.

    Mentions are removed (they name nobody in the corpus and must not be echoed), control characters
    dropped, whitespace collapsed; over `max_chars` it is cut at a word boundary, with a notice.
    """
    if raw is None or not raw.strip():
        raise InputError("Ask a question: the message was empty.")
    text = _CONTROL.sub(" ", raw).strip()
    notice = None
    if len(text) > max_chars:
        cut = text[:max_chars]
        cut = cut.rsplit(None, 1)[0] if " " in cut[max_chars // 2:] else cut
        notice = (f"Your question was {len(text):,} characters long; only the first {len(cut):,} were used "
                  f"(the limit is {max_chars:,}).")
        text = cut
    text = re.sub(r"[ \t]+", " ", strip_mentions(text))
    text = re.sub(r"\n\s*\n\s*\n+", "\n\n", text).strip()
    if not any(ch.isalnum() for ch in text):
        raise InputError("There is nothing to search for in that question: ask it in words, for example "
                         "\"Which papers are about mixture of experts?\"")
    return Question(text=text, notice=notice)


def question(app: App, raw: str | None) -> Question:
    return check_question(raw, app.settings.max_question_chars)


async def answer(app: App, asked: Question, history: list[Turn] | None = None,
                 filters: SearchFilters | None = None, prefer: Sequence[str] = ()) -> Answer:
    """The engine's answer; papers on the `prefer` topics (a channel's topic) rank first."""
    return await app.engine.answer(asked.text, history=history, filters=filters, notice=asked.notice,
                                   prefer=prefer)


def stream(app: App, asked: Question, history: list[Turn] | None = None,
           filters: SearchFilters | None = None, prefer: Sequence[str] = ()) -> AsyncIterator[str | Answer]:
    """Partial answer texts while an LLM writes (when streaming is on), then the final Answer."""
    return app.engine.stream(asked.text, history=history, filters=filters, notice=asked.notice, prefer=prefer)


def streams(app: App) -> bool:
    """Whether `stream` yields partial texts before the answer (an LLM is configured and streaming is on)."""
    return app.settings.llm_configured and app.settings.llm_stream


def mode_line(answer: Answer, llm_model: str, prices: Prices | None = None) -> str:
    """How an answer was made, shown under it: LLM, extractive (and why), or no match; the tokens it took
    (and their cost when `prices` are set) and the channel topic it preferred."""
    if answer.mode == "llm":
        count = len(answer.citations)
        line = f"Mode: LLM ({llm_model}) · {count} paper{'s' if count != 1 else ''} cited"
    elif answer.mode == "extractive":
        line = "Mode: extractive, sentences quoted from the abstracts"
        if answer.fallback_reason:
            line += f" · {answer.fallback_reason}"
    else:
        line = "Mode: no match in the corpus"
    if answer.reranked:
        line += f" · {RERANKED}"
    if answer.invalid_citations_removed:
        line += f" · {answer.invalid_citations_removed} unsupported citation(s) removed"
    if answer.usage.prompt_tokens or answer.usage.completion_tokens:
        line += f" · {usage_text(answer.usage, prices)}"
    if answer.preferring:
        line += f" · {preferring_text(answer.preferring)}"
    return line


class Prices(BaseModel):
    """What 1,000 tokens of the configured model cost, in US dollars (LLM_PRICE_PER_1K_INPUT / _OUTPUT)."""

    per_1k_input: float
    per_1k_output: float

    @classmethod
    def of(cls, settings: Settings) -> Prices | None:
        given = settings.llm_price_per_1k_input, settings.llm_price_per_1k_output
        return None if given[0] is None or given[1] is None else cls(per_1k_input=given[0], per_1k_output=given[1])

    def cost(self, usage: Usage) -> float:
        return (usage.prompt_tokens * self.per_1k_input + usage.completion_tokens * self.per_1k_output) / 1000


def usage_text(usage: Usage, prices: Prices | None = None) -> str:
    """"1,234 tokens (1,100 in, 134 out) · $0.0004"; the cost only when prices are set."""
    total = usage.prompt_tokens + usage.completion_tokens
    text = f"{total:,} tokens ({usage.prompt_tokens:,} in, {usage.completion_tokens:,} out)"
    if prices is not None:
        cost = prices.cost(usage)
        text += f" · ${cost:.4f}" if cost < 1 else f" · ${cost:,.2f}"
    return text


def preferring_text(topics: Sequence[str]) -> str:
    return "preferring: " + ", ".join(topics)
