"""What an endpoint sends is bounded and labelled: max_tokens ignored, a stream cut off, the prompt echoed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.openai_server import FakeOpenAI, Reply
from support.static_retriever import PAPERS, StaticRetriever, paper

from answer.engine import CUT_OFF, ECHOED, Engine
from core.settings import Settings
from prompts import Prompts

QUESTION = "How does RankGen score generations during beam search?"


@pytest.fixture
async def engine(tmp_path: Path, openai_server: FakeOpenAI, request: pytest.FixtureRequest):
    stream = getattr(request, "param", True)
    made = Engine(Settings(_env_file=None, data_dir=tmp_path, openai_base_url=openai_server.base_url,
                           llm_model="test-model", llm_retries=0, llm_max_answer_tokens=100, llm_stream=stream),
                  StaticRetriever(PAPERS))
    yield made
    await made.aclose()


async def answer(engine: Engine) -> object:
    if engine.settings.llm_stream:
        items = [item async for item in engine.stream(QUESTION)]
        return items[-1]
    return await engine.answer(QUESTION)


@pytest.mark.parametrize("engine", [True, False], indirect=True, ids=["stream", "complete"])
async def test_an_endpoint_ignoring_max_tokens_is_cut_at_a_sentence_with_a_notice(engine, openai_server):
    openai_server.script(Reply("RankGen scores each candidate continuation with a learned ranker [1]. " * 3000,
                               finish_reason="stop"))
    result = await answer(engine)
    assert result.mode == "llm"
    assert len(result.answer) <= 600 and result.answer.endswith("[1].")
    assert "cut to" in result.notice and "characters the model sent" in result.notice


@pytest.mark.parametrize("finish", ["length", None], ids=["length", "no-finish"])
@pytest.mark.parametrize("engine", [True, False], indirect=True, ids=["stream", "complete"])
async def test_an_answer_cut_off_mid_sentence_is_marked(engine, openai_server, finish):
    openai_server.script(Reply("RankGen ranks candidates during beam search [1]. It also reweights the",
                               finish_reason=finish))
    result = await answer(engine)
    assert result.mode == "llm" and result.answer.endswith("[1].")
    assert "stopped mid-sentence" in result.notice


@pytest.mark.parametrize("finish", ["length", None], ids=["length", "no-finish"])
async def test_a_cut_off_answer_with_no_citation_falls_back(engine, openai_server, finish):
    openai_server.script(Reply("RankGen ranks candidates during beam search and then", finish_reason=finish))
    result = await answer(engine)
    assert result.mode == "extractive" and result.fallback_reason == CUT_OFF


async def test_citations_in_an_echoed_system_prompt_do_not_count(engine, openai_server):
    system = Prompts(None).template("system")
    openai_server.script(Reply(system))
    result = await answer(engine)
    assert result.mode == "extractive" and result.fallback_reason == ECHOED


@pytest.mark.parametrize("llm", [True, False], ids=["llm", "extractive"])
async def test_a_2_mb_abstract_indexed_before_the_cap_costs_an_answer_only_its_first_characters(
        tmp_path: Path, openai_server: FakeOpenAI, llm: bool) -> None:
    sentence = "We measure zebrafish fin regeneration under varied light and report growth rates. "
    giant = paper("giant", "The Gigantic Zebrafish Study", "We propose a gigantic zebrafish study. "
                  + sentence * (2_000_000 // len(sentence)))
    settings = Settings(_env_file=None, data_dir=tmp_path, llm_retries=0, llm_model="test-model",
                        openai_base_url=openai_server.base_url if llm else None)
    made = Engine(settings, StaticRetriever([giant, *PAPERS]))
    openai_server.script(Reply("Fin regeneration rates were measured [1]."))
    try:
        result = await made.answer("What does the gigantic zebrafish study find?")
    finally:
        await made.aclose()
    assert result.citations and result.citations[0].id == "giant"
    assert result.mode == ("llm" if llm else "extractive")
    if llm:  # the prompt carries at most MAX_ABSTRACT_CHARS of it, not 2 MB
        sent = json.dumps(openai_server.chat_requests[-1])
        assert len(sent) < settings.max_abstract_chars + 20_000
