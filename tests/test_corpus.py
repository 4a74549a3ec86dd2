"""The corpus parser on the real bundled pages and on every kind of bad input the issue names."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from core.settings import BUNDLED_CORPUS
from retrieval.corpus import paper_id, parse_corpus, resolve_listing_date

ABSTRACT = ("We study how language models use long inputs. Our method improves retrieval of facts placed in "
            "the middle of the context window. Experiments on three benchmarks show consistent gains.")
TODAY = dt.date(2026, 11, 22)


def page(*lines: str, header: bool = True) -> str:
    head = ["new", "", "Get trending papers in your email inbox!", "", "Subscribe", "", "Daily Papers", "",
            "byAK and the research community", ""] if header else []
    return "\n".join([*head, *lines]) + "\n"


def test_bundled_corpus_has_383_entries_and_327_papers() -> None:
    report = parse_corpus([BUNDLED_CORPUS], today=TODAY)
    assert report.files == 5
    assert report.entries == 383
    assert len(report.papers) == 327
    assert not report.partial, report.problems


def test_duplicates_merge_keeping_every_source_and_date() -> None:
    report = parse_corpus([BUNDLED_CORPUS], today=TODAY)
    listed_twice = [p for p in report.papers if len(p.sources) > 1]
    assert listed_twice, "the bundled corpus lists some papers on several pages"
    assert sum(len(p.sources) for p in report.papers) == 383
    multi_date = [p for p in listed_twice if len(p.dates) > 1]
    assert multi_date and all(p.dates == sorted(p.dates) for p in multi_date)
    assert all(p.id == paper_id(p.title) for p in report.papers)


def test_listing_dates_are_iso_in_the_right_year() -> None:
    report = parse_corpus([BUNDLED_CORPUS], today=TODAY)
    dates = {d for p in report.papers for d in p.dates}
    assert dt.date(2026, 3, 12) in dates and dt.date(2026, 7, 31) in dates
    # A listing date later in the year than today belongs to last year.
    assert resolve_listing_date(12, 24, TODAY) == dt.date(2025, 12, 24)
    assert resolve_listing_date(11, 22, TODAY) == dt.date(2026, 11, 22)
    assert resolve_listing_date(2, 29, dt.date(2025, 3, 1)) == dt.date(2024, 2, 29)


def test_urls_in_abstracts_go_to_metadata() -> None:
    report = parse_corpus([BUNDLED_CORPUS], today=TODAY)
    xmen = next(p for p in report.papers if p.title.startswith("xMEN"))
    assert xmen.urls == ["https://github.com/hpi-dhc/xmen"]


def test_title_with_no_abstract_is_reported_and_the_rest_kept(tmp_path: Path) -> None:
    f = tmp_path / "page.txt"
    f.write_text(page("Mar 12", "", "Orphan Title Without Abstract", "", "Real Paper", "", ABSTRACT))
    report = parse_corpus([f], today=TODAY)
    assert [p.title for p in report.papers] == ["Real Paper"]
    assert report.papers[0].dates == [dt.date(2026, 3, 12)]
    [problem] = report.problems
    assert problem.file == "page.txt" and problem.line == 13 and "no abstract" in problem.reason
    assert report.partial


def test_truncated_file_keeps_the_cut_abstract_with_a_warning(tmp_path: Path) -> None:
    f = tmp_path / "cut.txt"
    f.write_text(page("First Paper", "", ABSTRACT, "", "Second Paper", "", ABSTRACT[:150]).rstrip("\n"))
    report = parse_corpus([f], today=TODAY)
    assert [p.title for p in report.papers] == ["First Paper", "Second Paper"]
    assert any("truncated" in p.reason and not p.skipped for p in report.problems)
    assert not report.partial


def test_title_at_end_of_file_is_reported(tmp_path: Path) -> None:
    f = tmp_path / "end.txt"
    f.write_text(page("First Paper", "", ABSTRACT, "", "Dangling Title"))
    report = parse_corpus([f], today=TODAY)
    assert len(report.papers) == 1
    assert any("end of file" in p.reason and p.line == 15 for p in report.problems)


def test_crlf_and_bom_are_handled(tmp_path: Path) -> None:
    f = tmp_path / "windows.txt"
    f.write_bytes(b"\xef\xbb\xbf" + page("Mar 11", "", "Windows Paper", "", ABSTRACT).replace("\n", "\r\n").encode())
    report = parse_corpus([f], today=TODAY)
    assert [p.title for p in report.papers] == ["Windows Paper"]
    assert report.papers[0].abstract == ABSTRACT
    assert not report.problems


def test_binary_junk_is_skipped_with_its_line(tmp_path: Path) -> None:
    f = tmp_path / "junk.txt"
    good = page("Good Paper", "", ABSTRACT).encode()
    f.write_bytes(good + b"\n\x00\x01\x02\xff\xfe\x89PNG\x1a\x00\x00garbage\x07\x08\n\nAnother Paper\n\n"
                  + ABSTRACT.encode() + b"\n")
    report = parse_corpus([f], today=TODAY)
    assert [p.title for p in report.papers] == ["Good Paper", "Another Paper"]
    assert any("unreadable" in p.reason for p in report.problems)


def test_empty_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "ok.txt").write_text(page("Kept Paper", "", ABSTRACT))
    report = parse_corpus([tmp_path], today=TODAY)
    assert [p.title for p in report.papers] == ["Kept Paper"]
    assert any(p.file == "empty.txt" and "empty" in p.reason for p in report.problems)


def test_jsonl_good_and_bad_lines(tmp_path: Path) -> None:
    f = tmp_path / "papers.jsonl"
    f.write_text("\n".join([
        json.dumps({"title": "JSON Paper", "abstract": ABSTRACT, "date": "2026-03-17",
                    "url": "https://arxiv.org/abs/1234.5678", "authors": ["A. Author", "B. Author"]}),
        "{not json",
        json.dumps({"title": "No Abstract"}),
        json.dumps(["a", "list"]),
        json.dumps({"title": "Undated Paper", "abstract": ABSTRACT}),
    ]) + "\n")
    report = parse_corpus([f], today=TODAY)
    assert [p.title for p in report.papers] == ["JSON Paper", "Undated Paper"]
    first = report.papers[0]
    assert first.dates == [dt.date(2026, 3, 17)] and first.urls[0] == "https://arxiv.org/abs/1234.5678"
    assert first.authors == ["A. Author", "B. Author"]
    reasons = {p.line: p.reason for p in report.problems}
    assert "not JSON" in reasons[2] and "missing field abstract" in reasons[3] and "object" in reasons[4]


def test_same_paper_in_text_and_jsonl_merges(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(page("Mar 11", "", "Shared Paper: A Study", "", ABSTRACT))
    (tmp_path / "b.jsonl").write_text(json.dumps({"title": "shared paper - a study", "abstract": ABSTRACT,
                                                   "date": "2026-03-17"}) + "\n")
    report = parse_corpus([tmp_path], today=TODAY)
    [paper] = report.papers
    assert paper.dates == [dt.date(2026, 3, 11), dt.date(2026, 3, 17)]
    assert [s.split(":")[0] for s in paper.sources] == ["a.txt", "b.jsonl"]
