"""/search as every surface runs it: the query and `since` option checked once, the hybrid search, the cut where
relevance falls off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel

from app.relevance import about_query
from core.dates import parse_since
from core.errors import InputError
from core.models import SearchFilters, SearchResult
from retrieval.preference import prefer_topics

if TYPE_CHECKING:
    from app.wiring import App

MAX_QUERY_CHARS = 500
SEARCH_RESULTS = 25
# Past the relevant papers, a few loosely related ones (a search may be worded a little off); with none
# relevant, one page of the closest.
LOOSELY_SHOWN = 2
CLOSEST_SHOWN = 5


class Query(BaseModel):
    """A search the retriever can run as is (it trusts its input), and a notice if the text was cut."""

    text: str
    notice: str | None = None
    filters: SearchFilters | None = None

    @property
    def since(self) -> dt.date | None:
        return self.filters.since if self.filters else None


def filters_since(since: str | None, author: str | None = None) -> SearchFilters | None:
    """The filters of a `since` and an `author` option; an author with nothing to match is refused."""
    day = parse_since(since)
    name = " ".join((author or "").split())
    if author is not None and not any(ch.isalnum() for ch in name):
        raise InputError("The author filter is empty: give part of a name, e.g. author:Zhang.")
    return SearchFilters(since=day, author=name or None) if day or name else None


def check_query(text: str, filters: SearchFilters | None = None, limit: int = MAX_QUERY_CHARS) -> Query:
    """Whitespace collapsed; an empty query refused; an overlong one cut at a word, with a notice."""
    value = " ".join(text.split())
    if not value:
        raise InputError("The query is empty: type a few words about the papers you are looking for.")
    if len(value) <= limit:
        return Query(text=value, filters=filters)
    cut = value[:limit].rsplit(" ", 1)[0] or value[:limit]
    return Query(text=cut, filters=filters,
                 notice=f"The query was {len(value):,} characters; only the first {len(cut):,} were used.")


def check_search(query: str, since: str | None = None, author: str | None = None) -> Query:
    """A /search's options checked (before a surface acknowledges, so a refusal is instant)."""
    return check_query(query, filters_since(since, author))


def run_many(app: App, queries: Sequence[Query], k: int = SEARCH_RESULTS) -> list[SearchResult]:
    """Ranked papers for each checked query (one embedding batch when they share their filters)."""
    filters = queries[0].filters if queries else None
    if any(q.filters != filters for q in queries):
        return [run(app, q, k) for q in queries]
    results = app.retriever.search_many([q.text for q in queries], k=k, filters=filters)
    for result, query in zip(results, queries, strict=True):
        result.notice = result.notice or query.notice
    return results


def run(app: App, query: Query, k: int = SEARCH_RESULTS) -> SearchResult:
    return run_many(app, [query], k)[0]


def browse(app: App, query: Query, prefer: Sequence[str] = (), k: int = SEARCH_RESULTS) -> SearchResult:
    """/search as a person reads it: the papers about the query first (those on the `prefer` topics, a channel's
    topic, ahead), then at most LOOSELY_SHOWN loosely related ones (a page of the closest when none is about
    it); `relevant_count` says where the first part ends."""
    result, dense, lexical = app.retriever.search_ranked(query.text, k, query.filters)
    result.notice = result.notice or query.notice
    hits = prefer_topics(result.hits, prefer)
    about = about_query(dense, lexical) if result.relevant else set()
    relevant = [h for h in hits if h.id in about]
    loose = [h for h in hits if h.id not in about][:LOOSELY_SHOWN if relevant else CLOSEST_SHOWN]
    return result.model_copy(update={"hits": relevant + loose, "relevant_count": len(relevant),
                                     "preferring": list(prefer)})


async def reranked(app: App, result: SearchResult) -> SearchResult:
    """`result` with its top candidates in the LLM's order when RERANK_CANDIDATES is set; otherwise, and
    whenever the rerank fails, as it was. Only the papers judged about the query are reordered (among
    themselves): which papers are relevant, and whether any is, stays the search's verdict."""
    if not app.settings.rerank_enabled or not result.relevant:
        return result
    reranker = app.engine.reranker
    cut = len(result.hits) if result.relevant_count is None else result.relevant_count
    if reranker is None or cut < 2:
        return result
    ranked = await reranker.rerank(result.query, result.hits[:cut])
    if not ranked.applied:
        return result
    return result.model_copy(update={"hits": ranked.hits + result.hits[cut:], "reranked": True})


def search(app: App, query: str, since: str | None = None, author: str | None = None,
           prefer: Sequence[str] = ()) -> SearchResult:
    return browse(app, check_search(query, since, author), prefer)
