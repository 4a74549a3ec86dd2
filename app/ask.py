"""/ask as every surface runs it: the question checked and cleaned here, once, then answered by the engine.

The engine and the retriever trust what they are given; the Discord handlers, the console and the CLI all
go through `check_question`, so a question is refused or shortened in one place, with one wording.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from pydantic import BaseModel

from core.errors import InputError
from core.models import Answer, SearchFilters, Turn
from core.text import strip_mentions

if TYPE_CHECKING:
    from app.wiring import App

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
                 filters: SearchFilters | None = None) -> Answer:
    return await app.engine.answer(asked.text, history=history, filters=filters, notice=asked.notice)


def stream(app: App, asked: Question, history: list[Turn] | None = None,
           filters: SearchFilters | None = None) -> AsyncIterator[str | Answer]:
    """Partial answer texts while an LLM writes (when streaming is on), then the final Answer."""
    return app.engine.stream(asked.text, history=history, filters=filters, notice=asked.notice)


def streams(app: App) -> bool:
    """Whether `stream` yields partial texts before the answer (an LLM is configured and streaming is on)."""
    return app.settings.llm_configured and app.settings.llm_stream


def mode_line(answer: Answer, llm_model: str) -> str:
    """How an answer was made, shown under it: LLM, extractive (and why), or no match."""
    if answer.mode == "llm":
        count = len(answer.citations)
        line = f"Mode: LLM ({llm_model}) · {count} paper{'s' if count != 1 else ''} cited"
    elif answer.mode == "extractive":
        line = "Mode: extractive, sentences quoted from the abstracts"
        if answer.fallback_reason:
            line += f" · {answer.fallback_reason}"
    else:
        line = "Mode: no match in the corpus"
    if answer.invalid_citations_removed:
        line += f" · {answer.invalid_citations_removed} unsupported citation(s) removed"
    return line
