"""`paperbot bench [--scale N] [--sample N] [--out FILE]`."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from core.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=int, default=100_000,
                        help="synthetic papers for the scale run (0 skips it; default 100000)")
    parser.add_argument("--sample", type=int, default=1_000,
                        help="synthetic abstracts really embedded for the scale run (default 1000)")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"),
                        help="report file to update (default: BENCHMARKS.md here)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from core.errors import InputError
    from paperbot import bench

    if args.scale and not 1 <= args.sample <= args.scale:
        raise InputError("--sample must be between 1 and --scale")

    def say(message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    command = "paperbot bench " + shlex.join(sys.argv[2:]) if len(sys.argv) > 2 else "paperbot bench"
    report = bench.run(args.scale, args.sample, command.strip(), say)
    print(bench.markdown(report))
    bench.write(report, args.out)
    say(f"written to {args.out}")
    return 0
