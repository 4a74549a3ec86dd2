"""The bot's event loop does no slow first-use work while it answers: other users' acks never wait behind it.

Measured on the big-abstract benchmark, the loop stalled 150-200 ms per question with or without a big
abstract: the openai client imported its chat resource and the HTTP stack its socket layer on the first
request, a fast endpoint's whole streamed answer was parsed in one loop step, and full garbage collections
walked every object the bot had loaded.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

from support.botsim import QUESTION, bot_config
from support.openai_server import Reply

TESTS = Path(__file__).resolve().parent


def test_a_started_bot_answers_a_streamed_llm_question_importing_nothing_on_its_event_loop() -> None:
    # A fresh process: in this one an earlier test has imported everything already.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)])}
    done = subprocess.run([sys.executable, str(TESTS / "support" / "loop_imports.py")], env=env, cwd=TESTS.parent,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert imported == [], f"imported on the event loop while answering: {imported}"


@bot_config(llm=True, llm_stream=True)
async def test_a_running_bot_keeps_what_it_loaded_at_start_out_of_the_collectors_walks(simcord_env, world,
                                                                                        openai_server):
    _, channel, alice, _ = world
    openai_server.script(Reply(" ".join(f"word{i}" for i in range(40)) + " shows it [1]."))
    result = await alice.slash(channel, "ask", question=QUESTION)
    assert "word39 shows it [1]." in result.response.message.embeds[0].description
    # A full collection walks what gc tracks outside the frozen start-up heap: far less than that heap.
    assert gc.get_freeze_count() > 2 * len(gc.get_objects())

