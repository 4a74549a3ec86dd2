"""`paperbot bench [--papers N,N] [--sample N] [--queries N] [--chroma-server] [--no-bundled] [--out FILE]`."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from core.settings import Settings


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of paper counts, e.g. 10000,100000") from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("paper counts must be positive")
    return sizes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--papers", type=_sizes, default=[10_000, 100_000], metavar="N,N",
                        help="synthetic index sizes to measure, comma-separated (default 10000,100000)")
    parser.add_argument("--ingest", type=_sizes, default=[1, 100], metavar="N,N",
                        help="new papers ingested one batch after the other into each scale's index (default 1,100)")
    parser.add_argument("--no-scale", action="store_true", help="only the bundled corpus")
    parser.add_argument("--sample", type=int, default=1_000,
                        help="synthetic papers really embedded; their vectors are reused for the rest (default 1000)")
    parser.add_argument("--queries", type=int, default=400, help="searches the bot serves per scale (default 400)")
    parser.add_argument("--chroma-server", action="store_true",
                        help="run the scales against a `chroma run` server on 127.0.0.1 it starts itself")
    parser.add_argument("--no-bundled", action="store_true", help="skip the bundled-corpus figures")
    parser.add_argument("--label", default="", help="appended to each scale table's heading, e.g. 'before'")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for the indexes it builds (kept; reused vector samples); default: a "
                             "temporary folder, deleted afterwards")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"),
                        help="report file to update (default: BENCHMARKS.md here)")


def _options(args: argparse.Namespace) -> list[str]:
    """The options that shape the figures, as they would be typed (for the report's "Command:")."""
    out = ["--no-scale"] if args.no_scale else ["--papers", ",".join(map(str, args.papers)), "--sample",
                                                str(args.sample), "--queries", str(args.queries), "--ingest",
                                                ",".join(map(str, args.ingest))]
    out += ["--chroma-server"] * args.chroma_server + ["--no-bundled"] * args.no_bundled
    return out + (["--label", args.label] if args.label else [])


def run(args: argparse.Namespace, settings: Settings) -> int:
    from core.errors import InputError
    from paperbot import bench, bench_report

    if args.sample < 1 or args.queries < 20:
        raise InputError("--sample must be at least 1 and --queries at least 20")

    def say(message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    command = "paperbot bench " + shlex.join(_options(args))
    report = bench.run([] if args.no_scale else args.papers, sample=args.sample, n_queries=args.queries,
                       bundled=not args.no_bundled, server=args.chroma_server, command=command, say=say,
                       label=args.label, work=args.work, increments=args.ingest)
    print(bench_report.markdown(report))
    bench_report.write(report, args.out)
    say(f"written to {args.out}")
    return 0
