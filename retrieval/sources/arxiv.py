"""arXiv: the day's submissions in chosen categories from the export API's Atom feed, paged.

`GET {ARXIV_BASE_URL}/api/query?search_query=(cat:cs.CL OR ...) AND submittedDate:[D0000 TO D2359]
&sortBy=submittedDate&sortOrder=ascending&start=N&max_results=M`. Each `entry` has `id` (the versioned abs
URL), `title`, `summary` (both hard-wrapped), `author/name`, `published` (v1), `updated`,
`arxiv:primary_category`, `category term=...`, `link rel="alternate"` (abs) and `link title="pdf"`; the feed
says how many results there are in `opensearch:totalResults`. arXiv asks for one request every 3 seconds.
A malformed query is answered 200 with a single entry titled "Error".
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from retrieval.records import Problem, Record
from retrieval.sources._common import arxiv_links, bare_arxiv_id, collect, github_url, iso_date, missing_text, squash
from retrieval.sources.http import HttpClient, Page

SUFFIX = ".atom.gz"
NAME = "arxiv"
MAX_PAGES = 50  # 10,000 papers a day at the default page size: far above any real day
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
_TOTAL = re.compile(rb"<opensearch:totalResults[^>]*>\s*(\d+)\s*<")


def query_params(categories: Sequence[str], day: dt.date, start: int, size: int) -> dict[str, str | int]:
    stamp = day.strftime("%Y%m%d")
    cats = " OR ".join(f"cat:{c}" for c in categories)
    return {"search_query": f"({cats}) AND submittedDate:[{stamp}0000 TO {stamp}2359]",
            "sortBy": "submittedDate", "sortOrder": "ascending", "start": start, "max_results": size}


def total_results(body: bytes) -> int | None:
    match = _TOTAL.search(body[:8192])
    return int(match.group(1)) if match else None


def fetch_pages(client: HttpClient, base_url: str, day: dt.date, categories: Sequence[str],
                page_size: int) -> list[Page]:
    """Every page of the day's results; the client spaces the requests as arXiv asks."""
    pages: list[Page] = []
    start = 0
    url = f"{base_url.rstrip('/')}/api/query"
    for _ in range(MAX_PAGES):
        page = client.get(url, query_params(categories, day, start, page_size),
                          key=f"{NAME} {day.isoformat()} {start}")
        page.name = f"{day.isoformat()}_{start:05d}{SUFFIX}"
        pages.append(page)
        total = total_results(page.body) if not page.not_modified else None
        start += page_size
        if total is None or start >= total:
            break
    return pages


def _entries(data: bytes, name: str, problems: list[Problem]) -> list[ET.Element]:
    """Every complete entry; a feed cut short keeps the entries before the cut."""
    if not data.lstrip().startswith(b"<"):
        start = squash(data[:80].decode("utf-8", "replace"))
        problems.append(Problem(file=name, line=0, reason=f"not an Atom feed: {start!r}"))
        return []
    parser: ET.XMLPullParser = ET.XMLPullParser(events=("end",))
    entries: list[ET.Element] = []
    root_seen = False
    try:
        for offset in range(0, len(data), 65_536):
            parser.feed(data[offset : offset + 65_536])
            for event in parser.read_events():
                element = event[-1]
                if not isinstance(element, ET.Element):
                    continue
                if element.tag == f"{ATOM}entry":
                    entries.append(element)
                elif element.tag == f"{ATOM}feed":
                    root_seen = True
        parser.close()
    except ET.ParseError as exc:
        kind = "an HTML page" if b"<html" in data[:2048].lower() else "truncated or malformed XML"
        problems.append(Problem(file=name, line=len(entries) + 1,
                                reason=f"not a complete Atom feed ({kind}: {exc}); "
                                       f"the {len(entries)} complete entries before it are kept"))
        return entries
    if not root_seen:
        problems.append(Problem(file=name, line=0, reason="not an Atom feed (no <feed> element)"))
        return []
    return entries


def _record(entry: ET.Element, number: int, name: str, day: dt.date | None, problems: list[Problem]) -> Record | None:
    raw_id = squash(entry.findtext(f"{ATOM}id"))
    title = squash(entry.findtext(f"{ATOM}title"))
    abstract = squash(entry.findtext(f"{ATOM}summary"))
    if "/api/errors" in raw_id or (title == "Error" and not bare_arxiv_id(raw_id)):
        problems.append(Problem(file=name, line=number, reason=f"arXiv answered an error: {abstract[:200]}"))
        return None
    arxiv_id = bare_arxiv_id(raw_id)
    missing = f"entry {title[:60]!r}: no arXiv id" if not arxiv_id else missing_text(arxiv_id, title, abstract)
    if missing:
        problems.append(Problem(file=name, line=number, reason=missing))
        return None
    primary = entry.find(f"{ARXIV}primary_category")
    categories = [primary.get("term", "")] if primary is not None else []
    categories += [c.get("term", "") for c in entry.findall(f"{ATOM}category")]
    comment = squash(entry.findtext(f"{ARXIV}comment"))
    published = iso_date(entry.findtext(f"{ATOM}published"))
    return Record(title=title, abstract=abstract, source=f"{name}:{number}", arxiv_id=arxiv_id,
                  date=day or published, published=published,
                  authors=[n for a in entry.findall(f"{ATOM}author") if (n := squash(a.findtext(f"{ATOM}name")))],
                  categories=list(dict.fromkeys(c for c in categories if c)),
                  links=arxiv_links(arxiv_id, code=github_url(comment, abstract)))


def parse_page(data: bytes, name: str, day: dt.date | None, problems: list[Problem]) -> list[Record]:
    entries = _entries(data, name, problems)
    if not entries and not any(p.file == name for p in problems):
        problems.append(Problem(file=name, line=0, skipped=False, reason="no papers submitted on this day"))
    return collect(entries, lambda entry, number: _record(entry, number, name, day, problems), name, problems)
