"""`--since` / `--until` options shared by the commands that filter by listing date."""

from __future__ import annotations

import argparse
import datetime as dt

from core.errors import InputError
from core.models import SearchFilters


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"not a date: {text!r} (use YYYY-MM-DD, e.g. 2026-03-12)") from None


def add_date_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="only papers listed on or after this date")
    parser.add_argument("--until", metavar="YYYY-MM-DD", help="only papers listed on or before this date")


def filters_from_args(args: argparse.Namespace) -> SearchFilters | None:
    since = parse_date(args.since) if args.since else None
    until = parse_date(args.until) if args.until else None
    if since and until and since > until:
        raise InputError(f"--since {since} is after --until {until}")
    return SearchFilters(since=since, until=until) if since or until else None
