"""What the user-facing commands compute, shared by the Discord bot and the terminal console.

Everything here is synchronous retrieval work of a few milliseconds (the bot runs it in a worker thread)
and returns pydantic models; how they look is up to each surface.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
import weakref
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from core import __version__
from core.errors import InputError, PaperBotError
from core.models import Answer, Hit, Paper, SearchFilters, SearchResult

if TYPE_CHECKING:
    from app.wiring import App
    from retrieval import Retriever

MAX_QUERY_CHARS = 500
SEARCH_RESULTS = 25
SIMILAR_RESULTS = 5


class HelpEntry(BaseModel):
    usage: str
    description: str


HELP: list[HelpEntry] = [
    HelpEntry(usage="/ask question [since] [private]",
              description="Answer a question from the paper abstracts, citing the papers it used."),
    HelpEntry(usage="/search query [since]", description="Ranked papers for a topic, five per page."),
    HelpEntry(usage="/paper title", description="One paper: abstract, dates, links and three similar papers."),
    HelpEntry(usage="/similar title", description="Papers closest to one you know, with why they are close."),
    HelpEntry(usage="/about", description="Corpus size, last update, models in use, version."),
    HelpEntry(usage="/help", description="This list."),
]

SINCE_HELP = "a date (2024-05-01) or a span back from today: 7d, 4w, 6m, 1y"

_RELATIVE = re.compile(r"^(\d{1,4})\s*(d|day|days|w|wk|week|weeks|m|mo|month|months|y|yr|year|years)$")


def parse_since(text: str | None, today: dt.date | None = None) -> dt.date | None:
    """A `since` option: an ISO date or a span back from today. Blank means no filter."""
    if text is None or not text.strip():
        return None
    value = text.strip().lower()
    today = today or dt.date.today()
    if match := _RELATIVE.match(value):
        amount, unit = int(match.group(1)), match.group(2)[0]
        days = {"d": 1, "w": 7, "m": 30, "y": 365}[unit] * amount
        try:
            return today - dt.timedelta(days=days)
        except OverflowError:
            raise InputError(f"“{text.strip()}” reaches too far back; use {SINCE_HELP}.") from None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"“{_clip(text.strip(), 40)}” is not a date; use {SINCE_HELP}.") from None


def filters_since(since: str | None) -> SearchFilters | None:
    day = parse_since(since)
    return SearchFilters(since=day) if day else None


def clean_query(text: str, what: str = "query", limit: int = MAX_QUERY_CHARS) -> tuple[str, str | None]:
    """Collapse whitespace; refuse an empty query; cut an overlong one and say so."""
    value = " ".join(text.split())
    if not value:
        raise InputError(f"The {what} is empty: type a few words.")
    if len(value) > limit:
        return value[:limit].rsplit(" ", 1)[0], f"The {what} was cut to its first {limit} characters."
    return value, None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mode_line(answer: Answer, llm_model: str) -> str:
    """How an answer was made, shown under it: LLM, extractive (and why), or no match."""
    if answer.mode == "llm":
        count = len(answer.citations)
        line = f"Mode: LLM ({llm_model}) · {count} paper{'s' if count != 1 else ''} cited"
    elif answer.mode == "extractive":
        line = "Mode: extractive, sentences quoted from the abstracts"
        if answer.fallback_reason:
            line += f" · {answer.fallback_reason}"
    else:
        line = "Mode: no match in the corpus"
    if answer.invalid_citations_removed:
        line += f" · {answer.invalid_citations_removed} unsupported citation(s) removed"
    return line


# -- /about -----------------------------------------------------------------------------------------------

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


# -- /search ----------------------------------------------------------------------------------------------

def search(app: App, query: str, since: str | None = None, k: int = SEARCH_RESULTS) -> SearchResult:
    filters = filters_since(since)
    text, notice = clean_query(query)
    result = app.retriever.search(text, k=k, filters=filters)
    if notice and not result.notice:
        result.notice = notice
    return result


# -- /paper and /similar ------------------------------------------------------------------------------------

class PaperNotFoundError(InputError):
    def __init__(self, text: str, suggestions: Sequence[Paper] = ()) -> None:
        self.suggestions = list(suggestions)
        message = f"No paper titled “{_clip(text, 120)}” in the corpus."
        if self.suggestions:
            message += " Closest titles: " + "; ".join(f"“{_clip(p.title, 90)}”" for p in self.suggestions[:3]) + "."
        message += " Try /search with a few words from it."
        super().__init__(message)


_WORD = re.compile(r"[a-z0-9]+")


def _norm_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).casefold()
    return _WORD.findall(folded)


def _title_matches(query: str, title: str) -> bool:
    """Whether a typed text names this title rather than merely resembling it."""
    q, t = _norm_words(query), _norm_words(title)
    if not q or not t:
        return False
    if q == t:
        return True
    q_text, t_text = " ".join(q), " ".join(t)
    if q_text in t_text and len(q_text) >= 0.6 * len(t_text):
        return True
    q_set, t_set = set(q), set(t)
    shared = len(q_set & t_set)
    return shared / len(q_set) >= 0.8 and shared / len(t_set) >= 0.6


def _short_name(title: str) -> str:
    head, sep, _ = title.partition(":")
    return " ".join(_norm_words(head)) if sep else ""


def resolve_paper(retriever: Retriever, text: str) -> Paper:
    """The paper a `/paper` or `/similar` option names: an autocomplete id, or a typed title.

    A typed text names a paper when it is (nearly) the title, or the short name before a title's colon
    ("rankgen" for "RankGen: Improving..."); anything vaguer is refused with the closest titles.
    """
    value = " ".join(text.split())
    if not value:
        raise InputError("The title is empty: start typing and pick a paper from the list.")
    by_id = retriever.get(value)
    if by_id is not None:
        return by_id
    candidates = retriever.match_titles(value, limit=5)
    for paper in candidates:
        if _title_matches(value, paper.title):
            return paper
    needle = " ".join(_norm_words(value))
    named = [p for p in candidates if needle and needle == _short_name(p.title)]
    if len(named) == 1:
        return named[0]
    raise PaperNotFoundError(value, candidates)


class TitleChoice(BaseModel):
    name: str = Field(max_length=100)
    value: str = Field(max_length=100)


def title_choices(retriever: Retriever, text: str, limit: int = 25) -> list[TitleChoice]:
    """Autocomplete entries: the title as the label, the paper id as the value."""
    value = " ".join(text.split())[:MAX_QUERY_CHARS]
    papers = retriever.match_titles(value, limit=limit)  # nothing typed yet: the newest papers
    return [TitleChoice(name=_clip(p.title, 100), value=p.id[:100]) for p in papers[: min(limit, 25)]]


class PaperDetails(BaseModel):
    paper: Paper
    similar: list[Hit] = Field(default_factory=list)


def paper_details(app: App, title: str, similar_k: int = 3) -> PaperDetails:
    paper = resolve_paper(app.retriever, title)
    return PaperDetails(paper=paper, similar=app.retriever.similar(paper.id, k=similar_k))


class SimilarItem(BaseModel):
    hit: Hit
    reason: str


class SimilarResult(BaseModel):
    paper: Paper
    items: list[SimilarItem] = Field(default_factory=list)


def similar(app: App, title: str, k: int = SIMILAR_RESULTS) -> SimilarResult:
    paper = resolve_paper(app.retriever, title)
    hits = app.retriever.similar(paper.id, k=k)
    rarity = term_rarity(app.retriever)
    return SimilarResult(paper=paper, items=[SimilarItem(hit=h, reason=similarity_reason(paper, h, rarity))
                                             for h in hits])


def more_like(app: App, cited_ids: Sequence[str], question: str, k: int = SIMILAR_RESULTS) -> list[Hit]:
    """Papers near the ones an answer cited (or near the question when it cited none), excluding those."""
    seen = set(cited_ids)
    best: dict[str, Hit] = {}
    for paper_id in list(cited_ids)[:3]:
        for hit in app.retriever.similar(paper_id, k=k + len(seen)):
            if hit.id not in seen and (hit.id not in best or hit.score > best[hit.id].score):
                best[hit.id] = hit
    if not best:
        text, _ = clean_query(question)
        for hit in app.retriever.search(text, k=k + len(seen)).hits:
            if hit.id not in seen:
                best.setdefault(hit.id, hit)
    return sorted(best.values(), key=lambda h: h.score, reverse=True)[:k]


_STOPWORD_TEXT = """
a about above across after again against all almost also although always am among an and another any are as at
based be because been before being below between both but by can could did do does doing done down during each
either enough especially even every few for from further given had has have having here how however i if in into
is it its itself just large less like made make makes many may might more most much must new no nor not novel of
off often on once one only or other our out over own paper papers per propose proposed proposes provide
provides rather recent recently same several should show shows significant significantly since so some such
than that the their them then there these they this those through thus to too towards under until up upon us use
used uses using various very via was we well were what when where whether which while who whose why will with
within without would yet approach approaches method methods model models task tasks work results result
existing first two three framework data performance state art achieve achieves demonstrate experiments
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _terms(text: str) -> list[str]:
    return [w for w in _norm_words(text) if len(w) > 2 and w not in _STOPWORDS and not w.isdigit()]


