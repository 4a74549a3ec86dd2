"""`paperbot health`: the container health check; exit 0 while the running bot's heartbeat is fresh."""

from __future__ import annotations

import argparse

from core.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("Checks settings, DATA_DIR and the heartbeat file the running bot touches every "
                     "30 s; prints one line; exit 1 when any fails (same as `paperbot doctor --quick`).")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from paperbot.cli.doctor_cmd import quick_checks

    failed = [c for c in quick_checks(settings) if c.status == "fail"]
    if failed:
        print("unhealthy: " + "; ".join(f"{c.name}: {c.detail}" for c in failed))
        return 1
    print("healthy")
    return 0
