"""The local console (`paperbot chat`, and `paperbot run` without a token): same commands, same engine."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import make_settings
from rich.console import Console
from support.openai_server import Reply

from app.wiring import App
from paperbot.console import ensure_index, run_console

QUESTION = "Which papers are about extending the context length of language models?"


def session(app: App, *lines: str) -> tuple[int, str]:
    out = io.StringIO()
    console = Console(file=out, width=200, soft_wrap=True, highlight=False, color_system=None)
    code = run_console(app, stdin=io.StringIO("".join(f"{line}\n" for line in lines)), out=console,
                       interactive=False)
    return code, out.getvalue()


def sources(block: str) -> list[str]:
    """Titles listed under "Sources" in one answer block."""
    if "\nSources\n" not in block:
        return []
    listed = block.split("\nSources\n", 1)[1].split("\nMode:", 1)[0]
    return [line.split("] ", 1)[1].rsplit(" · ", 1)[0] for line in listed.splitlines() if line.startswith("[")]


def test_plain_text_questions_have_memory_and_reset_forgets(app):
    code, out = session(app, QUESTION, "compare the first two", "reset", "compare the first two")
    assert code == 0
    answers = out.split("Mode: ")
    first, second = sources(answers[0] + "Mode:"), sources("\n" + answers[1].split("\n", 1)[1] + "Mode:")
    assert len(first) >= 2 and second == first[:2]
    assert "Starting over" in out
    # After reset "the first two" refers to nothing.
    assert "Starting over" in answers[2] and sources("\n" + answers[2].split("\n", 1)[1] + "Mode:") == []


def test_every_command_works_in_the_console(app, retriever):
    code, out = session(app, "/ask --since 2026-07-01 " + QUESTION, "/search long context", "/paper rankgen",
                        "/similar rankgen", "/about", "/help", "quit", "/about")
    assert code == 0
    by_title = {p.title: p for p in retriever.papers()}
    cited = sources(out.split("Mode: ", 1)[0] + "Mode:")
    assert cited and all(by_title[t].date.isoformat() >= "2026-07-01" for t in cited)
    assert " 1. " in out and "10. " in out
    assert "RankGen: Improving Text Generation with Large Ranking Models" in out and "Similar papers" in out
    assert "Similar to: RankGen" in out and "↳ its “" in out and "both about" not in out
    assert out.count("Corpus: 327 papers") == 1  # quit ended the session before the second /about
    assert "Answer model: none: answers are extractive" in out
    assert "/similar title" in out and "reset" in out


def test_since_takes_a_span_back_from_today(app):
    cutoff = dt.date(2026, 7, 1)
    days = (dt.date.today() - cutoff).days
    code, out = session(app, f"/search long context since:{days}d", "/search long context --since 7d")
    assert code == 0 and "not a date" not in out
    listed = re.findall(r"^\s*\d+\. .* · (\d{4}-\d{2}-\d{2})$", out, re.M)
    assert listed and all(dt.date.fromisoformat(day) >= cutoff for day in listed)


def test_bad_input_gets_a_clear_line_and_a_failing_exit_code(app):
    code, out = session(app, "/paper A Theory of Everything for Cats", "/ask --since someday what?", "/frobnicate",
                        "🤔🤔", QUESTION)
    assert code == 1
    assert "No paper titled “A Theory of Everything for Cats”" in out
    assert "is not a date" in out and "Unknown command /frobnicate" in out
    assert "nothing to search for" in out
    assert "Sources" in out  # the session carried on after the errors
    assert "Traceback" not in out


def test_the_console_uses_the_configured_llm(settings, retriever, openai_server):
    openai_server.script(Reply("Context windows grow with position interpolation [1]."))
    app = App(make_settings(settings.data_dir, openai_base_url=openai_server.base_url, openai_api_key="k",
                            llm_model="fake-model"), retriever=retriever)
    code, out = session(app, QUESTION)
    assert code == 0 and "position interpolation [1]" in out
    assert "Mode: LLM (fake-model) · 1 paper cited" in out


def run_cli(args: list[str], data_dir: Path, stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env["DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "paperbot", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


def test_echo_a_question_into_paperbot_chat(settings, tmp_path):
    done = run_cli(["chat"], settings.data_dir, f"{QUESTION}\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\nSources\n[1] " in done.stdout and "Mode: extractive" in done.stdout
    assert "Traceback" not in done.stderr


def test_paperbot_run_without_a_token_explains_and_starts_the_console(settings, tmp_path):
    done = run_cli(["run"], settings.data_dir, f"/about\n{QUESTION}\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "No DISCORD_TOKEN set" in done.stderr and "applications.commands" in done.stderr
    assert "Corpus: 327 papers" in done.stdout and "\nSources\n[1] " in done.stdout


def test_a_fresh_machine_builds_the_index_before_the_first_question(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    abstract = ("We extend the context window of language models to long documents with position "
                "interpolation, and evaluate long context retrieval. The method is simple and effective.")
    corpus.write_text("\n".join(json.dumps({"title": f"Long Context Paper {i}", "abstract": abstract,
                                            "date": "2026-03-17"}) for i in range(3)) + "\n")
    settings = make_settings(tmp_path / "fresh")
    err = io.StringIO()
    ensure_index(settings, Console(file=err, width=200), paths=[corpus])
    assert "No index yet" in err.getvalue() and "Index ready: 3 papers" in err.getvalue()
    app = App(settings)
    code, out = session(app, "How do language models handle long documents?")
    assert code == 0 and "Long Context Paper" in out
    app.db.close()