_RARITY: weakref.WeakKeyDictionary[object, dict[str, float]] = weakref.WeakKeyDictionary()


def term_rarity(retriever: Retriever) -> dict[str, float]:
    """Inverse document frequency of every term in the corpus (computed once per opened index)."""
    cached = _RARITY.get(retriever)
    if cached is not None:
        return cached
    papers = retriever.papers()
    counts: Counter[str] = Counter()
    for paper in papers:
        counts.update(set(_terms(f"{paper.title} {paper.abstract}")))
    total = max(len(papers), 1)
    rarity = {term: math.log(total / df) for term, df in counts.items()}
    _RARITY[retriever] = rarity
    return rarity


# A word used by more than 30% of the papers (or 12% for abstract words) says little about why two are close.
_TITLE_FLOOR = math.log(1 / 0.30)
_BODY_FLOOR = math.log(1 / 0.12)


def similarity_reason(paper: Paper, hit: Hit, rarity: dict[str, float]) -> str:
    """One line saying why two papers are close: the most distinctive words they share.

    Shared title words come first (unless most papers use them); then words both abstracts repeat, rarer
    first: a topic word recurs in an abstract, a generic one appears once.
    """
    counts_a = Counter(_terms(f"{paper.title} {paper.abstract}"))
    counts_b = Counter(_terms(f"{hit.title} {hit.abstract}"))
    in_titles = set(_terms(paper.title)) & set(_terms(hit.title))

    def score(word: str) -> float:
        return rarity.get(word, 0.0) * min(counts_a[word], counts_b[word])

    titles = sorted((w for w in in_titles if rarity.get(w, 0.0) >= _TITLE_FLOOR), key=score, reverse=True)
    body = sorted((w for w in counts_a.keys() & counts_b.keys()
                   if w not in in_titles and rarity.get(w, 0.0) >= _BODY_FLOOR), key=score, reverse=True)
    ranked = (titles + [w for w in body if score(w) >= _BODY_FLOOR * 2 or not titles])[:4]
    if ranked:
        return "both about " + ", ".join(ranked)
    return f"close in meaning (similarity {hit.score:.2f})"
