"""`paperbot bench`'s figures as BENCHMARKS.md tables, each run replacing only the tables it measured."""

from __future__ import annotations

import re
from pathlib import Path

from paperbot.bench import CorpusFigures, Report
from paperbot.bench_scale import ScaleFigures

SECTION = "## Retrieval and engine (`paperbot bench`)"
INTRO = """\
Each table below says when it was measured and by which command; a run replaces only the tables it measured.
Scale tables use synthetic papers (`paperbot/synth.py`): words drawn from a Zipf-Mandelbrot law whose head
is the bundled abstracts' own vocabulary and whose tail is pseudo-words, so a paper has as many distinct BM25
terms as a real abstract and the vocabulary keeps growing with the corpus (Heaps' law, beta measured below).
Papers are listed over the year up to the run's day, so the last-30-days filter keeps about 8% of them.
Ingests of 1 and 100 new papers go through `paperbot ingest`'s own code path (a JSONL file, the real
model); "excluding embedding" subtracts the seconds spent inside the model. Searches are served by a fresh
process that builds the bot as `paperbot run` does (App, Discord bot object, state database, settled
memory) and runs /search's use case (25 results) on plain and last-30-days queries interleaved at random;
half the queries are the dev set's questions, half 3-7 words drawn like a paper's."""


def _row(label: str, value: object, target: str = "") -> str:
    return f"| {label} | {value} | {target} |"


def _head(title: str, report: Report) -> list[str]:
    return [f"### {title}", "", f"Measured {report.when} on {report.machine}. Command: `{report.command}`.", "",
            "| measure | value | target |", "| --- | --- | --- |"]


def bundled_table(b: CorpusFigures, report: Report) -> str:
    share = 100 * b.ingest_papers_per_s / (b.model_papers_per_s or 1)
    return "\n".join([
        *_head(f"Bundled corpus ({b.papers} papers)", report),
        _row("ingest from scratch (model loaded)", f"{b.ingest_seconds} s ({b.ingest_papers_per_s} papers/s)",
             "<= 40 s"),
        _row("raw embedding model, same texts", f"{b.model_papers_per_s} papers/s", f"ingest >= 90%: {share:.0f}%"),
        _row("`paperbot ingest` from scratch in a new process (imports, model load)",
             f"{b.cold_ingest_seconds} s", "<= 40 s"),
        _row("re-ingest, unchanged corpus", f"{b.reingest_seconds} s", "<= 3 s"),
        _row("search k=10, warm", f"p50 {b.search.p50_ms} ms, p95 {b.search.p95_ms} ms ({b.search.n} queries)",
             "p95 <= 20 ms"),
        _row("search k=10, date filter", f"p50 {b.search_filtered.p50_ms} ms, p95 {b.search_filtered.p95_ms} ms",
             "p95 <= 20 ms"),
        _row("bot process, mixed plain and 30-day /search", str(b.served_mixed), "p95 <= 20 ms"),
        *([_row("the same, CPU time per search (other jobs' load left out)", str(b.served_cpu), "p95 <= 20 ms")]
          if b.served_cpu else []),
        _row("answer engine overhead (extractive, no LLM)",
             f"p50 {b.engine_overhead.p50_ms} ms, p95 {b.engine_overhead.p95_ms} ms", "p95 <= 50 ms"),
        _row("index on disk", f"{b.disk_bytes_per_paper / 1024:.2f} KB per paper", ""),
        _row("peak RSS of the bot serving searches", f"{b.serving_rss_mb} MB", "<= 400 MB"),
    ])


def scale_title(s: ScaleFigures, label: str = "") -> str:
    return f"{s.papers:,} synthetic papers, {s.store}" + (f" ({label})" if label else "")


