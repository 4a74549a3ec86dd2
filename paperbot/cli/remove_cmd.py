"""`paperbot remove ID|TITLE... [--json]`: take papers out of the index (search, /paper, digests)."""

from __future__ import annotations

import argparse
import json

from core.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("refs", nargs="+", metavar="ID|TITLE",
                        help="paper ids (as `paperbot search --json` prints them) or exact titles (quote each)")
    parser.add_argument("--json", action="store_true", help='print {"removed": [{"id", "title"}], "papers": N}')


def run(args: argparse.Namespace, settings: Settings) -> int:
    from retrieval.removal import remove

    removed, left = remove(settings, args.refs)
    if args.json:
        print(json.dumps({"removed": [{"id": p.id, "title": p.title} for p in removed], "papers": left},
                         ensure_ascii=False))
        return 0
    for paper in removed:
        print(f"removed {paper.id}  {paper.title}")
    print(f"index holds {left} papers (ingesting their sources again brings them back)")
    return 0
