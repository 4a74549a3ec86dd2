"""The bot's serving process as `paperbot bench` measures it: `python -m paperbot.bench_serve JOB.json`.

A fresh process builds what `paperbot run` builds before it logs in (the App with its retriever, engine
and state database, the Discord bot object and its cogs' modules, memory settled the same way), then runs
the job's searches through the /search use case and prints one JSON line: each search's kind and seconds,
and the process's peak and current RSS. Measured in its own process because ru_maxrss survives fork+exec
on Linux (a child would report its parent's peak) and the benchmark's own builds would hide the bot's.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

from pydantic import BaseModel

from core.settings import Settings


class ServeJob(BaseModel):
    data_dir: str
    chroma_host: str | None = None
    chroma_port: int = 8000
    queries: list[str]
    filtered: list[bool]  # per query: with the last-30-days filter
    warmup: int = 10


class ServeResult(BaseModel):
    kinds: list[bool]
    seconds: list[float]
    cpu_seconds: list[float] = []  # the process's CPU time per search (all its threads): the load left out
    peak_rss_mb: float
    rss_mb: float
    open_seconds: float


def _status_mb(field: str) -> float:
    status = Path("/proc/self/status").read_text()
    match = re.search(rf"{field}:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


def serve(job: ServeJob) -> ServeResult:
    from app import search as search_use_case
    from app.wiring import App
    from bot import create_bot
    from paperbot.cli.run_cmd import settle_memory

    settings = Settings(_env_file=None, data_dir=Path(job.data_dir), chroma_host=job.chroma_host,  # type: ignore[call-arg]
                        chroma_port=job.chroma_port)
    started = time.perf_counter()
    app = App(settings)
    create_bot(settings, app)
    app.retriever.search("warm-up", k=1)
    app.engine  # noqa: B018 (built as the bot builds it on its first /ask)
    app.db  # noqa: B018
    opened = time.perf_counter() - started
    settle_memory()
    for i, text in enumerate(job.queries[: min(job.warmup, len(job.queries) // 4)]):
        search_use_case.search(app, text, since="30d" if job.filtered[i] else None)
    seconds, cpu = [], []
    for text, filtered in zip(job.queries, job.filtered, strict=True):
        begun, begun_cpu = time.perf_counter(), time.process_time()
        search_use_case.search(app, text, since="30d" if filtered else None)
        seconds.append(time.perf_counter() - begun)
        cpu.append(time.process_time() - begun_cpu)
    return ServeResult(kinds=job.filtered, seconds=seconds, cpu_seconds=cpu, peak_rss_mb=round(_status_mb("VmHWM"), 1),
                       rss_mb=round(_status_mb("VmRSS"), 1), open_seconds=round(opened, 2))


def main(argv: list[str]) -> int:
    job = ServeJob.model_validate_json(Path(argv[0]).read_text())
    print(json.dumps(serve(job).model_dump()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
