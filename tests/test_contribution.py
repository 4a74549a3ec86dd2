"""What the dense index embeds: a paper's title and the sentences that state its contribution."""

from __future__ import annotations

from core.models import Paper
from core.sentences import contribution_statement
from retrieval.catalog import embedding_text

BACKGROUND = ("Large language models are widely used. Instruction tuning needs data, e.g. human-written "
              "examples. Collecting such data is costly.")
CONTRIBUTION = ("We introduce CLEAR, a pipeline that filters low-quality instruction data. "
                "It estimates the confidence of each example and corrects or drops it.")
RESULTS = "Experiments on five datasets show consistent gains."


def test_the_statement_skips_background_and_keeps_the_sentence_after_it() -> None:
    assert contribution_statement(f"{BACKGROUND} {CONTRIBUTION} {RESULTS}") == CONTRIBUTION


def test_an_abstract_that_states_no_contribution_is_represented_by_its_opening() -> None:
    assert contribution_statement(f"{BACKGROUND} {RESULTS}") == (
        "Large language models are widely used. Instruction tuning needs data, e.g. human-written examples.")


def test_the_embedded_text_is_the_title_and_the_statement_and_never_empty() -> None:
    paper = Paper(id="p", title="Automated Data Curation", abstract=f"{BACKGROUND} {CONTRIBUTION} {RESULTS}")
    assert embedding_text(paper) == f"Automated Data Curation. {CONTRIBUTION}"
    assert embedding_text(paper.model_copy(update={"abstract": ""})) == "Automated Data Curation"
