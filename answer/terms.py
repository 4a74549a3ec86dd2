"""The words an answer is scored on: `core.text`'s content terms, minus what questions and abstracts all say.

Extractive answers, quotes, follow-up detection, TL;DR checks and "did you mean" titles weigh sentences by
the question's words; beyond the base stopwords, question scaffolding ("compare", "whether") and research
boilerplate ("novel", "results") would match every abstract.
"""

from __future__ import annotations

import math

from core.models import Hit
from core.text import STOPWORDS, content_terms

_EXTRA_WORDS = """
above abstract abstracts after again against all also am answer aren article articles based because been before
being below between both cannot compare corpus could did doing down during each existing few finds first from
further get give gives got had has have having he her here hers herself him himself his however introduce
introduced introduces isn its itself just known let like made make makes many more most my myself new nor novel
off once one only other ought ours ourselves out over own present presents proposes question questions recent
recently result results same second several she should shown so some than theirs them themselves third those
three through too two under until up uses various very via well were when where whether while who whom why
would your yours yourself yourselves
"""
ANSWER_STOPWORDS = STOPWORDS | frozenset(_EXTRA_WORDS.split())


def terms(text: str) -> list[str]:
    """Stemmed words of `text` that can match an abstract (no stopwords, no one-letter words but numbers)."""
    return content_terms(text, ANSWER_STOPWORDS, min_length=2)


def close_hits(question: str, hits: list[Hit], limit: int = 3) -> list[Hit]:
    """Hits sharing at least half of the question's content words: worth offering as "did you mean"."""
    wanted = set(terms(question))
    if not wanted:
        return []
    need = max(1, math.ceil(len(wanted) / 2))
    close = [h for h in hits if len(wanted & set(terms(f"{h.title} {h.abstract}"))) >= need]
    return close[:limit]
