"""Incremental side indexes: a delta segment scores as a rebuild, a tombstone hides a removed paper, and an
ingest killed while writing or merging segments leaves a usable index that a plain ingest completes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import make_settings
from support.small_index import cli_ingest, write_corpus

from core.models import SearchFilters
from retrieval import Retriever, sentence_match, side_index
from retrieval.catalog import Catalog
from retrieval.commit import commit, index_lock
from retrieval.corpus import paper_id
from retrieval.embedding import MINILM_DIM, MINILM_NAME
from retrieval.generations import committed, generation_dir
from retrieval.index import catalog_path
from retrieval.ingest import ingest
from retrieval.removal import remove
from retrieval.sentence_match import SentenceVectors
from retrieval.side_index import Generation
from retrieval.store import VectorStore

TOPICS = ["graph neural networks for molecules", "speech recognition with transformers", "protein folding",
          "reinforcement learning from human feedback", "image segmentation of tumors", "machine translation",
          "code generation benchmarks", "retrieval augmented generation", "diffusion models for video",
          "federated learning privacy", "time series forecasting", "robot grasping policies"]
BASE = {f"Study {n}: {topic}": f"We study {topic}. Our method improves accuracy on {n + 2} benchmarks. "
        f"Variant {n} uses attention." for n, topic in enumerate(TOPICS * 2)}
QUERIES = ["protein folding", "speech recognition transformers", "Sinhala tokenizer", "attention benchmarks",
           "retrieval augmented generation for code"]


def current(settings_data: Path) -> Generation:
    settings = make_settings(settings_data)
    return Generation(generation_dir(settings, committed(Catalog(catalog_path(settings)))))


def bm25(retriever: Retriever, query: str) -> dict[str, float]:
    return dict(retriever.rankings(query)[1])


@pytest.fixture(scope="module")
def base_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 papers, built by another process: big enough that a few new ones make a delta, not a merge."""
    root = tmp_path_factory.mktemp("incremental")
    assert cli_ingest(root / "data", write_corpus(root / "base", BASE)).returncode == 0
    return root / "data"


