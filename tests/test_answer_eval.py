"""`paperbot eval --answers` on the real index: it must catch a misbehaving LLM, not only praise a good one.

The loopback LLM is scripted per question: a faithful answer (first sentence of source 1, cited [1]), one
with invented markers, one padded with uncited claims, and one that cites source 1 for what source 2 says.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from support.openai_server import FakeOpenAI, Reply, message_text

from answer.engine import Engine
from answer.evaluation import evaluate_answers
from core.settings import Settings
from paperbot.cli import main
from retrieval import Retriever
from retrieval.evaluation import Question

_SOURCE = re.compile(r'<source n="(\d+)">\s*(.*?)</source>', re.S)

KNOWN = Question(kind="known-item", q="sampling many reasoning paths and then asking the model once more to pick "
                 "the answer they agree on most",
                 gold=["Ask One More Time: Self-Agreement Improves Reasoning of Language Models in (Almost) All "
                       "Scenarios"])
OUT = Question(kind="out-of-scope", q="How do I bake a sourdough loaf with a crispy crust?")


def _sentences(body: dict[str, Any]) -> dict[int, str]:
    """Source number -> the first complete sentence of its abstract, as the model was shown it."""
    firsts = {}
    for n, block in _SOURCE.findall(message_text(body)):
        text = " ".join(line for line in block.splitlines() if not re.match(r"^(Title|Date|URL):", line))
        match = re.search(r"(\S.+?[.!?])(\s|$)", text)
        firsts[int(n)] = match.group(1) if match else text[:200]
    return firsts


def scripted(behaviour: str):  # type: ignore[no-untyped-def]
    def reply(body: dict[str, Any]) -> Reply:
        first = _sentences(body)
        if not first:
            return Reply("OK.")
        good = f"{first[1]} [1]"
        if behaviour == "invented":
            return Reply(f"{good} The same method was later scaled to a trillion tokens [7][9].")
        if behaviour == "uncited":
            return Reply(f"{good} Many researchers consider this direction to be very promising for the field. "
                         "Further work will certainly extend it to speech and vision tasks.")
        if behaviour == "wrong-source":
            return Reply(f"{first[2]} [1]")
        return Reply(good)
    return reply


@pytest.fixture
def llm_engine(settings: Settings, retriever: Retriever, openai_server: FakeOpenAI):  # type: ignore[no-untyped-def]
    engine = Engine(settings.model_copy(update={"openai_base_url": openai_server.base_url, "llm_stream": False,
                                                "llm_timeout_seconds": 5.0}), retriever)
    yield engine


async def _run(engine: Engine, retriever: Retriever, server: FakeOpenAI, behaviour: str):  # type: ignore[no-untyped-def]
    server.default_reply = scripted(behaviour)
    try:
        return await evaluate_answers(engine, retriever, [KNOWN, OUT], "llm")
    finally:
        await engine.aclose()


async def test_a_faithful_llm_scores_clean(llm_engine: Engine, retriever: Retriever,
                                           openai_server: FakeOpenAI) -> None:
    m = await _run(llm_engine, retriever, openai_server, "faithful")
    assert m.cites_gold == 1.0 and m.quotes_verbatim == 1.0 and m.support_rate == 1.0
    assert m.uncited_sentences == 0.0 and m.invented_markers_removed == 0 and m.llm_fallbacks == 0
    assert m.abstained_out_of_scope == 1.0 and m.false_abstains == 0.0
    assert m.latency_p50_ms is not None and m.latency_p95_ms is not None


async def test_invented_markers_are_counted(llm_engine: Engine, retriever: Retriever,
                                            openai_server: FakeOpenAI) -> None:
    m = await _run(llm_engine, retriever, openai_server, "invented")
    assert m.invented_markers_removed == 2 and m.answers_with_invented_markers == 1
    assert m.uncited_sentences and m.uncited_sentences > 0  # the claim lost its only markers


async def test_uncited_claims_are_counted(llm_engine: Engine, retriever: Retriever,
                                          openai_server: FakeOpenAI) -> None:
    m = await _run(llm_engine, retriever, openai_server, "uncited")
    assert m.uncited_sentences == pytest.approx(2 / 3)
    assert m.support_rate == 1.0  # the one cited claim is still backed


async def test_a_claim_cited_to_the_wrong_source_is_unsupported(llm_engine: Engine, retriever: Retriever,
                                                                openai_server: FakeOpenAI) -> None:
    m = await _run(llm_engine, retriever, openai_server, "wrong-source")
    assert m.support_rate == 0.0 and len(m.unsupported) == 1
    assert m.cites_gold == 1.0  # the right paper is cited: only the support figure shows the claim is not its


def test_cli_answers_json_reports_extractive_and_llm_side_by_side(
        settings: Settings, openai_server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(q.model_dump_json() for q in (KNOWN, OUT)), encoding="utf-8")
    openai_server.default_reply = scripted("invented")
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.base_url)
    assert main(["eval", "--answers", "--json", "--questions", str(questions)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["support_threshold"] == 0.5
    extractive, llm = report["extractive"], report["llm"]
    assert extractive["cites_gold"] == 1.0 and extractive["quotes_verbatim"] == 1.0
    assert extractive["abstained_out_of_scope"] == 1.0 and extractive["invented_markers_removed"] == 0
    assert llm["invented_markers_removed"] == 2
