"""`paperbot ask` end to end on the bundled corpus: JSON shape, readable text, filters, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.openai_server import FakeOpenAI

from core.settings import Settings
from paperbot.cli import main


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    return settings.data_dir


def test_ask_json_has_exactly_the_documented_shape(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--json", "a ranking model that scores candidate continuations to improve decoding"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"question", "answer", "mode", "fallback_reason", "citations", "usage", "timings_ms"}
    assert data["mode"] == "extractive" and data["fallback_reason"] == "no LLM endpoint is configured"
    assert set(data["usage"]) == {"prompt_tokens", "completion_tokens"}
    assert set(data["timings_ms"]) == {"retrieval", "llm", "total"}
    assert data["citations"] and all(set(c) == {"n", "id", "title", "quote"} for c in data["citations"])
    assert data["citations"][0]["title"] == "RankGen: Improving Text Generation with Large Ranking Models"


def test_ask_text_shows_answer_sources_and_mode(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "Which", "papers", "are", "about", "Mixture", "of", "Experts?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("The most relevant papers are")
    assert "\nSources:\n[1] A Survey on Mixture of Experts" in out
    assert out.rstrip().splitlines()[-1].startswith("mode: extractive (no LLM endpoint is configured)")


def test_ask_with_an_llm(cli_env: Path, openai_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    assert main(["ask", "--json", "What does RankGen score?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mode"] == "llm" and data["fallback_reason"] is None
    assert data["usage"]["prompt_tokens"] > 0 and data["timings_ms"]["llm"] > 0
    assert len(openai_server.chat_requests) == 1


def test_ask_out_of_scope_and_date_filters(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--json", "Who won the 2018 football World Cup?"]) == 0
    assert json.loads(capsys.readouterr().out)["mode"] == "abstain"
    assert main(["ask", "--json", "--since", "2099-01-01", "mixture of experts"]) == 0
    assert json.loads(capsys.readouterr().out)["mode"] == "abstain"


@pytest.mark.parametrize(("argv", "message"), [
    (["ask", "   "], "the message was empty"),
    (["ask", "🙂"], "nothing to search for"),
    (["ask", "--since", "yesterday", "moe"], "not a date"),
])
def test_ask_bad_input_is_one_clear_line(argv: list[str], message: str, cli_env: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err and captured.out == ""


def test_a_cold_ask_without_an_llm_imports_neither_the_llm_client_nor_the_token_counter(cli_env: Path) -> None:
    # Issue 11: openai and tiktoken cost a cold `paperbot ask` a third of a second, for nothing without an LLM.
    probe = ("import sys, runpy; sys.argv = ['paperbot', 'ask', 'How does speculative decoding speed up "
             "inference?']\ntry:\n    runpy.run_module('paperbot', run_name='__main__')\nexcept SystemExit:\n"
             "    pass\nprint('LOADED', sorted(m for m in ('openai', 'tiktoken') if m in sys.modules))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLM_"))}
    done = subprocess.run([sys.executable, "-c", probe], env={**env, "DATA_DIR": str(cli_env)},
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "speculative" in done.stdout.lower()  # it did answer
    assert done.stdout.strip().splitlines()[-1] == "LOADED []"
