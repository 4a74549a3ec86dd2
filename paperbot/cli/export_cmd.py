"""`paperbot export [--format F] [--server ID | --user ID] [-o FILE]`: a reading list as a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.export import FORMATS
from core.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="bibtex", help="file format (default: bibtex)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--server", type=int, metavar="ID", help="the list of one Discord server (its id)")
    which.add_argument("--user", type=int, metavar="ID", help="the list of one Discord user (their id)")
    parser.add_argument("-o", "--output", type=Path, help="write to this file (default: standard output)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app.reading_list import export
    from app.wiring import App
    from core.files import write_atomic
    from storage.reading_list import Scope

    scope: Scope | None = "server" if args.server is not None else "mine" if args.user is not None else None
    result = export(App(settings), args.format, scope, user_id=args.user, guild_id=args.server)
    if not result.count:
        print("paperbot: nothing to export: no paper saved in that list", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.write(result.text)
    else:
        write_atomic(args.output, result.text)
        print(f"{result.count} papers written to {args.output} ({args.format})", file=sys.stderr)
    return 0
