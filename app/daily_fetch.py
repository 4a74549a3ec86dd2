"""The bot's daily fetch: when it is due, retries with backoff after a failure, and its status for /about.

Due once a UTC day at FETCH_TIME, else one hour before the earliest digest (so that the day's digests pick
the new papers), else at 08:00. A run that could not fetch today's listing is retried after 10, 20, 40 and
80 minutes, then left for tomorrow; it never holds up a digest, which posts from the index as it is.
A bot (re)started after the time fetches at once unless today's fetch already succeeded.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from app.fetching import FetchReport, last_run, record_failure, run_fetch
from core.errors import PaperBotError
from core.settings import Settings

log = logging.getLogger(__name__)
DEFAULT_TIME = dt.time(8, 0)
RETRY_MINUTES = (10, 20, 40, 80)


def fetch_time(settings: Settings, digest_times: Iterable[dt.time]) -> dt.time:
    if settings.fetch_time:
        hour, minute = settings.fetch_time.split(":")
        return dt.time(int(hour), int(minute))
    earliest = min(digest_times, default=None)
    if earliest is None:
        return DEFAULT_TIME
    minutes = max(0, earliest.hour * 60 + earliest.minute - 60)
    return dt.time(minutes // 60, minutes % 60)


class DailyFetch:
    """One bot's daily job; `due` and the bookkeeping run on the event loop, `run` in a worker thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.running = False
        self._failures = 0
        self._retry_at: dt.datetime | None = None
        previous = last_run(settings)
        # A restart after today's successful fetch does not fetch again.
        self._done_on = previous.finished.date() if previous and previous.outcome != "failed" else None

    def due(self, now: dt.datetime, digest_times: Iterable[dt.time]) -> bool:
        if not self.settings.fetch_daily or not self.settings.fetch_source_list or self.running:
            return False
        today = now.date()
        if self._done_on == today:
            return False
        if self._retry_at is not None:
            if self._retry_at.date() != today:  # a new day: start afresh
                self._retry_at, self._failures = None, 0
            else:
                return now >= self._retry_at
        return now.time() >= fetch_time(self.settings, digest_times)

    def run(self, today: dt.date) -> FetchReport:
        """Fetch from each source's cursor to today and ingest (blocking: call it off the event loop)."""
        try:
            return run_fetch(self.settings, do_ingest=True, today=today)
        except PaperBotError as exc:  # e.g. the index is locked or unavailable: reported like a failed fetch
            record_failure(self.settings, str(exc))
            raise

    def finished(self, now: dt.datetime, report: FetchReport | None, error: str | None = None) -> None:
        """Book a run's end: done for today, or a retry after the next backoff step."""
        if report is not None and report.outcome != "failed":
            self._done_on, self._failures, self._retry_at = now.date(), 0, None
            log.info("daily fetch done", extra={"outcome": report.outcome, "added": len(report.new),
                                                "enriched": len(report.enriched)})
            return
        reason = error or (report.problems[0].reason if report and report.problems else "unknown")
        if self._failures < len(RETRY_MINUTES):
            self._retry_at = now + dt.timedelta(minutes=RETRY_MINUTES[self._failures])
            self._failures += 1
            log.warning("daily fetch failed; retrying", extra={"reason": reason,
                                                               "retry_at": self._retry_at.isoformat()})
        else:
            self._done_on, self._failures, self._retry_at = now.date(), 0, None
            log.error("daily fetch failed; next attempt tomorrow", extra={"reason": reason})
