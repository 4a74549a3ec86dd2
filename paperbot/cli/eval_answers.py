"""The table of `paperbot eval --answers`: answer quality for the extractive engine and, if set, the LLM."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable

from answer.engine import Engine
from answer.evaluation import RELEVANT_THRESHOLD, SUPPORT_THRESHOLD, AnswerMetrics, evaluate_answers
from app.wiring import App
from retrieval.evaluation import Question

# metric name in AnswerMetrics, then the row's label; rates print with 3 decimals, counts and times whole.
_TABLE = """
cites_gold                  known-item answers citing a gold paper
citation_precision          citation precision (gold or on-topic)
citation_precision_strict   citation precision (gold only)
quotes_verbatim             quotes verbatim in the abstract
support_rate                cited claims supported by their quote
uncited_sentences           answer sentences citing nothing
abstained_out_of_scope      out-of-scope answered by abstaining
false_abstains              in-scope answered by abstaining
invented_markers_removed    invented [n] markers removed
llm_fallbacks               answers that fell back to extractive
latency_p50_ms              latency p50 (ms)
latency_p95_ms              latency p95 (ms)
"""
ROWS = [tuple(line.split(maxsplit=1)) for line in _TABLE.strip().splitlines()]


def _cell(field: str, value: float | int | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) and not field.endswith("_ms") else f"{value:.0f}"


def _progress(label: str, total: int) -> Callable[[int], None]:
    def report(done: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{label}: {done}/{total} answered", end="" if done < total else "\n", file=sys.stderr)
    return report


async def _evaluate(app: App, questions: list[Question]) -> list[AnswerMetrics]:
    settings = app.settings
    engines = [("extractive", Engine(settings.model_copy(update={"openai_base_url": None, "openai_api_key": None}),
                                     app.retriever))]
    if settings.llm_configured:
        engines.append(("llm", app.engine))
    results = []
    for label, engine in engines:
        try:
            results.append(await evaluate_answers(engine, app.retriever, questions, label,
                                                  _progress(label, len(questions))))
        finally:
            await engine.aclose()
    return results


def run_answers(app: App, questions: list[Question], split: str, *, as_json: bool) -> int:
    results = asyncio.run(_evaluate(app, questions))
    if as_json:
        print(json.dumps({"questions": len(questions), "split": split, "support_threshold": SUPPORT_THRESHOLD,
                          "relevant_threshold": RELEVANT_THRESHOLD,
                          **{m.engine: m.model_dump() for m in results}}))
        return 0
    first = results[0]
    print(f"{len(questions)} questions ({split}): {first.known_items} known-item, "
          f"{first.questions - first.known_items - first.out_of_scope} topical, {first.out_of_scope} out-of-scope\n")
    print(f"{'metric':<42}" + "".join(f"{m.engine:>12}" for m in results))
    for field, label in ROWS:
        print(f"{label:<42}" + "".join(f"{_cell(field, getattr(metrics, field)):>12}" for metrics in results))
    print(f"\nsupport: cosine >= {SUPPORT_THRESHOLD} between a citing sentence and its quote (MiniLM); on-topic: "
          f"cosine >= {RELEVANT_THRESHOLD} between the question and a sentence of the cited abstract")
    for metrics in results:
        for title, items in (("known-item answers citing no gold paper", metrics.misses),
                             ("claims their quote does not support", metrics.unsupported),
                             ("quotes not found verbatim", metrics.not_verbatim)):
            if items:
                print(f"\n{metrics.engine}: {title}:")
                for item in items:
                    print(f"  - {item}")
    return 0
