"""Ingest with an OpenAI-compatible embeddings endpoint is as solid as with the local model."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from support.openai_server import FakeOpenAI
from support.small_index import BEFORE, write_corpus


def test_twenty_fresh_ingests_against_an_embeddings_endpoint_all_succeed(tmp_path: Path,
                                                                         openai_server: FakeOpenAI) -> None:
    corpus = write_corpus(tmp_path / "corpus", BEFORE)
    env = {**os.environ, "EMBEDDING_BACKEND": "openai", "EMBEDDING_MODEL": "fake-embed",
           "EMBEDDING_BASE_URL": openai_server.base_url, "EMBEDDING_API_KEY": "test-key"}

    def fresh_ingest(run: int) -> str | None:
        done = subprocess.run([sys.executable, "-m", "paperbot", "ingest", "-q", str(corpus)],
                              env={**env, "DATA_DIR": str(tmp_path / f"data-{run}")}, capture_output=True,
                              text=True, timeout=300, cwd=tmp_path)
        if done.returncode != 0 or "3 new" not in done.stdout:
            return f"run {run}: exit {done.returncode}: {done.stderr.strip()[-300:]}"
        return None

    # Each a new process on a new DATA_DIR (the race happened at start-up), four lanes at a time.
    with ThreadPoolExecutor(max_workers=4) as lanes:
        failures = [f for f in lanes.map(fresh_ingest, range(20)) if f]
    assert not failures, failures
