"""`paperbot fetch [--source S] [--date D | --since D] [--ingest] [--dry-run]`."""

from __future__ import annotations

import argparse
import datetime as dt

from core.dates import SINCE_HELP, parse_since
from core.errors import InputError
from core.settings import Settings

EXIT_PARTIAL = 3
EXIT_FAILED = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", action="append", metavar="NAME", choices=["hf", "arxiv"],
                        help="hf (Hugging Face Daily Papers) or arxiv; repeatable (default: FETCH_SOURCES)")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--date", metavar="WHEN", help=f"fetch this listing day only: {SINCE_HELP}")
    when.add_argument("--since", metavar="WHEN", help=f"back-fill from {SINCE_HELP}, to today, one day at a time")
    parser.add_argument("--ingest", action="store_true", help="ingest what was fetched, in the same run")
    parser.add_argument("--dry-run", action="store_true", help="show what would be added; store nothing")
    parser.add_argument("--quiet", "-q", action="store_true", help="no per-day lines")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console

    from app.fetching import run_fetch

    today = dt.datetime.now(dt.UTC).date()
    date = parse_since(args.date, today)
    since = parse_since(args.since, today)
    if since and since > today:
        raise InputError(f"--since {since} is in the future (today is {today} UTC)")
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    report = run_fetch(settings, sources=args.source, date=date, since=since, do_ingest=args.ingest,
                       dry_run=args.dry_run, today=today)
    if not args.quiet:
        for day in report.days:
            status = (f"not fetched ({day.error})" if day.error else
                      f"{day.pages} page(s), {day.unchanged} unchanged since the last fetch")
            out.print(f"{day.source} {day.day.isoformat()}: {status}", markup=False)
    prefix = "dry run, nothing stored: " if report.dry_run else ""
    out.print(prefix + report.summary(), markup=False)
    for title in report.new:
        out.print(f"  + {title}", markup=False)
    for title in report.enriched:
        out.print(f"  ~ {title} (authors, links and ids added)", markup=False)
    if report.ingest is not None:
        ing = report.ingest
        out.print(f"ingested: {ing.new} new, {ing.updated} updated, {ing.unchanged} unchanged; "
                  f"index holds {ing.total_in_index} papers", markup=False)
    elif report.new and not args.ingest and not report.dry_run:
        out.print("run `paperbot ingest` (or fetch with --ingest) to add them to the index", markup=False)
    for problem in report.problems:
        where = f"{problem.file} entry {problem.line}" if problem.line else problem.file
        err.print(f"  {'skipped' if problem.skipped else 'note'}: {where}: {problem.reason}", markup=False)
    if report.fetched_nothing:
        err.print("failed: nothing could be fetched; the next run tries again from the same day")
        return EXIT_FAILED
    if report.outcome != "ok":
        err.print(f"partial: {report.skipped} item(s) skipped, the rest kept; the next run resumes where this "
                  "one stopped")
        return EXIT_PARTIAL
    return 0
