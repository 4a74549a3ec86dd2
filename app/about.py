"""/about: corpus size, last ingest, the models in use and the version."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from core import __version__
from core.errors import PaperBotError

if TYPE_CHECKING:
    from app.wiring import App
    from core.settings import Settings


class AboutInfo(BaseModel):
    version: str = __version__
    papers: int | None = None
    last_ingest: dt.datetime | None = None
    embedding_model: str
    llm: str = Field(description="model name, or a note that answers are extractive")
    llm_configured: bool
    store: str | None = None
    index_problem: str | None = None
    fetch: str | None = Field(default=None, description="the last fetch of new papers: when, outcome, papers added")


def about(app: App) -> AboutInfo:
    settings = app.settings
    llm = settings.llm_model if settings.llm_configured else "none: answers are extractive (no LLM configured)"
    info = AboutInfo(embedding_model=settings.embedding_model, llm=llm, llm_configured=settings.llm_configured,
                     fetch=fetch_status(settings))
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


def fetch_status(settings: Settings) -> str | None:
    """'2026-01-02 08:00 UTC · ok · 2 paper(s) added (1 enriched)', or why the last fetch failed."""
    from retrieval.sources.raw import load_state  # the HTTP client it brings is needed by /about only

    run = load_state(settings).last_run
    if run is None:
        return "never (run `paperbot fetch`, or the bot fetches daily)" if settings.fetch_daily else None
    when = run.finished.strftime("%Y-%m-%d %H:%M UTC")
    if run.outcome == "failed":
        return f"{when} · failed: {run.detail} (retried with backoff)"
    enriched = f" ({run.enriched} enriched)" if run.enriched else ""
    return f"{when} · {run.outcome} · {run.added} paper(s) added{enriched}"
