"""Draw docs/img/bench.png and docs/img/bench_scale.png from the figures in BENCHMARKS.md (`make pictures`).

The figures are read from the report's tables, so the charts show whatever the last `paperbot bench` and
`make bench-discord` wrote: search and engine p50/p95 against their targets and Discord acknowledgement
(bench.png); and, per scale table, /search p95/p99 of mixed traffic, the 100-paper ingest without its
embedding, the bot's RSS and disk per paper against the issue's targets (bench_scale.png).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: write the file only
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
# "| search k=10, warm | p50 8.04 ms, p95 10.52 ms (99 queries) | p95 <= 20 ms |"
LATENCY = re.compile(r"^\| (?P<name>[^|]+?) \| p50 (?P<p50>[\d.]+) ms, p95 (?P<p95>[\d.]+) ms[^|]*\|"
                     r"(?: p95 <= (?P<target>[\d.]+) ms)?", re.M)
# "| 2 s | 15.05 ms | 40.05 ms | 40.36 ms | 50/50 in 7 waves | 4 |" under "LLM delay | ack p50 | ack p99"
ACK = re.compile(r"^\| (?P<delay>\d+ s) \| (?P<p50>[\d.]+) ms \| (?P<p99>[\d.]+) ms \|", re.M)


# "### 100,000 synthetic papers, embedded Chroma (before the index change)"
SCALE_TITLE = re.compile(r"^(?P<n>[\d,]+) synthetic papers, (?P<series>.+)$")
SCALE_ROWS = {
    "p95": re.compile(r"^\| /search, mixed \| p50 [\d.]+ / p95 (?P<v>[\d.]+) / p99 [\d.]+ ms", re.M),
    "p99": re.compile(r"^\| /search, mixed \| p50 [\d.]+ / p95 [\d.]+ / p99 (?P<v>[\d.]+) ms", re.M),
    "ingest": re.compile(r"^\| ingest 100 new papers \| [\d.]+ s, excluding embedding (?P<v>-?[\d.]+) s", re.M),
    "rss": re.compile(r"^\| RSS of the bot serving searches[^|]*\| (?P<v>[\d.]+) MB", re.M),
    "disk": re.compile(r"^\| index on disk \| (?P<v>[\d.]+) KB per paper", re.M),
}
# (panel, its measures, unit, targets as (papers, value) points)
PANELS = [
    ("/search, mixed plain and last-30-days traffic", ("p95", "p99"), "ms", [(1_000_000, 50), (1_000_000, 100)]),
    ("100 new papers ingested, embedding excluded", ("ingest",), "seconds", [(100_000, 5), (1_000_000, 15)]),
    ("RSS of the bot serving searches", ("rss",), "MB", [(1_000_000, 2_560)]),
    ("index on disk per paper", ("disk",), "KB", [(1_000_000, 6)]),
]


def scale_series(text: str) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """{series (store and label): {measure: [(papers, value)] by papers}} from the scale tables."""
    out: dict[str, dict[str, list[tuple[int, float]]]] = {}
    for title, body in sections(text).items():
        m = SCALE_TITLE.match(title)
        if not m:
            continue
        papers = int(m["n"].replace(",", ""))
        series = out.setdefault(m["series"], {})
        for measure, pattern in SCALE_ROWS.items():
            if found := pattern.search(body):
                series.setdefault(measure, []).append((papers, float(found["v"])))
    for series in out.values():
        for points in series.values():
            points.sort()
    return out


def draw_scale(text: str, out: Path) -> int:
    series = scale_series(text)
    if not series:
        return 0
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    for ax, (title, measures, unit, targets) in zip(axes.flat, PANELS, strict=True):
        for name, figures in series.items():
            for measure in measures:
                points = figures.get(measure, [])
                if points:
                    label = f"{name}, {measure}" if len(measures) > 1 else name
                    ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
        ax.scatter([t[0] for t in targets], [t[1] for t in targets], marker="_", s=600, color="#d83c3e",
                   linewidths=2, label="target", zorder=3)
        ax.set_xscale("log")
        ax.set_xlabel("papers in the index")
        ax.set_ylabel(unit)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7)
    fig.suptitle("paperbot bench at scale (synthetic papers of realistic vocabulary)")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    return sum(len(points) for figures in series.values() for points in figures.values())


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^(#{2,3} .+)$", text, flags=re.M)
    return {parts[i].lstrip("# ").strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def latency_rows(text: str) -> list[tuple[str, float, float, float | None]]:
    rows = []
    for title, body in sections(text).items():
        scale = None
        if title.startswith("Bundled"):
            scale = "327, previous bench" if "previous" in title else "327 papers"
        for m in LATENCY.finditer(body) if scale else ():
            rows.append((f"{m['name']} ({scale})", float(m["p50"]), float(m["p95"]),
                         float(m["target"]) if m["target"] else None))
    return rows


def main(report: Path = ROOT / "BENCHMARKS.md", out: Path = ROOT / "docs" / "img" / "bench.png") -> int:
    text = report.read_text(encoding="utf-8")
    rows = latency_rows(text)
    acks = [(f"/ask ack, LLM {m['delay']}", float(m["p50"]), float(m["p99"])) for m in ACK.finditer(text)]
    if not rows:
        print(f"{report}: no latency figures found", file=sys.stderr)
        return 1
    fig, axes = plt.subplots(2, 1, figsize=(10, 6.2), height_ratios=[len(rows), max(len(acks), 1)])
    ax = axes[0]
    y = range(len(rows))
    ax.barh([i - 0.2 for i in y], [r[1] for r in rows], height=0.4, label="p50", color="#5865f2")
    ax.barh([i + 0.2 for i in y], [r[2] for r in rows], height=0.4, label="p95", color="#9aa4ff")
    for i, row in enumerate(rows):
        if row[3] is not None:
            ax.plot([row[3], row[3]], [i - 0.45, i + 0.45], color="#d83c3e", lw=2,
                    label="p95 target" if i == 0 else None)
    ax.set_yticks(list(y), [r[0] for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("milliseconds")
    ax.set_title("Search and answer engine latency (paperbot bench)")
    ax.legend(loc="upper right")
    ax = axes[1]
    ya = range(len(acks))
    ax.barh([i - 0.2 for i in ya], [a[1] for a in acks], height=0.4, label="p50", color="#3ba55c")
    ax.barh([i + 0.2 for i in ya], [a[2] for a in acks], height=0.4, label="p99", color="#9ad3a9")
    ax.set_yticks(list(ya), [a[0] for a in acks])
    ax.invert_yaxis()
    ax.set_xlabel("milliseconds")
    ax.set_title("Discord acknowledgement of 50 /ask at once (make bench-discord)")
    ax.set_xlim(0, max((a[2] for a in acks), default=1) * 1.35)  # room for the legend right of the bars
    ax.legend(loc="lower right")
    fig.tight_layout()
    out.parent.mkdir(exist_ok=True)
    fig.savefig(out, dpi=100)
    print(f"{out}: {len(rows)} latency and {len(acks)} acknowledgement figures, {out.stat().st_size // 1024} KB")
    scale_out = out.with_name("bench_scale.png")
    if points := draw_scale(text, scale_out):
        print(f"{scale_out}: {points} figures of the scale tables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
