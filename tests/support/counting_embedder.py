"""The real embedding model, counting how many texts it is asked to embed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.settings import Settings
from retrieval.embedding import MiniLMEmbedder, get_embedder


class CountingEmbedder:
    def __init__(self) -> None:
        self._inner = get_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
        assert isinstance(self._inner, MiniLMEmbedder)
        self.name, self.dimension, self.calls = self._inner.name, self._inner.dimension, 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        return self._inner.embed(texts)
