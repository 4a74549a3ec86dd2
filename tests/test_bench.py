"""`paperbot bench` end to end at a tiny scale: the real ingest path, the bot's own serving process, the report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paperbot.cli import main


def test_bench_measures_a_small_index_and_writes_its_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\n## Another benchmark\n\nits figures\n")
    code = main(["bench", "--papers", "300", "--no-bundled", "--sample", "10", "--queries", "20", "--ingest", "1,5",
                 "--work", str(tmp_path / "work"), "--out", str(out)])
    assert code == 0
    text = out.read_text()
    assert "## Another benchmark\n\nits figures" in text, "other benchmarks' sections are kept"
    assert "### 300 synthetic papers, embedded Chroma" in text
    assert "Command: `paperbot bench --papers 300 --sample 10 --queries 20 --ingest 1,5 --no-bundled`" in text
    ingest = re.search(r"\| ingest 5 new papers \| ([\d.]+) s, excluding embedding (-?[\d.]+) s "
                       r"\(embedding ([\d.]+) s\)", text)
    assert ingest and float(ingest[1]) > float(ingest[3]) > 0, "the model's share is measured apart"
    for kind in ("plain", "last 30 days", "mixed"):
        row = re.search(rf"\| /search, {kind}[^|]*\| p50 ([\d.]+) / p95 ([\d.]+) / p99 ([\d.]+) ms", text)
        assert row and 0 < float(row[1]) <= float(row[2]) <= float(row[3]), kind
    rss = re.search(r"\| RSS of the bot serving searches[^|]*\| ([\d.]+) MB", text)
    assert rss and float(rss[1]) > 100, "a process with the model and the bot loaded"
    assert re.search(r"\| index on disk \| [\d.]+ KB per paper", text)
    sentences = re.search(r"; ([\d.]+) abstract sentences per paper indexed", text)
    assert sentences and 5 <= float(sentences[1]) <= 15, "as many sentence vectors as a real abstract has"
    progress = capsys.readouterr().err
    assert "bench: 300: 5 papers in" in progress, "long runs say what they are doing"


def test_bench_refuses_sizes_that_are_not_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["bench", "--papers", "ten"])
    assert "is not a list of paper counts" in capsys.readouterr().err
