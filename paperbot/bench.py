"""Benchmarks behind `paperbot bench`: figures printed and written to BENCHMARKS.md, never asserted.

Measured in one process, on this machine:
- bundled corpus: ingest from scratch (papers/s) beside the raw embedding model's own throughput on the
  same texts, a cold `paperbot ingest` in a new process, re-ingest of the unchanged corpus, warm search
  latency (k=10) with and without a date filter, answer-engine overhead (extractive mode: everything but
  an LLM call), disk per paper;
- scale: N synthetic papers built from sentences of the real abstracts. Embedding 100k abstracts would take
  ~2 h on 2 cores, so a real sample is embedded and its vectors reused (with a little noise, so that the
  HNSW graph sees distinct points); the report says so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from core.models import Paper, SearchFilters
from core.settings import BUNDLED_CORPUS, DEV_QUESTIONS, Settings
from core.stats import percentile

Say = Callable[[str], None]


class Latency(BaseModel):
    p50_ms: float
    p95_ms: float
    n: int


class CorpusFigures(BaseModel):
    papers: int
    ingest_seconds: float | None = None
    ingest_papers_per_s: float | None = None
    model_papers_per_s: float | None = None
    reingest_seconds: float | None = None
    cold_ingest_seconds: float | None = None
    search: Latency
    search_filtered: Latency
    engine_overhead: Latency | None = None
    disk_bytes_per_paper: float
    serving_rss_mb: float
    build_note: str = ""


class Report(BaseModel):
    when: str
    machine: str
    command: str
    bundled: CorpusFigures
    scale: CorpusFigures | None = None
    peak_rss_mb: float
    notes: list[str] = Field(default_factory=list)


def _latency(samples: list[float]) -> Latency:
    return Latency(p50_ms=round(statistics.median(samples) * 1000, 2),
                   p95_ms=round(percentile(samples, 95) * 1000, 2), n=len(samples))


def _disk(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _queries() -> list[str]:
    from retrieval.evaluation import load_questions

    base = [q.q for q in load_questions(DEV_QUESTIONS)]
    return base + [f"{q} in practice" for q in base] + [f"recent work on {q}" for q in base]


def _time_search(settings: Settings, queries: list[str], filters: SearchFilters | None) -> Latency:
    from retrieval import Retriever

    retriever = Retriever.open(settings)
    for q in queries[:5]:  # warm: model, HNSW pages, BM25 arrays
        retriever.search(q, k=10, filters=filters)
    samples = []
    for q in queries:
        started = time.perf_counter()
        retriever.search(q, k=10, filters=filters)
        samples.append(time.perf_counter() - started)
    return _latency(samples)


# ru_maxrss survives fork+exec on Linux (the child would report the parent's peak); VmHWM does not.
_SERVE = """
import re, sys
from core.settings import Settings
from retrieval import Retriever
retriever = Retriever.open(Settings(_env_file=None, data_dir=sys.argv[1]))
for query in sys.argv[2:]:
    retriever.search(query, k=10)
