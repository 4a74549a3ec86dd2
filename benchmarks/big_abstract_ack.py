"""Do other users wait while one question drags a 2 MB abstract through the engine? Acks of 20 others, measured.

One user asks about a paper whose abstract is 2 MB (ingest now cuts abstracts at MAX_ABSTRACT_CHARS, so this
is an index from before the cap, or built by another tool: the worst case). Packing it into the prompt,
choosing citation quotes from it and rendering the answer are engine work; if any of it ran on the event
loop, every other interaction arriving meanwhile would wait for it. Twenty other users /ask while that
question is in the engine, one every 50 ms; each acknowledgement is timed from the instant the interaction
was sent (not from when a blocked loop got round to reading it) to the bot's first response.

The real bot runs on simcord with a real OpenAI-compatible server on loopback (answers without delay) and an
in-memory retriever holding the 2 MB paper and a few ordinary ones.

Usage: python benchmarks/big_abstract_ack.py [--abstract-mb 2] [--others 20]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import simcord  # noqa: E402
from discord_ack import emit_ask, final_answer, percentile  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from support import static_retriever  # noqa: E402
from support.llm_waits import outside_waits  # noqa: E402
from support.openai_server import FakeOpenAI  # noqa: E402
from support.static_retriever import PAPERS, StaticRetriever, paper  # noqa: E402

from app.wiring import App  # noqa: E402
from bot import create_bot  # noqa: E402
from core.settings import Settings  # noqa: E402

BIG_QUESTION = "What does the gigantic zebrafish abstract study find?"
OTHER_QUESTION = "How does RankGen score generations during beam search?"


def giant_paper(megabytes: float) -> Any:
    sentence = "We measure zebrafish fin regeneration under varied light and report the growth rates we find. "
    abstract = "We propose a gigantic zebrafish abstract study. " + sentence * int(megabytes * 1e6 / len(sentence))
    return paper("giant", "The Gigantic Zebrafish Abstract Study", abstract)


class OnTopicRetriever(StaticRetriever):
    """Only the question about it retrieves the giant paper (as a real index would), the others their own."""

    def search(self, query: str, k: int = 10, filters: Any = None) -> Any:
        result = super().search(query, k, filters)
        if "zebrafish" not in query.lower():
            result.hits = [hit for hit in result.hits if hit.id != "giant"]
        return result


async def lag_probe(stalls: list[float], stop: asyncio.Event) -> None:
    """The event loop's longest stall: how late a 5 ms sleep wakes up."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.005)
        stalls.append(time.perf_counter() - before - 0.005)


async def run(args: argparse.Namespace, data_dir: Path, server: FakeOpenAI) -> int:
    settings = Settings(_env_file=None, data_dir=data_dir, openai_base_url=server.base_url,  # type: ignore[call-arg]
                        openai_api_key=SecretStr("bench"), llm_model="fake-model", llm_max_concurrency=32,
                        user_cooldown_seconds=0, llm_retries=0)
    # A real index does not re-read every abstract per query: the stand-in retriever's words are cached.
    static_retriever._terms = functools.lru_cache(maxsize=None)(static_retriever._terms)  # type: ignore[assignment]
    giant = giant_paper(args.abstract_mb)
    app = App(settings, retriever=OnTopicRetriever([giant, *PAPERS]))  # type: ignore[arg-type]
    app.retriever.search(BIG_QUESTION)  # fills that cache, as an index holds its terms before any question
    bot = create_bot(settings, app)
    async with simcord.run(bot) as env:
        outside_waits(env)
        guild = env.create_guild("Bench")
        channel = guild.create_text_channel("papers")
        asker = guild.add_member(env.create_user("asker"))
        others = [guild.add_member(env.create_user(f"user{i}")) for i in range(args.others)]
        await env.settle()
        stalls: list[float] = []
        stop = asyncio.Event()
        probe = asyncio.create_task(lag_probe(stalls, stop))
        started = time.perf_counter()
        big = emit_ask(env, guild, channel, asker, BIG_QUESTION)
        sent: list[tuple[float, Any]] = []
        acks: dict[int, float] = {}
        for i, user in enumerate(others):
            planned = started + 0.05 * (i + 1)
            await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            sent.append((planned, emit_ask(env, guild, channel, user, OTHER_QUESTION)))
            for index, (when, record) in enumerate(sent):
                if index not in acks and record.responded:
                    acks[index] = time.perf_counter() - when
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline and not (
                len(acks) == len(sent) and all(final_answer(env, r) for r in [big, *(r for _, r in sent)])):
            for index, (when, record) in enumerate(sent):
                if index not in acks and record.responded:
                    acks[index] = time.perf_counter() - when
            await asyncio.sleep(0.001)
        big_seconds = time.perf_counter() - started
        stop.set()
        await probe
        for _ in range(60):  # engine work the answer started may still be finishing in its threads
            try:
                await env.settle()
                break
            except TimeoutError:
                continue
    await app.engine.aclose()
    app.db.close()
    if len(acks) < len(sent) or not final_answer(env, big):
        print("not every interaction was answered in time", file=sys.stderr)
        return 1
    ms = [1000 * a for a in acks.values()]
    print(f"PaperBot acks while one question retrieves a {len(giant.abstract) / 1e6:.1f} MB abstract "
          f"(simcord, {args.others} other users /ask, one every 50 ms)")
    print(f"  other users' acknowledgement: p50 {percentile(ms, 50):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
          f"max {max(ms):.1f} ms (timed from the instant each interaction was sent)")
    print(f"  longest event-loop stall: {1000 * max(stalls):.1f} ms; the big question answered in {big_seconds:.1f} s")
    ok = percentile(ms, 99) <= 100
    print("  result:", "OK (p99 <= 100 ms)" if ok else "FAILED (p99 > 100 ms)")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--abstract-mb", type=float, default=2.0)
    parser.add_argument("--others", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as server:
        return asyncio.run(run(args, Path(tmp), server))


if __name__ == "__main__":
    raise SystemExit(main())