def scale_table(s: ScaleFigures, report: Report) -> str:
    n = s.papers
    big = n >= 1_000_000
    ingest_target = "<= 15 s" if big else "<= 5 s" if n >= 100_000 else ""
    t = s.text
    vectors = ("every paper embedded by the real model" if s.embedded_sample >= n else
               f"{s.embedded_sample:,} papers embedded by the real model, their vectors reused with noise "
               f"(sd 0.02) for the other {n - s.embedded_sample:,}")
    if s.sentences_per_paper is not None:
        vectors += (f"; {s.sentences_per_paper} abstract sentences per paper indexed, each with one of "
                    f"{s.embedded_sentences:,} real sentence vectors (sd 0.02 noise)")
    server = [] if s.chroma_server_rss_mb is None else [
        _row("peak RSS of the Chroma server", f"{s.chroma_server_rss_mb} MB", "")]
    return "\n".join([
        *_head(scale_title(s, report.label), report),
        _row("text", f"{t.words_per_paper} words, {t.distinct_terms_per_paper} distinct word stems per paper "
             "(BM25 also indexes word pairs); "
             f"{t.vocabulary:,} terms in the first {t.papers:,} papers, Heaps' beta {t.heaps_beta}", ""),
        _row("vectors", vectors, ""),
        _row("bulk build of the index", f"{s.build_seconds} s", ""),
        *[_row(f"ingest {i.papers} new paper{'s' * (i.papers > 1)}", f"{i.seconds} s, excluding embedding "
               f"{i.other_seconds} s (embedding {i.embedding_seconds} s)",
               f"{ingest_target} plus embedding" if ingest_target and i.papers == 100 else "")
          for i in s.ingests],
        _row(f"/search, plain ({s.plain.n} queries)", str(s.plain), "p95 <= 50, p99 <= 100 ms" if big else ""),
        _row(f"/search, last 30 days ({s.filtered_share:.1%} kept; {s.filtered.n} queries)", str(s.filtered),
             "p95 <= 50, p99 <= 100 ms" if big else ""),
        _row("/search, mixed", str(s.mixed), "p95 <= 50, p99 <= 100 ms" if big else ""),
        *([_row("/search, mixed: CPU time of the bot's process per search (other jobs' load left out)",
                str(s.mixed_cpu), "")] if s.mixed_cpu else []),
        _row("RSS of the bot serving searches (peak, after the searches)",
             f"{s.serving_peak_rss_mb} MB, {s.serving_rss_mb} MB", "<= 2.5 GB" if big else ""),
        *server,
        _row("index on disk", f"{s.disk_bytes_per_paper / 1024:.2f} KB per paper "
             f"(Chroma {s.chroma_bytes_per_paper / 1024:.2f} KB)", "<= 6 KB" if big else ""),
        _row("bot startup (index open, model loaded, bot built)", f"{s.serve_open_seconds} s", ""),
    ])


def tables(report: Report) -> dict[str, str]:
    """Each measured table by its heading."""
    out = {}
    if report.bundled:
        out[f"Bundled corpus ({report.bundled.papers} papers)"] = bundled_table(report.bundled, report)
    for s in report.scales:
        out[scale_title(s, report.label)] = scale_table(s, report)
    return out


def markdown(report: Report) -> str:
    return "\n\n".join(tables(report).values()) + "\n"


def write(report: Report, path: Path) -> None:
    """Put this run's tables into the bench's section of `path`: replace those of the same heading, append
    new ones; other tables and other benchmarks' sections stay."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\nFigures, not assertions.\n"
    head, _, rest = text.partition(SECTION)
    if not _:
        head, rest = text.rstrip() + "\n\n", ""
    nxt = re.search(r"^## ", rest, flags=re.M)
    body, tail = (rest[: nxt.start()], rest[nxt.start():]) if nxt else (rest, "")
    parts = re.split(r"^### (.+)$", body, flags=re.M)
    kept = {parts[i].strip(): f"### {parts[i].strip()}{parts[i + 1]}".rstrip() for i in range(1, len(parts), 2)}
    for title, table in tables(report).items():
        kept[title] = table
    section = "\n\n".join([SECTION, INTRO, *kept.values()]) + "\n"
    path.write_text(head + section + ("\n" + tail if tail else ""))
