"""Ingest is a transaction: kill -9 at every write point, concurrent searches, concurrent ingests."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from conftest import make_settings
from support.small_index import AFTER, BEFORE, cli_ingest, write_corpus

from retrieval import Retriever
from retrieval.commit import index_lock
from retrieval.ingest import _Writer, ingest


def titles(retriever: Retriever, query: str) -> set[str]:
    return {hit.title for hit in retriever.search(query, k=10).hits}


def test_kill_9_at_every_write_point_leaves_a_usable_index_that_a_plain_ingest_completes(
        small_index: Path, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "after", AFTER)
    killed: list[str] = []
    for point in range(1, 30):
        data = tmp_path / f"crash-{point}" / "data"
        shutil.copytree(small_index, data)
        run = cli_ingest(data, corpus, crash_at=point)
        if run.returncode == 0:
            break  # past the last write point: the ingest finished
        assert run.returncode == -9, run.stderr
        killed.append(run.stderr.strip().splitlines()[-1])
        settings = make_settings(data)
        # The previous index (or, past the commit, the new one) answers, whole: no KeyError, no missing paper.
        seen = {p.title for p in Retriever.open(settings).papers()}
        assert seen in (set(BEFORE), set(AFTER)), killed[-1]
        assert titles(Retriever.open(settings), "passage ranking for long documents") <= seen
        report = ingest([corpus], settings)  # plain ingest, no --rebuild
        assert report.total_in_index == len(AFTER), killed[-1]
        retriever = Retriever.open(settings)
        assert retriever.search("Sinhala tokenizer").hits[0].title == "Paper B", killed[-1]
        assert retriever.search("protein folding diffusion").hits[0].title == "Paper D", killed[-1]
        assert [h.title for h in retriever.similar(retriever.match_titles("Paper E")[0].id, k=4)]
        assert ingest([corpus], settings).embedded == 0, "a completed index needs no more work"
    print(f"{len(killed)} kill points, every one recovered by a plain ingest:", *killed, sep="\n  ")
    assert len(killed) >= 7, killed  # Chroma batches, catalog rows, each side file, publish, commit


def test_search_during_an_ingest_sees_the_old_or_the_new_index_never_a_mix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path / "data")
    ingest([write_corpus(tmp_path / "before", BEFORE)], settings)
    retriever = Retriever.open(settings)
    monkeypatch.setattr(Retriever, "REFRESH_SECONDS", 0.0)
    monkeypatch.setattr(_Writer, "BATCH", 1)  # one Chroma upsert per paper: many states to be caught in
    more = {f"Routing study {n}": f"Mixture of experts routing variant {n} for long documents." for n in range(30)}
    writer = threading.Thread(target=ingest, args=([write_corpus(tmp_path / "after", {**AFTER, **more})],
                                                   settings))
    writer.start()
    searches = 0
    while writer.is_alive() or searches == 0:
        found = titles(retriever, "mixture of experts routing for long documents")
        assert found <= set(AFTER) | set(more)
        searches += 1
    writer.join()
    assert "Routing study 7" in {p.title for p in retriever.match_titles("Routing study 7")}
    assert searches > 1


def test_a_second_ingest_waits_for_the_first(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(tmp_path / "data")
    corpus = write_corpus(tmp_path / "before", BEFORE)
    finished = threading.Event()

    def second() -> None:
        ingest([corpus], settings)
        finished.set()

    with index_lock(settings):  # the first ingest, still writing
        thread = threading.Thread(target=second)
        thread.start()
        assert not finished.wait(1.0), "the second ingest must not write while the first holds the index"
    thread.join(60)
    assert finished.is_set()
    assert "another ingest is writing this index; waiting" in caplog.text


def test_stats_after_the_refresh_interval_do_not_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path / "data")
    ingest([write_corpus(tmp_path / "before", BEFORE)], settings)
    retriever = Retriever.open(settings)
    monkeypatch.setattr(Retriever, "REFRESH_SECONDS", 0.0)  # every call checks for a new generation
    ingest([write_corpus(tmp_path / "after", AFTER)], settings)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (retriever.stats(), done.set()), daemon=True)
    worker.start()
    assert done.wait(30), "stats() deadlocked on the retriever's lock"
    assert retriever.stats().papers == len(AFTER)
