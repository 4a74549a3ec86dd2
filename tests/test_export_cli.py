"""`paperbot export`: a reading list saved on Discord, written from the terminal."""

from __future__ import annotations

import bibtexparser

from paperbot.cli import main
from storage import open_database
from storage.reading_list import ReadingListStore


def test_export_writes_a_servers_list_and_refuses_an_empty_one(settings, retriever, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.chdir(settings.data_dir)  # no developer .env is read from the working directory
    papers = retriever.papers()[:3]
    db = open_database(settings.state_db)
    store = ReadingListStore(db)
    for paper in papers:
        store.save(42, 7, paper.id, paper.title)
    store.save(99, 8, papers[0].id, papers[0].title)  # another server's list
    db.close()
    out = tmp_path / "lab.bib"
    assert main(["export", "--server", "42", "--format", "bibtex", "-o", str(out)]) == 0
    assert "3 papers written" in capsys.readouterr().err
    titles = [e["title"] for e in bibtexparser.parse_string(out.read_text()).entries]
    assert sorted(titles) == sorted(p.title for p in papers)
    assert main(["export", "--user", "8", "--format", "csv"]) == 0
    assert capsys.readouterr().out.count("\n") == 2  # header and one paper
    assert main(["export", "--server", "1"]) == 1
    assert "nothing to export" in capsys.readouterr().err
