"""The n best of some scored rows, best first, equal scores in paper-id order.

Ties are common in BM25 (papers sharing the same few query words at the same lengths) and happen in dense
scores (duplicate texts): breaking them by paper id makes a ranking the same whatever order the rows come in,
so an index laid out differently (segments, deltas, a merge) returns the very same top-k.
"""

from __future__ import annotations

import numpy as np


def best_first(rows: np.ndarray, scores: np.ndarray, n: int, ids: np.ndarray) -> np.ndarray:
    """Positions in `rows`/`scores` of the `n` best, best first; `ids[row]` is a row's paper id."""
    if n <= 0 or len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    candidates = np.arange(len(rows))
    if len(rows) > n:  # every row scoring at least the n-th best, ties included: then ordered exactly
        nth = np.partition(scores, len(rows) - n)[len(rows) - n]
        candidates = np.flatnonzero(scores >= nth)
    return candidates[np.lexsort((ids[rows[candidates]], -scores[candidates]))][:n]
