"""Ingest: idempotence, model-mismatch refusal, partial status, broken or missing index messages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings
from support.counting_embedder import CountingEmbedder

from core.errors import IndexMissingError, ModelMismatchError
from paperbot.cli import main
from retrieval import Retriever
from retrieval.catalog import Catalog
from retrieval.commit import commit
from retrieval.dense_rows import DenseRows
from retrieval.embedding import MINILM_DIM, MINILM_NAME
from retrieval.generations import committed, generation_dir
from retrieval.index import catalog_path
from retrieval.ingest import ingest
from retrieval.rowids import RowIds
from retrieval.side_index import Generation
from retrieval.store import VectorStore

ABSTRACT = ("We propose a retrieval method for long documents. It splits text into passages and ranks them "
            "with a learned scorer. Experiments show better accuracy on question answering benchmarks.")


def write_corpus(folder: Path, abstracts: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"title": t, "abstract": a, "date": "2026-03-12"}) for t, a in abstracts.items()]
    (folder / "papers.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_reingest_of_unchanged_corpus_embeds_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    corpus = write_corpus(tmp_path / "corpus", {f"Paper {n}": f"{ABSTRACT} Variant {n}." for n in "ABC"})
    embedder = CountingEmbedder()
    first = ingest([corpus], settings, embedder=embedder)
    # Each paper's text, then each of its three abstract sentences ("Variant A." is too short to embed).
    assert (first.new, first.unchanged, first.embedded, embedder.calls) == (3, 0, 3, 3 + 9)

    second = ingest([corpus], settings, embedder=embedder)
    assert (second.new, second.updated, second.unchanged, second.embedded) == (0, 0, 3, 0)
    assert embedder.calls == 12, "an unchanged corpus must not be embedded again"

    # B states a new contribution (re-embedded); C only reports new results (BM25 reads them, the paper vector
    # stays): both get their sentences embedded again, four each, and A nothing.
    write_corpus(corpus, {"Paper A": ABSTRACT + " Variant A.",
                          "Paper B": "We propose a different scorer. " + ABSTRACT + " Variant B.",
                          "Paper C": ABSTRACT + " Variant C, now with ablations."})
    third = ingest([corpus], settings, embedder=embedder)
    assert (third.updated, third.unchanged, third.embedded, embedder.calls) == (2, 1, 1, 12 + 1 + 8)
    retriever = Retriever.open(settings)
    assert retriever.stats().papers == 3
    assert retriever.search("ablations").hits[0].title == "Paper C"


def test_vectors_embedded_by_an_older_release_are_replaced_everywhere_search_reads_them(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    corpus = write_corpus(tmp_path / "corpus", {"Paper A": ABSTRACT, "Paper B": "We study bird migration."})
    ingest([corpus], settings)
    store = VectorStore.open(settings, MINILM_NAME, MINILM_DIM)
    by_title = {p.title: p.id for p in Retriever.open(settings).papers()}
    wrong = store.vectors([by_title["Paper B"]])[by_title["Paper B"]]
    # What an index built by a release that embedded other text looks like: another vector, another hash.
    store.upsert([by_title["Paper A"]], wrong[None, :], ["0" * 16], [20260312])
    commit(settings, Catalog(catalog_path(settings)), store)

    report = ingest([corpus], settings)
    assert (report.updated, report.unchanged, report.embedded) == (1, 1, 1)
    folder = generation_dir(settings, committed(Catalog(catalog_path(settings))))
    generation = Generation(folder)
    rows = DenseRows([segment.vectors for segment in generation.segments])
    row_of = RowIds(generation.ids(), generation.live)
    for pid, vector in store.vectors(list(by_title.values())).items():
        copy = rows.cosine(vector, np.array([row_of[pid]]))[0]
        assert copy > 0.999, "fusion must score the vector Chroma holds, not a stale copy"


def test_new_pages_add_to_the_index_and_keep_earlier_listings(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    first = write_corpus(tmp_path / "day1", {"Paper A": ABSTRACT})
    ingest([first], settings)
    second = tmp_path / "day2"
    second.mkdir()
    (second / "more.jsonl").write_text(json.dumps({"title": "Paper A", "abstract": ABSTRACT, "date": "2026-03-17"})
                                       + "\n" + json.dumps({"title": "Paper D", "abstract": ABSTRACT + " New."}) + "\n")
    report = ingest([second], settings)
    assert (report.new, report.unchanged, report.total_in_index) == (1, 1, 2)
    paper_a = next(p for p in Retriever.open(settings).papers() if p.title == "Paper A")
    assert [d.isoformat() for d in paper_a.dates] == ["2026-03-12", "2026-03-17"]


def test_index_built_with_another_model_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path / "data")
    ingest([write_corpus(tmp_path / "corpus", {"Paper A": ABSTRACT})], settings)
    other = make_settings(tmp_path / "data", embedding_backend="openai", embedding_model="text-embedding-3-small")
    with pytest.raises(ModelMismatchError, match="--rebuild"):
        Retriever.open(other)
    with pytest.raises(ModelMismatchError):
        ingest([tmp_path / "corpus"], other)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EMBEDDING_BACKEND", "openai")
    monkeypatch.setenv("EMBEDDING_MODEL", "text-embedding-3-small")
    assert main(["search", "retrieval"]) == 1
    err = capsys.readouterr().err
    assert "all-MiniLM-L6-v2" in err and "paperbot ingest --rebuild" in err and "Traceback" not in err


def test_missing_index_says_to_ingest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "nothing-here"))
    assert main(["search", "long context"]) == 1
    assert "paperbot ingest" in capsys.readouterr().err
    with pytest.raises(IndexMissingError):
        Retriever.open(make_settings(tmp_path / "nothing-here"))


def test_corrupted_index_says_to_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path / "data")
    ingest([write_corpus(tmp_path / "corpus", {"Paper A": ABSTRACT})], settings)
    (settings.index_dir / "catalog.sqlite3").write_bytes(b"this is not a database" * 100)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    assert main(["search", "retrieval"]) == 1
    err = capsys.readouterr().err
    assert "paperbot ingest" in err and "Traceback" not in err


def test_cli_ingest_reports_problems_and_exits_partial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"Paper A": ABSTRACT})
    with (corpus / "papers.jsonl").open("a") as fh:
        fh.write("{broken json\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    assert main(["ingest", "-q", str(corpus)]) == 3
    out, err = capsys.readouterr()
    assert "1 new" in out and "1 skipped" in out
    assert "papers.jsonl:2" in err and "not JSON" in err and "partial" in err
    # The good paper was ingested despite the bad line.
    assert main(["search", "--json", "passage ranking for long documents"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["title"] == "Paper A"


def test_bad_setting_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LLM_TEMPERATURE", "very hot")
    assert main(["search", "x"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "LLM_TEMPERATURE" in err and "Traceback" not in err
    monkeypatch.delenv("LLM_TEMPERATURE")
    monkeypatch.setenv("CHROMA_PORT", "99999")
    assert main(["search", "x"]) == 2
    assert "CHROMA_PORT" in capsys.readouterr().err


def test_a_running_retriever_sees_papers_ingested_after_it_opened(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path / "data")
    ingest([write_corpus(tmp_path / "day1", {"Paper A": ABSTRACT})], settings)
    retriever = Retriever.open(settings)  # e.g. the bot, started before the next day's pages arrive
    monkeypatch.setattr(Retriever, "REFRESH_SECONDS", 0.0)
    later = ("Sparse mixture of experts routing for efficient transformers: a router picks two experts per "
             "token, cutting compute while keeping quality on language modelling benchmarks.")
    ingest([write_corpus(tmp_path / "day2", {"Routing Tokens to Experts": later})], settings)
    result = retriever.search("mixture of experts routing")
    assert result.hits[0].title == "Routing Tokens to Experts"
    assert [p.title for p in retriever.match_titles("routing tokens")] == ["Routing Tokens to Experts"]
