"""Finding the right abstracts: corpus parsing, embedding, the Chroma store, BM25 and their fusion.

Public entry points:
- `Retriever.open(settings)`: the search side (hybrid search, lookups, similar papers, index stats).
- `ingest(paths, settings, ...)`: the write side (parse, embed what changed, upsert).
"""

from retrieval.search import IndexStats, Retriever

__all__ = ["IndexStats", "Retriever"]
