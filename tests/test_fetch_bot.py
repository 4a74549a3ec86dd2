"""The bot's daily fetch on a simulated Discord (simcord, virtual time from 2026-01-01 00:00 UTC).

The listing server plays Hugging Face Daily Papers for the virtual days; the index starts as three older
papers, so each day's digest shows what that day's fetch brought.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import simcord
from conftest import make_settings
from support.botsim import text_of, wait_until
from support.listing_server import FIXTURES, ListingServer, Page
from test_digest_bot import World, digests, titles

from app.wiring import App
from bot import create_bot
from bot.client import PaperBotCore
from core.settings import Settings
from retrieval.ingest import ingest

DAY1 = {"Glacier: Compressing Key-Value Caches with Learned Codebooks": "2512.30411",
        "Weather-Robust Lidar Segmentation via Simulated Snowfall": "2512.30588"}
DAY2 = {"Proof Sketches: Teaching Small Models to Plan Mathematical Proofs": "2601.00217",
        "Listening Between the Lines: Prosody Tokens for Spoken Dialogue Models": "2601.00342"}


@pytest.fixture
def fetch_settings(tmp_path: Path, listing_server: ListingServer, request: pytest.FixtureRequest) -> Settings:
    overrides: dict[str, Any] = {"fetch_daily": True, "hf_base_url": listing_server.base_url, "fetch_retries": 1,
                                 "fetch_backoff_seconds": 0.01, "user_cooldown_seconds": 0,
                                 **getattr(request, "param", {})}
    settings = make_settings(tmp_path / "data", **overrides)
    ingest([FIXTURES / "sim-base.jsonl"], settings)
    return settings


@pytest.fixture
async def simcord_bot(fetch_settings: Settings) -> AsyncIterator[PaperBotCore]:
    app = App(fetch_settings)
    app.retriever.REFRESH_SECONDS = 0  # type: ignore[misc]  # see each ingest at once (virtual time is fast)
    bot = create_bot(fetch_settings, app)
    yield bot
    if "engine" in vars(app):
        await app.engine.aclose()
    app.db.close()


def fields_of(messages: list[Any]) -> list[str]:
    return [f"{f.name}\n{f.value}" for m in messages for e in m.embeds for f in e.fields]


async def test_three_days_of_fetches_each_feed_that_days_digest_and_a_failed_fetch_never_blocks_it(
        simcord_env: simcord.Env, listing_server: ListingServer) -> None:
    listing_server.hf("2026-01-01", Page.fixture("hf/2026-01-01.json"))
    listing_server.hf("2026-01-02", Page.fixture("hf/2026-01-02.json"))
    listing_server.hf("2026-01-03", Page(status=503, headers={"Retry-After": "0"}))
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=3)

    await world.until(7, 59)
    assert listing_server.requests == [], "the fetch waits for its time: one hour before the earliest digest"
    posted: dict[str, list[Any]] = {}
    for day, fresh in ((1, DAY1), (2, DAY2)):
        await world.until(9, 1, day=day)
        (marker,) = [m for m in digests(world.channel) if m not in posted]
        posted[marker] = digests(world.channel)[marker]
        shown = titles(posted[marker])
        assert set(shown[:2]) == set(fresh), f"day {day}'s digest leads with that day's papers: {shown}"
        for field in fields_of(posted[marker]):
            title = next((t for t in fresh if t in field), None)
            if title:
                assert f"(https://arxiv.org/abs/{fresh[title]})" in field, "each new paper links to its arXiv page"
                assert re.search(r"et al\.|, 20\d\d", field) and "▲" in field
    assert [k for k in listing_server.requested() if k == "hf 2026-01-01"] == ["hf 2026-01-01"] * 2, (
        "day 2 re-checks day 1 (its listing may have grown), then fetches day 2")

    await world.until(9, 1, day=3)
    markers = list(digests(world.channel))
    assert len(markers) == 3, "the failed fetch did not hold up day 3's digest"
    day3 = titles(digests(world.channel)[markers[-1]])
    every = [t for m in markers for t in titles(digests(world.channel)[m])]
    assert day3 and len(every) == len(set(every)), "no paper is posted twice"
    assert "hf 2026-01-03" in listing_server.requested()
    about = await world.member.slash(world.channel, "about")
    fields = {f.name: f.value for f in about.response.embeds[0].fields}
    assert "failed" in fields["Last fetch of new papers"] and "HTTP 503" in fields["Last fetch of new papers"]
    assert fields["Corpus"] == "7 papers"


@pytest.mark.parametrize("fetch_settings", [{"fetch_time": "08:00"}], indirect=True)
async def test_ask_is_acknowledged_at_once_while_the_daily_fetch_and_ingest_run(
        simcord_env: simcord.Env, listing_server: ListingServer) -> None:
    listing_server.hf("2026-01-01", Page.fixture("hf/2026-01-01.json", delay=1.5))
    cog = simcord_env.bot.get_cog("Fetching")
    run_job = cog.run_job

    async def declared(day: Any) -> Any:  # the job waits on the outside world: actions need not wait for it
        return await simcord_env.external_wait(run_job(day), reason="daily fetch")

    cog.run_job = declared
    world = World(simcord_env)
    await world.until(8, 0, day=1)
    await world.until(8, 1, day=1)
    assert cog.job.running, "the fetch is under way"
    asked_while_running = 0
    deadline = time.perf_counter() + 60  # real time: simcord replaces time.monotonic with its virtual clock
    while cog.job.running and time.perf_counter() < deadline:
        result = await world.member.slash(world.channel, "ask", question="How can key-value caches be compressed?")
        assert result.acknowledged
        asked_while_running += 1
    await wait_until(simcord_env, lambda: not cog.job.running)
    acks = sorted(1000 * s for s in simcord_env.bot.ack_latencies)
    p99 = acks[min(len(acks) - 1, int(0.99 * len(acks)))]
    assert asked_while_running >= 2 and p99 < 100, f"{asked_while_running} asks, ack p99 {p99:.1f} ms"
    about = await world.member.slash(world.channel, "about")
    assert "2 paper(s) added" in text_of(about.response)
