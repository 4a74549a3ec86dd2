"""`paperbot fetch` on bad input: each problem reported with source, day and entry, the rest kept.

A loopback server plays the sources: down, slow, 429/5xx with Retry-After, HTML where JSON was expected,
pages cut short, bad entries, an empty day, an enormous page; and a fetch killed with SIGKILL.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_settings
from support.listing_server import ListingServer, Page
from test_fetch import DAY, papers_by_title, use

from app.fetching import run_fetch
from paperbot.cli import main
from retrieval import Retriever
from retrieval.sources.raw import load_state

D12, D13, D14 = dt.date(2026, 3, 12), dt.date(2026, 3, 13), dt.date(2026, 3, 14)
GOOD = Page.fixture("hf/2026-03-12.json")


def settings_for(data_dir: Path, server: ListingServer, **overrides: object):
    values = {"hf_base_url": server.base_url, "arxiv_base_url": server.base_url, "arxiv_delay_seconds": 0,
              "fetch_backoff_seconds": 0.01, "fetch_retries": 2, **overrides}
    return make_settings(data_dir, **values)


def test_bad_entries_are_reported_with_day_and_entry_and_the_good_one_kept(
        own_index: Path, listing_server: ListingServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    listing_server.hf("2026-03-13", Page.fixture("hf/2026-03-13-bad-entries.json"))
    use(monkeypatch, own_index, listing_server)
    assert main(["fetch", "--source", "hf", "--date", "2026-03-13", "--ingest"]) == 3
    out, err = capsys.readouterr()
    assert "1 new paper(s)" in out and "Streaming Speech Recognition with Lookahead-Free Chunking" in out
    assert "skipped: hf/2026-03-13.json.gz entry 2: entry 2603.12318: empty abstract" in err
    assert "skipped: hf/2026-03-13.json.gz entry 3: entry 2603.12400: no title" in err
    assert "skipped: hf/2026-03-13.json.gz entry 4: entry is not a JSON object" in err
    assert "note: hf/2026-03-13.json.gz entry 5: entry '2603.12207': listed twice (merged)" in err
    assert "partial: 3 item(s) skipped" in err and "Traceback" not in err
    assert len(papers_by_title(own_index)) == 328


def test_429_and_503_are_retried_honouring_retry_after(own_index: Path, listing_server: ListingServer) -> None:
    listing_server.hf(DAY, Page(status=429, headers={"Retry-After": "0.4"}), Page(status=503), GOOD)
    settings = settings_for(own_index, listing_server)
    started = time.monotonic()
    report = run_fetch(settings, sources=["hf"], date=D12)
    assert time.monotonic() - started >= 0.4, "Retry-After was honoured"
    assert report.outcome == "ok" and len(report.new) == 3 and len(listing_server.requests) == 3


def test_a_source_that_keeps_failing_is_reported_and_its_cursor_waits(own_index: Path,
                                                                       listing_server: ListingServer) -> None:
    listing_server.hf("2026-03-12", GOOD)
    listing_server.hf("2026-03-13", Page(status=503, headers={"Retry-After": "0"}))
    settings = settings_for(own_index, listing_server)
    report = run_fetch(settings, sources=["hf"], since=D12, today=D14, do_ingest=True)
    assert report.outcome == "failed" and not report.fetched_nothing and len(report.new) == 3
    assert [p.file for p in report.problems] == ["hf 2026-03-13"]
    assert "HTTP 503 after 3 tries" in report.problems[0].reason
    assert [d.day for d in report.days] == [D12, D13], "later days wait for the failed one"
    assert load_state(settings).of("hf").cursor == D12
    # The next run resumes at the cursor (unchanged day, cheap) and completes the rest.
    listing_server.hf("2026-03-13", Page.fixture("hf/2026-03-13-bad-entries.json"))
    again = run_fetch(settings, sources=["hf"], today=D14, do_ingest=True)
    assert [d.day for d in again.days] == [D12, D13, D14]
    assert again.new == ["Streaming Speech Recognition with Lookahead-Free Chunking"]
    assert load_state(settings).of("hf").cursor == D14
    assert any(p.file == "hf/2026-03-14.json.gz" and "no papers listed" in p.reason and not p.skipped
               for p in again.problems), "a day with no listing is a note, not a failure"


def test_source_down_fails_with_one_line(own_index: Path, monkeypatch: pytest.MonkeyPatch,
                                         listing_server: ListingServer, capsys: pytest.CaptureFixture[str]) -> None:
    use(monkeypatch, own_index, listing_server, HF_BASE_URL="http://127.0.0.1:9", FETCH_RETRIES="1")
    assert main(["fetch", "--source", "hf", "--date", DAY]) == 1
    err = capsys.readouterr().err
    assert "hf 2026-03-12: not fetched: cannot connect (ConnectError) after 2 tries" in err
    assert "failed: nothing could be fetched" in err and "Traceback" not in err
    assert load_state(make_settings(own_index)).last_run.outcome == "failed"  # type: ignore[union-attr]


def test_a_slow_source_times_out_and_is_retried(own_index: Path, listing_server: ListingServer) -> None:
    listing_server.hf(DAY, Page(delay=5), GOOD)
    report = run_fetch(settings_for(own_index, listing_server, fetch_timeout_seconds=0.3), sources=["hf"], date=D12)
    assert report.outcome == "ok" and len(report.new) == 3 and len(listing_server.requests) == 2


@pytest.mark.parametrize(("page", "expected"), [
    (Page.fixture("hf/error-page.html"), "not JSON: the server sent an HTML page"),
    (Page(b'{"error": "Invalid date"}'), "the API answered an error: Invalid date"),
    (Page(GOOD.body[: GOOD.body.index(b'"2603.11590"')]), "truncated JSON: the page ends inside entry 3"),
], ids=["html", "api-error", "truncated"])
def test_unreadable_pages_are_reported_and_complete_entries_kept(own_index: Path, listing_server: ListingServer,
                                                                 page: Page, expected: str) -> None:
    listing_server.hf(DAY, page)
    report = run_fetch(settings_for(own_index, listing_server), sources=["hf"], date=D12)
    assert report.outcome == "partial"
    assert [(p.file, p.skipped) for p in report.problems] == [(f"hf/{DAY}.json.gz", True)]
    assert expected in report.problems[0].reason
    if "truncated" in expected:
        assert report.new == ["Sparse Memory Routing for Long-Horizon Language Agents"]
        assert report.enriched == ["Long-CLIP: Unlocking the Long-Text Capability of CLIP"]


def test_arxiv_feed_cut_short_or_answering_an_error(own_index: Path, listing_server: ListingServer) -> None:
    whole = Page.fixture("arxiv/2026-03-12_00000.xml").body
    listing_server.arxiv(DAY, 0, Page(whole[: whole.index(b"<id>http://arxiv.org/abs/2603.11901")],
                                      content_type="application/atom+xml"))
    listing_server.arxiv("2026-03-13", 0, Page.fixture("arxiv/error.xml"))
    settings = settings_for(own_index, listing_server, arxiv_page_size=2)
    report = run_fetch(settings, sources=["arxiv"], since=D12, today=D14)
    assert report.new == ["Sparse Memory Routing for Long-Horizon LLM Agents"]
    reasons = {p.file: p.reason for p in report.problems if p.skipped}
    assert "truncated or malformed XML" in reasons[f"arxiv/{DAY}_00000.atom.gz"]
    assert "arXiv answered an error: incorrect search_query" in reasons["arxiv/2026-03-13_00000.atom.gz"]
    notes = {p.file: p.reason for p in report.problems if not p.skipped}
    assert notes["arxiv/2026-03-14_00000.atom.gz"] == "no papers submitted on this day"


def test_an_enormous_page_is_abandoned_not_stored(own_index: Path, listing_server: ListingServer) -> None:
    listing_server.hf(DAY, Page(b"[" + b" " * 3_000_000 + b"]"))
    settings = settings_for(own_index, listing_server, fetch_max_page_mb=1)
    report = run_fetch(settings, sources=["hf"], date=D12)
    assert report.fetched_nothing and "larger than 1 MB" in report.problems[0].reason
    assert not (own_index / "fetched" / "hf" / f"{DAY}.json.gz").exists()


def test_a_fetch_killed_mid_run_leaves_the_index_usable_and_the_next_run_completes_it(
        own_index: Path, listing_server: ListingServer) -> None:
    listing_server.hf("2026-03-12", GOOD)
    listing_server.hf("2026-03-13", Page(delay=30))  # the run hangs here, after day 12 is stored
    env = {**os.environ, "DATA_DIR": str(own_index), "HF_BASE_URL": listing_server.base_url,
           "FETCH_TIMEOUT_SECONDS": "60"}
    proc = subprocess.Popen([sys.executable, "-m", "paperbot", "fetch", "--source", "hf", "--since", "2026-03-12",
                             "--ingest"], env=env, cwd=own_index.parent, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while "hf 2026-03-13" not in listing_server.requested():
        assert time.monotonic() < deadline and proc.poll() is None, "the fetch never reached day 13"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    settings = settings_for(own_index, listing_server)
    assert Retriever.open(settings).stats().papers == 327, "nothing half-written: the index opens as it was"
    assert load_state(settings).of("hf").cursor is None
    listing_server.hf("2026-03-13", Page(b"[]"))
    report = run_fetch(settings, sources=["hf"], since=D12, today=D13, do_ingest=True)
    assert report.ingest is not None and report.ingest.total_in_index == 330
    assert load_state(settings).of("hf").cursor == D13
