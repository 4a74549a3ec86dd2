"""The generalisation question set: its gold titles exist, and its tune/report split is fixed and disjoint."""

from __future__ import annotations

from collections import Counter

from core.settings import BUNDLED_CORPUS, GENERALISATION_QUESTIONS
from retrieval.corpus import corpus_files, normalize_title, parse_corpus
from retrieval.evaluation import load_questions, split_questions


def test_every_gold_and_also_title_is_a_paper_of_the_bundled_corpus() -> None:
    titles = {normalize_title(p.title) for p in parse_corpus(corpus_files([BUNDLED_CORPUS])).papers}
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
