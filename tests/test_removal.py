"""Removing papers: `paperbot remove` and `ingest --prune` take them out of every index; ingest brings them back."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from conftest import make_settings

from core.settings import BUNDLED_CORPUS, Settings
from paperbot.cli import main
from retrieval import Retriever
from retrieval.catalog import Catalog
from retrieval.corpus import parse_corpus
from retrieval.embedding import MINILM_DIM, MINILM_NAME
from retrieval.index import catalog_path
from retrieval.ingest import ingest
from retrieval.store import VectorStore
from storage import open_database
from storage.digests import DigestStore

TODAY = dt.date(2026, 3, 20)
PAPERS = {
    "Sparse Mixture Routing for Speech Recognition":
        "We propose sparse expert routing for streaming speech recognition. It lowers word error rates.",
    "Graph Priors for Molecule Generation":
        "We introduce graph priors that guide diffusion models to generate valid molecules.",
    "Curriculum Tuning of Code Models":
        "We present a curriculum that orders programming exercises to fine-tune code language models.",
}


def write_corpus(folder: Path, titles: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"title": t, "abstract": PAPERS[t], "date": "2026-03-12"}) for t in titles]
    (folder / "papers.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def index_ids(settings: Settings) -> tuple[set[str], set[str], int]:
    """Ids in the catalog, ids whose vector is in Chroma, and rows of the search side indexes."""
    catalog = Catalog(catalog_path(settings))
    try:
        ids = {pid for pid, _, _ in catalog.titles()}
    finally:
        catalog.close()
    vectors = set(VectorStore.open(settings, MINILM_NAME, MINILM_DIM).hashes())
    return ids, vectors, Retriever.open(settings).stats().papers


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = make_settings(tmp_path / "data")
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    return settings


def test_a_removed_paper_is_no_longer_found_and_ingesting_its_source_brings_it_back(
        cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = write_corpus(tmp_path / "corpus", list(PAPERS))
    assert main(["ingest", "-q", str(corpus)]) == 0
    hits = Retriever.open(cli_env).search("sparse expert routing speech recognition").hits
    gone = hits[0]
    assert gone.title == "Sparse Mixture Routing for Speech Recognition"
    capsys.readouterr()

    # One by id, one by its title written in another case: both go, from Chroma, BM25, the rows and the catalog.
    assert main(["remove", gone.id, "graph priors for MOLECULE generation", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert sorted(p["title"] for p in out["removed"]) == ["Graph Priors for Molecule Generation", gone.title]
    assert out["papers"] == 1
    ids, vectors, rows = index_ids(cli_env)
    assert gone.id not in ids and gone.id not in vectors and len(ids) == len(vectors) == rows == 1
    for query in ("sparse expert routing speech recognition", "graph priors molecules diffusion"):
        titles = [h.title for h in Retriever.open(cli_env).search(query).hits]
        assert titles == ["Curriculum Tuning of Code Models"]

    assert main(["ingest", "-q", str(corpus)]) == 0
    assert Retriever.open(cli_env).search("sparse expert routing speech recognition").hits[0].id == gone.id
    assert index_ids(cli_env)[0] == set(ids) | {gone.id, *(p["id"] for p in out["removed"])}


def test_removing_an_unknown_paper_removes_nothing_and_says_so(
        cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = write_corpus(tmp_path / "corpus", list(PAPERS))
    assert main(["ingest", "-q", str(corpus)]) == 0
    capsys.readouterr()
    assert main(["remove", "Graph Priors for Molecule Generation", "No Such Paper"]) == 2
    err = capsys.readouterr().err
    assert err == ("paperbot: no indexed paper has the id or title 'No Such Paper': nothing removed "
                   "(`paperbot search` shows ids and titles)\n")
    assert len(index_ids(cli_env)[0]) == 3


def test_removal_keeps_the_digest_history(cli_env: Settings, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", list(PAPERS))
    assert main(["ingest", "-q", str(corpus)]) == 0
    pid = Retriever.open(cli_env).search("curriculum programming exercises").hits[0].id
    now = dt.datetime(2026, 3, 20, 8, tzinfo=dt.UTC)
    db = open_database(cli_env.state_db)
    store = DigestStore(db)
    run = store.begin_run("channel:5", now.date(), "schedule", [pid], channel_id=5, now=now)
    store.finish_run(run.id, [111], now=now)
    db.close()

    assert main(["remove", pid]) == 0
    db = open_database(cli_env.state_db)
    try:
        assert DigestStore(db).posted_ids("channel:5") == {pid}, "a removed paper is still remembered as posted"
    finally:
        db.close()


def test_prune_on_the_bundled_corpus_minus_one_file_drops_exactly_that_files_papers(
        tmp_path: Path, index_dir: Path) -> None:
    # A private copy of the session's bundled index: pruning must not change the one other tests share.
    settings = make_settings(tmp_path / "data")
    shutil.copytree(index_dir / "index", settings.index_dir, ignore=shutil.ignore_patterns("ingest.lock"))
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    dropped_file = sorted(corpus.glob("*.txt"))[2]
    everything = {p.id for p in parse_corpus([corpus], today=TODAY).papers}
    dropped_file.unlink()
    kept = {p.id for p in parse_corpus([corpus], today=TODAY).papers}
    assert len(everything) == 327 and 0 < len(everything - kept) < 327

    report = ingest([corpus], settings, prune=True, today=TODAY)
    assert (report.removed, report.embedded) == (len(everything - kept), 0)
    ids, vectors, rows = index_ids(settings)
    assert ids == vectors == kept and rows == len(kept)


def test_prune_refuses_a_missing_path_instead_of_emptying_the_index(
        cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = write_corpus(tmp_path / "corpus", list(PAPERS))
    assert main(["ingest", "-q", str(corpus)]) == 0
    capsys.readouterr()
    assert main(["ingest", "-q", "--prune", str(tmp_path / "corpsu")]) == 2
    assert "--prune: no such file or folder" in capsys.readouterr().err
    assert len(index_ids(cli_env)[0]) == 3
    write_corpus(corpus, ["Curriculum Tuning of Code Models"])
    assert main(["ingest", "-q", "--prune", str(corpus)]) == 0
    assert "pruned 2 paper(s) no longer in the given sources" in capsys.readouterr().out
    assert len(index_ids(cli_env)[0]) == 1
