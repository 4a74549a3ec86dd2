"""`/paperbot status`: what a server admin needs to see to answer "why didn't the digest post?".

Last ingest and fetch, each of the server's digests with its last run and, when it did not post, why; answers
that fell back from the LLM in the last 24 hours; feedback counts.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from app.wiring import App
from core.errors import PaperBotError

WHY = {
    "pending": "being posted (or interrupted: checked again on start)",
    "retry": "a temporary failure; it will be retried",
    "failed": "failed and will not be retried today",
    "missed": "missed: the bot was down past the grace period",
}


class DigestStatus(BaseModel):
    channel_id: int | None
    time_utc: str
    last_day: dt.date | None = None
    outcome: str = "never run"
    why: str | None = None


class ServerStatus(BaseModel):
    papers: int | None = None
    last_ingest: dt.datetime | None = None
    index_problem: str | None = None
    last_fetch: str = "never"
    digests: list[DigestStatus] = []
    answers_24h: int = 0
    llm_fallbacks_24h: int = 0
    llm_configured: bool = False
    answer_votes: tuple[int, int] = (0, 0)
    digest_votes: tuple[int, int] = (0, 0)


def _votes(app: App, sql: str, guild_id: int) -> tuple[int, int]:
    rows = {row[0]: row[1] for row in app.db.query(sql, (guild_id,))}
    return int(rows.get(1, 0)), int(rows.get(-1, 0))


def _fetch_summary(app: App) -> str:
    from app.fetching import last_run

    run = last_run(app.settings)
    if run is None:
        return "never"
    text = f"{run.finished:%Y-%m-%d %H:%M} UTC, {run.outcome}, {run.added} new"
    return text + (f" ({run.detail})" if run.detail else "")


def server_status(app: App, guild_id: int, now: dt.datetime) -> ServerStatus:
    from storage.digests import DigestStore

    status = ServerStatus(llm_configured=app.settings.llm_configured, last_fetch=_fetch_summary(app))
    try:
        stats = app.retriever.stats()
        status.papers, status.last_ingest = stats.papers, stats.last_ingest
    except PaperBotError as exc:
        status.index_problem = str(exc)
    store = DigestStore(app.db)
    for target in store.targets(guild_id):
        item = DigestStatus(channel_id=target.channel_id, time_utc=f"{target.time:%H:%M}")
        runs = store.runs(target.key, limit=1)
        if runs:
            item.last_day, item.outcome = runs[0].day, runs[0].state
            if runs[0].state != "done":
                item.why = WHY.get(runs[0].state, runs[0].state) + (f": {runs[0].error}" if runs[0].error else "")
        status.digests.append(item)
    since = (now - dt.timedelta(hours=24)).astimezone(dt.UTC).isoformat(timespec="seconds")
    for mode, count in app.db.query("SELECT mode, COUNT(*) FROM answers WHERE guild_id = ? AND created_at >= ? "
                                    "GROUP BY mode", (guild_id, since)):
        status.answers_24h += count
        if mode == "extractive" and status.llm_configured:  # with an LLM, extractive means it failed
            status.llm_fallbacks_24h += count
    status.answer_votes = _votes(app, "SELECT vote, COUNT(*) FROM feedback WHERE guild_id = ? GROUP BY vote",
                                 guild_id)
    status.digest_votes = _votes(app, "SELECT value, COUNT(*) FROM digest_feedback WHERE guild_id = ? "
                                      "GROUP BY value", guild_id)
    return status
