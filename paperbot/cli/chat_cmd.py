"""`paperbot chat`: the local console (the bot's commands in a terminal)."""

from __future__ import annotations

import argparse

from core.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("Plain text is a question (follow-ups remember the last turns); /ask, /search, /paper, "
                     "/similar, /about, /help as in Discord; reset starts over; quit leaves. Reads questions "
                     "line by line when stdin is not a terminal: echo \"what is RAG?\" | paperbot chat")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console

    from app.wiring import App
    from paperbot.console import ensure_index, run_console

    ensure_index(settings, Console(stderr=True, highlight=False, soft_wrap=True))
    return run_console(App(settings))
