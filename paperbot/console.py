"""The local console (`paperbot chat`): the bot's commands in a terminal, on the same engine, no Discord needed.

Plain text is a question that remembers the last turns; /ask, /search, /paper, /similar, /about and /help
work as in Discord; `reset` starts over and `quit` leaves. When stdin is not a terminal every line is a
question (or command) and the session ends at end of input, so `echo "question" | paperbot chat` works in CI.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text

from app import ask, papers, search
from app.about import about
from app.help import HELP
from core.dates import SINCE_HELP
from core.errors import IndexMissingError, InputError, PaperBotError
from core.models import Answer, Hit, SearchFilters, Turn, paper_facts
from core.settings import BUNDLED_CORPUS, Settings

if TYPE_CHECKING:
    from app.wiring import App

log = logging.getLogger(__name__)

QUIT_WORDS = {"quit", "exit", "/quit", "/exit", ":q"}
CONSOLE_RESET_WORDS = {"reset", "/reset"}
PROMPT = "you › "


def ensure_index(settings: Settings, err: Console, paths: Sequence[Path] = (BUNDLED_CORPUS,)) -> None:
    """On a fresh machine there is no index yet: build it from the bundled corpus, showing progress."""
    from retrieval import Retriever

    try:
        Retriever.open(settings)
        return
    except IndexMissingError:
        if settings.index_dir.exists() and any(settings.index_dir.iterdir()):
            raise  # an index that exists but is unreadable needs the user's decision (ingest to repair it)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from retrieval.ingest import ingest

    err.print("No index yet: building it from the bundled corpus (a minute or two, once).", highlight=False)
    started = time.perf_counter()
    with Progress(TextColumn("embedding abstracts"), BarColumn(), MofNCompleteColumn(), console=err,
                  transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("embed", total=None)
        report = ingest(list(paths), settings, progress=lambda done, total: bar.update(task, completed=done,
                                                                                     total=total))
    err.print(f"Index ready: {report.total_in_index} papers in {time.perf_counter() - started:.0f} s.",
              highlight=False)


class ChatSession:
    """One console conversation. `handle` takes a line and prints the reply; it returns False to quit."""

    def __init__(self, app: App, out: Console, runner: asyncio.Runner, *, interactive: bool) -> None:
        self.app = app
        self.out = out
        self.runner = runner
        self.interactive = interactive
        self.history: list[Turn] = []
        self.failures = 0

    # -- input ------------------------------------------------------------------------------------------

    def handle(self, line: str) -> bool:
        text = line.strip()
        if not text:
            return True
        lowered = text.casefold()
        if lowered in QUIT_WORDS:
            return False
        if lowered in CONSOLE_RESET_WORDS:
            self.history.clear()
            self._note("Starting over: earlier questions are forgotten.")
            return True
        try:
            if text.startswith("/"):
                self._command(text)
            else:
                self._ask(text, remember=True)
        except PaperBotError as exc:
            self.failures += 1
            self.out.print(Text(str(exc), style="red"))
        except Exception:
            self.failures += 1
            log.exception("console command failed", extra={"line": text[:200]})
            self.out.print(Text("Something went wrong; details are in the log (run with -v).", style="red"))
        return True

    def _command(self, text: str) -> None:
        name, _, rest = text.partition(" ")
        name = name.casefold()
        rest, since = _take_since(rest)
        if name == "/ask":
            self._ask(rest, remember=False, since=since)
        elif name == "/search":
            self._search(rest, since)
        elif name == "/paper":
            self._paper(rest)
        elif name == "/similar":
            self._similar(rest)
        elif name == "/about":
            self._about()
        elif name == "/help":
            self._help()
        else:
            raise InputError(f"Unknown command {name}: type /help for the list.")

    # -- commands ---------------------------------------------------------------------------------------

    def _ask(self, question: str, *, remember: bool, since: str | None = None) -> None:
        asked = ask.question(self.app, question)
        filters = search.filters_since(since)
        history = list(self.history) if remember else None
        answer = self.runner.run(self._produce(asked, history, filters))
        self._print_answer(answer)
        if remember:
            self.history.append(answer.as_turn())
            del self.history[:-max(self.app.settings.conversation_turns, 1)]

    async def _produce(self, asked: ask.Question, history: list[Turn] | None,
                       filters: SearchFilters | None) -> Answer:
        if not (self.interactive and ask.streams(self.app)):
            return await ask.answer(self.app, asked, history, filters)
        with Live(Text("…", style="dim"), console=self.out, transient=True, refresh_per_second=8) as live:
            async for item in ask.stream(self.app, asked, history, filters):
                if isinstance(item, Answer):
                    return item
                live.update(Text(item))
        raise RuntimeError("the answer engine's stream ended without a final answer")

    def _print_answer(self, answer: Answer) -> None:
        if answer.notice:
            self.out.print(Text(answer.notice, style="yellow"))
        self.out.print(Text(answer.answer))
        if answer.citations:
            self.out.print(Text("\nSources", style="bold"))
            for c in answer.citations:
                self.out.print(Text.assemble((f"[{c.n}] ", "bold"), c.title,
                                             (f" · {c.date.isoformat()}" if c.date else "", "dim")))
                if c.urls:
                    self.out.print(Text(f"    {c.urls[0]}", style="dim"))
        self.out.print(Text(ask.mode_line(answer, self.app.settings.llm_model, ask.Prices.of(self.app.settings)),
                            style="dim"))

    def _print_hits(self, hits: Sequence[Hit]) -> None:
        for hit in hits:
            self.out.print(_hit_text(" • ", hit))

    def _search(self, query: str, since: str | None) -> None:
        result = self.runner.run(search.reranked(self.app, search.search(self.app, query, since)))
        if result.notice:
            self._note(result.notice)
        if not result.hits:
            self._note("No paper in the corpus matches that.")
            return
        cut = result.relevant_count or 0
        if not cut:
            self._note("Nothing in the corpus is clearly about this; these are the closest papers.")
        else:
            self._note(f"{cut} relevant paper{'s' if cut != 1 else ''}"
                       + (f" · {ask.RERANKED}" if result.reranked else ""))
        for index, hit in enumerate(result.hits, 1):
            if index == cut + 1 and cut:
                self.out.print(Text("    loosely related:", style="dim"))
            self.out.print(_hit_text(f"{index:>2}. ", hit))

    def _paper(self, title: str) -> None:
        details = papers.paper_details(self.app, title)
        paper = details.paper
        self.out.print(Text(paper.title, style="bold"))
        self.out.print(Text("Listed " + (", ".join(d.isoformat() for d in paper.dates) or "unknown"), style="dim"))
        if paper.authors:
            self.out.print(Text(", ".join(paper.authors)))
        facts = paper_facts(paper)
        if facts:
            self.out.print(Text("arXiv " + " · ".join(facts), style="dim"))
        for label, url in paper.labelled_links():
            self.out.print(Text(url if label == url else f"{label}: {url}", style="dim"))
        self.out.print(Text(paper.abstract))
        if details.similar:
            self.out.print(Text("\nSimilar papers", style="bold"))
            self._print_hits(details.similar)

    def _similar(self, title: str) -> None:
        result = papers.similar(self.app, title)
        self.out.print(Text(f"Similar to: {result.paper.title}", style="bold"))
        if not result.items:
            self._note("No other paper in the corpus is close.")
        for index, item in enumerate(result.items, 1):
            self.out.print(_hit_text(f"{index:>2}. ", item.hit))
            self.out.print(Text(f"    ↳ {item.reason}", style="dim"))

    def _about(self) -> None:
        info = about(self.app)
        rows = [("Version", info.version)]
        if info.index_problem:
            rows.append(("Corpus", info.index_problem))
        else:
            last = info.last_ingest.strftime("%Y-%m-%d %H:%M UTC") if info.last_ingest else "unknown"
            rows += [("Corpus", f"{info.papers} papers"), ("Last ingest", last)]
        rows += [("Last fetch", info.fetch)] if info.fetch else []
        rows += [("Embedding model", info.embedding_model), ("Answer model", info.llm)]
        for key, value in rows:
            self.out.print(Text.assemble((f"{key}: ", "bold"), str(value)))

    def _help(self) -> None:
        for entry in (e for e in HELP if e.console):
            self.out.print(Text.assemble((f"{entry.usage:<34}", "bold"), entry.description))
        for usage, description in (("any other text", "a question; follow-ups remember the last turns"),
                                   ("reset", "forget the conversation"), ("quit", "leave")):
            self.out.print(Text.assemble((f"{usage:<34}", "bold"), description))
        self._note(f"since: {SINCE_HELP} (as --since 7d or since:7d)")

    def _note(self, text: str) -> None:
        self.out.print(Text(text, style="dim"))


def _hit_text(prefix: str, hit: Hit) -> Text:
    date = hit.date.isoformat() if hit.date else "date unknown"
    return Text.assemble((prefix, "bold"), hit.title, (f" · {date}", "dim"))


def _take_since(text: str) -> tuple[str, str | None]:
    """Pull `--since X` or `since:X` out of a command line."""
    words = text.split()
    since = None
    kept: list[str] = []
    skip = False
    for index, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word == "--since" and index + 1 < len(words):
            since, skip = words[index + 1], True
        elif word.startswith(("--since=", "since:")):
            since = word.split("=", 1)[1] if word.startswith("--since=") else word.split(":", 1)[1]
        else:
            kept.append(word)
    return " ".join(kept), since


def run_console(app: App, *, stdin: TextIO | None = None, out: Console | None = None,
                interactive: bool | None = None) -> int:
    """Run a session until quit or end of input. Exit code 1 if a non-interactive session had failures."""
    stdin = stdin or sys.stdin
    interactive = stdin.isatty() if interactive is None else interactive
    out = out or Console(highlight=False, soft_wrap=not interactive)
    with asyncio.Runner() as runner:
        session = ChatSession(app, out, runner, interactive=interactive)
        try:
            if interactive:
                _banner(app, out)
            while True:
                try:
                    line = out.input(PROMPT) if interactive else stdin.readline()
                except EOFError:
                    break
                if not interactive and line == "":
                    break
                if not session.handle(line):
                    break
        except KeyboardInterrupt:
            out.print()
        finally:
            runner.run(app.close_engine())
    return 1 if session.failures and not interactive else 0


def _banner(app: App, out: Console) -> None:
    info = about(app)
    corpus = info.index_problem or f"{info.papers} papers"
    mode = f"LLM {info.llm}" if info.llm_configured else "extractive answers (no LLM configured)"
    out.print(Text(f"PaperBot console · {corpus} · {mode}", style="bold"))
    out.print(Text("Type a question, or /help for commands; reset starts over, quit leaves.", style="dim"))
