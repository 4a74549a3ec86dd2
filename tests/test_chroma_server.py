"""Server mode: ingest and search against a real `chroma run` on 127.0.0.1 (CHROMA_HOST set)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_settings
from support.counting_embedder import CountingEmbedder

from core.errors import StoreUnavailableError
from core.settings import BUNDLED_CORPUS
from paperbot.chroma_server import ChromaServer, free_port
from retrieval import Retriever
from retrieval.ingest import ingest


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with ChromaServer.run(tmp_path_factory.mktemp("chroma-server")) as server:
        yield server.port


def test_ingest_and_search_against_a_chroma_server(tmp_path: Path, chroma_server: int) -> None:
    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(sorted(BUNDLED_CORPUS.glob("*.txt"))[0], corpus)
    report = ingest([corpus], settings)
    assert report.new == report.papers > 50
    assert not (settings.index_dir / "chroma").exists(), "server mode must not write an embedded Chroma"

    again = ingest([corpus], settings)
    assert again.embedded == 0 and again.unchanged == report.papers

    retriever = Retriever.open(settings)
    assert retriever.stats().store == f"server 127.0.0.1:{chroma_server}"
    result = retriever.search("a ranking model that scores candidate continuations to improve decoding")
    assert result.relevant and result.hits[0].title.startswith("RankGen")
    assert retriever.search("best sourdough recipe").relevant is False


def test_unreachable_chroma_server_is_a_clear_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=free_port())
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"title": "T", "abstract": "An abstract long enough to count as one."}) + "\n")
    with pytest.raises(StoreUnavailableError, match=r"127\.0\.0\.1"):
        ingest([corpus], settings)


def test_ingest_stops_embedding_soon_after_chroma_is_found_unreachable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=free_port())
    corpus = tmp_path / "many.jsonl"
    corpus.write_text("".join(json.dumps({"title": f"Paper {n}", "abstract": f"We propose method number {n}."})
                              + "\n" for n in range(1000)))
    embedder = CountingEmbedder()
    with pytest.raises(StoreUnavailableError):
        ingest([corpus], settings, embedder=embedder)
    assert embedder.calls < 1000, "a dead Chroma must not cost the whole corpus's embedding first"
