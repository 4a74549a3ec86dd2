"""Parse corpus files into merged `Paper`s, reporting every line that cannot be used.

Two formats:
- Hugging Face Daily Papers pages saved as text: a few header lines, an optional listing date ("Mar 12"),
  then title / abstract pairs separated by blank lines.
- JSONL: one `{"title", "abstract", "date"?, "url"?, "authors"?}` object per line.
- Pages fetched by `paperbot fetch`, stored gzipped as they came (`retrieval.sources`): Hugging Face Daily
  Papers JSON (`*.json.gz`) and arXiv Atom feeds (`*.atom.gz`).

Papers are keyed by their arXiv id when a source gives one, else by their normalized title, so the same
paper listed on several pages (or by several sources) becomes one paper that keeps every source file and
listing date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from core.models import Paper
from retrieval.records import Problem, Record, merged_meta
from retrieval.sources import RAW_SUFFIXES, parse_raw

__all__ = ["ParseReport", "Problem", "normalize_title", "paper_id", "parse_corpus"]

HEADER_LINES = frozenset({
    "new",
    "get trending papers in your email inbox!",
    "subscribe",
    "daily papers",
    "byak and the research community",
    "by ak and the research community",
})
MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_DATE_LINE = re.compile(r"^(?P<mon>[A-Za-z]{3})[a-z]*\.?\s+(?P<day>\d{1,2})(?:,?\s+(?P<year>\d{4}))?$")
_URL = re.compile(r"https?://[^\s<>\"'(){}\[\]]+")
# An abstract is a paragraph; a title is a line. Real titles here are <= 170 characters and real abstracts
# >= 1,300; the thresholds leave wide room for other corpora while still catching a title with no abstract.
MAX_TITLE_CHARS = 300
MIN_ABSTRACT_CHARS = 120
_SENTENCE_END = re.compile(r"[.!?)\]\"'”’]$")


class ParseReport(BaseModel):
    papers: list[Paper] = Field(default_factory=list)
    entries: int = 0  # title/abstract records read, before merging duplicates
    problems: list[Problem] = Field(default_factory=list)
    files: int = 0

    @property
    def partial(self) -> bool:
        return any(p.skipped for p in self.problems)


def normalize_title(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def paper_id(title: str) -> str:
    return hashlib.sha1(normalize_title(title).encode()).hexdigest()[:16]


def resolve_listing_date(month: int, day: int, today: dt.date) -> dt.date:
    """A listing date without a year is this year's, unless that lies in the future: then last year's."""
    for year in (today.year, today.year - 1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:  # Feb 29 in a non-leap year
            continue
        if candidate <= today:
            return candidate
    raise ValueError(f"no valid date for month {month} day {day}")


def extract_urls(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in _URL.finditer(text):
        seen.setdefault(match.group(0).rstrip(".,;:"), None)
    return list(seen)


def _clean_line(raw: str) -> str | None:
    """The line's text, or None when it is binary junk (control characters, undecodable bytes)."""
    line = raw.replace("\ufeff", "").strip()
    if not line:
        return ""
    bad = sum(1 for ch in line if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch != "\t"))
    if bad and bad / len(line) > 0.02:
        return None
    return " ".join(line.split())


