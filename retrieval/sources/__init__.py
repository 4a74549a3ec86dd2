"""Where new papers come from: one module per source (fetch a listing day, parse its stored raw pages).

Fetched pages are kept gzipped exactly as they came, named `<source>/<YYYY-MM-DD>[_<page>].<kind>.gz` under
`DATA_DIR/fetched`; `parse_raw` reads them back, so a parser fix re-ingests without fetching again.
"""

from __future__ import annotations

import datetime as dt
import gzip
import zlib
from pathlib import Path

from retrieval.records import Problem, Record
from retrieval.sources import arxiv, hf_daily

RAW_SUFFIXES = (hf_daily.SUFFIX, arxiv.SUFFIX)
SOURCES = ("hf", "arxiv")


def listing_day(path: Path) -> dt.date | None:
    """The listing day a stored page belongs to, from its name."""
    try:
        return dt.date.fromisoformat(path.name[:10])
    except ValueError:
        return None


def parse_raw(path: Path, problems: list[Problem]) -> list[Record]:
    """The records of one stored page; what cannot be read is added to `problems`."""
    name = f"{path.parent.name}/{path.name}"
    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        problems.append(Problem(file=name, line=0, reason=f"stored page unreadable ({exc})"))
        return []
    day = listing_day(path)
    parser = hf_daily.parse_page if path.name.endswith(hf_daily.SUFFIX) else arxiv.parse_page
    return parser(data, name, day, problems)
