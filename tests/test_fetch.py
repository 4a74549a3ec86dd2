"""`paperbot fetch`: new papers from the Hugging Face Daily Papers API and arXiv, served by a loopback server.

The fixtures (tests/fixtures) are hand-written in the exact formats of both APIs. The index is a writable
copy of the bundled one (327 papers), so merging with bundled papers is tested against the real corpus.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import make_settings
from support.listing_server import ListingServer, Page

from app.fetching import run_fetch
from paperbot.cli import main
from retrieval.catalog import Catalog
from retrieval.index import catalog_path
from retrieval.ingest import ingest

DAY = "2026-03-12"
LONG_CLIP = "Long-CLIP: Unlocking the Long-Text Capability of CLIP"
NEW_TITLES = {"Sparse Memory Routing for Long-Horizon Language Agents",
              "PixelProbe: Auditing Vision-Language Models with Counterfactual Patches",
              "Calibrated Refusals: Teaching Assistants When Not to Answer"}


def use(monkeypatch: pytest.MonkeyPatch, data_dir: Path, server: ListingServer, **env: str) -> None:
    monkeypatch.chdir(data_dir.parent)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("HF_BASE_URL", server.base_url)
    monkeypatch.setenv("ARXIV_BASE_URL", server.base_url)
    for name, value in {"ARXIV_DELAY_SECONDS": "0", "FETCH_BACKOFF_SECONDS": "0.01", **env}.items():
        monkeypatch.setenv(name, value)


def papers_by_title(data_dir: Path) -> dict:
    catalog = Catalog(catalog_path(make_settings(data_dir)))
    try:
        return {p.title: p for p in catalog.all()}
    finally:
        catalog.close()


def test_hf_day_adds_its_papers_with_metadata_enriches_the_bundled_one_and_adds_nothing_twice(
        own_index: Path, listing_server: ListingServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    listing_server.hf(DAY, Page.fixture("hf/2026-03-12.json", etag='W/"day-12"'))
    use(monkeypatch, own_index, listing_server)
    assert main(["fetch", "--source", "hf", "--date", DAY, "--ingest"]) == 0
    out = capsys.readouterr().out
    assert "3 new paper(s), 1 enriched" in out and f"~ {LONG_CLIP}" in out
    assert all(f"+ {title}" in out for title in NEW_TITLES)
    assert "index holds 330 papers" in out

    papers = papers_by_title(own_index)
    assert len(papers) == 330
    smr = papers["Sparse Memory Routing for Long-Horizon Language Agents"]
    assert smr.arxiv_id == "2603.11872" and smr.authors == ["Mira Okafor", "Tobias Lindqvist", "Hana Sato"]
    assert smr.dates == [dt.date(2026, 3, 12)] and smr.published == dt.date(2026, 3, 11) and smr.upvotes == 41
    assert smr.links.abs == "https://arxiv.org/abs/2603.11872" and smr.links.pdf == "https://arxiv.org/pdf/2603.11872"
    assert smr.links.hf == "https://huggingface.co/papers/2603.11872"
    assert smr.links.code == "https://github.com/mokafor/sparse-memory-routing"
    assert papers["PixelProbe: Auditing Vision-Language Models with Counterfactual Patches"].links.project == (
        "https://pixelprobe.github.io")
    # The bundled Long-CLIP gained the fetched metadata and kept its bundled listing; it is still one paper.
    clip = papers[LONG_CLIP]
    assert clip.arxiv_id == "2403.15378" and clip.authors[0] == "Beichen Zhang"
    assert clip.byline() == "Zhang et al., 2024"
    assert clip.all_urls[0] == "https://arxiv.org/abs/2403.15378"
    assert any(s.startswith("001_") for s in clip.sources) and any(s.startswith("hf/") for s in clip.sources)
    assert sum(1 for t in papers if t.startswith("Long-CLIP")) == 1
    # The raw page is kept, gzipped, exactly as served.
    raw = own_index / "fetched" / "hf" / f"{DAY}.json.gz"
    assert gzip.decompress(raw.read_bytes()) == Page.fixture("hf/2026-03-12.json").body

    assert main(["fetch", "--source", "hf", "--date", DAY, "--ingest"]) == 0
    out = capsys.readouterr().out
    assert "0 new paper(s), 0 enriched" in out and "1 unchanged since the last fetch" in out
    assert "index holds 330 papers" in out
    (_, first), (_, second) = listing_server.requests
    assert first["User-Agent"].startswith("PaperBot/")
    assert second["If-None-Match"] == 'W/"day-12"', "the second fetch is a conditional request"


def test_only_new_papers_are_embedded_and_a_rerun_embeds_nothing(own_index: Path,
                                                                 listing_server: ListingServer) -> None:
    listing_server.hf(DAY, Page.fixture("hf/2026-03-12.json"))
    settings = make_settings(own_index, hf_base_url=listing_server.base_url)
    first = run_fetch(settings, sources=["hf"], date=dt.date(2026, 3, 12), do_ingest=True)
    assert first.ingest is not None and first.ingest.embedded == 3, "Long-CLIP's text is unchanged: not re-embedded"
    again = run_fetch(settings, sources=["hf"], date=dt.date(2026, 3, 12), do_ingest=True)
    assert again.ingest is not None and (again.ingest.embedded, again.ingest.total_in_index) == (0, 330)
    assert again.new == [] and again.enriched == []


def test_arxiv_pages_are_paced_merged_by_arxiv_id_and_keep_categories(own_index: Path,
                                                                      listing_server: ListingServer) -> None:
    listing_server.hf(DAY, Page.fixture("hf/2026-03-12.json"))
    listing_server.arxiv(DAY, 0, Page.fixture("arxiv/2026-03-12_00000.xml"))
    listing_server.arxiv(DAY, 2, Page.fixture("arxiv/2026-03-12_00002.xml"))
    settings = make_settings(own_index, hf_base_url=listing_server.base_url, arxiv_base_url=listing_server.base_url,
                             arxiv_page_size=2, arxiv_delay_seconds=0.3)
    run_fetch(settings, sources=["hf"], date=dt.date(2026, 3, 12), do_ingest=True)
    started = time.monotonic()
    report = run_fetch(settings, sources=["arxiv"], date=dt.date(2026, 3, 12), do_ingest=True)
    assert time.monotonic() - started >= 0.3, "two arXiv requests are at least ARXIV_DELAY_SECONDS apart"
    assert [k for k in listing_server.requested() if k.startswith("arxiv")] == [f"arxiv {DAY} 0", f"arxiv {DAY} 2"]
    assert sorted(report.new) == ["Depth-Aware Diffusion Inpainting for Street Scenes",
                                  "Token-Level Curricula for Multilingual Speech Translation"]
    papers = papers_by_title(own_index)
    assert len(papers) == 332
    # arXiv's "v2" of the HF paper (retitled) is the same paper: merged by its id, version suffix dropped.
    assert "Sparse Memory Routing for Long-Horizon LLM Agents" in papers
    assert "Sparse Memory Routing for Long-Horizon Language Agents" not in papers
    smr = papers["Sparse Memory Routing for Long-Horizon LLM Agents"]
    assert smr.arxiv_id == "2603.11872" and smr.categories == ["cs.CL", "cs.LG"] and smr.upvotes == 41
    assert smr.links.hf == "https://huggingface.co/papers/2603.11872"
    speech = papers["Token-Level Curricula for Multilingual Speech Translation"]
    assert speech.links.code == "https://github.com/rdelgado/tlc-st" and speech.categories == ["cs.CL", "eess.AS"]
    assert speech.authors == ["Rosa Delgado", "Kwame Mensah"] and speech.published == dt.date(2026, 3, 12)


def test_dry_run_says_what_would_be_added_and_stores_nothing(own_index: Path, listing_server: ListingServer,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    listing_server.hf(DAY, Page.fixture("hf/2026-03-12.json"))
    use(monkeypatch, own_index, listing_server)
    assert main(["fetch", "--source", "hf", "--date", DAY, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run, nothing stored" in out and "3 new paper(s), 1 enriched" in out
    assert not (own_index / "fetched" / "hf").exists() and len(papers_by_title(own_index)) == 327


def test_stored_pages_are_reingested_without_fetching(own_index: Path, listing_server: ListingServer,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    listing_server.hf(DAY, Page.fixture("hf/2026-03-12.json"))
    use(monkeypatch, own_index, listing_server)
    assert main(["fetch", "--source", "hf", "--date", DAY]) == 0
    assert "run `paperbot ingest`" in capsys.readouterr().out
    assert len(papers_by_title(own_index)) == 327
    listing_server.stop()  # the source is gone: ingest reads the stored pages
    assert main(["ingest", "-q"]) == 0
    assert "index holds 330 papers" in capsys.readouterr().out


def test_an_index_of_an_older_release_is_migrated_in_place_without_re_embedding(own_index: Path,
                                                                                listing_server: ListingServer) -> None:
    path = catalog_path(make_settings(own_index))
    db = sqlite3.connect(path)
    db.executescript("DROP INDEX papers_arxiv; ALTER TABLE papers DROP COLUMN arxiv_id; "
                     "ALTER TABLE papers DROP COLUMN authors; ALTER TABLE papers DROP COLUMN upvotes; "
                     "ALTER TABLE papers DROP COLUMN published; PRAGMA user_version = 0;")
    db.close()
    settings = make_settings(own_index, hf_base_url=listing_server.base_url)
    from core.settings import BUNDLED_CORPUS

    report = ingest([BUNDLED_CORPUS], settings)
    assert (report.embedded, report.total_in_index) == (0, 327)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1
    listing_server.hf(DAY, Page.fixture("hf/2026-03-12.json"))
    fetched = run_fetch(settings, sources=["hf"], date=dt.date(2026, 3, 12), do_ingest=True)
    assert fetched.ingest is not None and fetched.ingest.total_in_index == 330


def test_fetched_metadata_is_used_by_paper_search_and_answers(own_index: Path, listing_server: ListingServer,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from app.papers import resolve_paper
    from retrieval import Retriever

    listing_server.hf(DAY, Page.fixture("hf/2026-03-12.json"))
    use(monkeypatch, own_index, listing_server)
    assert main(["fetch", "-q", "--source", "hf", "--date", DAY, "--ingest"]) == 0
    capsys.readouterr()
    retriever = Retriever.open(make_settings(own_index))
    # /paper takes an arXiv id or link, any version.
    for given in ("2403.15378", "arXiv:2403.15378v2", "https://arxiv.org/abs/2403.15378v2",
                  "https://arxiv.org/pdf/2603.11872v1"):
        assert resolve_paper(retriever, given).arxiv_id == given.split("/")[-1].removeprefix("arXiv:")[:10]
    # The author filter keeps only that author's papers, on the CLI as in the bot.
    assert main(["search", "--json", "--author", "zhang", "long text image retrieval"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert [r["title"] for r in results] == [LONG_CLIP]
    assert main(["search", "--json", "--author", "Okafor", "agents"]) == 0
    assert [r["title"] for r in json.loads(capsys.readouterr().out)["results"]] == [
        "Sparse Memory Routing for Long-Horizon Language Agents"]
    # The extractive answer names the paper with its first author and year, and links its arXiv page.
    assert main(["ask", "how do I make CLIP handle long captions?"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"Long-CLIP \(Zhang et al\., 2024\) \[\d\]", out)
    assert "https://arxiv.org/abs/2403.15378" in out
