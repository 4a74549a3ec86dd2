"""The whole dev question set through the engine in extractive mode, on the bundled corpus."""

from __future__ import annotations

import json

import pytest

from answer.engine import Engine
from core.models import Answer
from core.settings import DEV_QUESTIONS, Settings

QUESTIONS = [json.loads(line) for line in DEV_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def answered(retriever) -> list[tuple[dict, Answer, set[str]]]:
    """Each dev question with its answer and the ids retrieval returned for it (same query, same k)."""
    import asyncio

    settings = Settings(_env_file=None, openai_base_url=None, openai_api_key=None)
    assert not settings.llm_configured
    engine = Engine(settings, retriever)

    async def run_all() -> list[Answer]:
        return [await engine.answer(q["q"]) for q in QUESTIONS]

    answers = asyncio.run(run_all())
    returned = [{h.id for h in retriever.search(q["q"], k=settings.search_default_k).hits} for q in QUESTIONS]
    return list(zip(QUESTIONS, answers, returned, strict=True))


def test_every_citation_names_a_returned_paper_and_quotes_it_verbatim(answered, retriever) -> None:
    cited = 0
    for question, answer, returned in answered:
        for citation in answer.citations:
            cited += 1
            assert citation.id in returned, (question["q"], citation.title)
            paper = retriever.get(citation.id)
            assert paper is not None and citation.title == paper.title
            assert citation.quote and citation.quote in paper.abstract, (question["q"], citation.quote)
            assert f"[{citation.n}]" in answer.answer
        assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert cited >= len(answered)


def test_known_item_questions_cite_the_gold_paper(answered) -> None:
    known = [(q, a) for q, a, _ in answered if q["kind"] == "known-item"]
    found = [q["q"] for q, a in known if set(q["gold"]) & {c.title for c in a.citations}]
    missed = [q["q"] for q, a in known if q["q"] not in found]
    assert len(found) / len(known) >= 0.95, missed


def test_topical_questions_cite_papers_on_the_topic(answered) -> None:
    for question, answer, _ in answered:
        if question["kind"] == "topical":
            assert answer.mode == "extractive"
            assert set(question["gold"]) & {c.title for c in answer.citations}, question["q"]


def test_out_of_scope_questions_abstain(answered) -> None:
    out = [(q, a) for q, a, _ in answered if q["kind"] == "out-of-scope"]
    assert out
    for _question, answer in out:
        assert answer.mode == "abstain" and not answer.citations
        assert "no paper" in answer.answer


def test_extractive_answers_read_as_answers(answered) -> None:
    for _question, answer, _ in answered:
        if answer.mode != "extractive":
            continue
        lead, points = answer.answer.split("\n\n")
        assert lead.startswith("The most relevant paper") and lead.endswith(".")
        assert 2 <= len(points.splitlines()) <= 4
        assert "extractive" not in answer.answer.lower()  # the mode line under the answer says so, once
        assert len(answer.answer) < 2000  # fits one Discord message with room for the sources


async def test_a_followup_about_the_second_one_quotes_what_it_proposes(retriever) -> None:
    engine = Engine(Settings(_env_file=None, openai_base_url=None, openai_api_key=None), retriever)
    first = await engine.answer("Which papers are about Mixture of Experts?")
    second_title = first.citations[1].title
    assert second_title == "Contrastive Learning and Mixture of Experts Enables Precise Vector Embeddings"
    answer = await engine.answer("what does the second one propose?", history=[first.as_turn()])
    assert [c.title for c in answer.citations] == [second_title]
    assert answer.citations[0].quote.startswith("In this paper, we target this issue")
    assert "The advancement of transformer neural networks" not in answer.answer  # background, not the proposal


async def test_a_question_in_other_words_gets_the_proposal_quoted_not_the_background(retriever) -> None:
    engine = Engine(Settings(_env_file=None, openai_base_url=None, openai_api_key=None), retriever)
    answer = await engine.answer("what did they come up with for getting beam search to produce varied outputs?")
    assert answer.citations[0].title == "Diverse Beam Search: Decoding Diverse Solutions from Neural Sequence Models"
    assert answer.citations[0].quote.startswith("To overcome this problem, we propose Diverse Beam Search")
