"""Small helpers the source parsers share: whitespace, dates, arXiv ids and links."""

from __future__ import annotations

import datetime as dt
import re

from core.models import ARXIV_ABS, Links
from core.text import bare_arxiv_id

__all__ = ["arxiv_links", "bare_arxiv_id", "github_url", "iso_date", "squash"]

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
