"""Recovery from the CLI: damaged index files are detected at open with what to run, and that command works."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import make_settings
from support.small_index import BEFORE, cli_ingest, write_corpus

from core.errors import IndexMissingError
from paperbot.cli import main
from retrieval import Retriever
from retrieval.catalog import Catalog
from retrieval.generations import committed, generation_dir
from retrieval.index import catalog_path


def copy_of(index: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(index, data)
    return data


def current_folder(data: Path) -> Path:
    settings = make_settings(data)
    catalog = Catalog(catalog_path(settings))
    try:
        return generation_dir(settings, committed(catalog))
    finally:
        catalog.close()


def test_rebuild_replaces_a_corrupt_chroma_and_keeps_it_until_the_rebuild_is_done(small_index: Path,
                                                                                 tmp_path: Path) -> None:
    data = copy_of(small_index, tmp_path)
    for path in (data / "index" / "chroma").rglob("*"):
        if path.is_file():
            path.write_bytes(b"\0garbage" * 64)
    corpus = write_corpus(tmp_path / "corpus", BEFORE)
    run = cli_ingest(data, corpus, extra=["--rebuild"])
    assert run.returncode == 0, run.stderr
    assert "3 new" in run.stdout
    assert not list((data / "index").glob("chroma.aside-*")), "moved-aside files go once the rebuild succeeded"
    retriever = Retriever.open(make_settings(data))
    assert retriever.search("bird migration radar").hits[0].title == "Paper C"


def test_rebuild_replaces_an_unreadable_catalog(small_index: Path, tmp_path: Path) -> None:
    data = copy_of(small_index, tmp_path)
    (data / "index" / "catalog.sqlite3").write_bytes(b"not a database" * 500)
    run = cli_ingest(data, write_corpus(tmp_path / "corpus", BEFORE), extra=["--rebuild"])
    assert run.returncode == 0, run.stderr
    assert Retriever.open(make_settings(data)).stats().papers == 3


def test_an_empty_catalog_is_refused_with_what_to_run(small_index: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    data = copy_of(small_index, tmp_path)
    (data / "index" / "catalog.sqlite3").write_bytes(b"")
    with pytest.raises(IndexMissingError, match=r"empty.*paperbot ingest --rebuild"):
        Retriever.open(make_settings(data))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(data))
    assert main(["search", "bird migration"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "paperbot ingest --rebuild" in err


@pytest.mark.parametrize("damage", ["truncated bm25", "empty dense rows"])
def test_damaged_side_files_are_named_and_a_plain_ingest_repairs_them(small_index: Path, tmp_path: Path,
                                                                      damage: str) -> None:
    data = copy_of(small_index, tmp_path)
    folder = current_folder(data)
    if damage == "truncated bm25":
        target = next(folder.glob("seg-*.rows.npy"))
        target.write_bytes(target.read_bytes()[:100])
    else:
        target = next(folder.glob("seg-*.vectors.npy"))
        target.write_bytes(b"")
    settings = make_settings(data)
    with pytest.raises(IndexMissingError, match=rf"{target.name} is .*run `paperbot ingest`"):
        Retriever.open(settings)
    run = cli_ingest(data, write_corpus(tmp_path / "corpus", BEFORE))
    assert run.returncode == 0, run.stderr
    assert "0 new" in run.stdout, "the vectors are intact: nothing is embedded again"
    assert Retriever.open(settings).search("bird migration radar").hits[0].title == "Paper C"


def test_a_reader_falls_back_to_the_last_whole_generation_and_says_so(small_index: Path, tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    data = copy_of(small_index, tmp_path)
    cli_ingest(data, write_corpus(tmp_path / "more", {"Paper F": "A study of coral reef bleaching."}))
    (current_folder(data) / "layout.json").write_text("{}")
    retriever = Retriever.open(make_settings(data))
    stats = retriever.stats()
    assert stats.warning and "last whole generation" in stats.warning
    assert "last whole generation" in caplog.text
    assert retriever.search("bird migration radar").hits[0].title == "Paper C"
