"""The pydantic models that cross module boundaries: retrieval -> answer -> bot / CLI / digest."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class Paper(BaseModel):
    """One paper of the corpus, merged over every page it was listed on."""

    id: str
    title: str
    abstract: str
    dates: list[dt.date] = Field(default_factory=list, description="listing dates, ascending")
    sources: list[str] = Field(default_factory=list, description="corpus files (and lines) it came from")
    urls: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)

    @property
    def date(self) -> dt.date | None:
        """The newest listing date: the one a reader cares about ("when was it in the daily list")."""
        return self.dates[-1] if self.dates else None


class SearchFilters(BaseModel):
    since: dt.date | None = None
    until: dt.date | None = None

    @property
    def active(self) -> bool:
        return self.since is not None or self.until is not None


class Hit(BaseModel):
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


class Citation(BaseModel):
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


class Turn(BaseModel):
    """One earlier exchange of a conversation, as follow-ups need it."""

    question: str
    answer: str
    cited_ids: list[str] = Field(default_factory=list)
