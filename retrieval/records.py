"""What corpus parsers yield (one record per listing entry, and the problems met) and how records merge."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from core.models import PaperMeta


class Problem(BaseModel):
    """Something wrong in one place of a corpus file; `line` is the entry's line (or position) when known."""

    file: str
    line: int
    reason: str
    skipped: bool = True


class Record(PaperMeta):
    """One entry of a listing: a paper as one page shows it."""

    title: str
    abstract: str
    date: dt.date | None = Field(default=None, description="the listing date")
    source: str
    urls: list[str] = Field(default_factory=list)


def merged_meta(old: PaperMeta, new: PaperMeta) -> dict[str, Any]:
    """The metadata of a paper seen again: what the newer source says, where it says anything.

    Authors are taken whole from one source (two spellings of a name must not both appear); upvotes
    change daily, so the newer count wins; the first submission date is the earliest either knows.
    """
    published = [d for d in (old.published, new.published) if d]
    return {
        "arxiv_id": new.arxiv_id or old.arxiv_id,
        "authors": new.authors or old.authors,
        "categories": list(dict.fromkeys([*old.categories, *new.categories])),
        "links": old.links.merged(new.links),
        "upvotes": new.upvotes if new.upvotes is not None else old.upvotes,
        "published": min(published) if published else None,
    }
