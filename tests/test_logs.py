"""Log lines an operator reads: UTC ISO-8601 timestamps with milliseconds, JSON lines, one line per ingest."""

from __future__ import annotations

import json
import logging
import re

import pytest

from core.logs import configure_logging
from paperbot.cli import main

UTC_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def test_json_lines_carry_a_utc_millisecond_timestamp(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")  # the machine's zone must not leak into the timestamp
    configure_logging("INFO", "json")
    logging.getLogger("paperbot.test").info("answer", extra={"answer_id": 7, "total_ms": 12.5})
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert UTC_MS.match(line["ts"]), line["ts"]
    assert line["event"] == "answer" and line["answer_id"] == 7 and line["level"] == "info"


def test_text_lines_start_with_the_same_timestamp(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "text")
    logging.getLogger("paperbot.test").info("digest posted", extra={"run": 3})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert UTC_MS.match(line.split(" ", 1)[0]) and "run=3" in line


def test_ingest_logs_one_line_with_counts_and_timing(tmp_path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "papers.jsonl"
    corpus.write_text(json.dumps({"id": "p1", "title": "A Paper About Retrieval",
                                  "abstract": "We propose a retrieval method. It works well on many tasks."}) + "\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERBOT_HOME", str(tmp_path / "home"))  # no developer's ~/.local/share/paperbot/.env
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    assert main(["ingest", "--quiet", str(corpus)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    [ingest] = [x for x in lines if x["event"] == "ingest"]
    assert ingest["outcome"] == "ok" and ingest["new"] == 1 and ingest["total_ms"] > 0
    assert "We propose" not in json.dumps(lines)  # no text of the corpus at INFO
