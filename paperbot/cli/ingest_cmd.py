"""`paperbot ingest [PATH...] [--rebuild] [--prune]`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from core.settings import BUNDLED_CORPUS, Settings

EXIT_PARTIAL = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="corpus files or folders (.txt Daily Papers pages, .jsonl, fetched pages); "
                             "default: the bundled corpus and the pages `paperbot fetch` stored")
    parser.add_argument("--rebuild", action="store_true",
                        help="drop the index and embed everything again (needed after changing the embedding model)")
    parser.add_argument("--prune", action="store_true",
                        help="also remove indexed papers the given PATHs no longer hold (they are the whole corpus)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from retrieval.ingest import ingest
    from retrieval.sources.raw import fetched_dir

    fetched = fetched_dir(settings)
    paths = args.paths or [BUNDLED_CORPUS, *([fetched] if fetched.is_dir() else [])]
    err = Console(stderr=True, soft_wrap=True)
    show = not args.quiet and sys.stderr.isatty()
    with Progress(TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=not show, transient=True) as bar:
        task = bar.add_task("embed", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = ingest(paths, settings, rebuild=args.rebuild, progress=progress, prune=args.prune)

    logging.getLogger(__name__).info("ingest", extra={
        "outcome": "partial" if report.partial else "ok", "files": report.files, "new": report.new,
        "updated": report.updated, "unchanged": report.unchanged, "skipped": report.skipped,
        "papers_in_index": report.total_in_index, "total_ms": round(report.seconds * 1000, 1)})
    out = Console(highlight=False, soft_wrap=True)
    out.print(f"ingested {report.files} file(s): {report.entries} entries -> {report.papers} papers "
              f"({report.new} new, {report.updated} updated, {report.unchanged} unchanged, "
              f"{report.skipped} skipped) in {report.seconds:.1f}s; index holds {report.total_in_index} papers")
    if args.prune:
        out.print(f"pruned {report.removed} paper(s) no longer in the given sources")
    for problem in report.problems:
        where = f"{problem.file}:{problem.line}" if problem.line else problem.file
        verdict = "skipped" if problem.skipped else "warning"
        err.print(f"  {verdict}: {where}: {problem.reason}", markup=False, highlight=False)
    if report.partial:
        err.print(f"partial: {report.skipped} entr{'y' if report.skipped == 1 else 'ies'} skipped, the rest ingested")
        return EXIT_PARTIAL
    return 0
