"""/help covers every command the bot registers, and README's command table lists the same ones."""

from __future__ import annotations

import re
from pathlib import Path

from discord import app_commands
from support.botsim import text_of

README = Path(__file__).resolve().parents[1] / "README.md"
_SPAN = re.compile(r"`/([^`]+)`")


def registered(tree: app_commands.CommandTree) -> tuple[set[str], set[str]]:
    """Every invocation of the bot's slash commands ("ask", "digest set", "channel topic set"), and the groups
    ("digest", "channel topic")."""
    found, groups = set(), set()

    def walk(command: app_commands.Command | app_commands.Group) -> None:
        if isinstance(command, app_commands.Group):
            groups.add(command.qualified_name)
            for sub in command.commands:
                walk(sub)
        else:
            found.add(command.qualified_name)

    for command in tree.get_commands():
        walk(command)  # type: ignore[arg-type]
    return found, groups


def invocations(text: str, groups: set[str]) -> set[str]:
    """The commands named in `/name [options]` code spans: a group's name with its subcommand's."""
    named = set()
    for span in _SPAN.findall(text):
        words = span.split()
        name = words[0]
        for word in words[1:]:
            if name not in groups:
                break
            name = f"{name} {word}"
        named.add(name)
    return named


def readme_table() -> str:
    """The first column of README's command table."""
    rows = README.read_text(encoding="utf-8").split("**Commands.**", 1)[1].strip().split("\n\n", 1)[0]
    return "\n".join(line.split(" | ", 1)[0] for line in rows.splitlines()[2:])


async def test_help_and_the_readme_table_list_every_registered_command(simcord_env, world):
    _, channel, alice, _ = world
    commands, groups = registered(simcord_env.bot.tree)
    assert {"ask", "digest-me", "digest set", "digest timezone", "roundup stop", "paperbot status",
            "channel topic set"} <= commands
    shown = await alice.slash(channel, "help")
    help_text = "\n".join(f.value for e in shown.response.embeds for f in e.fields)
    assert invocations(help_text, groups) == commands
    assert invocations(readme_table(), groups) == commands
    # Members are told which commands need Manage Server (they cannot see those).
    assert "`/digest set channel [time] [size] [topics] [rank] [archive]`: (Manage Server)" in text_of(
        shown.response)
