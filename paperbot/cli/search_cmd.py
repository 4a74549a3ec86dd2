"""`paperbot search QUERY... [-k N] [--since D] [--until D] [--json]`."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import TYPE_CHECKING

from core.settings import Settings
from paperbot.cli.dates import add_date_filters, filters_from_args

if TYPE_CHECKING:
    from app.wiring import App
    from core.models import SearchResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("queries", nargs="+", metavar="QUERY", help="one or more queries (quote each)")
    parser.add_argument("-k", type=int, default=None, help="results per query (default: SEARCH_DEFAULT_K)")
    add_date_filters(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per query per line")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app import search
    from app.ask import RERANKED
    from app.wiring import App
    from core.errors import InputError

    k = args.k or settings.search_default_k
    if not 1 <= k <= 100:
        raise InputError("-k must be between 1 and 100")
    filters = filters_from_args(args)
    queries = [search.check_query(q, filters, limit=settings.max_question_chars) for q in args.queries]
    app = App(settings)
    results = search.run_many(app, queries, k=k)
    if settings.rerank_enabled:
        results = asyncio.run(_reranked(app, results))
    for result in results:
        if args.json:
            line = {
                "query": result.query,
                "relevant": result.relevant,
                "results": [{"id": h.id, "title": h.title, "score": h.score,
                             "date": h.date.isoformat() if h.date else None} for h in result.hits],
            }
            if settings.rerank_enabled:  # the shape stays as documented unless the rerank is turned on
                line["reranked"] = result.reranked
            print(json.dumps(line, ensure_ascii=False))
            continue
        print(f"\n{result.query}")
        if result.notice:
            print(f"  note: {result.notice}")
        if result.reranked:
            print(f"  {RERANKED} (scores are the search's)")
        if not result.relevant:
            print("  nothing in the corpus looks relevant" + ("; nearest:" if result.hits else ""))
        for rank, hit in enumerate(result.hits, start=1):
            when = hit.date.isoformat() if hit.date else "undated"
            print(f"  {rank:>2}. {hit.title}  ({when}, {hit.score:.4f})")
    return 0


async def _reranked(app: App, results: list[SearchResult]) -> list[SearchResult]:
    """Each result's top candidates in the LLM's order (one event loop, so one HTTP client for them all)."""
    from app import search

    try:
        return [await search.reranked(app, result) for result in results]
    finally:
        await app.close_engine()
