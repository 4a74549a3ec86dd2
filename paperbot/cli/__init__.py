"""`paperbot` command line: one module per subcommand, loaded only when that subcommand runs.

Each module in this package exposes `add_arguments(parser)` and `run(args, settings) -> int`.
Errors meant for the user (PaperBotError, ConfigError) are printed as one line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from core import __version__
from core.errors import ConfigError, PaperBotError
from core.logs import configure_logging
from core.settings import load_settings

COMMANDS: dict[str, str] = {
    "ingest": "build or update the index from corpus files (default: the bundled corpus and fetched pages)",
    "fetch": "fetch new papers from Hugging Face Daily Papers and arXiv (then ingest them with --ingest)",
    "remove": "remove papers from the index by id or title",
    "search": "ranked papers for one or more queries",
    "ask": "answer a question from the corpus, with cited papers",
    "eval": "retrieval quality on a question set (hit@k, MRR, recall, rejection)",
    "bench": "ingest, search and answer-engine benchmarks; writes BENCHMARKS.md",
    "chat": "local console: the bot's commands in a terminal, no Discord needed",
    "run": "start the Discord bot (without DISCORD_TOKEN: the local console)",
    "digest": "preview the daily digest in the terminal",
    "export": "a reading list saved on Discord as BibTeX, RIS, Markdown or CSV",
    "doctor": "check the installation: settings, data, index, Chroma, LLM, Discord; says how to fix each problem",
    "health": "exit 0 while the running bot is healthy (for container and service health checks)",
    "forget": "delete everything stored about one Discord user",
    "backup": "copy the state DB and the index into a folder (safe while the bot runs)",
    "restore": "put a backup back into DATA_DIR (the bot must be stopped)",
    "examples": "re-run the README's command examples: --check compares them, --write rewrites them",
    "config": "the settings in effect (secrets hidden), or --example: the .env.example template",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paperbot", description="PaperBot: research assistant over paper abstracts.")
    parser.add_argument("--version", action="version", version=f"paperbot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        module = importlib.import_module(f"paperbot.cli.{name}_cmd")
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
    return parser


def _undecodable(argv: Sequence[str]) -> str | None:
    """The first argument the terminal passed as bytes that are not UTF-8 (Python keeps them as surrogates)."""
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    bad = _undecodable(sys.argv[1:] if argv is None else argv)
    if bad is not None:
        print(f"paperbot: the argument “{bad[:80]}” is not valid UTF-8 (shown with � for the bad bytes): "
              "set a UTF-8 locale (e.g. LANG=C.UTF-8) or retype it", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    try:
        settings = load_settings()
    except ConfigError as exc:
        module = importlib.import_module(f"paperbot.cli.{args.command}_cmd")
        if hasattr(module, "run_without_settings"):  # doctor reports a bad setting in its table
            return int(module.run_without_settings(args, exc))
        print(f"paperbot: {exc}", file=sys.stderr)
        return 2
    configure_logging("INFO" if args.verbose and settings.log_level == "WARNING" else settings.log_level,
                      settings.log_format)
    module = importlib.import_module(f"paperbot.cli.{args.command}_cmd")
    try:
        return int(module.run(args, settings))
    except PaperBotError as exc:
        print(f"paperbot: {exc}", file=sys.stderr)
        return exc.exit_code
    except ConfigError as exc:  # a setting found unusable only when used (PROMPTS_DIR is checked on first use)
        print(f"paperbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("paperbot: interrupted", file=sys.stderr)
        return 130