def _decode(path: Path) -> str:
    """UTF-8 (with or without BOM), or UTF-16 when a byte-order mark says so (Windows editors write it)."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="replace")


def _parse_text(path: Path, today: dt.date, problems: list[Problem]) -> list[Record]:
    name = path.name
    records: list[Record] = []
    listing_date: dt.date | None = None
    pending: tuple[int, str] | None = None  # (line number, title) waiting for its abstract

    def orphan(reason: str) -> None:
        nonlocal pending
        if pending is not None:
            problems.append(Problem(file=name, line=pending[0], reason=f"{reason}: {pending[1][:80]!r}"))
            pending = None

    for number, raw in enumerate(_decode(path).splitlines(), start=1):
        line = _clean_line(raw)
        if line is None:
            orphan("title with no abstract (followed by unreadable bytes)")
            problems.append(Problem(file=name, line=number, reason="unreadable line (binary or control characters)"))
            continue
        if not line:
            continue
        if line.casefold() in HEADER_LINES:
            continue
        match = _DATE_LINE.match(line)
        if match and match.group("mon")[:3].casefold() in MONTHS:
            orphan("title with no abstract")
            try:
                month, day = MONTHS[match.group("mon")[:3].casefold()], int(match.group("day"))
                listing_date = (dt.date(int(match.group("year")), month, day) if match.group("year")
                                else resolve_listing_date(month, day, today))
            except ValueError:
                problems.append(Problem(file=name, line=number, reason=f"invalid listing date {line!r}"))
            continue
        is_paragraph = len(line) > MAX_TITLE_CHARS or (len(line) >= MIN_ABSTRACT_CHARS and pending is not None)
        if pending is None:
            if len(line) > MAX_TITLE_CHARS:
                problems.append(Problem(file=name, line=number, reason="abstract with no title"))
            else:
                pending = (number, line)
            continue
        if not is_paragraph:
            orphan("title with no abstract")
            pending = (number, line)
            continue
        title = pending[1]
        pending = None
        records.append(Record(title=title, abstract=line, date=listing_date, source=f"{name}:{number}",
                               urls=extract_urls(line)))
    orphan("title with no abstract (end of file)")
    # A file cut short ends mid-abstract; a missing final period elsewhere is just the source's style.
    if records and not _SENTENCE_END.search(_URL.sub(".", records[-1].abstract)):
        last = records[-1]
        problems.append(Problem(file=name, line=int(last.source.rsplit(":", 1)[1]), skipped=False,
                                reason=f"last abstract looks truncated (kept): {last.title[:80]!r}"))
    return records


def _parse_jsonl(path: Path, today: dt.date, problems: list[Problem]) -> list[Record]:
    name = path.name
    records: list[Record] = []
    for number, raw in enumerate(_decode(path).splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(Problem(file=name, line=number, reason=f"not JSON ({exc.msg})"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(file=name, line=number, reason="not a JSON object"))
            continue
        missing = [k for k in ("title", "abstract") if not isinstance(obj.get(k), str) or not obj[k].strip()]
        if missing:
            problems.append(Problem(file=name, line=number, reason="missing field " + ", ".join(missing)))
            continue
        date: dt.date | None = None
        if obj.get("date"):
            try:
                date = dt.date.fromisoformat(str(obj["date"])[:10])
            except ValueError:
                problems.append(Problem(file=name, line=number, skipped=False,
                                        reason=f"invalid date {obj['date']!r} (kept without date)"))
        authors = obj.get("authors") or []
        if isinstance(authors, str):
            authors = [a.strip() for a in authors.split(",") if a.strip()]
        abstract = " ".join(str(obj["abstract"]).split())
        urls = extract_urls(abstract)
        if isinstance(obj.get("url"), str) and obj["url"].strip():
            urls.insert(0, obj["url"].strip())
        records.append(Record(title=" ".join(obj["title"].split()), abstract=abstract, date=date,
                               source=f"{name}:{number}", urls=list(dict.fromkeys(urls)),
                               authors=[str(a) for a in authors if str(a).strip()]))
    return records


def corpus_files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and (
                p.suffix.lower() in {".txt", ".jsonl"} or p.name.lower().endswith(RAW_SUFFIXES)))
        else:
            files.append(path)
    return files


def _merge(records: Iterable[Record], problems: list[Problem]) -> list[Paper]:
    merged: dict[str, Paper] = {}
    by_arxiv: dict[str, str] = {}
    for rec in records:
        # The arXiv id first: a title can be reworded between versions, the id stays.
        pid = by_arxiv.get(rec.arxiv_id or "") or paper_id(rec.title)
        paper = merged.get(pid)
        if paper is None:
            paper = merged[pid] = Paper(id=pid, title=rec.title, abstract=rec.abstract, **rec.meta())
        else:
            _merge_abstract(paper, rec, problems)
            for key, value in merged_meta(paper, rec).items():
                setattr(paper, key, value)
        if rec.arxiv_id:
            by_arxiv.setdefault(rec.arxiv_id, pid)
        if rec.date and rec.date not in paper.dates:
            paper.dates = sorted([*paper.dates, rec.date])
        paper.sources.append(rec.source)
        paper.urls = list(dict.fromkeys([*paper.urls, *rec.urls]))
    return list(merged.values())


def _merge_abstract(paper: Paper, rec: Record, problems: list[Problem]) -> None:
    """A listing cut short is completed by a fuller one; a reworded abstract is reported, the newer one kept."""
    old, new = paper.abstract, rec.abstract
    if new == old or old.startswith(new.rstrip(" .…")):
        return
    if new.startswith(old.rstrip(" .…")):
        paper.abstract = new
        return
    newer = rec.date is None or not paper.dates or rec.date >= max(paper.dates)
    if newer:
        paper.abstract = new
    file, _, line = rec.source.rpartition(":")
    problems.append(Problem(
        file=file or rec.source, line=int(line) if line.isdigit() else 0, skipped=False,
        reason=f"“{clip_title(paper.title)}” is also in {', '.join(paper.sources)} with a different abstract: "
               f"kept as one paper, the {'abstract here' if newer else 'earlier-read abstract'} (the newer) used"))


def clip_title(title: str, limit: int = 80) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"


def cap_abstracts(papers: list[Paper], limit: int, problems: list[Problem]) -> None:
    """An abstract over `limit` characters is cut at a sentence end, with a warning naming the paper."""
    for paper in papers:
        if len(paper.abstract) <= limit:
            continue
        head = paper.abstract[:limit]
        ends = [m.end() for m in re.finditer(r"[.!?](?=\s)", head)]
        cut = head[: ends[-1]] if ends and ends[-1] >= limit // 2 else head.rsplit(" ", 1)[0]
        problems.append(Problem(
            file=paper.sources[0].rpartition(":")[0] or paper.sources[0] if paper.sources else "?", line=0,
            skipped=False, reason=f"the abstract of “{clip_title(paper.title)}” is {len(paper.abstract):,} "
                                  f"characters: cut to {len(cut):,} (MAX_ABSTRACT_CHARS)"))
        paper.abstract = cut


def parse_corpus(paths: Sequence[Path], today: dt.date | None = None) -> ParseReport:
    today = today or dt.date.today()
    report = ParseReport()
    records: list[Record] = []
    for path in corpus_files(paths):
        report.files += 1
        if not path.exists():
            report.problems.append(Problem(file=str(path), line=0, reason="no such file"))
            continue
        if path.stat().st_size == 0:
            report.problems.append(Problem(file=path.name, line=0, reason="empty file"))
            continue
        try:
            if path.name.lower().endswith(RAW_SUFFIXES):
                found = parse_raw(path, report.problems)
            else:
                parser = _parse_jsonl if path.suffix.lower() == ".jsonl" else _parse_text
                found = parser(path, today, report.problems)
        except OSError as exc:  # unreadable (permissions, a device, a vanished file): skip it, keep the rest
            report.problems.append(Problem(file=str(path), line=0,
                                           reason=f"cannot read the file ({exc.strerror or exc})"))
            continue
        if not found and not any(p.file == path.name for p in report.problems):
            report.problems.append(Problem(file=path.name, line=0, reason="no papers found"))
        records += found
    report.entries = len(records)
    report.papers = _merge(records, report.problems)
    return report
