"""`paperbot examples --check|--write [README]`: README command examples re-run and compared or rewritten.

A fenced block preceded by `<!-- example: paperbot ... -->` holds `$ <command>` and that command's output.
The command runs in a fresh DATA_DIR sharing the given index, with no LLM, no `.env` and no Discord, so the
output is the extractive, reproducible one; the answer timing (the only run-dependent text) is left out.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError
from core.settings import Settings

MARKER = re.compile(r"<!-- example: (?P<command>paperbot [^\n]*?) -->\n```[a-z]*\n(?P<block>.*?)```\n", re.S)
# "mode: extractive (...) · 2.63 s": the wall-clock time differs on every run.
TIMING = re.compile(r" · \d+\.\d\d s$", re.M)
# Settings that would make the output depend on the machine it runs on (an LLM, Discord, a Chroma server).
UNSET = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LLM_MODEL", "CHROMA_HOST", "DISCORD_TOKEN", "DATA_DIR",
         "PAPERBOT_HOME", "FETCH_SOURCES")


@dataclass(frozen=True)
class Example:
    command: str
    block: str  # the fenced block's text as the README has it


def add_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1 naming each example that differs")
    mode.add_argument("--write", action="store_true", help="rewrite each example block with the real output")
    parser.add_argument("readme", nargs="?", default="README.md", type=Path, help="default: ./README.md")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not args.readme.is_file():
        raise InputError(f"no such file: {args.readme}")
    if not (settings.data_dir / "index").is_dir():
        raise InputError(f"no index in {settings.data_dir}: run `paperbot ingest` first")
    text = args.readme.read_text(encoding="utf-8")
    outputs = {ex.command: run_example(ex.command, settings.data_dir) for ex in find_examples(text)}
    if args.write:
        args.readme.write_text(rewrite(text, outputs), encoding="utf-8")
        print(f"{args.readme}: {len(outputs)} example(s) written")
        return 0
    problems = differences(text, outputs)
    for problem in problems:
        print(problem)
    print(f"{args.readme}: {len(outputs)} example(s), {len(problems)} differ")
    return 1 if problems else 0


def find_examples(text: str) -> list[Example]:
    return [Example(m["command"], m["block"]) for m in MARKER.finditer(text)]


def run_example(command: str, index_from: Path) -> str:
    """`$ command` and its output, run in a fresh DATA_DIR whose index is `index_from`'s."""
    argv = shlex.split(command)
    with tempfile.TemporaryDirectory(prefix="paperbot-example-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        (data / "index").symlink_to((index_from / "index").resolve(), target_is_directory=True)
        env = {k: v for k, v in os.environ.items() if k not in UNSET}
        env.update(DATA_DIR=str(data), PAPERBOT_HOME=tmp, FETCH_DAILY="false", COLUMNS="100")
        done = subprocess.run([sys.executable, "-m", "paperbot", *argv[1:]], cwd=tmp, env=env,
                              capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise InputError(f"`{command}` exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return f"$ {command}\n{TIMING.sub('', done.stdout).rstrip()}\n"


def rewrite(text: str, outputs: dict[str, str]) -> str:
    def block(m: re.Match[str]) -> str:
        start = m.start("block") - m.start()
        return m[0][:start] + outputs[m["command"]] + "```\n"
    return MARKER.sub(block, text)


def differences(text: str, outputs: dict[str, str]) -> list[str]:
    """One unified diff per example whose README block is not the command's output."""
    return ["".join(difflib.unified_diff(ex.block.splitlines(keepends=True),
                                         outputs[ex.command].splitlines(keepends=True),
                                         f"README: {ex.command}", "actual output"))
            for ex in find_examples(text) if ex.block != outputs[ex.command]]
