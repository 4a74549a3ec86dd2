"""The pydantic models that cross module boundaries: retrieval -> answer -> bot / CLI / digest."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

ARXIV_ABS = "https://arxiv.org/abs/"


class Links(BaseModel):
    """A paper's own pages, each where its source gave it."""

    abs: str | None = Field(default=None, description="arXiv abstract page")
    pdf: str | None = None
    hf: str | None = Field(default=None, description="Hugging Face paper page")
    code: str | None = Field(default=None, description="code repository (GitHub)")
    project: str | None = Field(default=None, description="project page")

    def merged(self, newer: Links) -> Links:
        """Each link from `newer` where it has one, else this one's."""
        return Links(**{k: getattr(newer, k) or getattr(self, k) for k in Links.model_fields})


class PaperMeta(BaseModel):
    """What a paper's sources say about it beyond its text; carried by papers, hits and citations."""

    arxiv_id: str | None = Field(default=None, description="without version suffix, e.g. 2403.15378")
    authors: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list, description="arXiv categories, primary first")
    links: Links = Field(default_factory=Links)
    upvotes: int | None = Field(default=None, description="Hugging Face Daily Papers upvotes")
    published: dt.date | None = Field(default=None, description="first submission (arXiv v1)")

    @property
    def abs_url(self) -> str | None:
        """The arXiv abstract page: where a title should link."""
        if self.links.abs:
            return self.links.abs
        return f"{ARXIV_ABS}{self.arxiv_id}" if self.arxiv_id else None

    def byline(self, listed: dt.date | None = None) -> str | None:
        """"Zhang et al., 2024": first author and year, as a reader cites a paper; None when unknown."""
        if not self.authors:
            return None
        surname = self.authors[0].split()[-1] if self.authors[0].split() else self.authors[0]
        who = surname if len(self.authors) == 1 else (
            f"{surname} and {self.authors[1].split()[-1]}" if len(self.authors) == 2 else f"{surname} et al.")
        day = self.published or listed
        return f"{who}, {day.year}" if day else who

    def meta(self) -> dict[str, Any]:
        """These fields alone, to build another model carrying them (`Hit(**paper.meta(), ...)`)."""
        return {k: getattr(self, k) for k in PaperMeta.model_fields}


def paper_facts(paper: PaperMeta) -> list[str]:
    """The arXiv id, categories, first submission and upvotes, where known: one line on /paper and the console."""
    facts = [paper.arxiv_id or "", ", ".join(paper.categories),
             f"submitted {paper.published.isoformat()}" if paper.published else "",
             f"{paper.upvotes} upvotes" if paper.upvotes is not None else ""]
    return [f for f in facts if f]


class Paper(PaperMeta):
    """One paper of the corpus, merged over every page it was listed on."""

    id: str
    title: str
    abstract: str
    dates: list[dt.date] = Field(default_factory=list, description="listing dates, ascending")
    sources: list[str] = Field(default_factory=list, description="corpus files (and lines) it came from")
    urls: list[str] = Field(default_factory=list, description="links found in the abstract or given by a file")

    @property
    def date(self) -> dt.date | None:
        """The newest listing date: the one a reader cares about ("when was it in the daily list")."""
        return self.dates[-1] if self.dates else None

    @property
    def all_urls(self) -> list[str]:
        """Every link, the arXiv abstract page first (titles link to the first)."""
        return [url for _, url in self.labelled_links()]

    def labelled_links(self) -> list[tuple[str, str]]:
        """(label, url) of every link: its own pages named ("arXiv", "PDF", "Code"...), then the others."""
        own = [("arXiv", self.abs_url), ("PDF", self.links.pdf), ("Hugging Face", self.links.hf),
               ("Code", self.links.code), ("Project page", self.links.project)]
        named = {url: label for label, url in reversed(own) if url}
        return [(named.get(url, url), url) for url in dict.fromkeys([u for _, u in own if u] + self.urls)]


class SearchFilters(BaseModel):
    since: dt.date | None = None
    until: dt.date | None = None
    author: str | None = Field(default=None, description="part of an author's name, e.g. 'Zhang'")

    @property
    def active(self) -> bool:
        return self.since is not None or self.until is not None or bool(self.author)


class Hit(PaperMeta):
    """A ranked search result."""

    id: str
    title: str
    score: float
    date: dt.date | None = None
    abstract: str = ""
    urls: list[str] = Field(default_factory=list)


class SearchResult(BaseModel):
    query: str
    relevant: bool
    hits: list[Hit] = Field(default_factory=list)
    notice: str | None = Field(default=None, description="e.g. the query was truncated")
    relevant_count: int | None = Field(
        default=None, description="how many of the hits, the first ones, are about the query (the rest loosely "
                                  "related); None: not judged")
    preferring: list[str] = Field(default_factory=list, description="topic terms ranked first (a channel's topic)")
    reranked: bool = Field(default=False, description="the LLM reordered the top candidates")


class Citation(PaperMeta):
    n: int
    id: str
    title: str
    quote: str
    urls: list[str] = Field(default_factory=list)
    date: dt.date | None = None


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Timings(BaseModel):
    retrieval: float = 0.0
    llm: float = 0.0
    total: float = 0.0


AnswerMode = Literal["llm", "extractive", "abstain"]


class Answer(BaseModel):
    question: str
    answer: str
    mode: AnswerMode
    fallback_reason: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    timings_ms: Timings = Field(default_factory=Timings)
    notice: str | None = Field(default=None, description="shown to the user, e.g. question truncated")
    nearest: list[Hit] = Field(default_factory=list, description="closest titles when abstaining")
    invalid_citations_removed: int = 0
    preferring: list[str] = Field(default_factory=list, description="topic terms retrieval preferred (a channel's)")
    reranked: bool = Field(default=False, description="the LLM reordered the search's top candidates")

    def as_turn(self) -> Turn:
        """The Turn to keep in conversation memory (cited ids in the order of their numbers)."""
        return Turn(question=self.question, answer=self.answer,
                    cited_ids=[c.id for c in sorted(self.citations, key=lambda c: c.n)])


class Turn(BaseModel):
    """One earlier exchange of a conversation, as follow-ups need it."""

    question: str
    answer: str
    cited_ids: list[str] = Field(default_factory=list)
