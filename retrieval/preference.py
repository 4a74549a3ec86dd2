"""A preference for some topics (a channel's scope): ranked hits on those topics move up, none is dropped.

Applied to the retriever's candidates after fusion, so it prefers without restricting: a paper on the topic
gains a fixed step on the fused score (z-normalized, so the step is comparable across queries) and passes
papers a little closer to the query, never one far ahead of it.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.models import Hit
from core.text import content_terms

# The step a hit on a preferred topic gains, in standard deviations of the fused score over the candidates.
PREFER_BOOST = 0.75
# Candidates asked of the retriever when a preference may bring papers from beyond the usual top k.
PREFER_POOL = 25


def on_topic(hit: Hit, topics: Sequence[str]) -> bool:
    """Whether the title or abstract holds every content word (stemmed) of at least one topic."""
    text = set(content_terms(f"{hit.title} {hit.abstract}"))
    return any(wanted and wanted <= text for wanted in (set(content_terms(topic)) for topic in topics))


def prefer_topics(hits: Sequence[Hit], topics: Sequence[str]) -> list[Hit]:
    """`hits` reordered with the ones on a topic raised by PREFER_BOOST (ties keep their order)."""
    if not topics:
        return list(hits)
    raised = {hit.id: hit.score + (PREFER_BOOST if on_topic(hit, topics) else 0.0) for hit in hits}
    return sorted(hits, key=lambda hit: -raised[hit.id])