status = open("/proc/self/status").read()
print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024)
"""


def _serving_rss_mb(settings: Settings, queries: list[str]) -> float:
    """Peak RSS of a fresh process that opens the index and answers searches, as the bot would."""
    out = subprocess.run([sys.executable, "-c", _SERVE, str(settings.data_dir), *queries[:20]],
                         check=True, capture_output=True, text=True).stdout
    return round(float(out.strip().splitlines()[-1]), 1)


def _cold_ingest_seconds(data_dir: Path) -> float:
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "paperbot", "ingest", "--quiet"], check=True, capture_output=True,
                   env=env)
    return round(time.perf_counter() - started, 2)


def _time_engine(settings: Settings, queries: list[str]) -> Latency:
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

    return _latency(asyncio.run(run()))


def bench_bundled(work: Path, say: Say) -> CorpusFigures:
    from retrieval.catalog import embedding_text
    from retrieval.corpus import parse_corpus
    from retrieval.embedding import get_embedder
    from retrieval.ingest import ingest

    settings = Settings(_env_file=None, data_dir=work / "bundled")  # type: ignore[call-arg]
    say("cold `paperbot ingest` in a new process (imports and model load included)")
    cold = _cold_ingest_seconds(work / "cold")
    # Loading the model and importing Chroma's client are paid once per process, not per ingest: both
    # happen before the clocks start, so the ingest is compared with the model on equal terms.
    embedder = get_embedder(settings)
    embedder.embed(["warm-up"])
    import chromadb  # noqa: F401
    texts = [embedding_text(p) for p in parse_corpus([BUNDLED_CORPUS]).papers]
    say(f"raw model: embedding {len(texts)} papers")
    started = time.perf_counter()
    embedder.embed(texts)
    model_rate = len(texts) / (time.perf_counter() - started)
    say("ingest from scratch")
    first = ingest([BUNDLED_CORPUS], settings, embedder=embedder)
    say("re-ingest unchanged")
    again = ingest([BUNDLED_CORPUS], settings, embedder=embedder)
    queries = _queries()
    say(f"search latency: {len(queries)} queries, with and without a date filter")
    plain = _time_search(settings, queries, None)
    filtered = _time_search(settings, queries, SearchFilters(since=dt.date(2026, 3, 12)))
    say("answer engine overhead (extractive)")
    engine = _time_engine(settings, queries)
    return CorpusFigures(
        papers=first.papers, ingest_seconds=round(first.seconds, 2),
        ingest_papers_per_s=round(first.papers / first.seconds, 2), model_papers_per_s=round(model_rate, 2),
        reingest_seconds=round(again.seconds, 2), cold_ingest_seconds=cold, search=plain,
        search_filtered=filtered, engine_overhead=engine,
        disk_bytes_per_paper=round(_disk(settings.index_dir) / first.papers, 1),
        serving_rss_mb=_serving_rss_mb(settings, queries))


def synthetic_papers(n: int, seed: int = 7) -> list[Paper]:
    """Papers whose abstracts are 6-10 sentences drawn from the real abstracts, dated over a year."""
    from retrieval.corpus import paper_id, parse_corpus

    real = parse_corpus([BUNDLED_CORPUS]).papers
    sentences = [s for p in real for s in re.split(r"(?<=[.!?])\s+", p.abstract) if len(s) > 40]
    words = sorted({w for p in real for w in p.title.split() if w.isalpha() and len(w) > 3})
    rng = random.Random(seed)
    start = dt.date(2025, 11, 22)
    papers = []
    for i in range(n):
        title = " ".join(rng.sample(words, 6)) + f" {i}"
        abstract = " ".join(rng.sample(sentences, rng.randint(6, 10)))
        papers.append(Paper(id=paper_id(title), title=title, abstract=abstract,
                            dates=[start + dt.timedelta(days=rng.randrange(365))]))
    return papers


def bench_scale(work: Path, n: int, sample: int, say: Say) -> CorpusFigures:
    from retrieval.catalog import embedding_text
    from retrieval.embedding import MINILM_NAME, get_embedder
    from retrieval.ingest import store_precomputed

    settings = Settings(_env_file=None, data_dir=work / f"scale-{n}")  # type: ignore[call-arg]
    say(f"scale: building {n:,} synthetic papers")
    papers = synthetic_papers(n)
    say(f"scale: embedding a real sample of {sample:,}")
    base = get_embedder(settings).embed([embedding_text(p) for p in papers[:sample]])
    rng = np.random.default_rng(0)
    vectors = base[np.arange(n) % sample] + rng.normal(0, 0.02, (n, base.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    say(f"scale: loading {n:,} papers into Chroma, catalog and BM25")
    started = time.perf_counter()
    store_precomputed(settings, papers, vectors.astype(np.float32), MINILM_NAME)
    build = time.perf_counter() - started
    queries = _queries()
    say("scale: search latency")
    plain = _time_search(settings, queries, None)
    recent = SearchFilters(since=dt.date(2026, 10, 23))  # the last 30 days: ~8% of the papers
    filtered = _time_search(settings, queries, recent)
    wide = _time_search(settings, queries, SearchFilters(since=dt.date(2026, 1, 1)))
    return CorpusFigures(
        papers=n, search=plain, search_filtered=filtered, disk_bytes_per_paper=round(_disk(settings.index_dir) / n, 1),
        serving_rss_mb=_serving_rss_mb(settings, queries),
        build_note=(f"vectors: {sample:,} really embedded, reused for {n:,} papers with noise (sd 0.02); "
                    f"bulk load {build:.0f}s; wide date filter (since 2026-01-01, ~89% kept) "
                    f"p50 {wide.p50_ms} ms / p95 {wide.p95_ms} ms"))


def run(scale: int, sample: int, command: str, say: Say, keep: Path | None = None) -> Report:
    with tempfile.TemporaryDirectory(prefix="paperbot-bench-") as tmp:
        work = keep or Path(tmp)
        bundled = bench_bundled(work, say)
        scaled = bench_scale(work, scale, sample, say) if scale else None
    return Report(when=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                  machine=f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
                  command=command, bundled=bundled, scale=scaled, peak_rss_mb=round(_peak_rss_mb(), 1))


def _row(label: str, value: object, target: str = "") -> str:
    return f"| {label} | {value} | {target} |"


def markdown(report: Report) -> str:
    b = report.bundled
    lines = [
        "## Retrieval and engine (`paperbot bench`)",
        "",
        f"Measured {report.when} on {report.machine}. Command: `{report.command}`.",
        "",
        f"### Bundled corpus ({b.papers} papers)",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        _row("ingest from scratch (model loaded)", f"{b.ingest_seconds} s ({b.ingest_papers_per_s} papers/s)",
             "<= 40 s"),
        _row("raw embedding model, same texts", f"{b.model_papers_per_s} papers/s",
             f"ingest >= 90%: {100 * (b.ingest_papers_per_s or 0) / (b.model_papers_per_s or 1):.0f}%"),
        _row("`paperbot ingest` from scratch in a new process (imports, model load)",
             f"{b.cold_ingest_seconds} s", "<= 40 s"),
        _row("re-ingest, unchanged corpus", f"{b.reingest_seconds} s", "<= 3 s"),
        _row("search k=10, warm", f"p50 {b.search.p50_ms} ms, p95 {b.search.p95_ms} ms ({b.search.n} queries)",
             "p95 <= 20 ms"),
        _row("search k=10, date filter", f"p50 {b.search_filtered.p50_ms} ms, p95 {b.search_filtered.p95_ms} ms",
             "p95 <= 20 ms"),
    ]
    if b.engine_overhead:
        lines.append(_row("answer engine overhead (extractive, no LLM)",
                          f"p50 {b.engine_overhead.p50_ms} ms, p95 {b.engine_overhead.p95_ms} ms", "p95 <= 50 ms"))
    lines.append(_row("index on disk", f"{b.disk_bytes_per_paper / 1024:.2f} KB per paper", ""))
    lines.append(_row("peak RSS of a process serving searches", f"{b.serving_rss_mb} MB", ""))
    if report.scale:
        s = report.scale
        lines += [
            "",
            f"### Scale ({s.papers:,} synthetic papers)",
            "",
            "| measure | value | target |",
            "| --- | --- | --- |",
            _row("search k=10, warm", f"p50 {s.search.p50_ms} ms, p95 {s.search.p95_ms} ms", "p95 <= 100 ms"),
            _row("search k=10, last-30-days filter", f"p50 {s.search_filtered.p50_ms} ms, "
                 f"p95 {s.search_filtered.p95_ms} ms", "p95 <= 100 ms"),
            _row("index on disk", f"{s.disk_bytes_per_paper / 1024:.2f} KB per paper", "<= 6 KB"),
            _row("peak RSS of a process serving searches", f"{s.serving_rss_mb} MB", ""),
            "",
            f"Note: {s.build_note}.",
        ]
    lines += ["", f"Peak RSS of the whole benchmark process (ingest and bulk load included): {report.peak_rss_mb} MB.",
              ""]
    return "\n".join(lines)


def write(report: Report, path: Path) -> None:
    """Replace this benchmark's section of BENCHMARKS.md, keeping sections other benchmarks wrote."""
    section = markdown(report)
    marker = "## Retrieval and engine (`paperbot bench`)"
    intro = "# Benchmarks\n\nFigures, not assertions: each section says how it was measured.\n\n"
    text = path.read_text() if path.exists() else intro
    if marker in text:
        head, _, rest = text.partition(marker)
        nxt = rest.find("\n## ")
        text = head + section + ("\n" + rest[nxt + 1:] if nxt >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)
