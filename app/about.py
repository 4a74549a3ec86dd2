"""/about: corpus size, last ingest, the models in use and the version."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from core import __version__
from core.errors import PaperBotError

if TYPE_CHECKING:
    from app.wiring import App


class AboutInfo(BaseModel):
    version: str = __version__
    papers: int | None = None
    last_ingest: dt.datetime | None = None
    embedding_model: str
    llm: str = Field(description="model name, or a note that answers are extractive")
    llm_configured: bool
    store: str | None = None
    index_problem: str | None = None


def about(app: App) -> AboutInfo:
    settings = app.settings
    llm = settings.llm_model if settings.llm_configured else "none: answers are extractive (no LLM configured)"
    info = AboutInfo(embedding_model=settings.embedding_model, llm=llm, llm_configured=settings.llm_configured)
    try:
        stats = app.retriever.stats()
    except PaperBotError as exc:
        info.index_problem = str(exc)
        return info
    info.papers = stats.papers
    info.last_ingest = stats.last_ingest
    info.embedding_model = stats.embedding_model
    info.store = stats.store
    info.index_problem = stats.warning
    return info
