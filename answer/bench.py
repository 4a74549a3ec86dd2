"""Engine overhead for `paperbot bench`: the time of an answer minus the time spent waiting for the LLM.

    figures = asyncio.run(engine_overhead(engine, questions))
    # {"answers": 99, "p50_ms": 21.4, "p95_ms": 33.0, "max_ms": 41.2, "retrieval_p50_ms": ..., ...}

Overhead is everything the engine does itself: question clean-up, follow-up resolution, retrieval, packing
and token counting, citation verification and quotes (or the extractive answer). With no LLM configured it
is the whole answer time. The first `warmup` questions are answered and not counted (first-call costs such
as loading the tokenizer are start-up, not per-answer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from answer.engine import Engine


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


async def engine_overhead(engine: Engine, questions: Sequence[str], *, repeats: int = 3,
                          warmup: int = 3) -> dict[str, float]:
    if not questions:
        raise ValueError("engine_overhead needs at least one question")
    for question in list(questions)[:warmup]:
        await engine.answer(question)
    overhead: list[float] = []
    retrieval: list[float] = []
    for _ in range(repeats):
        for question in questions:
            answer = await engine.answer(question)
            overhead.append(answer.timings_ms.total - answer.timings_ms.llm)
            retrieval.append(answer.timings_ms.retrieval)
    return {
        "answers": float(len(overhead)),
        "p50_ms": round(percentile(overhead, 50), 2),
        "p95_ms": round(percentile(overhead, 95), 2),
        "max_ms": round(max(overhead), 2),
        "retrieval_p50_ms": round(percentile(retrieval, 50), 2),
        "retrieval_p95_ms": round(percentile(retrieval, 95), 2),
        "engine_only_p95_ms": round(percentile([o - r for o, r in zip(overhead, retrieval, strict=True)], 95), 2),
    }
