"""`--since` / `--until` options shared by the commands that filter by listing date (parsed by `core.dates`)."""

from __future__ import annotations

import argparse

from core.dates import SINCE_HELP, parse_since
from core.errors import InputError
from core.models import SearchFilters


def add_date_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="WHEN", help=f"only papers listed on or after {SINCE_HELP}")
    parser.add_argument("--until", metavar="WHEN", help=f"only papers listed on or before {SINCE_HELP}")


def filters_from_args(args: argparse.Namespace) -> SearchFilters | None:
    since = parse_since(args.since)
    until = parse_since(args.until)
    if since and until and since > until:
        raise InputError(f"--since {since} is after --until {until}")
    return SearchFilters(since=since, until=until) if since or until else None
