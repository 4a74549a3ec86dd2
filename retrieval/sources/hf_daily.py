"""Hugging Face Daily Papers: the day's listing from `GET {HF_BASE_URL}/api/daily_papers?date=YYYY-MM-DD`.

The API answers a JSON list, one object per listed paper: `paper` holds the arXiv `id`, `title`, `summary`,
`authors` (`[{"name", ...}]`), `publishedAt`, `upvotes` and, where given, `githubRepo` and `projectPage`;
the item itself adds `numComments`, `title`, `summary` and when it was listed (`publishedAt`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from retrieval.records import Problem, Record
from retrieval.sources._common import arxiv_links, bare_arxiv_id, collect, iso_date, missing_text, squash
from retrieval.sources.http import HttpClient, Page

SUFFIX = ".json.gz"
NAME = "hf"
PAGE_SIZE = 100  # the API's largest page
MAX_PAGES = 5  # a listing day has well under 500 papers


def listing_request(base_url: str, day: dt.date, page: int) -> tuple[str, dict[str, str | int]]:
    params: dict[str, str | int] = {"date": day.isoformat(), "limit": PAGE_SIZE}
    if page:
        params["p"] = page
    return f"{base_url.rstrip('/')}/api/daily_papers", params


def fetch_pages(client: HttpClient, base_url: str, day: dt.date) -> list[Page]:
    """Every page of the day's listing (a full page means there may be another)."""
    pages = []
    for number in range(MAX_PAGES):
        url, params = listing_request(base_url, day, number)
        page = client.get(url, params, key=f"{NAME} {day.isoformat()} p{number}")
        page.name = f"{day.isoformat()}{f'_{number}' if number else ''}{SUFFIX}"
        pages.append(page)
        if page.not_modified or page.body.count(b'"paper"') < PAGE_SIZE:
            break
    return pages


def _items(text: str, name: str, problems: list[Problem]) -> list[Any]:
    """The JSON list, or as much of it as arrived complete when the page was cut short."""
    stripped = text.lstrip()
    if stripped.startswith("<"):
        problems.append(Problem(file=name, line=0, reason="not JSON: the server sent an HTML page"))
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return _salvage(stripped, name, problems)
    if isinstance(data, dict) and "error" in data:
        problems.append(Problem(file=name, line=0, reason=f"the API answered an error: {str(data['error'])[:200]}"))
        return []
    if not isinstance(data, list):
        problems.append(Problem(file=name, line=0, reason="not a JSON list of papers"))
        return []
    return data


def _salvage(text: str, name: str, problems: list[Problem]) -> list[Any]:
    decoder = json.JSONDecoder()
    items: list[Any] = []
    if not text.startswith("["):
        problems.append(Problem(file=name, line=0, reason="not JSON"))
        return items
    position = 1
    try:
        while True:
            while position < len(text) and text[position] in " \t\r\n,":
                position += 1
            if position >= len(text) or text[position] == "]":
                break
            item, position = decoder.raw_decode(text, position)
            items.append(item)
    except json.JSONDecodeError:
        pass
    problems.append(Problem(file=name, line=len(items) + 1,
                            reason=f"truncated JSON: the page ends inside entry {len(items) + 1}; "
                                   f"the {len(items)} complete entries before it are kept"))
    return items


def _record(item: Any, number: int, name: str, day: dt.date | None, problems: list[Problem]) -> Record | None:
    if not isinstance(item, dict):
        problems.append(Problem(file=name, line=number, reason="entry is not a JSON object"))
        return None
    paper: dict[str, Any] = item["paper"] if isinstance(item.get("paper"), dict) else {}
    arxiv_id = bare_arxiv_id(str(paper.get("id") or ""))
    title = squash(paper.get("title") or item.get("title"))
    abstract = squash(paper.get("summary") or item.get("summary"))
    missing = missing_text(arxiv_id, title, abstract)
    if missing:
        problems.append(Problem(file=name, line=number, reason=missing))
        return None
    authors = [squash(a.get("name")) for a in paper.get("authors") or [] if isinstance(a, dict)]
    upvotes = paper.get("upvotes")
    links = arxiv_links(arxiv_id, hf=f"https://huggingface.co/papers/{arxiv_id}" if arxiv_id else None,
                        code=_url(paper.get("githubRepo")), project=_url(paper.get("projectPage")))
    return Record(title=title, abstract=abstract, source=f"{name}:{number}", arxiv_id=arxiv_id,
                  date=day or iso_date(paper.get("submittedOnDailyAt")) or iso_date(item.get("publishedAt")),
                  authors=[a for a in authors if a], links=links,
                  upvotes=int(upvotes) if isinstance(upvotes, int | float) else None,
                  published=iso_date(paper.get("publishedAt")))


def _url(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip().startswith(("http://", "https://")) else None


def parse_page(data: bytes, name: str, day: dt.date | None, problems: list[Problem]) -> list[Record]:
    items = _items(data.decode("utf-8", errors="replace"), name, problems)
    if not items and not any(p.file == name for p in problems):
        problems.append(Problem(file=name, line=0, skipped=False, reason="no papers listed on this day"))
    return collect(items, lambda item, number: _record(item, number, name, day, problems), name, problems)
