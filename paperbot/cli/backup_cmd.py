"""`paperbot backup DEST`: a consistent copy of the state DB and the index into a new folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dest", type=Path, metavar="DEST", help="a new (or empty) folder to write the backup to")
    parser.epilog = "Safe while the bot runs (SQLite online backup). Restore with `paperbot restore DEST`."


def run(args: argparse.Namespace, settings: Settings) -> int:
    from app.backup import backup

    manifest = backup(settings, args.dest)
    print(f"backed up {', '.join(manifest.parts)} to {args.dest} (vectors: {manifest.vectors})")
    return 0
