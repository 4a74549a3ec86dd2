"""`paperbot doctor [--deep] [--quick] [--json]`: one table of what is wrong with the installation and what to do."""

from __future__ import annotations

import argparse
import asyncio
import json

from app.health import (
    Check,
    check_data_dir,
    check_disk,
    check_heartbeat,
    check_index,
    check_settings,
    check_state_db,
    guarded,
)
from core.errors import ConfigError
from core.settings import Settings, env_files

MARKS = {"ok": "ok", "warn": "WARN", "fail": "FAIL"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--deep", action="store_true",
                        help="also run a one-token LLM completion and log in to Discord (servers, permissions)")
    parser.add_argument("--quick", action="store_true",
                        help="only what a container health check needs: settings, DATA_DIR, the bot's heartbeat")
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.epilog = "Exit status 0 when nothing fails (warnings are next steps, not failures), 1 otherwise."


def run(args: argparse.Namespace, settings: Settings) -> int:
    return report(collect(settings, deep=args.deep, quick=args.quick), as_json=args.json)


def run_without_settings(args: argparse.Namespace, error: ConfigError) -> int:
    """Settings do not load: that is the one finding, and the rest cannot be checked until it is fixed."""
    return report([check_settings(env_files(), error)], as_json=args.json)


def quick_checks(settings: Settings) -> list[Check]:
    return [check_settings(env_files(), None), guarded("data dir", lambda: check_data_dir(settings)),
            guarded("heartbeat", lambda: check_heartbeat(settings))]


def collect(settings: Settings, deep: bool = False, quick: bool = False) -> list[Check]:
    if quick:
        return quick_checks(settings)
    from app.health_services import check_chroma, check_llm
    from bot.doctor import check_login, check_token

    checks = [
        check_settings(env_files(), None),
        guarded("data dir", lambda: check_data_dir(settings)),
        guarded("disk", lambda: check_disk(settings)),
        guarded("index", lambda: check_index(settings)),
        guarded("chroma", lambda: check_chroma(settings)),
        guarded("llm", lambda: check_llm(settings, deep=deep)),
        check_token(settings),
        guarded("state db", lambda: check_state_db(settings)),
    ]
    token_ok = next(c for c in checks if c.name == "discord").status == "ok"
    if deep and settings.discord_token is not None and token_ok:
        channels = _digest_channels(settings)
        checks.append(guarded("discord login", lambda: asyncio.run(check_login(settings, channels))))
    return checks


def _digest_channels(settings: Settings) -> list[tuple[int, int]]:
    """(server, channel) of every channel digest, from the state DB when there is one."""
    if not settings.state_db.exists():
        return []
    from storage import open_database
    from storage.digests import DigestStore

    db = open_database(settings.state_db)
    try:
        return [(t.guild_id, t.channel_id) for t in DigestStore(db).targets()
                if t.kind == "channel" and t.guild_id is not None and t.channel_id is not None]
    finally:
        db.close()


def report(checks: list[Check], as_json: bool = False) -> int:
    failed = [c for c in checks if c.status == "fail"]
    if as_json:
        print(json.dumps({"ok": not failed, "checks": [c.model_dump() for c in checks]}, indent=2))
        return 1 if failed else 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, highlight=False, pad_edge=False)
    for column in ("", "check", "finding", "what to do"):
        table.add_column(column, overflow="fold")
    styles = {"ok": "green", "warn": "yellow", "fail": "bold red"}
    for c in checks:
        table.add_row(f"[{styles[c.status]}]{MARKS[c.status]}[/]", c.name, Text(c.detail), Text(c.fix))
    console = Console(highlight=False, width=max(Console().width, 120))
    console.print(table)
    if failed:
        console.print(f"{len(failed)} check(s) failed: {', '.join(c.name for c in failed)}.")
    else:
        warned = [c.name for c in checks if c.status == "warn"]
        console.print("Everything needed works." + (f" Next steps: {', '.join(warned)}." if warned else ""))
    return 1 if failed else 0
