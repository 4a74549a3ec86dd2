"""A `chroma run` server on 127.0.0.1 for `paperbot bench --chroma-server`: started, awaited, measured, stopped."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import PaperBotError

START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChromaServer:
    """One server process with its data folder; loopback only."""

    host = "127.0.0.1"

    def __init__(self, path: Path, proc: subprocess.Popen[bytes], port: int) -> None:
        self.path = path
        self.port = port
        self._proc = proc

    @classmethod
    @contextmanager
    def maybe(cls, path: Path, wanted: bool) -> Iterator[ChromaServer | None]:
        if not wanted:
            yield None
            return
        with cls.run(path) as server:
            yield server

    @classmethod
    @contextmanager
    def run(cls, path: Path) -> Iterator[ChromaServer]:
        chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
        if not chroma:
            raise PaperBotError("no `chroma` command: it ships with the chromadb package (pip install chromadb)")
        path.mkdir(parents=True, exist_ok=True)
        port = free_port()
        proc = subprocess.Popen([chroma, "run", "--path", str(path), "--host", cls.host, "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            cls._wait(proc, port)
            yield cls(path, proc, port)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    @classmethod
    def _wait(cls, proc: subprocess.Popen[bytes], port: int) -> None:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"http://{cls.host}:{port}/api/v2/heartbeat", timeout=1):
                    return
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise PaperBotError(f"`chroma run` did not answer on {cls.host}:{port} within "
                                        f"{START_SECONDS} s") from None
                time.sleep(0.2)

    def rss_mb(self) -> float:
        """Peak RSS of the server process (VmHWM), in MB."""
        status = Path(f"/proc/{self._proc.pid}/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        return round(int(match.group(1)) / 1024, 1) if match else 0.0
