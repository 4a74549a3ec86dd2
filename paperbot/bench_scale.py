"""`paperbot bench` at scale: build an index of N synthetic papers, then measure it as the bot uses it.

For each scale: the synthetic corpus (`paperbot.synth`) is bulk-loaded; 1 and then 100 new papers go in
through the real `ingest` path (a JSONL file, the real model), timed whole and with the time spent in the
embedding model apart; then a fresh process builds the bot (`paperbot.bench_serve`) and serves a mixed
stream of plain and last-30-days searches, reporting p50/p95/p99 of each kind and of the mix, and its RSS.
Disk per paper is the whole index folder (and the Chroma server's folder when Chroma is remote).

Embedding N papers is the one step not done for real at every scale (100k papers take ~35 min of both
cores): `sample` papers are embedded by the real model and their vectors reused, with noise, for the rest;
the figures say how many. Each abstract's sentences are indexed as well, as many as a real abstract has
(~10): the sentences of the first `SENTENCE_SAMPLE` papers are embedded by the real model and every other
sentence gets one of their vectors, with noise, through the index's own sentence path (split, quantized,
stored), so disk, ingest and search pay for them as they would for real papers.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from core.models import Paper
from core.settings import DEV_QUESTIONS, Settings
from core.stats import percentile
from paperbot.bench_serve import ServeJob, ServeResult
from paperbot.chroma_server import ChromaServer
from paperbot.synth import CorpusStats, Vocabulary, corpus_stats, queries, synthetic_papers
from retrieval.embedding import Embedder

Say = Callable[[str], None]
SEED = 7
CHUNK = 20_000  # papers generated and loaded at a time (progress, and the text is not all held at once)
SENTENCE_SAMPLE = 200  # papers whose abstract sentences (~2,000) the real model embeds; reused for the rest
NOISE = 0.02  # sd of the noise added to a reused vector, so the index sees distinct points


class Percentiles(BaseModel):
    p50_ms: float
    p95_ms: float
    p99_ms: float
    n: int

    def __str__(self) -> str:
        return f"p50 {self.p50_ms} / p95 {self.p95_ms} / p99 {self.p99_ms} ms"


class IngestTiming(BaseModel):
    papers: int
    seconds: float
    embedding_seconds: float

    @property
    def other_seconds(self) -> float:
        return round(self.seconds - self.embedding_seconds, 2)


class ScaleFigures(BaseModel):
    papers: int  # synthetic papers bulk-loaded (the ingests add theirs)
    store: str  # "embedded Chroma" or "Chroma server on loopback"
    text: CorpusStats
    embedded_sample: int
    sentences_per_paper: float | None = None  # abstract sentences indexed per bulk-loaded paper
    embedded_sentences: int | None = None  # of which the real model embedded this many (the rest reuse them)
    build_seconds: float
    ingests: list[IngestTiming]  # one after the other, into the index as the earlier ones left it
    plain: Percentiles
    filtered: Percentiles
    mixed: Percentiles
    mixed_cpu: Percentiles | None = None  # CPU time per search: close to what an idle machine would take
    filtered_share: float  # of the index a last-30-days filter keeps
    serving_peak_rss_mb: float
    serving_rss_mb: float
    serve_open_seconds: float
    chroma_server_rss_mb: float | None = None
    disk_bytes_per_paper: float
    chroma_bytes_per_paper: float


def percentiles(seconds: Sequence[float]) -> Percentiles:
    ms = [s * 1000 for s in seconds]
    return Percentiles(p50_ms=round(percentile(ms, 50), 2), p95_ms=round(percentile(ms, 95), 2),
                       p99_ms=round(percentile(ms, 99), 2), n=len(ms))


def disk(path: Path) -> int:
    """Bytes of the files under `path`, each file once: generations share unchanged segments as hard links."""
    inodes = {(st.st_dev, st.st_ino): st.st_size for f in path.rglob("*") if f.is_file() and (st := f.stat())}
    return sum(inodes.values())


class TimedEmbedder:
    """The real embedder, counting the seconds spent inside it (so ingest time can be told apart from it)."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.seconds = 0.0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self._inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - started


def _sample_vectors(work: Path, vocabulary: Vocabulary, sample: int, today: dt.date, embedder: TimedEmbedder,
                    say: Say) -> np.ndarray:
    """The first `sample` synthetic papers embedded by the real model; cached in `work` across runs."""
    from retrieval.catalog import embedding_text

    cache = work / f"vectors-seed{SEED}-{sample}.npy"  # the text does not depend on the day
    if cache.exists():
        return np.load(cache)
    papers = list(synthetic_papers(vocabulary, sample, seed=SEED, today=today))
    vectors = []
    for start in range(0, sample, 500):
        vectors.append(embedder.embed([embedding_text(p) for p in papers[start:start + 500]]))
        say(f"embedding a real sample: {min(start + 500, sample):,}/{sample:,}")
    matrix = np.concatenate(vectors).astype(np.float32)
    work.mkdir(parents=True, exist_ok=True)
    np.save(cache, matrix)
    return matrix


