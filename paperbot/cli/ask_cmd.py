"""`paperbot ask QUESTION... [--since D] [--until D] [--json]`: one grounded answer with its cited papers.

With `--json` it prints exactly one object: question, answer, mode, fallback_reason, citations
[{n, id, title, quote}], usage {prompt_tokens, completion_tokens}, timings_ms {retrieval, llm, total}, and
`reranked` (whether the LLM reordered the search's candidates) when RERANK_CANDIDATES is set.
Without it, the answer (streamed to a terminal while an LLM writes it), the numbered cited titles with their
supporting quotes, and a line saying which mode answered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import textwrap
from typing import TYPE_CHECKING, Any

from core.settings import Settings
from paperbot.cli.dates import add_date_filters, filters_from_args

if TYPE_CHECKING:
    from app.ask import Question
    from app.wiring import App
    from core.models import Answer, SearchFilters


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", nargs="+", metavar="QUESTION", help="the question (quotes optional)")
    add_date_filters(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app import ask
    from app.wiring import App

    app = App(settings)
    question = ask.question(app, " ".join(args.question))
    filters = filters_from_args(args)
    stream = not args.json and sys.stdout.isatty() and ask.streams(app)
    answer, printed = asyncio.run(_ask(app, question, filters, stream))
    if args.json:
        data = as_json(answer)
        if settings.rerank_enabled:  # the shape stays as documented unless the rerank is turned on
            data["reranked"] = answer.reranked
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(answer_text(answer, settings, answer_printed=printed))
    return 0


async def _ask(app: App, question: Question, filters: SearchFilters | None,
               stream: bool) -> tuple[Answer, bool]:
    """The answer, and whether its text is already on screen (streamed as it was written)."""
    from app import ask
    from core.models import Answer

    try:
        if not stream:
            return await ask.answer(app, question, filters=filters), False
        shown = ""
        async for item in ask.stream(app, question, filters=filters):
            if isinstance(item, Answer):
                if shown:
                    same = item.answer == shown
                    sys.stdout.write("\n\n" if same else "\n\n(the text above was replaced by this answer)\n\n")
                    sys.stdout.flush()
                    return item, same
                return item, False
            if item.startswith(shown):
                sys.stdout.write(item[len(shown):])
            else:
                sys.stdout.write("\n" + item)
            sys.stdout.flush()
            shown = item
        raise AssertionError("the engine produced no answer")
    finally:
        await app.close_engine()


def as_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answer": answer.answer,
        "mode": answer.mode,
        "fallback_reason": answer.fallback_reason,
        "citations": [{"n": c.n, "id": c.id, "title": c.title, "quote": c.quote} for c in answer.citations],
        "usage": {"prompt_tokens": answer.usage.prompt_tokens,
                  "completion_tokens": answer.usage.completion_tokens},
        "timings_ms": {"retrieval": answer.timings_ms.retrieval, "llm": answer.timings_ms.llm,
                       "total": answer.timings_ms.total},
    }


def answer_text(answer: Answer, settings: Settings, *, answer_printed: bool = False) -> str:
    lines: list[str] = []
    if answer.notice:
        lines += [f"note: {answer.notice}", ""]
    if not answer_printed:
        lines += [answer.answer, ""]
    if answer.citations:
        lines.append("Sources:")
        for c in answer.citations:
            when = f" ({c.date.isoformat()})" if c.date else ""
            byline = f" · {c.byline(c.date)}" if c.authors else ""
            lines.append(f"[{c.n}] {c.title}{when}{byline}")
            if c.abs_url:
                lines.append(f"    {c.abs_url}")
            lines.append(textwrap.fill(f'"{c.quote}"', width=100, initial_indent="    ", break_on_hyphens=False,
                                       subsequent_indent="    "))
        lines.append("")
    timing = f"{answer.timings_ms.total / 1000:.2f} s"
    if answer.mode == "llm":
        usage = f"{answer.usage.prompt_tokens} prompt + {answer.usage.completion_tokens} completion tokens"
        lines.append(f"mode: LLM ({settings.llm_model}) · {usage} · {timing}")
    elif answer.mode == "extractive":
        lines.append(f"mode: extractive ({answer.fallback_reason}) · {timing}")
    else:
        lines.append(f"mode: no match in the corpus · {timing}")
    if answer.reranked:
        from app.ask import RERANKED

        lines.append(RERANKED)
    if answer.invalid_citations_removed:
        lines.append(f"removed {answer.invalid_citations_removed} citation(s) naming no source")
    return "\n".join(lines)
