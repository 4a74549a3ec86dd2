"""How fast PaperBot acknowledges interactions while a slow LLM is answering: 50 users /ask at the same instant.

The real bot runs on simcord (an in-process Discord) against the real index of the bundled corpus and a real
OpenAI-compatible HTTP server on loopback whose every answer takes `--llm-delay` seconds. All 50 interactions
are delivered in one burst (simcord's actor verbs deliver one at a time, so the burst uses its backend directly).
Users told that the LLM is busy retry once the answers in flight are done, like a person would, until everyone
has an answer.

Reported:
- acknowledgement latency: from the moment the bot receives an interaction (the gateway event is parsed) to
  the moment its first response (defer, or the busy/cooldown message) is accepted, p50/p99/max;
- whether every user got an answer, and in how many waves;
- the most LLM calls in flight at once, seen by the server, against the configured cap.

Usage: python benchmarks/discord_ack.py [--users 50] [--llm-delay 2] [--cap 4] [--index DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import simcord  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from simcord import interactions as sim_interactions  # noqa: E402  (burst delivery: internal API)
from support.llm_waits import outside_waits  # noqa: E402
from support.openai_server import FakeOpenAI, Reply, default_reply  # noqa: E402

from app.wiring import App  # noqa: E402
from bot import create_bot  # noqa: E402
from core.settings import BUNDLED_CORPUS, Settings  # noqa: E402
from core.stats import percentile  # noqa: E402
from paperbot.cli.run_cmd import settle_memory  # noqa: E402

QUESTIONS = [
    "How can language models handle very long contexts?",
    "Which methods make retrieval-augmented generation more trustworthy?",
    "How is speculative decoding used to speed up inference?",
    "What benchmarks evaluate long context language models?",
    "How do ranking models improve text generation?",
]
PYTEST_INDEX = ROOT / ".pytest_cache" / "d" / "paperbot-bundled-index" / "index"


def prepare_data_dir(tmp: Path, index: Path | None) -> Path:
    data_dir = tmp / "data"
    data_dir.mkdir()
    source = index or (PYTEST_INDEX if (PYTEST_INDEX / "catalog.sqlite3").exists() else None)
    if source is not None:
        (data_dir / "index").symlink_to(source.resolve(), target_is_directory=True)
        return data_dir
    from retrieval.ingest import ingest

    print("building the index of the bundled corpus (once; about a minute)...", flush=True)
    ingest([BUNDLED_CORPUS], Settings(_env_file=None, data_dir=data_dir))  # type: ignore[call-arg]
    return data_dir


def emit_ask(env: simcord.Env, guild: Any, channel: Any, user: Any, question: str) -> Any:
    backend = env.backend
    root = backend.find_command("ask", guild.id)
    assert root is not None, "/ask is not synced"
    data = {"id": root["id"], "name": "ask", "type": 1,
            "options": [{"name": "question", "type": 3, "value": question}]}
    record, payload = sim_interactions.base_payload(backend, type=2, channel_id=channel.id, guild_id=guild.id,
                                                    user_id=user.id, data=data)
    backend.emit("INTERACTION_CREATE", payload)
    return record


def final_answer(env: simcord.Env, record: Any) -> bool:
    if record.message_id is None:
        return False
    message = env.backend.get_message(record.channel_id, record.message_id)
    return bool(message.embeds) and (message.embeds[-1].get("footer") or {}).get("text", "").startswith("Mode:")


async def run(args: argparse.Namespace, data_dir: Path, server: FakeOpenAI) -> int:
    settings = Settings(_env_file=None, data_dir=data_dir, openai_base_url=server.base_url,  # type: ignore[call-arg]
                        openai_api_key=SecretStr("bench"), llm_model="fake-model", llm_max_concurrency=args.cap,
                        user_cooldown_seconds=0, llm_stream=True, llm_retries=0)
    app = App(settings)
    bot = create_bot(settings, app)
    async with simcord.run(bot) as env:
        outside_waits(env)
        settle_memory()  # as `paperbot run` does once the bot is set up
        guild = env.create_guild("Bench")
        channel = guild.create_text_channel("papers")
        users = [guild.add_member(env.create_user(f"user{i}")) for i in range(args.users)]
        waiting = list(users)
        answered: dict[int, float] = {}
        started = time.perf_counter()
        waves = refused_first = 0
        while waiting:
            waves += 1
            records = {user.id: emit_ask(env, guild, channel, user, QUESTIONS[i % len(QUESTIONS)])
                       for i, user in enumerate(waiting)}
            await env.settle()
            if args.verbose:
                wave = sorted(1000 * x for x in list(bot.ack_latencies)[-len(records):])
                print(f"wave {waves}: {len(records)} interactions, ack ms min {wave[0]:.1f} "
                      f"median {wave[len(wave) // 2]:.1f} max {wave[-1]:.1f}", flush=True)
            assert all(r.responded for r in records.values()), "an interaction was not acknowledged"
            # Admitted: deferred ("thinking…", or already showing "Queued (n ahead)", which completes the
            # defer); a refusal is a private message telling the user when to retry.
            deferred = {uid: r for uid, r in records.items() if r.responded and not r.ephemeral}
            if waves == 1:
                refused_first = len(records) - len(deferred)
            deadline = time.perf_counter() + args.llm_delay * len(deferred) + 60
            while len(answered) < len(users) - len(waiting) + len(deferred):
                if time.perf_counter() > deadline:
                    print("answers did not arrive in time", file=sys.stderr)
                    return 1
                for uid, record in deferred.items():
                    if uid not in answered and final_answer(env, record):
                        answered[uid] = time.perf_counter() - started
                await asyncio.sleep(0.01)
            await env.settle()
            waiting = [u for u in waiting if u.id not in deferred]
            if not deferred:
                print("no interaction got an LLM slot in a wave", file=sys.stderr)
                return 1
        acks = [s * 1000 for s in bot.ack_latencies]
        engine_max = app.engine.llm_max_in_flight
    await app.close_engine()
    app.close_db()

    totals = list(answered.values())
    print(f"PaperBot /ask acknowledgement under load (simcord; {args.users} users at once; "
          f"LLM answers take {args.llm_delay:g} s; cap {args.cap} concurrent LLM calls)")
    print(f"  acknowledgement: p50 {percentile(acks, 50):.2f} ms, p99 {percentile(acks, 99):.2f} ms, "
          f"max {max(acks):.2f} ms, mean {statistics.fmean(acks):.2f} ms over {len(acks)} interactions "
          f"(Discord's limit: 3000 ms)")
    print(f"  answered: {len(answered)}/{args.users} users, in {waves} waves "
          f"({refused_first} told to retry in the first)")
    print(f"  LLM concurrency: max {server.max_concurrent} requests at the server, "
          f"{engine_max} in the engine (cap {args.cap})")
    print(f"  time to an answer: p50 {percentile(totals, 50):.1f} s, max {max(totals):.1f} s")
    ok = len(answered) == args.users and server.max_concurrent <= args.cap and percentile(acks, 99) <= 100
    print("  result:", "OK (p99 <= 100 ms, all answered, cap respected)" if ok else "FAILED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--llm-delay", type=float, default=2.0, help="seconds every LLM answer takes")
    parser.add_argument("--cap", type=int, default=4, help="LLM_MAX_CONCURRENCY")
    parser.add_argument("--index", type=Path, default=None, help="an existing index folder to reuse")
    parser.add_argument("--verbose", "-v", action="store_true", help="figures per wave")
    args = parser.parse_args()
    if args.index is not None and not (args.index / "catalog.sqlite3").exists():
        parser.error(f"{args.index} is not an index folder (no catalog.sqlite3): pass e.g. data/index")

    def slow(body: dict[str, Any]) -> Reply:
        reply = default_reply(body)
        reply.delay = args.llm_delay
        return reply

    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as server:
        server.default_reply = slow
        data_dir = prepare_data_dir(Path(tmp), args.index)
        return asyncio.run(run(args, data_dir, server))


if __name__ == "__main__":
    raise SystemExit(main())