def _sample_sentences(work: Path, vocabulary: Vocabulary, sample: int, today: dt.date, embedder: TimedEmbedder,
                      say: Say) -> np.ndarray:
    """The abstract sentences of the first `sample` synthetic papers, embedded by the real model."""
    from retrieval.sentence_match import split

    cache = work / f"sentences-seed{SEED}-{sample}.npy"
    if cache.exists():
        return np.load(cache)
    papers = synthetic_papers(vocabulary, sample, seed=SEED, today=today)
    pieces = [sentence for paper in papers for sentence in split(paper.abstract)]
    say(f"embedding a real sample of {len(pieces):,} abstract sentences")
    matrix = np.concatenate([embedder.embed(pieces[i:i + 500]) for i in range(0, len(pieces), 500)])
    matrix = matrix.astype(np.float32)
    work.mkdir(parents=True, exist_ok=True)
    np.save(cache, matrix)
    return matrix


def _noisy(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = rows + rng.normal(0, NOISE, rows.shape).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def _vectors(base: np.ndarray, start: int, n: int) -> np.ndarray:
    """Rows start..start+n: the sample's own vectors, then reused ones with a little noise."""
    rows = np.arange(start, start + n)
    out = base[rows % len(base)].copy()
    reused = rows >= len(base)
    out[reused] = _noisy(out[reused], np.random.default_rng([SEED, start]))
    return out


class ReusedSentences:
    """Stands in for the embedding model on the sentences of a bulk load: each sentence gets a sampled real
    sentence vector (picked by the sentence's text) with noise; counts what it was asked."""

    def __init__(self, base: np.ndarray) -> None:
        self._base = base
        self._rng = np.random.default_rng(SEED)
        self.sentences = 0

    def __call__(self, texts: list[str]) -> np.ndarray:
        import zlib

        self.sentences += len(texts)
        picked = np.array([zlib.crc32(t.encode()) % len(self._base) for t in texts], dtype=np.int64)
        return _noisy(self._base[picked], self._rng)


def build(settings: Settings, vocabulary: Vocabulary, n: int, base: np.ndarray, sentences: ReusedSentences,
          today: dt.date, say: Say) -> tuple[float, CorpusStats]:
    from retrieval.embedding import MINILM_NAME
    from retrieval.ingest import store_precomputed

    started = time.perf_counter()
    papers: list[Paper] = []
    for start in range(0, n, CHUNK):
        papers.extend(synthetic_papers(vocabulary, min(CHUNK, n - start), seed=SEED, start=start, today=today))
        say(f"{n:,}: synthetic text {len(papers):,}/{n:,} ({time.perf_counter() - started:.0f} s)")
    stats = corpus_stats(papers[: min(n, 20_000)])
    say(f"{n:,}: loading Chroma, catalog and side indexes")
    vectors = np.concatenate([_vectors(base, start, min(CHUNK, n - start)) for start in range(0, n, CHUNK)])
    loading = time.perf_counter()

    def progress(done: int, total: int) -> None:
        say(f"{n:,}: vectors in Chroma {done:,}/{total:,} ({time.perf_counter() - loading:.0f} s)"
            + ("; writing the catalog, side indexes and sentence vectors" if done == total else ""))

    store_precomputed(settings, papers, vectors, MINILM_NAME, progress=progress, embed=sentences)
    return time.perf_counter() - started, stats


def _ingest_new(settings: Settings, vocabulary: Vocabulary, work: Path, n_new: int, start: int, today: dt.date,
                embedder: TimedEmbedder) -> IngestTiming:
    """`n_new` new papers, listed today, through `paperbot ingest`'s own code path from a JSONL file."""
    from retrieval.ingest import ingest

    path = work / f"new-{start}.jsonl"
    with path.open("w") as fh:
        for paper in synthetic_papers(vocabulary, n_new, seed=SEED + 1, start=start, today=today, days=1):
            fh.write(json.dumps({"title": paper.title, "abstract": paper.abstract, "date": str(paper.date)}) + "\n")
    embedder.seconds = 0.0
    report = ingest([path], settings, embedder=embedder, today=today)
    if report.new != n_new:
        raise RuntimeError(f"bench: expected {n_new} new papers, ingest saw {report.new} ({report.problems[:1]})")
    return IngestTiming(papers=n_new, seconds=round(report.seconds, 2), embedding_seconds=round(embedder.seconds, 2))


def serve_mixed(settings: Settings, work: Path, texts: list[str], seed: int = SEED) -> ServeResult:
    """`texts` served by the bot's own process, each with the last-30-days filter or not (half and half)."""
    rng = np.random.default_rng(seed)
    job = ServeJob(data_dir=str(settings.data_dir), chroma_host=settings.chroma_host,
                   chroma_port=settings.chroma_port, queries=texts,
                   filtered=[bool(x) for x in rng.random(len(texts)) < 0.5])
    path = work / "serve-job.json"
    path.write_text(job.model_dump_json())
    out = subprocess.run([sys.executable, "-m", "paperbot.bench_serve", str(path)], check=True,
                         capture_output=True, text=True).stdout
    return ServeResult.model_validate_json(out.strip().splitlines()[-1])


def bench_scale(work: Path, n: int, sample: int, n_queries: int, server: bool, say: Say,
                increments: Sequence[int] = (1, 100)) -> ScaleFigures:
    from retrieval.embedding import get_embedder
    from retrieval.evaluation import load_questions

    today = dt.date.today()
    vocabulary = Vocabulary()
    folder = work / f"scale-{n}{'-server' if server else ''}"
    shutil.rmtree(folder, ignore_errors=True)  # an index left by an earlier run would already hold the papers
    with ChromaServer.maybe(folder / "chroma-server", server) as chroma:
        settings = Settings(_env_file=None, data_dir=folder / "data",  # type: ignore[call-arg]
                            chroma_host=chroma.host if chroma else None, chroma_port=chroma.port if chroma else 8000)
        embedder = TimedEmbedder(get_embedder(settings))
        embedder.embed(["warm-up"])
        base = _sample_vectors(work, vocabulary, min(sample, n), today, embedder, say)
        sentences = ReusedSentences(_sample_sentences(work, vocabulary, min(sample, SENTENCE_SAMPLE), today, embedder,
                                                      say))
        build_seconds, stats = build(settings, vocabulary, n, base, sentences, today, say)
        timings: list[IngestTiming] = []
        for count in increments:
            say(f"{n:,}: ingesting {count} new paper(s) through `paperbot ingest`'s path")
            timings.append(_ingest_new(settings, vocabulary, folder, count, n + sum(t.papers for t in timings),
                                       today, embedder))
            say(f"{n:,}: {count} papers in {timings[-1].seconds} s ({timings[-1].embedding_seconds} s embedding)")
        say(f"{n:,}: the bot's process serves {n_queries} mixed searches")
        real = [q.q for q in load_questions(DEV_QUESTIONS)]
        served = serve_mixed(settings, folder, queries(vocabulary, n_queries, SEED, real))
        plain = [s for s, f in zip(served.seconds, served.kinds, strict=True) if not f]
        filtered = [s for s, f in zip(served.seconds, served.kinds, strict=True) if f]
        total = n + sum(increments)
        chroma_bytes = disk(chroma.path) if chroma else disk(settings.index_dir / "chroma")
        local = disk(settings.index_dir) + (chroma_bytes if chroma else 0)
        kept = _recent_share(settings, today - dt.timedelta(days=30))
        figures = ScaleFigures(
            papers=n, store="Chroma server on loopback" if chroma else "embedded Chroma", text=stats,
            embedded_sample=min(sample, n), sentences_per_paper=round(sentences.sentences / n, 2),
            embedded_sentences=len(sentences._base), build_seconds=round(build_seconds, 1), ingests=timings,
            plain=percentiles(plain), filtered=percentiles(filtered),
            mixed_cpu=percentiles(served.cpu_seconds) if served.cpu_seconds else None,
            mixed=percentiles(served.seconds), filtered_share=kept, serving_peak_rss_mb=served.peak_rss_mb,
            serving_rss_mb=served.rss_mb, serve_open_seconds=served.open_seconds,
            chroma_server_rss_mb=chroma.rss_mb() if chroma else None,
            disk_bytes_per_paper=round(local / total, 1), chroma_bytes_per_paper=round(chroma_bytes / total, 1))
    say(f"{n:,}: mixed {figures.mixed}; bot RSS {figures.serving_peak_rss_mb} MB; "
        f"{figures.disk_bytes_per_paper / 1024:.2f} KB per paper")
    return figures


def _recent_share(settings: Settings, since: dt.date) -> float:
    """Share of the indexed papers a `since` filter keeps, read from the catalog."""
    import sqlite3

    from retrieval.catalog import date_key
    from retrieval.index import catalog_path

    with sqlite3.connect(f"file:{catalog_path(settings)}?mode=ro", uri=True) as db:
        total, kept = db.execute("SELECT COUNT(*), SUM(date >= ?) FROM papers", (date_key(since),)).fetchone()
    return round((kept or 0) / max(total, 1), 4)
