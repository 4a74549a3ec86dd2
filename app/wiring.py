"""The application object shared by the Discord bot, the console and the CLI.

It owns the long-lived pieces (retriever with its loaded model, answer engine, state database) and builds
each on first use, so a command that needs only one of them never pays for the others.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from core.settings import Settings

if TYPE_CHECKING:
    from answer.engine import Engine
    from retrieval import Retriever
    from storage import Database


class App:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def retriever(self) -> Retriever:
        from retrieval import Retriever

        return Retriever.open(self.settings)

    @cached_property
    def engine(self) -> Engine:
        from answer.engine import Engine

        return Engine(self.settings, self.retriever)

    @cached_property
    def db(self) -> Database:
        from storage import open_database

        return open_database(self.settings.state_db)
