"""Dump the top-10 of every question (fused, BM25-only, dense-only, plain and date-filtered) as JSON.

Run it on two commits over the same index inputs and diff the outputs: an index change that keeps retrieval
identical gives identical files. `python benchmarks/rankings.py DATA_DIR [QUESTIONS.jsonl ...] > out.json`
(default: the dev and generalisation questions; each line a JSON object with the query as "q").
The script uses only `Retriever.open`, `search` and `rankings`, so it runs unchanged on older commits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.models import SearchFilters
from paperbot.settings import load_settings
from retrieval import Retriever

QUESTION_FILES = ("data/eval/dev-questions.jsonl", "data/eval/generalisation-questions.jsonl")


def main(data_dir: str, files: list[str]) -> None:
    settings = load_settings().model_copy(update={"data_dir": Path(data_dir)})
    retriever = Retriever.open(settings)
    dates = sorted(p.date for p in retriever.papers() if p.date)
    # A filter keeping about a fifth of the papers: the exact-scan path; half of them: the over-fetch path.
    filters = {"none": None, "recent": SearchFilters(since=dates[len(dates) * 4 // 5]),
               "half": SearchFilters(since=dates[len(dates) // 2]),
               "until": SearchFilters(until=dates[len(dates) // 3])}
    out: dict[str, dict[str, list]] = {}
    for file in files or QUESTION_FILES:
        for line in Path(file).read_text().splitlines():
            query = json.loads(line)["q"]
            for name, flt in filters.items():
                fused = [h.id for h in retriever.search(query, k=10, filters=flt).hits]
                dense, lexical = retriever.rankings(query, flt)
                # Scores go with the ids so that a difference can be told apart from a tie.
                out[f"{name}|{query}"] = {"fused": fused, "dense": [[p, round(s, 6)] for p, s in dense[:10]],
                                          "bm25": [[p, round(s, 6)] for p, s in lexical[:10]]}
    json.dump({"since": {k: str(v.since or v.until) for k, v in filters.items() if v}, "rankings": out},
              sys.stdout, indent=0, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
