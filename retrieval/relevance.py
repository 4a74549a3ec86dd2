"""The relevance verdict: is anything in the corpus about the query at all, or only a nearest neighbour?

Two signals, both about the best few fused hits rather than the whole corpus:
- meaning: the cosine of the query with the closest abstract sentence of those hits
  (`retrieval.sentence_match`): an in-scope question restates something one sentence says;
- words: the share of the query's idf mass (its rare words count most) that those hits' titles and
  abstracts contain. A near miss (an ML topic the corpus lacks: optical flow, federated learning) shares
  the generic words ("learning", "prediction") with some paper, not the words that name its topic.
On the tuning half of the generalisation questions plus 24 near misses written for tuning
(data/eval/near-misses.jsonl), in-scope questions score at least 0.72 on `sentence + 0.5 * words`, the
tuning half's out-of-scope ones at most 0.53; the threshold sits between.
"""

from __future__ import annotations

import numpy as np

from core.text import content_terms, idf
from retrieval.lexical import LexicalIndex

TOP = 3  # hits whose sentences and words are read
WORDS_WEIGHT = 0.5
THRESHOLD = 0.66
# Below this the words cannot help: a query of common words only ("compare the first two") has all of them
# in some paper. In-scope questions of the tuning half have a sentence at 0.43 or closer.
SENTENCE_FLOOR = 0.35


def known_share(lexical: LexicalIndex, query: str, rows: np.ndarray) -> float:
    """Share of the idf mass of `query`'s content words that occur in the title or abstract of `rows`."""
    stems = list(dict.fromkeys(content_terms(query)))
    if not stems or len(rows) == 0:
        return 0.0
    holders = [lexical.holders(stem) for stem in stems]
    weights = np.array([float(idf(float(len(held)), lexical.papers)) for held in holders])
    hit = np.array([_holds_any(held, rows) for held in holders])
    return float((weights * hit).sum() / weights.sum())


def _holds_any(held: np.ndarray, rows: np.ndarray) -> bool:
    """Whether any of `rows` is in `held` (a word's rows, ascending): a few binary searches, where `np.isin`
    would sort or hash every holder of a common word (100k+ rows at scale) on every query."""
    if len(held) == 0:
        return False
    at = np.minimum(np.searchsorted(held, rows), len(held) - 1)
    return bool((held[at] == rows).any())


def judge(sentence_cosines: np.ndarray, lexical: LexicalIndex, query: str, rows: np.ndarray) -> bool:
    """`rows`: the top hits; `sentence_cosines`: the cosine of each one's closest sentence with the query."""
    if len(rows) == 0 or float(sentence_cosines.max()) < SENTENCE_FLOOR:
        return False
    return float(sentence_cosines.max()) + WORDS_WEIGHT * known_share(lexical, query, rows) >= THRESHOLD
