"""Named points where an ingest has just written something durable; a test hook can SIGKILL the process there.

Crash safety is proved, not assumed: with PAPERBOT_CRASH_AT=N in the environment the process kills itself
(SIGKILL, no cleanup, like a power cut or `kill -9`) when it reaches the Nth point, after naming it on
stderr. A test runs an ingest in a subprocess for N = 1, 2, ... until one finishes, and checks after each
kill that the previous index still answers and that a plain `paperbot ingest` completes the work.
"""

from __future__ import annotations

import os
import signal
import sys

ENV = "PAPERBOT_CRASH_AT"
_reached = 0


def reached(name: str) -> None:
    global _reached
    target = os.environ.get(ENV)
    if not target:
        return
    _reached += 1
    if _reached == int(target):
        sys.stderr.write(f"crash point {_reached}: {name}\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
