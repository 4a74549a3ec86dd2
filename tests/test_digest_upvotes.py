"""`paperbot digest --preview --rank upvotes`: fetched Daily Papers in upvote order; relevance stays the default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.listing_server import FIXTURES, ListingServer, Page

from paperbot.cli import main

DAY = "2026-08-01"  # after the bundled corpus's newest listing, so the fetched papers are the newest


def scrambled_page() -> tuple[Page, dict[str, int]]:
    """The hand-written HF fixture with its upvotes reversed: listing order no longer matches upvote order."""
    entries = json.loads((FIXTURES / "hf/2026-03-12.json").read_text())
    votes = [e["paper"]["upvotes"] for e in entries][::-1]
    for entry, count in zip(entries, votes, strict=True):
        entry["paper"]["upvotes"] = count
        entry["paper"]["publishedAt"] = entry["publishedAt"] = f"{DAY}T00:00:00.000Z"
    by_title = {e["paper"]["title"]: e["paper"]["upvotes"] for e in entries}
    return Page(body=json.dumps(entries).encode()), by_title


def preview(*argv: str, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    assert main(["digest", "--preview", "--size", "4", "--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)["items"]


def test_preview_ranks_the_days_papers_by_upvotes_only_when_asked(
        own_index: Path, listing_server: ListingServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    page, votes = scrambled_page()
    listing_server.hf(DAY, page)
    monkeypatch.chdir(own_index.parent)
    monkeypatch.setenv("DATA_DIR", str(own_index))
    monkeypatch.setenv("HF_BASE_URL", listing_server.base_url)
    monkeypatch.setenv("FETCH_BACKOFF_SECONDS", "0.01")
    assert main(["fetch", "--source", "hf", "--date", DAY, "--ingest"]) == 0
    capsys.readouterr()

    ranked = preview("--rank", "upvotes", capsys=capsys)
    assert [i["title"] for i in ranked] == sorted(votes, key=lambda t: -votes[t])
    assert [i["upvotes"] for i in ranked] == [41, 20, 17, 9]
    default = preview(capsys=capsys)
    assert {i["title"] for i in default} == set(votes)
    assert [i["title"] for i in default] != [i["title"] for i in ranked]  # the listing's order, not the votes'
