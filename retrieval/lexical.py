"""BM25 over titles and abstracts, words and word pairs (bm25s: precomputed sparse scores).

Chroma's own BM25/sparse search is not available in the embedded client, so the lexical index is kept
beside it and rebuilt from the catalog whenever an ingest changes anything. Titles are indexed twice:
a query word that is in the title says more about the paper than one in the abstract.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN) | {
    # Question scaffolding: in a question these carry no topic ("which papers are about X?").
    "paper", "papers", "work", "works", "study", "studies", "approach", "approaches", "method", "methods",
    "propose", "proposed", "using", "use", "used", "show", "shows", "how", "what", "which", "does", "do",
    "can", "about", "any", "there", "find", "me", "tell", "explain", "i", "you", "we", "our", "they",
}


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Stemmed content words, then adjacent pairs ("data_select"): a phrase match outranks scattered words."""
    words = [w for w in _WORD.findall(text.lower().replace("’", "'")) if w not in _STOPWORDS]
    stems: list[str] = list(_stemmer().stemWords(words))
    return stems + [f"{a}_{b}" for a, b in itertools.pairwise(stems)]


class LexicalIndex:
    """BM25 scores for every paper of the catalog, rows aligned with `ids` and `dates`."""

    def __init__(self, model: bm25s.BM25, ids: list[str], dates: np.ndarray) -> None:
        self._model = model
        self.ids = ids
        self.dates = dates
        self._vocab: dict[str, int] = model.vocab_dict

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str, int]]) -> LexicalIndex:
        ids: list[str] = []
        dates: list[int] = []
        corpus: list[list[str]] = []
        for pid, title, abstract, date in rows:
            ids.append(pid)
            dates.append(date)
            title_tokens = tokenize(title)
            corpus.append(title_tokens + title_tokens + tokenize(abstract))
        model = bm25s.BM25(k1=1.2, b=0.75)
        if corpus:
            model.index(corpus, show_progress=False)
        return cls(model, ids, np.asarray(dates, dtype=np.int32))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if self.ids:
            self._model.save(str(directory), show_progress=False)
        (directory / "rows.json").write_text(json.dumps({"ids": self.ids, "dates": self.dates.tolist()}))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        rows = json.loads((directory / "rows.json").read_text())
        model = bm25s.BM25.load(str(directory), mmap=False) if rows["ids"] else bm25s.BM25()
        if not rows["ids"]:
            model.vocab_dict = {}
        return cls(model, rows["ids"], np.asarray(rows["dates"], dtype=np.int32))

    def coverage(self, query: str) -> float:
        """Share of the query's content words that occur somewhere in the corpus."""
        words = [t for t in tokenize(query) if "_" not in t]
        return sum(t in self._vocab for t in words) / len(words) if words else 0.0

    def known_terms(self, query: str) -> list[str]:
        return [t for t in dict.fromkeys(tokenize(query)) if t in self._vocab]

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row; zeros when no query word is in the corpus."""
        terms = self.known_terms(query)
        if not terms or not self.ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._model.get_scores(terms), dtype=np.float32)
