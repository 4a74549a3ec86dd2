"""Fetch new papers from the configured sources, store the raw pages, and (optionally) ingest them.

Used by `paperbot fetch` and by the bot's daily job. Each source is fetched one listing day at a time,
oldest first; a day whose pages could not all be fetched stops that source (the next run resumes there).
A source's cursor moves past a day only once the day is stored and, with `ingest`, ingested: a run
killed at any point is completed by the next one (stored pages are re-read, unchanged ones answer 304).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from core.errors import PaperBotError
from core.settings import Settings
from retrieval.catalog import Catalog
from retrieval.corpus import parse_corpus
from retrieval.index import catalog_path
from retrieval.ingest import IngestReport, ingest
from retrieval.records import Problem
from retrieval.sources import arxiv, hf_daily
from retrieval.sources.http import FetchError, HttpClient, Page
from retrieval.sources.raw import (
    FetchState,
    LastRun,
    Outcome,
    fetched_dir,
    load_state,
    save_state,
    store_page,
    write_atomic,
)

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


class FetchBusyError(PaperBotError):
    """Another fetch holds the fetch lock."""


class DayResult(BaseModel):
    source: str
    day: dt.date
    pages: int = 0
    unchanged: int = 0
    files: list[Path] = Field(default_factory=list)
    error: str | None = None


class FetchReport(BaseModel):
    days: list[DayResult] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    new: list[str] = Field(default_factory=list, description="titles of the papers not yet in the index")
    enriched: list[str] = Field(default_factory=list, description="titles of indexed papers gaining metadata")
    entries: int = 0
    ingest: IngestReport | None = None
    dry_run: bool = False

    @property
    def skipped(self) -> int:
        return sum(1 for p in self.problems if p.skipped)

    @property
    def fetched_nothing(self) -> bool:
        return bool(self.days) and all(d.error for d in self.days)

    @property
    def outcome(self) -> Outcome:
        """failed: a listing day could not be fetched (it is tried again next run); partial: entries skipped."""
        if any(d.error for d in self.days):
            return "failed"
        return "partial" if self.skipped else "ok"

    def summary(self) -> str:
        fetched = sum(1 for d in self.days if not d.error)
        text = (f"{fetched}/{len(self.days)} listing day(s) fetched, {self.entries} entries: "
                f"{len(self.new)} new paper(s), {len(self.enriched)} enriched")
        return text + (f", {self.skipped} skipped" if self.skipped else "")


def days_to_fetch(cursor: dt.date | None, *, date: dt.date | None, since: dt.date | None, today: dt.date,
                  backfill: int) -> list[dt.date]:
    """One day (`date`), a back-fill (`since` to today), or a resume: from the cursor's day (re-checked, a
    listing grows during its day) to today, reaching back at most `backfill` days."""
    if date is not None:
        return [date]
    first = since or (max(cursor, today - dt.timedelta(days=backfill - 1)) if cursor else today)
    return [first + dt.timedelta(days=n) for n in range((today - first).days + 1)]


@contextlib.contextmanager
def _lock(settings: Settings) -> Iterator[None]:
    path = fetched_dir(settings) / ".lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FetchBusyError("another `paperbot fetch` is running on this DATA_DIR; "
                                 "try again when it ends") from None
        yield


def _client(settings: Settings, source: str, state: FetchState) -> HttpClient:
    return HttpClient(timeout=settings.fetch_timeout_seconds, retries=settings.fetch_retries,
                      backoff=settings.fetch_backoff_seconds, max_wait=max(60.0, settings.fetch_backoff_seconds),
                      max_bytes=int(settings.fetch_max_page_mb * 1_000_000),
                      min_interval=settings.arxiv_delay_seconds if source == arxiv.NAME else 0.0,
                      validators=state.of(source).validators)


def _pages(settings: Settings, source: str, client: HttpClient, day: dt.date) -> list[Page]:
    if source == arxiv.NAME:
        return arxiv.fetch_pages(client, settings.arxiv_base_url, day, settings.arxiv_category_list,
                                 settings.arxiv_page_size)
    return hf_daily.fetch_pages(client, settings.hf_base_url, day)


def _fetch_day(settings: Settings, source: str, client: HttpClient, day: dt.date, folder: Path) -> DayResult:
    result = DayResult(source=source, day=day)
    try:
        pages = _pages(settings, source, client, day)
    except FetchError as exc:
        result.error = str(exc)
        return result
    for page in pages:
        result.pages += 1
        if not page.not_modified:
            result.files.append(store_page(folder, source, page))
            continue
        stored = fetched_dir(settings) / source / page.name
        if not stored.exists():  # validators outlived their page: forget them, fetch it whole next time
            client.validators.pop(page.key, None)
            result.error = "stored page missing for an unchanged listing; it is fetched again next run"
            continue
        result.unchanged += 1
        target = folder / source / page.name
        if target != stored:  # a dry run reads a copy
            write_atomic(target, stored.read_bytes())
        result.files.append(target)
    return result


def _classify(settings: Settings, report: FetchReport, files: Sequence[Path]) -> None:
    """Which fetched papers are new to the index and which enrich a paper it holds (what ingest will do)."""
    parsed = parse_corpus(list(files))
    report.entries += parsed.entries
    report.problems += [p for p in parsed.problems if p.reason != "no papers found"]
    if not parsed.papers:
        return
    if not catalog_path(settings).exists():
        report.new += [p.title for p in parsed.papers]
        return
    catalog = Catalog(catalog_path(settings))
    try:
        by_arxiv = catalog.ids_for_arxiv([p.arxiv_id for p in parsed.papers if p.arxiv_id])
        ids = [by_arxiv.get(p.arxiv_id or "", p.id) for p in parsed.papers]
        known = {p.id: p for p in catalog.get_many(ids)}
    finally:
        catalog.close()
    for paper, pid in zip(parsed.papers, ids, strict=True):
        old = known.get(pid)
        if old is None:
            report.new.append(paper.title)
        elif (old.arxiv_id, old.authors, old.links, old.upvotes) != (
                paper.arxiv_id or old.arxiv_id, paper.authors or old.authors, old.links.merged(paper.links),
                paper.upvotes if paper.upvotes is not None else old.upvotes):
            report.enriched.append(paper.title)


def run_fetch(settings: Settings, *, sources: Sequence[str] | None = None, date: dt.date | None = None,
              since: dt.date | None = None, do_ingest: bool = False, dry_run: bool = False,
              today: dt.date | None = None, progress: Progress | None = None) -> FetchReport:
    today = today or dt.datetime.now(dt.UTC).date()
    say = progress or (lambda _text: None)
    report = FetchReport(dry_run=dry_run)
    with _lock(settings), tempfile.TemporaryDirectory(prefix="paperbot-dry-run-") as scratch:
        state = load_state(settings)
        folder = Path(scratch) if dry_run else fetched_dir(settings)
        completed: dict[str, dt.date] = {}
        for source in sources or settings.fetch_source_list:
            cursor = state.of(source).cursor
            with _client(settings, source, state) as client:
                for day in days_to_fetch(cursor, date=date, since=since, today=today,
                                         backfill=settings.fetch_backfill_days):
                    say(f"{source} {day.isoformat()}: fetching")
                    result = _fetch_day(settings, source, client, day, folder)
                    report.days.append(result)
                    if result.error:
                        report.problems.append(Problem(file=f"{source} {day.isoformat()}", line=0,
                                                       reason=f"not fetched: {result.error}"))
                        log.info("fetch failed", extra={"source": source, "day": day.isoformat(),
                                                           "reason": result.error})
                        break  # later days wait for this one: the cursor stays here
                    completed[source] = day
                if not dry_run:
                    state.of(source).validators = client.validators
                    save_state(settings, state)  # validators now; the cursor once the pages are ingested
        files = [f for d in report.days for f in d.files]
        _classify(settings, report, files)
        if do_ingest and files and not dry_run:
            say(f"ingesting {len(files)} page(s)")
            report.ingest = ingest(files, settings)
        if not dry_run:
            for source, day in completed.items():
                state.of(source).cursor = max(day, state.of(source).cursor or day)
            first = next((p for p in report.problems if p.skipped), None)
            detail = report.summary() + (f"; {first.file}: {first.reason}" if first else "")
            state.last_run = LastRun(finished=dt.datetime.now(dt.UTC), outcome=report.outcome,
                                     added=len(report.new) if do_ingest else 0,
                                     enriched=len(report.enriched) if do_ingest else 0, detail=detail)
            save_state(settings, state)
    return report


def last_run(settings: Settings) -> LastRun | None:
    return load_state(settings).last_run


def record_failure(settings: Settings, reason: str) -> None:
    """Remember a fetch that failed before it could report (e.g. the index was unavailable)."""
    state = load_state(settings)
    state.last_run = LastRun(finished=dt.datetime.now(dt.UTC), outcome="failed", detail=reason)
    save_state(settings, state)
