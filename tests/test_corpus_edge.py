"""Corpus files an operator meets: UTF-16 from a Windows editor, unreadable files, duplicates, huge abstracts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import make_settings

from paperbot.cli import main
from retrieval import Retriever
from retrieval.corpus import parse_corpus
from retrieval.ingest import ingest

ABSTRACT = ("We propose a retrieval method for long documents. It splits text into passages and ranks them "
            "with a learned scorer. Experiments show better accuracy on question answering benchmarks.")


def line(title: str, abstract: str, date: str) -> str:
    return json.dumps({"title": title, "abstract": abstract, "date": date})


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_is_decoded_by_its_byte_order_mark(tmp_path: Path, encoding: str) -> None:
    text = line("Paper Ü", ABSTRACT + " Über alles.", "2026-03-12") + "\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    (tmp_path / "windows.jsonl").write_bytes(data)
    report = parse_corpus([tmp_path])
    assert [p.title for p in report.papers] == ["Paper Ü"] and not report.problems


def test_an_unreadable_file_is_skipped_and_reported_and_the_rest_ingested(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                          capsys: pytest.CaptureFixture[str]
                                                                          ) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.jsonl").write_text(line("Paper A", ABSTRACT, "2026-03-12") + "\n")
    locked = corpus / "locked.jsonl"
    locked.write_text(line("Paper B", ABSTRACT, "2026-03-12") + "\n")
    locked.chmod(0)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    assert main(["ingest", "-q", str(corpus)]) == 3
    out, err = capsys.readouterr()
    assert "1 new" in out and "locked.jsonl" in err and "cannot read the file" in err and "Traceback" not in err


def test_an_unreadable_path_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.jsonl"  # named like a corpus file, but reading it fails (IsADirectoryError)
    folder.mkdir()
    good = tmp_path / "good.jsonl"
    good.write_text(line("Paper A", ABSTRACT, "2026-03-12") + "\n")
    report = parse_corpus([good, folder])
    assert [p.title for p in report.papers] == ["Paper A"]


def test_duplicate_titles_with_different_abstracts_are_one_paper_reported_newer_abstract_used(tmp_path: Path
                                                                                             ) -> None:
    (tmp_path / "a.jsonl").write_text(line("Paper A", ABSTRACT, "2026-03-12") + "\n")
    (tmp_path / "b.jsonl").write_text(line("Paper A", "We revise the method entirely. " + ABSTRACT,
                                           "2026-03-19") + "\n")
    report = parse_corpus([tmp_path])
    [paper] = report.papers
    assert paper.abstract.startswith("We revise the method entirely.")
    assert paper.sources == ["a.jsonl:1", "b.jsonl:1"]
    [problem] = report.problems
    assert not problem.skipped and "different abstract" in problem.reason and "a.jsonl:1" in problem.reason


def test_a_truncated_listing_is_completed_silently(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(line("Paper A", ABSTRACT[:150] + "…", "2026-03-19") + "\n"
                                      + line("Paper A", ABSTRACT, "2026-03-12") + "\n")
    report = parse_corpus([tmp_path])
    assert report.papers[0].abstract == ABSTRACT and not report.problems


def test_a_huge_abstract_is_cut_at_ingest_with_a_warning_naming_the_paper(tmp_path: Path) -> None:
    huge = "We propose a huge method. " + "It has many words in many sentences. " * 60_000  # ~2.3 MB
    (tmp_path / "big.jsonl").write_text(line("The Enormous Paper", huge, "2026-03-12") + "\n"
                                        + line("Paper A", ABSTRACT, "2026-03-12") + "\n")
    settings = make_settings(tmp_path / "data")
    report = ingest([tmp_path / "big.jsonl"], settings)
    [warning] = [p for p in report.problems if "The Enormous Paper" in p.reason]
    assert not warning.skipped and "MAX_ABSTRACT_CHARS" in warning.reason
    assert report.new == 2 and not report.partial
    paper = Retriever.open(settings).match_titles("The Enormous Paper")[0]
    assert len(paper.abstract) <= 20_000 and paper.abstract.endswith(".")
