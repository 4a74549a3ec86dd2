"""The application object shared by the Discord bot, the console and the CLI.

It owns the long-lived pieces (retriever with its loaded model, answer engine, state database). Each can be
given to the constructor (tests share one loaded index, a fake engine); a part not given is built on first
use, so a command that needs only one of them never pays for the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.settings import Settings

if TYPE_CHECKING:
    from answer.digest_brief import DigestWriter
    from answer.engine import Engine
    from retrieval import Retriever
    from storage import Database


class App:
    def __init__(self, settings: Settings, *, retriever: Retriever | None = None, engine: Engine | None = None,
                 db: Database | None = None) -> None:
        self.settings = settings
        self._retriever = retriever
        self._engine = engine
        self._db = db
        self._digest_writer: DigestWriter | None = None

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            from retrieval import Retriever

            self._retriever = Retriever.open(self.settings)
        return self._retriever

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from answer.engine import Engine

            self._engine = Engine(self.settings, self.retriever)
        return self._engine

    @property
    def digest_writer(self) -> DigestWriter:
        """The digest's overview and TL;DRs, on the engine's LLM."""
        if self._digest_writer is None:
            from answer.digest_brief import DigestWriter

            self._digest_writer = DigestWriter(self.engine)
        return self._digest_writer

    @property
    def db(self) -> Database:
        if self._db is None:
            from storage import open_database

            self._db = open_database(self.settings.state_db)
        return self._db

    async def close_engine(self) -> None:
        """Close the engine's LLM client, if an engine was built (closing must not build one)."""
        if self._engine is not None:
            await self._engine.aclose()

    def close_db(self) -> None:
        if self._db is not None:
            self._db.close()
