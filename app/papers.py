"""/paper, /similar, title autocomplete and "more like these": one paper looked up, its neighbours found."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from app.search import MAX_QUERY_CHARS, check_query
from core.errors import InputError
from core.models import Hit, Paper
from core.text import bare_arxiv_id, clip
from retrieval.lookup import find_by_title
from retrieval.neighbours import Neighbour, neighbours, similar_with_reasons

if TYPE_CHECKING:
    from app.wiring import App
    from retrieval import Retriever

SIMILAR_RESULTS = 5


class PaperNotFoundError(InputError):
    def __init__(self, text: str, suggestions: Sequence[Paper] = ()) -> None:
        self.suggestions = list(suggestions)
        message = f"No paper titled “{clip(text, 120)}” in the corpus."
        if self.suggestions:
            message += " Closest titles: " + "; ".join(f"“{clip(p.title, 90)}”" for p in self.suggestions[:3]) + "."
        message += " Try /search with a few words from it."
        super().__init__(message)


def resolve_paper(retriever: Retriever, text: str) -> Paper:
    """The paper a `/paper` or `/similar` option names: an autocomplete id, an arXiv id or link, or a title.

    A typed text names a paper when it is (nearly) the title, or the short name before a title's colon
    ("rankgen" for "RankGen: Improving..."); anything vaguer is refused with the closest titles.
    """
    value = " ".join(text.split())
    if not value:
        raise InputError("The title is empty: start typing and pick a paper from the list.")
    arxiv_id = bare_arxiv_id(value)
    if arxiv_id and retriever.get(value) is None:  # an arXiv id or abs/PDF link
        found = retriever.by_arxiv_id(arxiv_id)
        if found is None:
            raise InputError(f"No paper with arXiv id {arxiv_id} is in the corpus (yet): new papers arrive with "
                             "the daily fetch.")
        return found
    paper, candidates = find_by_title(retriever, value)
    if paper is None:
        raise PaperNotFoundError(value, candidates)
    return paper


class TitleChoice(BaseModel):
    name: str = Field(max_length=100)
    value: str = Field(max_length=100)


def title_choices(retriever: Retriever, text: str, limit: int = 25) -> list[TitleChoice]:
    """Autocomplete entries: the title as the label, the paper id as the value."""
    value = " ".join(text.split())[:MAX_QUERY_CHARS]
    papers = retriever.match_titles(value, limit=limit)  # nothing typed yet: the newest papers
    return [TitleChoice(name=clip(p.title, 100), value=p.id[:100]) for p in papers[: min(limit, 25)]]


class PaperDetails(BaseModel):
    paper: Paper
    similar: list[Hit] = Field(default_factory=list)


def paper_details(app: App, title: str, similar_k: int = 3) -> PaperDetails:
    paper = resolve_paper(app.retriever, title)
    return PaperDetails(paper=paper, similar=neighbours(app.retriever, paper, similar_k))


class SimilarResult(BaseModel):
    paper: Paper
    items: list[Neighbour] = Field(default_factory=list)


def similar(app: App, title: str, k: int = SIMILAR_RESULTS) -> SimilarResult:
    """The papers closest to one in what they contribute, each with the pair of points that makes them close."""
    paper = resolve_paper(app.retriever, title)
    return SimilarResult(paper=paper, items=similar_with_reasons(app.retriever, paper, k))


def more_like(app: App, cited_ids: Sequence[str], question: str, k: int = SIMILAR_RESULTS) -> list[Hit]:
    """Papers near the ones an answer cited (or near the question when it cited none), excluding those."""
    seen = set(cited_ids)
    best: dict[str, Hit] = {}
    for paper_id in list(cited_ids)[:3]:
        for hit in app.retriever.similar(paper_id, k=k + len(seen)):
            if hit.id not in seen and (hit.id not in best or hit.score > best[hit.id].score):
                best[hit.id] = hit
    if not best:
        for hit in app.retriever.search(check_query(question).text, k=k + len(seen)).hits:
            if hit.id not in seen:
                best.setdefault(hit.id, hit)
    return sorted(best.values(), key=lambda h: h.score, reverse=True)[:k]
