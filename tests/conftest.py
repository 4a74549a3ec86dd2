"""Shared fixtures: one real index of the bundled corpus per test session, fresh state per test.

The index is built with the real embedding model into pytest's cache folder, so a second run re-ingests
nothing (idempotent ingest) and only checks hashes; every test gets its own DATA_DIR whose `index` points
at that shared index, so state (SQLite) never leaks between tests.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import simcord

from app.wiring import App
from core.settings import BUNDLED_CORPUS, Settings
from retrieval import Retriever
from retrieval.ingest import ingest

pytest_plugins = ["support.openai_server", "support.botsim", "support.small_index", "support.listing_server"]

# Tests must not pick up a developer's .env or real credentials.
for _var in ("DISCORD_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST", "DATA_DIR", "LLM_MODEL",
             "FETCH_SOURCES", "HF_BASE_URL", "ARXIV_BASE_URL"):
    os.environ.pop(_var, None)
# ...nor the .env of PaperBot's home (`make test` sets PAPERBOT_HOME to the checkout): an empty home instead.
os.environ["PAPERBOT_HOME"] = tempfile.mkdtemp(prefix="paperbot-home-")
# Nothing in a test may reach a real listing site: a test that fetches points the base URLs at loopback.
os.environ["FETCH_DAILY"] = "false"
os.environ["HF_BASE_URL"] = os.environ["ARXIV_BASE_URL"] = "http://127.0.0.1:9"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: no .env file, no LLM, no Discord, no daily fetch, unless overridden."""
    overrides.setdefault("fetch_daily", False)
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def index_dir(pytestconfig: pytest.Config) -> Path:
    data_dir = Path(pytestconfig.cache.mkdir("paperbot-bundled-index")) if pytestconfig.cache else None
    assert data_dir is not None
    ingest([BUNDLED_CORPUS], make_settings(data_dir))
    return data_dir


@pytest.fixture(scope="session")
def retriever(index_dir: Path) -> Retriever:
    return Retriever.open(make_settings(index_dir))


@pytest.fixture
def settings(tmp_path: Path, index_dir: Path) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "index").symlink_to(index_dir / "index", target_is_directory=True)
    return make_settings(data_dir)


@pytest.fixture
def own_index(tmp_path: Path, index_dir: Path) -> Path:
    """A DATA_DIR holding a writable copy of the bundled index (3 MB), for tests that ingest into it."""
    data_dir = tmp_path / "own"
    shutil.copytree(index_dir / "index", data_dir / "index")
    return data_dir


@pytest.fixture
def app(settings: Settings, retriever: Retriever) -> Iterator[App]:
    application = App(settings, retriever=retriever)  # share the loaded index instead of reopening it
    yield application
    application.close_db()


@pytest.fixture
async def simcord_env(simcord_bot: Any, request: pytest.FixtureRequest) -> AsyncIterator[simcord.Env]:
    """simcord's own fixture with a longer settle timeout: the bot's engine work runs in worker threads, and on
    a loaded 2-core machine a question's embedding and scoring there can outlast simcord's 5 s default."""
    marker = request.node.get_closest_marker("simcord")
    env = simcord.Env(simcord_bot, **{"settle_timeout": 60.0, **(marker.kwargs if marker else {})})
    await env.start()
    try:
        yield env
    finally:
        await env.shutdown()
        if env.check_errors:
            env._raise_errors_since(env._errors_acknowledged)
