"""Reading-list use cases shared by the bot and the CLI: save, list, remove, export, and the weekly roundup."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from app.export import EXTENSIONS, ExportFormat, render
from app.papers import resolve_paper
from core.errors import InputError
from core.models import Paper
from storage.digests import DigestStore
from storage.feedback import FeedbackStore
from storage.reading_list import ReadingListStore, SavedPaper, Scope

if TYPE_CHECKING:
    from app.wiring import App

ROUNDUP_SIZE = 5


class Saved(BaseModel):
    title: str
    added: bool  # False: it was on the list already


def store(app: App) -> ReadingListStore:
    return ReadingListStore(app.db)


def save_paper(app: App, paper_id: str, *, user_id: int, guild_id: int | None,
               at: dt.datetime | None = None) -> Saved:
    paper = app.retriever.get(paper_id)
    if paper is None:
        raise InputError("That paper is no longer in the corpus, so it cannot be saved.")
    return Saved(title=paper.title, added=store(app).save(guild_id, user_id, paper.id, paper.title, at))


def save_title(app: App, title: str, *, user_id: int, guild_id: int | None, at: dt.datetime | None = None) -> Saved:
    """`/save title`: a typed title or an autocomplete id, resolved as /paper does."""
    return save_paper(app, resolve_paper(app.retriever, title).id, user_id=user_id, guild_id=guild_id, at=at)


def saved(app: App, scope: Scope | None, *, user_id: int | None, guild_id: int | None) -> list[SavedPaper]:
    """A list: one person's ("mine"), one server's, or (scope None, the CLI) everything anyone saved."""
    if scope is None:
        return store(app).everything()
    if scope == "server":
        if guild_id is None:
            raise InputError("There is no server list in a DM: use /list mine.")
        return store(app).server(guild_id)
    if user_id is None:
        raise InputError("Name whose list to export.")
    return store(app).mine(user_id)


def remove(app: App, paper_id: str, scope: Scope, *, user_id: int, guild_id: int | None,
           can_manage: bool = False) -> int:
    """Take a paper off a list: one's own save, or everyone's in the server for a server manager."""
    lists = store(app)
    if scope == "mine":
        return lists.forget(user_id, paper_id)
    return lists.remove(guild_id, paper_id, user_id=None if can_manage else user_id)


class ExportFile(BaseModel):
    filename: str
    text: str
    count: int
    missing: int = 0  # saved papers the corpus no longer has (exported from their saved title alone)


def _papers(app: App, items: Sequence[SavedPaper]) -> tuple[list[Paper], int]:
    found = {p.id: p for p in app.retriever.get_many([i.paper_id for i in items])}
    papers = [found.get(i.paper_id) or Paper(id=i.paper_id, title=i.title, abstract="") for i in items]
    return papers, sum(1 for i in items if i.paper_id not in found)


def export(app: App, fmt: ExportFormat, scope: Scope | None, *, user_id: int | None, guild_id: int | None,
           heading: str = "Reading list") -> ExportFile:
    items = saved(app, scope, user_id=user_id, guild_id=guild_id)
    papers, missing = _papers(app, list(reversed(items)))  # oldest first: the order things were read in
    return ExportFile(filename=f"reading-list-{scope or 'all'}.{EXTENSIONS[fmt]}", text=render(papers, fmt, heading),
                      count=len(papers), missing=missing)


# -- weekly roundup -------------------------------------------------------------------------------------------

class RoundupItem(BaseModel):
    paper_id: str
    title: str
    count: int


class WeeklyRoundup(BaseModel):
    week_start: dt.date
    liked: list[RoundupItem] = Field(default_factory=list)
    saved: list[RoundupItem] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.liked and not self.saved


def week_start(moment: dt.datetime) -> dt.date:
    """The Monday of the week a moment falls in (UTC)."""
    day = moment.astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def roundup(app: App, guild_id: int, until: dt.datetime) -> WeeklyRoundup:
    """The seven days before `until`: the papers most 👍-ed (answers and digest items) and most saved."""
    since = until - dt.timedelta(days=7)
    likes = FeedbackStore(app.db).likes_between(guild_id, since, until)
    for paper_id, count in DigestStore(app.db).likes_between(guild_id, since, until).items():
        likes[paper_id] = likes.get(paper_id, 0) + count
    titles = {p.id: p.title for p in app.retriever.get_many(list(likes))}
    liked = sorted((RoundupItem(paper_id=pid, title=titles[pid], count=n) for pid, n in likes.items()
                    if n > 0 and pid in titles), key=lambda i: (-i.count, i.title))
    most_saved = [RoundupItem(paper_id=s.paper_id, title=s.title, count=s.savers)
                  for s in store(app).most_saved(guild_id, since, until)]
    return WeeklyRoundup(week_start=(until - dt.timedelta(days=7)).date(), liked=liked[:ROUNDUP_SIZE],
                         saved=most_saved[:ROUNDUP_SIZE])
