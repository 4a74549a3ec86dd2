"""Where an index lives on disk and which embedding model it was built with: shared by ingest and search."""

from __future__ import annotations

from pathlib import Path

from core.errors import ModelMismatchError
from core.settings import Settings
from retrieval.catalog import Catalog
from retrieval.embedding import MINILM_DIM, MINILM_NAME


def catalog_path(settings: Settings) -> Path:
    return settings.index_dir / "catalog.sqlite3"


def model_identity(settings: Settings) -> tuple[str, int | None]:
    """Name and (when known without loading anything) dimension of the configured embedding model."""
    if settings.embedding_backend == "local":
        return MINILM_NAME, MINILM_DIM
    return settings.embedding_model, None


def check_model(catalog: Catalog, name: str) -> None:
    """Refuse, before loading any model, to mix vectors of two embedding models in one index."""
    built_with = catalog.info("embedding_model")
    if built_with is not None and built_with != name:
        raise ModelMismatchError(
            f"the index was built with embedding model {built_with!r} but {name!r} is configured: "
            f"rebuild it with `paperbot ingest --rebuild`, or set the embedding model back to {built_with!r}")
