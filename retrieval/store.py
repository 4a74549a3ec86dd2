"""The Chroma collection of paper vectors: embedded on disk by default, a Chroma server when configured.

Only vectors go in, with a content hash and the listing date as metadata; the text lives in the catalog.
The embedding model's name and dimension are recorded in the collection's metadata so that an index built
with one model is never queried with another.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.errors import IndexMissingError, ModelMismatchError, StoreUnavailableError
from core.settings import Settings

log = logging.getLogger(__name__)
BATCH = 2_000  # well under Chroma's max batch size, large enough to amortise the call


def preload() -> None:
    """Import Chroma (and the httpx it shares with the openai client) on the calling thread.

    Two threads importing httpx at once can see it half-initialised ("partially initialized module 'httpx'
    has no attribute 'Response'"): whoever starts a thread that opens Chroma imports it first.
    """
    import chromadb  # noqa: F401
    import httpx  # noqa: F401


def _client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                       settings=chroma_settings)
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.index_dir / "chroma"), settings=chroma_settings)
    except Exception as exc:  # chromadb raises plain Exceptions (ValueError, ConnectionError...) here
        raise StoreUnavailableError(f"cannot reach Chroma at {describe(settings)}: {exc}") from None


def _hashes(got: dict[str, Any]) -> dict[str, str]:
    return {i: str((m or {}).get("h", "")) for i, m in zip(got["ids"], got["metadatas"], strict=False)}


def _is_missing(exc: Exception) -> bool:
    text = str(exc).lower()
    return "does not exist" in text or "not found" in text


def chroma_version(settings: Settings) -> str:
    """The Chroma version answering (the server's, or the embedded library's); raises StoreUnavailableError."""
    client = _client(settings)
    try:
        return str(client.get_version())
    except Exception as exc:  # the HTTP client connects lazily: a closed port fails here
        raise StoreUnavailableError(f"cannot reach Chroma at {describe(settings)}: {exc}") from None


def describe(settings: Settings) -> str:
    if settings.chroma_host:
        return f"server {settings.chroma_host}:{settings.chroma_port}"
    return f"embedded at {settings.index_dir / 'chroma'}"


class VectorStore:
    def __init__(self, settings: Settings, collection: Any) -> None:
        self.settings = settings
        self._collection = collection
        self.dimension = int((collection.metadata or {}).get("dimension") or 0)

    @classmethod
    def open(cls, settings: Settings, model: str, dimension: int, create: bool = False,
             rebuild: bool = False) -> VectorStore:
        """The collection for `model`; refuses one built with another model unless rebuilding."""
        client = _client(settings)
        name = settings.chroma_collection
        try:
            if rebuild:
                try:
                    client.delete_collection(name)
                except Exception:  # absent already: nothing to rebuild from
                    log.debug("no collection to delete", extra={"collection": name})
            try:
                collection = client.get_collection(name, embedding_function=None)
            except Exception as missing:
                if not create or not _is_missing(missing):
                    raise
                collection = client.create_collection(
                    name, embedding_function=None,
                    metadata={"embedding_model": model, "dimension": dimension},
                    configuration={"hnsw": {"space": "cosine", "ef_search": 128}},
                )
        except Exception as exc:
            text = str(exc)
            if _is_missing(exc):
                raise IndexMissingError(f"the index has no collection {name!r} in Chroma "
                                        f"({describe(settings)}): run `paperbot ingest`") from None
            raise StoreUnavailableError(f"Chroma ({describe(settings)}) failed: {text}") from None
        meta = collection.metadata or {}
        built_with, built_dim = meta.get("embedding_model"), meta.get("dimension")
        if built_with != model or (built_dim is not None and int(built_dim) != dimension):
            raise ModelMismatchError(
                f"the index was built with embedding model {built_with!r} ({built_dim} dimensions) but "
                f"{model!r} ({dimension}) is configured: rebuild it with `paperbot ingest --rebuild`, "
                f"or set EMBEDDING_MODEL back to {built_with!r}")
        return cls(settings, collection)

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise StoreUnavailableError(f"Chroma {what} failed ({describe(self.settings)}): {exc}") from None

    def hashes(self, ids: Sequence[str] | None = None) -> dict[str, str]:
        """Content hash of each stored vector (all of them when `ids` is None)."""
        found: dict[str, str] = {}
        if ids is None:
            total = self.count()
            for offset in range(0, total, 10_000):
                got = self._call("get", self._collection.get, include=["metadatas"], limit=10_000, offset=offset)
                found.update(_hashes(got))
            return found
        for start in range(0, len(ids), BATCH):
            got = self._call("get", self._collection.get, ids=list(ids[start:start + BATCH]), include=["metadatas"])
            found.update(_hashes(got))
        return found

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, hashes: Sequence[str], dates: Sequence[int]) -> None:
        for start in range(0, len(ids), BATCH):
            end = start + BATCH
            self._call("upsert", self._collection.upsert, ids=list(ids[start:end]), embeddings=vectors[start:end],
                       metadatas=[{"h": h, "d": d} for h, d in zip(hashes[start:end], dates[start:end], strict=True)])

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), BATCH):
            self._call("delete", self._collection.delete, ids=list(ids[start:start + BATCH]))

    def count(self) -> int:
        return int(self._call("count", self._collection.count))

    def query(self, vector: np.ndarray, n: int, ids: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """(id, cosine similarity) nearest first; restricted to `ids` when given (exact over that subset).

        `n` must not exceed the number of stored vectors (the caller knows it; asking Chroma costs a call).
        """
        if ids is not None:
            n = min(n, len(ids))
        if n <= 0:
            return []
        kwargs: dict[str, Any] = {"query_embeddings": vector.reshape(1, -1), "n_results": n, "include": ["distances"]}
        if ids is not None:
            kwargs["ids"] = list(ids)
        got = self._call("query", self._collection.query, **kwargs)
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=False)]

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        got = self._call("get", self._collection.get, ids=list(ids), include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"], strict=False)}
