"""Acronyms the corpus defines, spelled out in queries that use them."""

from __future__ import annotations

from retrieval.acronyms import Glossary, GlossaryBuilder

ABSTRACTS = [
    "We study Direct Preference Optimization (DPO) for alignment. DPO is simple.",
    "Reinforcement Learning from Human Feedback (RLHF) is costly; we propose cheaper feedback.",
    "Sparse Mixture of Experts (MoE) layers route tokens. Large language models (LLMs) use them.",
    "Text-attributed graphs (TAG) pair nodes with text. We tag nodes automatically.",
    "Results improve by 3 points (Fig. 2) over strong baselines (e.g. BERT) and prior work (2023).",
    "Retrieval-augmented generation (RAG) grounds answers in documents.",
]


def glossary() -> Glossary:
    builder = GlossaryBuilder()
    for text in ABSTRACTS:
        builder.add(text)
    return builder.build()


def test_definitions_are_mined_and_nothing_else() -> None:
    assert glossary().long_forms == {
        "dpo": "direct preference optimization",
        "rlhf": "reinforcement learning from human feedback",
        "moe": "mixture of experts",
        "llm": "large language models",
        "tag": "text-attributed graphs",
        "rag": "retrieval-augmented generation",
    }


def test_a_query_acronym_is_searched_with_its_long_form() -> None:
    g = glossary()
    assert g.expand("DPO vs RLHF") == ("DPO vs RLHF (direct preference optimization; "
                                       "reinforcement learning from human feedback)")
    assert g.expand("dpo") == "dpo (direct preference optimization)"
    assert g.expand("LLMs for code") == "LLMs for code (large language models)"
    assert g.expand("direct preference optimization (DPO)") == "direct preference optimization (DPO)"


def test_an_acronym_that_is_also_a_word_is_spelled_out_only_in_capitals() -> None:
    g = glossary()
    assert g.expand("how to tag images") == "how to tag images"
    assert g.expand("rag") == "rag"
    assert g.expand("RAG pipelines") == "RAG pipelines (retrieval-augmented generation)"
