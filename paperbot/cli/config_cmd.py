"""`paperbot config [--example]`: the settings in effect (secrets masked), or the .env.example template."""

from __future__ import annotations

import argparse

from pydantic import SecretStr

from core.settings import SECTIONS, Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--example", action="store_true",
                        help="print .env.example, generated from the settings (`paperbot config --example > .env`)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.example:
        from core.env_example import render

        print(render(), end="")
        return 0
    for section in SECTIONS:
        for name in section.model_fields:
            value = getattr(settings, name)
            if isinstance(value, SecretStr):
                value = "(set, hidden)"
            elif isinstance(value, bool):
                value = str(value).lower()
            print(f"{name.upper()}={'' if value is None else value}")
    return 0
