"""Run by tests/test_bot_event_loop.py in a fresh process: which modules a started bot imports on its event loop
while it answers /ask with a streaming LLM (first use of a library part). Prints them as JSON, one list.

A fresh process, because an import happens once per process: in the test session an earlier test has already
imported everything, and the question could not be asked.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import threading
from pathlib import Path

import simcord
from pydantic import SecretStr
from support.llm_waits import outside_waits
from support.openai_server import FakeOpenAI, Reply
from support.static_retriever import PAPERS, StaticRetriever

from app.wiring import App
from bot import create_bot
from core.settings import Settings

QUESTION = "How does RankGen score generations during beam search?"


async def main(data_dir: Path, server: FakeOpenAI) -> list[str]:
    settings = Settings(_env_file=None, data_dir=data_dir, openai_base_url=server.base_url,  # type: ignore[call-arg]
                        openai_api_key=SecretStr("test-key"), llm_model="fake-model", llm_retries=0,
                        user_cooldown_seconds=0)
    app = App(settings, retriever=StaticRetriever(PAPERS))  # type: ignore[arg-type]
    imported: list[str] = []
    watching = threading.Event()

    def on_import(event: str, args: tuple[object, ...]) -> None:
        if event == "import" and watching.is_set() and threading.current_thread() is threading.main_thread():
            imported.append(str(args[0]))

    sys.addaudithook(on_import)
    async with simcord.run(create_bot(settings, app)) as env:
        outside_waits(env)
        guild = env.create_guild("Lab")
        channel = guild.create_text_channel("papers")
        alice = guild.add_member(env.create_user("alice"))
        await env.settle()
        server.script(Reply(" ".join(f"word{i}" for i in range(30)) + " ranks them [1]."))
        watching.set()
        await alice.slash(channel, "ask", question=QUESTION)
        for _ in range(60):
            try:
                await env.settle()
                break
            except TimeoutError:
                continue
        watching.clear()
    await app.close_engine()
    app.close_db()
    return imported


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as fake:
        print(json.dumps(asyncio.run(main(Path(tmp), fake))))
