"""A three-paper index built by another process, and `paperbot ingest` run in a subprocess (crashable)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ABSTRACT = ("We propose a retrieval method for long documents. It splits text into passages and ranks them "
            "with a learned scorer. Experiments show better accuracy on question answering benchmarks.")
BEFORE = {"Paper A": ABSTRACT + " Variant A.", "Paper B": ABSTRACT + " Variant B.",
          "Paper C": "We study bird migration with radar. Flocks fly higher at night."}
AFTER = {**BEFORE, "Paper B": "We propose a tokenizer for Sinhala. " + ABSTRACT,
         "Paper D": "We introduce a benchmark for protein folding with diffusion models.",
         "Paper E": "Sparse mixture of experts routing: a router picks two experts per token."}


def write_corpus(folder: Path, papers: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"title": t, "abstract": a, "date": "2026-03-12"}) for t, a in papers.items()]
    (folder / "papers.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def cli_ingest(data_dir: Path, corpus: Path, crash_at: int | None = None,
               extra: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """`paperbot ingest` in its own process (killed at a crash point when `crash_at` is given)."""
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    if crash_at is not None:
        env["PAPERBOT_CRASH_AT"] = str(crash_at)
    return subprocess.run([sys.executable, "-m", "paperbot", "ingest", "-q", str(corpus), *(extra or [])], env=env,
                          capture_output=True, text=True, timeout=300, cwd=data_dir.parent)


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of BEFORE, built by another process (this one never holds its Chroma open)."""
    root = tmp_path_factory.mktemp("crash-base")
    assert cli_ingest(root / "data", write_corpus(root / "before", BEFORE)).returncode == 0
    return root / "data"
