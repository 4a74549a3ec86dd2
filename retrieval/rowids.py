"""Paper id <-> row of a generation, from numpy arrays: no Python object per paper (a dict of 1M ids is ~100 MB)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class RowIds:
    """The live row of each paper id (a replaced paper's old row is dead, its new one live)."""

    def __init__(self, ids: np.ndarray, live: np.ndarray) -> None:
        rows = np.flatnonzero(live)
        order = np.argsort(ids[rows], kind="stable")
        self._rows = rows[order]
        self._sorted = ids[self._rows]

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, pid: str, default: int | None = None) -> int | None:
        at = int(np.searchsorted(self._sorted, pid))
        if at < len(self._sorted) and self._sorted[at] == pid:
            return int(self._rows[at])
        return default

    def __contains__(self, pid: object) -> bool:
        return isinstance(pid, str) and self.get(pid) is not None

    def __getitem__(self, pid: str) -> int:
        row = self.get(pid)
        if row is None:
            raise KeyError(pid)
        return row

    def rows(self, pids: Sequence[str]) -> np.ndarray:
        """The live rows of `pids` in one lookup, -1 for an id this generation does not hold."""
        if not len(self._sorted) or not len(pids):
            return np.full(len(pids), -1, dtype=np.int64)
        asked = np.asarray(list(pids), dtype=str)
        at = np.minimum(np.searchsorted(self._sorted, asked), len(self._sorted) - 1)
        return np.where(self._sorted[at] == asked, self._rows[at], -1).astype(np.int64)
