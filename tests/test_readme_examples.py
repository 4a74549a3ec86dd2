"""README command examples are the commands' real output: re-run over the shared index, any drift fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperbot.cli import examples_cmd

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(scope="module")
def outputs(index_dir: Path) -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    return {ex.command: examples_cmd.run_example(ex.command, index_dir) for ex in examples_cmd.find_examples(text)}


def test_readme_examples_match_the_commands_output(outputs: dict[str, str]) -> None:
    text = README.read_text(encoding="utf-8")
    commands = {ex.command for ex in examples_cmd.find_examples(text)}
    assert any(c.startswith("paperbot ask ") for c in commands)
    assert any(c.startswith("paperbot digest --preview") for c in commands)
    problems = examples_cmd.differences(text, outputs)
    assert not problems, "README examples drifted; run `paperbot examples --write`:\n" + "\n".join(problems)


def test_an_example_edited_by_hand_is_reported(outputs: dict[str, str]) -> None:
    text = README.read_text(encoding="utf-8")
    ask = next(ex for ex in examples_cmd.find_examples(text) if ex.command.startswith("paperbot ask "))
    edited = text.replace(ask.block, ask.block.replace("[1]", "[9]", 1), 1)
    problems = examples_cmd.differences(edited, outputs)
    assert len(problems) == 1 and ask.command in problems[0] and "[9]" in problems[0]
    assert examples_cmd.rewrite(edited, outputs) == examples_cmd.rewrite(text, outputs)


def test_the_timing_is_left_out_and_the_digest_day_is_fixed(outputs: dict[str, str]) -> None:
    ask = next(out for cmd, out in outputs.items() if cmd.startswith("paperbot ask "))
    assert "mode: extractive (no LLM endpoint is configured)\n" in ask
    digest = next(out for cmd, out in outputs.items() if cmd.startswith("paperbot digest "))
    assert "Sunday 22 November 2026" in digest
