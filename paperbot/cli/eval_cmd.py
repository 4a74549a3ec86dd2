"""`paperbot eval [--questions FILE] [--split tune|report] [--answers] [--json]`.

Without `--answers`: retrieval quality, fused vs BM25-only vs dense-only, side by side, and the fused ranking
reranked by the LLM when an endpoint and RERANK_CANDIDATES are set (with the rerank's latency and fallbacks).
With `--answers`: the answer engine's quality (paperbot/cli/eval_answers.py), extractive and, when an endpoint
is set, the LLM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.settings import DEV_QUESTIONS, Settings
from core.stats import percentile

if TYPE_CHECKING:
    from answer.rerank import Reranked, Reranker
    from core.models import Hit

ROWS = [
    ("known-item hit@1", "hit_at_1"),
    ("known-item hit@5", "hit_at_5"),
    ("known-item MRR@10", "mrr_at_10"),
    ("topical recall@10", "recall_at_10"),
    ("out-of-scope rejected", "rejection_rate"),
    ("in-scope falsely rejected", "false_rejection_rate"),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--questions", type=Path, default=DEV_QUESTIONS,
                        help="JSONL question file (default: the bundled dev questions, data/eval/dev-questions.jsonl)")
    parser.add_argument("--split", choices=("all", "tune", "report"), default="all",
                        help="the tuning or the held-out report half of the file (fixed seed; default: all)")
    parser.add_argument("--answers", action="store_true",
                        help="evaluate answers (citations, quotes, support, abstention, latency), not retrieval")
    parser.add_argument("--json", action="store_true", help="print the metrics as one JSON object")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app.wiring import App
    from retrieval.evaluation import evaluate, load_questions, split_questions

    questions = split_questions(load_questions(args.questions), args.split)
    app = App(settings)
    if args.answers:
        from paperbot.cli.eval_answers import run_answers

        return run_answers(app, questions, args.split, as_json=args.json)
    retriever = app.retriever
    results = {r: evaluate(retriever, questions, r) for r in ("fused", "bm25", "dense")}
    probe = RerankProbe(app.engine.reranker) if settings.rerank_enabled and app.engine.reranker else None
    if probe is not None:
        try:
            results["rerank"] = evaluate(retriever, questions, "rerank", reorder=probe)
        finally:
            probe.close(app.close_engine())
    if args.json:
        print(json.dumps({"questions": len(questions), "split": args.split,
                          **{r: m.model_dump() for r, m in results.items()},
                          **(probe.summary() if probe else {})}))
        return 0
    fused = results["fused"]
    print(f"{len(questions)} questions ({args.split}): {fused.known_items} known-item, {fused.topical} topical, "
          f"{fused.out_of_scope} out-of-scope\n")
    print(f"{'metric':<28}{'fused':>8}{'bm25':>8}{'dense':>8}" + (f"{'fused+LLM rerank':>18}" if probe else ""))
    for label, field in ROWS:
        cells = []
        for ranker, metrics in results.items():
            value, width = getattr(metrics, field), 18 if ranker == "rerank" else 8
            cells.append(f"{value:>{width}.3f}" if value is not None else f"{'-':>{width}}")
        print(f"{label:<28}{''.join(cells)}")
    print("\n(rejection uses the one relevance verdict, so it is the same for every ranker)")
    if probe is not None:
        print(probe.line())
    if fused.misses:
        print("\nknown-item questions the fused ranker did not put first:")
        for q in fused.misses:
            print(f"  - {q}")
    return 0


class RerankProbe:
    """The LLM rerank as `evaluate` calls it (synchronously, on one event loop), with its outcomes kept."""

    def __init__(self, reranker: Reranker) -> None:
        self.reranker = reranker
        self.runner = asyncio.Runner()
        self.outcomes: list[Reranked] = []

    def __call__(self, question: str, hits: list[Hit]) -> list[Hit]:
        outcome = self.runner.run(self.reranker.rerank(question, hits))
        self.outcomes.append(outcome)
        return outcome.hits

    def close(self, closing: Any) -> None:
        """Run `closing` (the engine's client shutdown) on the probe's loop, then end the loop."""
        try:
            self.runner.run(closing)
        finally:
            self.runner.close()

    def summary(self) -> dict[str, Any]:
        times = [o.ms for o in self.outcomes]
        return {"rerank_calls": len(self.outcomes),
                "rerank_fallbacks": sum(not o.applied for o in self.outcomes),
                "rerank_latency_ms": {"p50": round(percentile(times, 50), 1) if times else None,
                                      "p95": round(percentile(times, 95), 1) if times else None}}

    def line(self) -> str:
        summary = self.summary()
        latency = summary["rerank_latency_ms"]
        text = (f"LLM rerank ({self.reranker.candidates} candidates): {summary['rerank_calls']} calls, "
                f"{summary['rerank_fallbacks']} fell back to the fused order")
        if latency["p50"] is not None:
            text += f"; latency p50 {latency['p50']:.0f} ms, p95 {latency['p95']:.0f} ms"
        return text
