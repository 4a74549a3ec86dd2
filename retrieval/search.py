"""Hybrid search over the index (dense Chroma + BM25, fused). Interface first; implementation follows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel

from paperbot.models import Hit, Paper, SearchFilters, SearchResult
from paperbot.settings import Settings


class IndexStats(BaseModel):
    papers: int
    embedding_model: str
    dimension: int
    last_ingest: dt.datetime | None
    store: str  # "embedded at PATH" or "server HOST:PORT"


class Retriever:
    """Read side of the index. Open once and share: the embedding model and BM25 load on open."""

    @classmethod
    def open(cls, settings: Settings) -> Retriever:
        """Raises IndexMissingError / ModelMismatchError / StoreUnavailableError with a user-facing message."""
        raise NotImplementedError

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> SearchResult:
        """Ranked hits, best first; `relevant` is False when nothing in the corpus is about the query."""
        raise NotImplementedError

    def search_many(self, queries: Sequence[str], k: int = 10,
                    filters: SearchFilters | None = None) -> list[SearchResult]:
        raise NotImplementedError

    def get(self, paper_id: str) -> Paper | None:
        raise NotImplementedError

    def get_many(self, paper_ids: Sequence[str]) -> list[Paper]:
        """Papers in the order asked, unknown ids skipped."""
        raise NotImplementedError

    def papers(self) -> list[Paper]:
        """Every paper, newest listing date first."""
        raise NotImplementedError

    def match_titles(self, text: str, limit: int = 25) -> list[Paper]:
        """Title lookup for autocomplete and `/paper`: prefix and word matches first, then fuzzy."""
        raise NotImplementedError

    def similar(self, paper_id: str, k: int = 5) -> list[Hit]:
        """Nearest papers to a paper of the corpus (itself excluded)."""
        raise NotImplementedError

    def stats(self) -> IndexStats:
        raise NotImplementedError
