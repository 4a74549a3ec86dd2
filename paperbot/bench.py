"""Benchmarks behind `paperbot bench`: figures printed and written to BENCHMARKS.md, never asserted.

Measured on this machine:
- bundled corpus: ingest from scratch (papers/s) beside the raw embedding model's own throughput on the
  same texts, a cold `paperbot ingest` in a new process, re-ingest of the unchanged corpus, warm search
  latency (k=10) with and without a date filter, answer-engine overhead (extractive mode: everything but
  an LLM call), disk per paper, and the RSS of the bot's own serving process (`paperbot.bench_serve`);
- scales (`paperbot.bench_scale`): N synthetic papers of realistic vocabulary, incremental ingests through
  the real ingest path, mixed plain and last-30-days traffic served by the bot's process, its RSS and the
  disk per paper; with embedded Chroma or a `chroma run` server on loopback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from core.models import SearchFilters
from core.settings import BUNDLED_CORPUS, DEV_QUESTIONS, Settings
from paperbot.bench_scale import Percentiles, ScaleFigures, bench_scale, disk, percentiles, serve_mixed

Say = Callable[[str], None]


class CorpusFigures(BaseModel):
    papers: int
    ingest_seconds: float
    ingest_papers_per_s: float
    model_papers_per_s: float
    reingest_seconds: float
    cold_ingest_seconds: float
    search: Percentiles
    search_filtered: Percentiles
    served_mixed: Percentiles  # by the bot's own process, plain and filtered interleaved
    served_cpu: Percentiles | None = None  # its CPU time per search: other jobs' load left out
    engine_overhead: Percentiles
    disk_bytes_per_paper: float
    serving_rss_mb: float


class Report(BaseModel):
    when: str
    machine: str
    command: str
    bundled: CorpusFigures | None = None
    scales: list[ScaleFigures] = Field(default_factory=list)
    label: str = ""  # appended to each scale heading ("before the index change")
    peak_rss_mb: float


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _queries() -> list[str]:
    from retrieval.evaluation import load_questions

    base = [q.q for q in load_questions(DEV_QUESTIONS)]
    return base + [f"{q} in practice" for q in base] + [f"recent work on {q}" for q in base]


def _time_search(settings: Settings, queries: list[str], filters: SearchFilters | None) -> Percentiles:
    from retrieval import Retriever

    retriever = Retriever.open(settings)
    for q in queries[:5]:  # warm: model, HNSW pages, BM25 arrays
        retriever.search(q, k=10, filters=filters)
    samples = []
    for q in queries:
        started = time.perf_counter()
        retriever.search(q, k=10, filters=filters)
        samples.append(time.perf_counter() - started)
    return percentiles(samples)


def _cold_ingest_seconds(data_dir: Path) -> float:
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "paperbot", "ingest", "--quiet"], check=True, capture_output=True,
                   env=env)
    return round(time.perf_counter() - started, 2)


def _time_engine(settings: Settings, queries: list[str]) -> Percentiles:
    from answer.engine import Engine
    from retrieval import Retriever

    engine = Engine(settings, Retriever.open(settings))

    async def run() -> list[float]:
        samples = []
        for q in queries:
            started = time.perf_counter()
            await engine.answer(q)
            samples.append(time.perf_counter() - started)
        return samples

    return percentiles(asyncio.run(run()))


def bench_bundled(work: Path, say: Say) -> CorpusFigures:
    from retrieval import sentence_match
    from retrieval.catalog import embedding_text
    from retrieval.corpus import parse_corpus
    from retrieval.embedding import get_embedder
    from retrieval.ingest import ingest

    settings = Settings(_env_file=None, data_dir=work / "bundled")  # type: ignore[call-arg]
    say("bundled: cold `paperbot ingest` in a new process (imports and model load included)")
    cold = _cold_ingest_seconds(work / "cold")
    # Loading the model and importing Chroma's client are paid once per process, not per ingest: both
    # happen before the clocks start, so the ingest is compared with the model on equal terms.
    embedder = get_embedder(settings)
    embedder.embed(["warm-up"])
    import chromadb  # noqa: F401
    papers = parse_corpus([BUNDLED_CORPUS]).papers
    texts = [embedding_text(p) for p in papers]
    # An ingest embeds each paper's text and each of its abstract sentences (`retrieval.sentence_match`).
    pieces = [s for p in papers for s in sentence_match.split(p.abstract)]
    say(f"bundled: raw model embedding {len(texts)} papers and their {len(pieces)} abstract sentences")
    started = time.perf_counter()
    embedder.embed(texts)
    embedder.embed(pieces)
    model_rate = len(texts) / (time.perf_counter() - started)
    say("bundled: ingest from scratch")
    first = ingest([BUNDLED_CORPUS], settings, embedder=embedder)
    say("bundled: re-ingest unchanged")
    again = ingest([BUNDLED_CORPUS], settings, embedder=embedder)
    queries = _queries()
    say(f"bundled: search latency, {len(queries)} queries with and without a date filter")
    plain = _time_search(settings, queries, None)
    filtered = _time_search(settings, queries, SearchFilters(since=dt.date(2026, 3, 12)))
    say("bundled: answer engine overhead (extractive)")
    engine = _time_engine(settings, queries)
    say("bundled: the bot's process serving mixed searches")
    served = serve_mixed(settings, work, queries)
    return CorpusFigures(
        papers=first.papers, ingest_seconds=round(first.seconds, 2),
        ingest_papers_per_s=round(first.papers / first.seconds, 2), model_papers_per_s=round(model_rate, 2),
        reingest_seconds=round(again.seconds, 2), cold_ingest_seconds=cold, search=plain,
        search_filtered=filtered, served_mixed=percentiles(served.seconds),
        served_cpu=percentiles(served.cpu_seconds) if served.cpu_seconds else None, engine_overhead=engine,
        disk_bytes_per_paper=round(disk(settings.index_dir) / first.papers, 1),
        serving_rss_mb=served.peak_rss_mb)


def run(papers: list[int], *, sample: int, n_queries: int, bundled: bool, server: bool, command: str, say: Say,
        label: str = "", work: Path | None = None, increments: Sequence[int] = (1, 100)) -> Report:
    """The bundled-corpus figures (unless `bundled` is False) and one set per scale in `papers`."""
    with tempfile.TemporaryDirectory(prefix="paperbot-bench-") as tmp:
        folder = work or Path(tmp)
        corpus = bench_bundled(folder, say) if bundled else None
        scales = [bench_scale(folder, n, sample, n_queries, server, say, increments) for n in papers]
    # Latencies on a shared machine say as much about the other jobs as about PaperBot: the load goes with them.
    load = f"load average {os.getloadavg()[1]:.1f} over the last 5 minutes"
    return Report(when=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                  machine=f"{os.cpu_count()} cores ({load}), {platform.machine()}, Python {platform.python_version()}",
                  command=command, bundled=corpus, scales=scales, label=label, peak_rss_mb=round(_peak_rss_mb(), 1))
