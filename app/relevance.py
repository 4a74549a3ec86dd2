"""Where a search's relevance falls off: which of its hits are about the query, and which only loosely related.

The fused score orders hits but has no fixed scale, so the cut is made on the two rankings behind it. A hit
is about the query when BM25 finds the query's words in it at least half as strongly as in the best lexical
match (a one-word query such as "diffusion": the papers that use the word, however they state their
contribution), or when its MiniLM cosine to the query is high and close to the best hit's (a paraphrase:
"make CLIP read long captions"). Measured on the bundled corpus: `diffusion` keeps the 3 papers that use the
word (BM25 6.1-8.0 against 0 for the rest, whose cosines are 0.08-0.24); `speech synthesis` keeps the 5 TTS
and speech-language papers (cosine 0.50-0.62 or BM25 over 10) and not the instruction-synthesis ones.
"""

from __future__ import annotations

from collections.abc import Sequence

LEXICAL_SHARE = 0.5
MIN_COSINE = 0.40
COSINE_SPREAD = 0.12


def about_query(dense: Sequence[tuple[str, float]], lexical: Sequence[tuple[str, float]]) -> set[str]:
    """The ids, among the dense and BM25 candidates (each ranking best first), that are about the query."""
    about: set[str] = set()
    if dense:
        floor = max(MIN_COSINE, dense[0][1] - COSINE_SPREAD)
        about |= {pid for pid, cosine in dense if cosine >= floor}
    if lexical:
        about |= {pid for pid, score in lexical if score >= LEXICAL_SHARE * lexical[0][1]}
    return about

