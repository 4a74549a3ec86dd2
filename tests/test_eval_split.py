"""The generalisation question sets: their gold titles exist, the tune/report split is fixed and disjoint, and the
blind paraphrase and concept tuning sets are large, spread over the corpus and share no question with the other sets."""

from __future__ import annotations

from collections import Counter
from functools import cache

from core.settings import BUNDLED_CORPUS, DEV_QUESTIONS, GENERALISATION_QUESTIONS
from retrieval.corpus import corpus_files, normalize_title, parse_corpus
from retrieval.evaluation import load_questions, split_questions

PARAPHRASE_TUNING = GENERALISATION_QUESTIONS.with_name("paraphrase-tuning.jsonl")
CONCEPT_TUNING = GENERALISATION_QUESTIONS.with_name("concept-tuning.jsonl")


@cache
def corpus_titles() -> frozenset[str]:
    return frozenset(normalize_title(p.title) for p in parse_corpus(corpus_files([BUNDLED_CORPUS])).papers)


def test_every_gold_and_also_title_is_a_paper_of_the_bundled_corpus() -> None:
    titles = corpus_titles()
    questions = load_questions(GENERALISATION_QUESTIONS)
    missing = [t for q in questions for t in q.gold + q.also if normalize_title(t) not in titles]
    assert not missing
    kinds = Counter(q.kind for q in questions)
    assert kinds["known-item"] >= 80 and kinds["topical"] >= 12 and kinds["out-of-scope"] >= 12
    assert all(q.gold for q in questions if q.kind != "out-of-scope")


def test_the_halves_are_disjoint_cover_the_file_and_hold_every_kind() -> None:
    questions = load_questions(GENERALISATION_QUESTIONS)
    tune, report = split_questions(questions, "tune"), split_questions(questions, "report")
    assert {q.q for q in tune}.isdisjoint({q.q for q in report})
    assert len(tune) + len(report) == len(questions)
    for kind in ("known-item", "topical", "out-of-scope"):
        assert sum(q.kind == kind for q in tune) >= sum(q.kind == kind for q in report) > 0
    assert split_questions(questions, "all") == questions


def test_the_split_does_not_depend_on_line_order() -> None:
    questions = load_questions(GENERALISATION_QUESTIONS)
    shuffled = list(reversed(questions))
    assert {q.q for q in split_questions(shuffled, "tune")} == {q.q for q in split_questions(questions, "tune")}


def test_the_paraphrase_tuning_set_is_big_spread_out_and_names_only_corpus_papers() -> None:
    questions = load_questions(PARAPHRASE_TUNING)  # raises on any line that is not a question
    assert [t for q in questions for t in q.gold + q.also if normalize_title(t) not in corpus_titles()] == []
    kinds = Counter(q.kind for q in questions)
    assert kinds["known-item"] >= 150 and kinds["topical"] >= 8 and kinds["out-of-scope"] >= 10
    known = [q for q in questions if q.kind == "known-item"]
    assert all(len(q.gold) == 1 for q in known), "a known item has exactly one answer; near neighbours go in also"
    assert len({normalize_title(q.gold[0]) for q in known}) >= 150, "one or two questions per paper, not a few papers"
    assert all(len(q.gold) >= 2 for q in questions if q.kind == "topical")
    assert all(not q.gold and not q.also for q in questions if q.kind == "out-of-scope")


def test_the_paraphrase_tuning_set_reuses_no_question_of_the_other_sets() -> None:
    others = [GENERALISATION_QUESTIONS, GENERALISATION_QUESTIONS.with_name("near-misses.jsonl"), DEV_QUESTIONS]
    seen = {q.q.casefold() for path in others for q in load_questions(path)}
    new = [q.q.casefold() for q in load_questions(PARAPHRASE_TUNING)]
    assert len(set(new)) == len(new) and seen.isdisjoint(new)


def test_the_concept_tuning_set_asks_once_for_each_of_many_corpus_papers() -> None:
    questions = load_questions(CONCEPT_TUNING)  # raises on any line that is not a question
    assert [t for q in questions for t in q.gold + q.also if normalize_title(t) not in corpus_titles()] == []
    assert all(q.kind == "known-item" and len(q.gold) == 1 for q in questions)
    golds = [normalize_title(q.gold[0]) for q in questions]
    assert len(golds) >= 110 and len(set(golds)) == len(golds), "one question per paper"


def test_the_concept_tuning_set_reuses_no_question_of_the_other_sets() -> None:
    others = [GENERALISATION_QUESTIONS, GENERALISATION_QUESTIONS.with_name("near-misses.jsonl"), DEV_QUESTIONS,
              PARAPHRASE_TUNING]
    seen = {q.q.casefold() for path in others for q in load_questions(path)}
    new = [q.q.casefold() for q in load_questions(CONCEPT_TUNING)]
    assert len(set(new)) == len(new) and seen.isdisjoint(new)
