"""Small helpers the source parsers share: whitespace, dates, arXiv ids and links."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from core.models import ARXIV_ABS, Links
from core.text import bare_arxiv_id
from retrieval.records import Problem, Record

__all__ = ["arxiv_links", "bare_arxiv_id", "collect", "github_url", "iso_date", "missing_text", "squash"]
T = TypeVar("T")

_GITHUB = re.compile(r"https?://github\.com/[\w.-]+/[\w.-]+")


def squash(text: object) -> str:
    """One line, single spaces: arXiv hard-wraps titles and abstracts."""
    return " ".join(str(text).split()) if isinstance(text, str) else ""


def iso_date(value: object) -> dt.date | None:
    """The date of an ISO 8601 timestamp ('2024-03-22T17:59:59.000Z'), None when absent or invalid."""
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def arxiv_links(arxiv_id: str | None, **given: str | None) -> Links:
    """The arXiv pages every id has (versionless, so they show the latest version), plus those given."""
    base = {"abs": f"{ARXIV_ABS}{arxiv_id}", "pdf": f"https://arxiv.org/pdf/{arxiv_id}"} if arxiv_id else {}
    return Links(**{**base, **{k: v for k, v in given.items() if v}})


def github_url(*texts: str) -> str | None:
    """The first GitHub repository named in the texts (arXiv comments often give the code's address)."""
    for text in texts:
        match = _GITHUB.search(text or "")
        if match:
            return match.group(0).rstrip(".")
    return None


def missing_text(arxiv_id: str | None, title: str, abstract: str) -> str | None:
    """Why an entry cannot be a paper (no title, an empty abstract), naming the entry; None when it can."""
    label = arxiv_id or repr(title[:60]) or "?"
    if not title:
        return f"entry {label}: no title"
    if not abstract:
        return f"entry {label}: empty abstract"
    return None


def collect(items: Sequence[T], record: Callable[[T, int], Record | None], name: str,
            problems: list[Problem]) -> list[Record]:
    """The record of each item (numbered from 1) that makes one; an entry listed twice is noted and merged."""
    records: list[Record] = []
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        made = record(item, number)
        if made is None:
            continue
        key = made.arxiv_id or made.title.casefold()
        if key in seen:
            problems.append(Problem(file=name, line=number, skipped=False,
                                    reason=f"entry {(made.arxiv_id or made.title[:60])!r}: listed twice (merged)"))
        seen.add(key)
        records.append(made)
    return records
