"""`--since` / `--until` options shared by the commands that filter by listing date (parsed by `core.dates`)."""

from __future__ import annotations

import argparse

from core.dates import SINCE_HELP, parse_since
from core.errors import InputError
from core.models import SearchFilters


def add_date_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="WHEN", help=f"only papers listed on or after {SINCE_HELP}")
    parser.add_argument("--until", metavar="WHEN", help=f"only papers listed on or before {SINCE_HELP}")
    parser.add_argument("--author", metavar="NAME", help="only papers with an author of this name (e.g. Zhang)")


def filters_from_args(args: argparse.Namespace) -> SearchFilters | None:
    since = parse_since(args.since)
    until = parse_since(args.until)
    if since and until and since > until:
        raise InputError(f"--since {since} is after --until {until}")
    author = " ".join((args.author or "").split()) or None
    if args.author is not None and not (author and any(ch.isalnum() for ch in author)):
        raise InputError("--author is empty: give part of a name, e.g. --author Zhang")
    return SearchFilters(since=since, until=until, author=author) if since or until or author else None
