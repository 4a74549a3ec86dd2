"""The relevance verdict: is anything in the corpus about the query at all, or only a nearest neighbour?

Three signals, about the best few fused hits and the corpus's vocabulary rather than the whole corpus:
- meaning: the cosine of the query with the closest abstract sentence of those hits
  (`retrieval.sentence_match`): an in-scope question restates something one sentence says;
- words: the share of the query's idf mass (its rare words count most) that those hits' titles and
  abstracts contain. A near miss (an ML topic the corpus lacks: optical flow, federated learning) shares
  the generic words ("learning", "prediction") with some paper, not the words that name its topic;
- unknown words: the share of that mass in words no paper of the corpus contains at all ("diarization",
  "lidar", "YOLO"). An in-scope question in the asker's own vocabulary lacks the hits' words too (it shares
  them with nothing in particular), but its words exist in the corpus: 95% of in-scope tuning questions have
  no unknown word, while half the out-of-scope ones have more than half their mass in unknown words.
Tuned on every tuning file (the tuning half of the generalisation questions, paraphrase-tuning,
concept-tuning, near-misses; 557 in-scope, 47 out-of-scope questions): `sentence + 0.3 * words - 0.2 *
unknown >= 0.50` rejects 10 in-scope questions there (9 of concept-tuning's 122 paraphrases) and accepts 6
out-of-scope ones (4-bit sentence vectors). The two-signal verdict before it (`sentence + 0.5 * words >=
0.66`, int8 sentence vectors) rejected 22 in-scope questions (20 of concept-tuning's) and accepted the same 6.
Lower thresholds trade more accepted near misses for fewer rejections (0.45: 1 rejected, 9 accepted); this one
accepts no more near misses than before.
"""

from __future__ import annotations

import numpy as np

from core.text import content_terms, idf
from retrieval.lexical import LexicalIndex

TOP = 3  # hits whose sentences and words are read
WORDS_WEIGHT = 0.3
UNKNOWN_WEIGHT = 0.2
THRESHOLD = 0.50
# Below this the words cannot help: a query of common words only ("compare the first two") has all of them
# in some paper. In-scope questions of the tuning half have a sentence at 0.43 or closer.
SENTENCE_FLOOR = 0.35


def word_shares(lexical: LexicalIndex, query: str, rows: np.ndarray) -> tuple[float, float]:
    """Shares of the idf mass of `query`'s content words that occur in the title or abstract of `rows`, and
    that occur in no paper at all."""
    stems = list(dict.fromkeys(content_terms(query)))
    if not stems:
        return 0.0, 0.0
    holders = [lexical.holders(stem) for stem in stems]
    weights = np.array([float(idf(float(len(held)), lexical.papers)) for held in holders])
    known = np.array([len(rows) > 0 and _holds_any(held, rows) for held in holders])
    unknown = np.array([len(held) == 0 for held in holders])
    total = weights.sum()
    return float((weights * known).sum() / total), float((weights * unknown).sum() / total)


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
    known, unknown = word_shares(lexical, query, rows)
    return float(sentence_cosines.max()) + WORDS_WEIGHT * known - UNKNOWN_WEIGHT * unknown >= THRESHOLD
