"""Sentence vectors: a paper scored by its closest abstract sentence, reused across commits, 4-bit on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.settings import Settings
from retrieval import sentence_match
from retrieval.dense_rows import DenseRows
from retrieval.embedding import get_embedder
from retrieval.sentence_match import SentenceVectors

ABSTRACTS = {
    "a": "Large models are expensive to serve. We propose caching shared prompt prefixes across requests. "
         "It cuts the cost of long system prompts by half.",
    "b": "Protein language models read amino-acid sequences. We release a benchmark of folding questions.",
}


# Two unit vectors spread over every component, as an embedding model's are.
PAPER_VECTORS = np.random.default_rng(0).standard_normal((2, 384)).astype(np.float32)
PAPER_VECTORS /= np.linalg.norm(PAPER_VECTORS, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def embed() -> sentence_match.Embed:
    embedder = get_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
    return lambda texts: embedder.embed(texts)


def _build(embed: sentence_match.Embed | None, previous: SentenceVectors | None = None,
           abstracts: dict[str, str] = ABSTRACTS, changed: set[str] | None = None) -> SentenceVectors:
    ids = np.asarray(list(abstracts), dtype=str)
    paper_vectors = DenseRows([PAPER_VECTORS.astype(np.float16)])
    return sentence_match.build(ids, np.ones(2, dtype=bool), changed, previous, paper_vectors,
                                lambda wanted: {p: abstracts[p] for p in wanted}, embed)


def test_a_paper_scores_by_its_closest_sentence_within_4_bit_rounding(embed: sentence_match.Embed,
                                                                      tmp_path: Path) -> None:
    _build(embed).save(tmp_path)
    stored = SentenceVectors.load(tmp_path)
    query = embed(["how much does caching the system prompt save?"])[0]
    exact = embed(sentence_match.split(ABSTRACTS["a"]))
    best = stored.best(query, np.array([0, 1]))
    assert len(stored.rows(0)[0]) == 3 and len(stored.rows(1)[0]) == 2
    assert abs(best[0] - float((exact @ query).max())) < 0.03
    assert best[0] > best[1], "the caching paper's last sentence answers the question"
    assert (tmp_path / sentence_match.VECTORS).stat().st_size < 5 * 200 + 200, "4-bit: about 196 bytes a sentence"


def test_unchanged_abstracts_reuse_their_vectors_and_changed_ones_are_embedded(embed: sentence_match.Embed
                                                                               ) -> None:
    first = _build(embed)
    calls: list[str] = []

    def counting(texts: list[str]) -> np.ndarray:
        calls.extend(texts)
        return embed(texts)

    changed = {**ABSTRACTS, "b": ABSTRACTS["b"] + " Models improve with longer context windows."}
    second = _build(counting, first, changed)  # a full build: every abstract read, only b's is new
    assert calls == sentence_match.split(changed["b"]), "only the changed abstract is embedded again"
    assert np.array_equal(second.rows(0)[0], first.rows(0)[0])
    calls.clear()
    third = _build(counting, second, changed, changed={"a"})  # a delta naming a: its text is read, and the same
    assert calls == [] and np.array_equal(third.rows(1)[0], second.rows(1)[0])


def test_without_a_model_a_paper_gets_its_paper_vector_and_is_embedded_later(embed: sentence_match.Embed) -> None:
    bare = _build(None)
    assert [len(bare.rows(i)[0]) for i in range(2)] == [1, 1] and list(bare.keys) == [0, 0]
    best = bare.best(PAPER_VECTORS[0], np.array([0, 1]))
    assert best == pytest.approx(PAPER_VECTORS @ PAPER_VECTORS[0], abs=0.03), "each paper's vector stands in"
    assert len(_build(embed, bare).rows(0)[0]) == 3, "the next commit that can embed does"
