"""Fairness: a per-user cooldown on questions and a pace limit on message edits.

Both read `time.monotonic` at call time (not a captured reference) so a simulator's virtual clock applies.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def _monotonic() -> float:
    return time.monotonic()


class Cooldowns:
    """At most one question per user every `seconds`."""

    def __init__(self, seconds: float, clock: Callable[[], float] = _monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._last: dict[int, float] = {}

    def retry_after(self, user_id: int) -> float:
        """Seconds the user must still wait; 0 means go ahead (and the question is counted)."""
        if self.seconds <= 0:
            return 0.0
        now = self._clock()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last[user_id] = now
        if len(self._last) > 10_000:
            self._last = {uid: t for uid, t in self._last.items() if now - t < self.seconds}
        return 0.0

    def forget(self, user_id: int) -> None:
        """Give the question back (it was refused for another reason before any work)."""
        self._last.pop(user_id, None)


class EditThrottle:
    """True at most once per `interval`: streaming edits stay within Discord's rate limits."""

    def __init__(self, interval: float = 1.0, clock: Callable[[], float] = _monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: float | None = None

    def ready(self) -> bool:
        now = self._clock()
        if self._last is None or now - self._last >= self.interval:
            self._last = now
            return True
        return False
