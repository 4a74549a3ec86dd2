"""The digest's texts from the digest writer: the themed overview and one-line TL;DRs, with and without an LLM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.openai_server import FakeOpenAI, Reply
from support.static_retriever import PAPERS, StaticRetriever, paper

from answer.briefs import suggested_questions
from answer.digest_brief import DigestWriter
from answer.engine import NO_CITATION, NO_LLM, Engine
from core.settings import Settings


@pytest.fixture
async def make_engine(tmp_path: Path):
    made: list[Engine] = []

    def make(server: FakeOpenAI | None = None, **overrides: Any) -> DigestWriter:
        values: dict[str, Any] = {"data_dir": tmp_path, "llm_timeout_seconds": 1.0, "llm_retries": 1}
        if server is not None:
            values["openai_base_url"] = server.base_url
        engine = Engine(Settings(_env_file=None, **{**values, **overrides}), StaticRetriever(PAPERS))
        made.append(engine)
        return DigestWriter(engine)

    yield make
    for engine in made:
        await engine.aclose()


async def test_overview_keeps_the_digest_numbering(openai_server: FakeOpenAI, make_engine) -> None:
    openai_server.script(Reply("Two papers change how models decode: by alignment [3] and by lookahead "
                               "branches [2]. One builds protein benchmarks [4], and one invents [9]."))
    overview = await make_engine(openai_server).overview(PAPERS)

    assert overview.mode == "llm"
    assert "[3]" in overview.answer and "[2]" in overview.answer and "[9]" not in overview.answer
    assert [(c.n, c.id) for c in overview.citations] == [(2, "lookahead"), (3, "deal"), (4, "tape")]
    assert overview.invalid_citations_removed == 1
    for citation in overview.citations:
        assert citation.quote in PAPERS[citation.n - 1].abstract
    prompt = openai_server.chat_requests[0]["messages"][-1]["content"]
    assert prompt.count("<source n=") == 4 and "4 papers of today's digest" in prompt


async def test_overview_falls_back_when_the_llm_fails(openai_server: FakeOpenAI, make_engine) -> None:
    openai_server.script(Reply(status=500), Reply(status=500))
    overview = await make_engine(openai_server).overview(PAPERS)
    assert overview.mode == "extractive" and "HTTP 500" in (overview.fallback_reason or "")
    assert overview.answer.startswith("Today's 4 papers:")
    assert sorted(c.n for c in overview.citations) == [1, 2, 3, 4]
    for citation in overview.citations:
        assert f"[{citation.n}]" in overview.answer and citation.id == PAPERS[citation.n - 1].id


async def test_overview_without_citations_falls_back(openai_server: FakeOpenAI, make_engine) -> None:
    openai_server.script(Reply("A varied day of papers on many topics."))
    overview = await make_engine(openai_server).overview(PAPERS)
    assert overview.mode == "extractive" and overview.fallback_reason == NO_CITATION


async def test_extractive_overview_names_a_shared_theme(make_engine) -> None:
    experts = [
        paper("moe1", "A Survey on Mixture of Experts", "We survey mixture of experts models."),
        paper("moe2", "LoRAMoE: Mixture of Experts for World Knowledge", "We propose LoRAMoE."),
        paper("moe3", "Sparse Mixture of Experts at Scale", "We scale sparse experts."),
        PAPERS[3],
    ]
    overview = await make_engine().overview(experts)
    assert overview.mode == "extractive" and overview.fallback_reason == NO_LLM
    assert overview.answer == ("Of today's 4 papers, 3 are on mixture of experts: A Survey on Mixture of Experts "
                               "[1], LoRAMoE [2] and Sparse Mixture of Experts at Scale [3]. Also: "
                               "Evaluating Protein Transfer Learning with TAPE [4].")


async def test_extractive_overview_groups_the_papers_into_themes(make_engine) -> None:
    day = [
        paper("lora", "LongLoRA: Fine-tuning for Long Context", "We extend the context window."),
        paper("scale", "Effective Long Context Scaling", "We continue pretraining on long sequences."),
        paper("leval", "L-Eval: Evaluation for Long Context", "A benchmark of long inputs."),
        paper("dpo", "Direct Preference Optimization: Your Model is a Reward Model", "We skip the reward model."),
        paper("treg", "T-REG: Preference Optimization with Token-Level Rewards", "We regularise token rewards."),
        PAPERS[3],
    ]
    overview = await make_engine().overview(day)
    assert overview.answer == (
        "Of today's 6 papers, 3 are on long context: LongLoRA [1], Effective Long Context Scaling [2] and L-Eval "
        "[3]; 2 on preference optimization: Direct Preference Optimization [4] and T-REG [5]. Also: Evaluating "
        "Protein Transfer Learning with TAPE [6].")
    assert sorted(c.n for c in overview.citations) == [1, 2, 3, 4, 5, 6]
    # A thread about this digest suggests questions on these papers, not a fixed example.
    assert suggested_questions(day) == ["how do LongLoRA, [2] and L-Eval compare on long context?",
                                        "what does Direct Preference Optimization find about reward?"]

    # When every paper shares the theme, the overview says so and divides them by what else they share.
    same = await make_engine().overview([
        paper("a", "Retrieval Heads in Long Context Models", "Heads that retrieve."),
        paper("b", "Position Interpolation for Long Context", "Interpolated positions."),
        paper("c", "Long Context Retrieval Benchmarks", "Needles in haystacks."),
        paper("d", "Long Context Position Encodings", "Rotary positions."),
    ])
    assert same.answer == (
        "All 4 of today's papers are on long context. Of them, 2 are on retrieval: Retrieval Heads in Long "
        "Context Models [1] and Long Context Retrieval Benchmarks [3]; 2 on position: Position Interpolation for "
        "Long Context [2] and Long Context Position Encodings [4].")


async def test_overview_of_nothing(make_engine) -> None:
    overview = await make_engine().overview([])
    assert overview.mode == "abstain" and not overview.citations


async def test_tldr_from_the_llm_when_the_abstract_backs_it(openai_server: FakeOpenAI, make_engine) -> None:
    openai_server.script(Reply("TL;DR: RankGen, a 1.2B encoder, scores generations given a prefix for beam "
                               "search decoding."))
    line = await make_engine(openai_server).tldr(PAPERS[0])
    assert line == "RankGen, a 1.2B encoder, scores generations given a prefix for beam search decoding."
    assert "<abstract>" in openai_server.chat_requests[0]["messages"][0]["content"]


@pytest.mark.parametrize("reply", [
    Reply("RankGen improves accuracy by 99% on every benchmark [1]."),  # a number the abstract never states
    Reply("Quantum chemistry simulations with superconducting qubits reach chemical accuracy."),  # unrelated
    Reply(status=500),
    Reply("I cannot summarise this paper."),
])
async def test_unsupported_tldr_falls_back_to_the_key_sentence(reply: Reply, openai_server: FakeOpenAI,
                                                                make_engine) -> None:
    openai_server.script(reply, Reply(status=500))
    line = await make_engine(openai_server).tldr(PAPERS[0])
    assert line == "We present RankGen, a 1.2B parameter encoder model for English that scores model generations " \
                   "given a prefix."


async def test_tldr_without_llm_is_one_short_line(make_engine) -> None:
    long_sentence = "We propose " + "a very " * 80 + "long method."
    line = await make_engine().tldr(paper("x", "X", long_sentence + " It works."))
    assert "\n" not in line and len(line) <= 220 and line.endswith("…")
    assert await make_engine().tldr(paper("y", "Only a Title", "")) == "Only a Title"
    assert "@everyone" not in await make_engine().tldr(paper("z", "Z", "We propose @everyone pings."))