def test_a_delta_segment_scores_as_a_full_rebuild(base_index: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(base_index, data)
    settings = make_settings(data)
    changed = {**BASE, "Study 1: speech recognition with transformers": "We propose a tokenizer for Sinhala speech.",
               "New study": "Protein folding with diffusion models and attention."}
    report = ingest([write_corpus(tmp_path / "more", changed)], settings)
    assert (report.new, report.updated) == (1, 1)
    generation = current(data)
    assert len(generation.segments) == 2 and len(generation.dead) == 1, "one delta segment, one tombstone"
    delta = Retriever.open(settings)
    before = {q: bm25(delta, q) for q in QUERIES}
    filtered = delta.search("protein folding", filters=SearchFilters(since="2026-03-01")).hits

    with index_lock(settings):
        catalog = Catalog(catalog_path(settings))
        commit(settings, catalog, VectorStore.open(settings, MINILM_NAME, MINILM_DIM), full=True)
        catalog.close()
    assert len(current(data).segments) == 1 and len(current(data).dead) == 0
    rebuilt = Retriever.open(settings)
    for query in QUERIES:
        after = bm25(rebuilt, query)
        assert after.keys() == before[query].keys(), query
        for pid, score in after.items():
            assert before[query][pid] == pytest.approx(score, rel=2e-3), query  # float16 weights
    assert [h.id for h in rebuilt.search("protein folding", filters=SearchFilters(since="2026-03-01")).hits] == \
        [h.id for h in filtered]
    assert delta.search("Sinhala tokenizer").hits[0].title == "Study 1: speech recognition with transformers"


def test_a_delta_keeps_the_old_segments_sentence_vectors_as_links_and_embeds_only_its_own(
        base_index: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(base_index, data)
    settings = make_settings(data)
    before = current(data)
    first = before.segments[0].name
    old_file = before.folder / f"{first}.{sentence_match.VECTORS}"
    report = ingest([write_corpus(tmp_path / "more", {**BASE, "New study": "We fold proteins with diffusion. "
                                                      "Sampling takes four seconds per protein on one GPU."})],
                    settings)
    assert report.new == 1
    after = current(data)
    kept = after.folder / f"{first}.{sentence_match.VECTORS}"
    assert kept.stat().st_ino == old_file.stat().st_ino, "the old segment's sentence file is linked, not rewritten"
    delta = SentenceVectors.load(after.folder, after.segments[1].name)
    assert delta.ids == [p.id for p in Retriever.open(settings).papers() if p.title == "New study"]
    assert len(delta.rows(0)[0]) == 2, "the new paper's two sentences are embedded"
    hit = Retriever.open(settings).search("how long does sampling one protein take?").hits[0]
    assert hit.title == "New study", "its closest sentence is found through the delta segment"


def test_a_removed_paper_is_a_tombstone_until_the_merge_and_never_found(base_index: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(base_index, data)
    settings = make_settings(data)
    gone = "Study 2: protein folding"
    remove(settings, [gone])
    generation = current(data)
    assert len(generation.dead) == 1 and len(generation.segments) == 1, "removal writes a tombstone only"
    retriever = Retriever.open(settings)
    assert gone not in {h.title for h in retriever.search("protein folding", k=30).hits}
    dense, lexical = retriever.rankings("protein folding")
    titles = {p.id: p.title for p in retriever.papers()}
    assert gone not in titles.values()
    assert all(pid in titles for pid, _ in dense + lexical), "no ranking returns the removed paper"
    other = next(pid for pid, title in titles.items() if title == "Study 14: protein folding")
    assert gone not in {h.title for h in retriever.similar(other, k=30)}
    assert retriever.stats().papers == len(BASE) - 1


def test_kill_9_while_writing_a_delta_leaves_a_usable_index_that_a_plain_ingest_completes(
        base_index: Path, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "after", {**BASE, "New study": "Sparse mixture of experts routing."})
    killed: list[str] = []
    for point in range(1, 20):
        data = tmp_path / f"crash-{point}" / "data"
        shutil.copytree(base_index, data)
        run = cli_ingest(data, corpus, crash_at=point)
        if run.returncode == 0:
            break
        assert run.returncode == -9, run.stderr
        killed.append(run.stderr.strip().splitlines()[-1])
        settings = make_settings(data)
        assert len(Retriever.open(settings).papers()) in (len(BASE), len(BASE) + 1), killed[-1]
        report = ingest([corpus], settings)
        assert report.total_in_index == len(BASE) + 1, killed[-1]
        assert Retriever.open(settings).search("mixture of experts routing").hits[0].title == "New study"
        assert len(current(data).segments) == 2, "the repair adds the delta, it does not rebuild"
    assert any("segments staged" in k for k in killed), killed
    assert len(killed) >= 6, killed


def test_kill_9_during_a_merge_leaves_a_usable_index_that_a_plain_ingest_completes(
        base_index: Path, tmp_path: Path) -> None:
    many = {f"Extra {n}": f"A paper about coral reef bleaching number {n}." for n in range(8)}
    corpus = write_corpus(tmp_path / "after", {**BASE, **many})  # 8 new on 24: past the merge share
    data = tmp_path / "data"
    shutil.copytree(base_index, data)
    # Points: the Chroma batch, the catalog rows, then the merge of the new segment into the old.
    run = cli_ingest(data, corpus, crash_at=3)
    assert run.returncode == -9 and "segments merged" in run.stderr, run.stderr
    settings = make_settings(data)
    assert len(Retriever.open(settings).papers()) == len(BASE), "the previous generation answers"
    assert ingest([corpus], settings).total_in_index == len(BASE) + len(many)
    assert len(current(data).segments) == 1, "the repair merges"
    assert Retriever.open(settings).search("coral reef bleaching").hits[0].title.startswith("Extra")


def test_many_deltas_are_merged_into_one_and_the_first_segment_is_kept(base_index: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    shutil.copytree(base_index, data)
    settings = make_settings(data)
    monkeypatch.setattr(side_index, "MAX_SEGMENTS", 2)
    first = current(data).segments[0].name
    papers = dict(BASE)
    for n in range(3):
        papers[f"Coral study {n}"] = f"Coral reef bleaching under heat stress, site {n}."
        ingest([write_corpus(tmp_path / f"day{n}", papers)], settings)
    generation = current(data)
    assert generation.segments[0].name == first and len(generation.segments) == 2, "deltas merged, base kept"
    retriever = Retriever.open(settings)
    assert {h.title for h in retriever.search("coral reef bleaching", k=3).hits} == \
        {f"Coral study {n}" for n in range(3)}
    assert retriever.stats().papers == len(BASE) + 3


def test_bm25_ties_are_in_paper_id_order_whatever_segment_holds_the_paper(tmp_path: Path) -> None:
    # Same abstract, one-word titles of the same length: every paper scores the same for "coral bleaching".
    abstract = "Coral reef bleaching was measured at one site over a year."
    words = ["alpha", "bravo", "delta", "gamma", "kappa", "sigma", "omega", "theta", "zulus", "pilot", "radar"]
    titles = [f"Reef survey {w}" for w in words]
    base = titles[:6]
    late = next(t for t in titles[6:] if paper_id(t) < min(paper_id(b) for b in base))  # its id sorts first
    settings = make_settings(tmp_path / "data")
    ingest([write_corpus(tmp_path / "one", {t: abstract for t in base})], settings)
    ranked = Retriever.open(settings).rankings("coral bleaching")[1]
    assert len({score for _, score in ranked}) == 1, "the papers tie"
    assert [pid for pid, _ in ranked] == sorted(paper_id(t) for t in base)
    ingest([write_corpus(tmp_path / "two", {t: abstract for t in [*base, late]})], settings)
    assert len(current(tmp_path / "data").segments) == 2, "the late paper is in a delta segment, in the last row"
    ranked = Retriever.open(settings).rankings("coral bleaching")[1]
    assert [pid for pid, _ in ranked] == sorted(paper_id(t) for t in [*base, late]), "ties by id, not by row"
