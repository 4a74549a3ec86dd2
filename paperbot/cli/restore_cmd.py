"""`paperbot restore SRC`: put a backup made by `paperbot backup` back into DATA_DIR (the bot must be stopped).

What it replaces is kept until the restore has succeeded; a failed restore changes nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path, metavar="SRC", help="a folder written by `paperbot backup`")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app.backup import restore

    print(f"restored {', '.join(restore(settings, args.source))} into {settings.data_dir}; "
          "start PaperBot (migrations run on start)")
    return 0
