"""`paperbot eval [--questions FILE] [--split tune|report] [--answers] [--json]`.

Without `--answers`: retrieval quality, fused vs BM25-only vs dense-only, side by side. With `--answers`: the
answer engine's quality (paperbot/cli/eval_answers.py), extractive and, when an endpoint is set, the LLM.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.settings import DEV_QUESTIONS, Settings

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
    if args.json:
        print(json.dumps({"questions": len(questions), "split": args.split,
                          **{r: m.model_dump() for r, m in results.items()}}))
        return 0
    fused = results["fused"]
    print(f"{len(questions)} questions ({args.split}): {fused.known_items} known-item, {fused.topical} topical, "
          f"{fused.out_of_scope} out-of-scope\n")
    print(f"{'metric':<28}{'fused':>8}{'bm25':>8}{'dense':>8}")
    for label, field in ROWS:
        cells = []
        for metrics in results.values():
            value = getattr(metrics, field)
            cells.append(f"{value:>8.3f}" if value is not None else f"{'-':>8}")
        print(f"{label:<28}{''.join(cells)}")
    print("\n(rejection uses the one relevance verdict, so it is the same for every ranker)")
    if fused.misses:
        print("\nknown-item questions the fused ranker did not put first:")
        for q in fused.misses:
            print(f"  - {q}")
    return 0
