"""The digest's short texts without an LLM, and the checks an LLM's TL;DR must pass.

- `extractive_overview`: the day's papers grouped into themes named from words their titles share ("3 are on
  long context: LongLoRA [1], ...; 2 on preference optimization: ..."), the rest named by their short titles.
- `tldr_supported`: an LLM TL;DR is kept only if it is one short line whose words and numbers come from the
  paper's title and abstract; otherwise `key_line` (the abstract's key sentence) is used.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from answer.citations import MARKER, key_sentence
from answer.context import Source
from answer.terms import terms
from core.models import Paper
from core.text import DocumentFrequency, join_names, short_title, shorten, stem, words

TLDR_CHARS = 220
# Words every paper of this corpus shares; a theme named after them says nothing.
_GENERIC_WORDS = """
model models language languages large llm llms lm lms neural learning deep performance task tasks system
systems framework frameworks improving improve improves improved effective efficient toward towards via
better data text training pretrained pre-trained generation understanding evaluation evaluating analysis
benchmark benchmarks scale scaling survey surveys review study studies towards approach approaches
foundation
"""
_GENERIC = frozenset(stem(w) for w in _GENERIC_WORDS.split())
_REFUSAL = re.compile(r"\b(I can(?:not|'t)|as an ai|I'm sorry|I am sorry|unable to)\b", re.I)


_CORPUS_MIN = 20
_GAP_WORDS = frozenset({"of", "for", "in", "on", "to", "with"})


def phrases(text: str) -> list[tuple[str, str]]:
    """(stem key, surface form) for the content words of `text` and for adjacent pairs ("mixture of
    experts" pairs across one small word)."""
    result: list[tuple[str, str]] = []
    previous: tuple[str, str] | None = None
    gap = ""
    for surface in words(text):
        key = stem(surface)
        if not gap and previous is not None and surface in _GAP_WORDS:
            gap = surface
            continue
        if key in _GENERIC or len(surface) < 3 or not terms(surface):
            previous, gap = None, ""
            continue
        result.append((key, surface))
        if previous is not None:
            joiner = f" {gap} " if gap else " "
            result.append((f"{previous[1]} {key}", f"{previous[0]}{joiner}{surface}"))
        previous, gap = (surface, key), ""
    return result


class PhraseFrequency(DocumentFrequency):
    """In how many papers of the corpus each phrase occurs: a theme must be rarer than the corpus's
    everyday vocabulary ("applications", "processing") to be worth naming."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__([key for key, _ in phrases(text)] for text in texts)

    def common(self, key: str) -> bool:
        # A handful of papers cannot tell everyday vocabulary from their shared topic.
        return self.n >= _CORPUS_MIN and self.df.get(key, 0) > max(3, 0.2 * self.n)


Theme = tuple[str, list[int]]  # its name (the papers' own words) and the numbers of its papers
_MAX_THEMES = 3
_NAMES_PER_THEME = 4


def themes(sources: list[Source], frequency: PhraseFrequency, *, avoid: frozenset[str] = frozenset(),
           limit: int = _MAX_THEMES) -> list[Theme]:
    """Groups of at least two papers whose titles share a phrase rarer than the corpus's everyday vocabulary,
    largest and most distinctive first; each paper in one group at most. `avoid`: stems no theme may use (a
    theme every paper shares, which the groups then divide)."""
    coverage: dict[str, set[int]] = defaultdict(set)
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    for source in sources:
        # Titles name topics; abstracts' sentences are full of everyday words ("types", "extends").
        for key, surface in phrases(source.title):
            if not avoid & set(key.split()):
                coverage[key].add(source.n)
                surfaces[key][surface] += 1
    found: list[Theme] = []
    covered: set[int] = set()
    while len(found) < limit:
        best = None
        for key, papers in coverage.items():
            fresh = papers - covered
            if len(fresh) < 2 or frequency.common(key):
                continue
            rank = (len(fresh) * frequency.idf(key), " " in key, key)
            if best is None or rank > best[0]:
                best = (rank, key, sorted(fresh))
        if best is None:
            break
        # "alignment" reads better than "aligning" as a theme: prefer a form that is not a gerund.
        forms = sorted(surfaces[best[1]].items(), key=lambda item: (item[0].endswith("ing"), -item[1], item[0]))
        found.append((forms[0][0], best[2]))
        covered.update(best[2])
        coverage.pop(best[1])
    return found


def extractive_overview(sources: list[Source], frequency: PhraseFrequency | None = None) -> tuple[str, list[int]]:
    """The day's papers grouped into themes named from their titles' words, each with its papers ("Of today's
    5 papers, 3 are on long context: LongLoRA [1], ...; 2 on preference optimization: ..."), then the rest.
    Returns the text and the numbers it cites."""
    frequency = frequency or PhraseFrequency([f"{s.title} {s.abstract}" for s in sources])
    by_n = {s.n: s for s in sources}
    count = len(sources)
    lines: list[str] = []
    grouped = themes(sources, frequency)
    if grouped and len(grouped[0][1]) == count:
        # Everything shares one theme: say so, then divide the papers by what else they share.
        name = grouped[0][0]
        lines.append(f"{'Both' if count == 2 else f'All {count}'} of today's papers are on {name}.")
        grouped = themes(sources, frequency, avoid=frozenset(stem(w) for w in words(name))) if count > 3 else []
        lead = "Of them, "
    else:
        lead = f"Of today's {count} papers, "
    covered = {n for _, numbers in grouped for n in numbers}
    if grouped:
        parts = [f"{len(numbers)} {'are ' if i == 0 else ''}on {name}: {_names([by_n[n] for n in numbers])}"
                 for i, (name, numbers) in enumerate(grouped)]
        lines.append(lead + "; ".join(parts) + ".")
    rest = [s for s in sources if s.n not in covered]
    if rest and (grouped or not lines):
        names = _names(rest)
        lines.append(f"Also: {names}." if lines else f"Today's {count} paper{'s' if count != 1 else ''}: {names}.")
    elif rest:
        lines.append(f"They are {_names(rest)}.")
    cited = sorted({int(m) for m in re.findall(r"\[(\d+)\]", " ".join(lines))})
    return " ".join(lines), cited


def _names(sources: list[Source]) -> str:
    """'LongLoRA [1], YaRN [3] and 2 more': papers by the names they go by."""
    shown = [f"{short_title(s.title, 50)} [{s.n}]" for s in sources[:_NAMES_PER_THEME]]
    if len(sources) > _NAMES_PER_THEME:
        shown.append(f"{len(sources) - _NAMES_PER_THEME} more")
    return join_names(shown)


def suggested_questions(papers: list[Paper], frequency: PhraseFrequency | None = None, limit: int = 2) -> list[str]:
    """Example questions about these papers, by their names and their titles' words ("how do LongLoRA and
    YaRN compare on long context?"): what a thread about a digest offers to start with."""
    sources = [Source.of(i, p) for i, p in enumerate(papers, start=1)]
    frequency = frequency or PhraseFrequency([f"{s.title} {s.abstract}" for s in sources])
    # A paper goes by its short name ("LongLoRA: ..." -> LongLoRA) when it has one, else by its digest number.
    name = {s.n: head if ":" in s.title and (head := short_title(s.title)) != s.title else f"[{s.n}]"
            for s in sources}
    asked: list[str] = []
    grouped = themes(sources, frequency, limit=1)
    theme_words: set[str] = set()
    in_theme: list[int] = []
    if grouped:
        theme, in_theme = grouped[0]
        theme_words = {stem(w) for w in words(theme)}
        asked.append(f"how do {join_names([name[n] for n in in_theme[:3]])} compare on {theme}?")
    elif len(sources) >= 2:
        asked.append(f"how do {name[1]} and {name[2]} differ?")
    for source in sorted(sources, key=lambda s: s.n in in_theme):
        # The paper's most distinctive title phrase, other than its name and the theme already asked about.
        own = {stem(w) for w in words(name[source.n])} | theme_words
        found = [(frequency.idf(key), " " in key, surface) for key, surface in phrases(source.title)
                 if not own & {stem(w) for w in words(surface)} and len(surface.split()) <= 2]
        if found:
            asked.append(f"what does {name[source.n]} find about {max(found)[2]}?")
            break
    return asked[:limit]


def key_line(title: str, abstract: str) -> str:
    """A one-line TL;DR without an LLM: the abstract's key sentence, shortened."""
    if not abstract.strip():
        return shorten(title, TLDR_CHARS)
    return shorten(key_sentence(abstract), TLDR_CHARS)


def clean_tldr(text: str) -> str:
    line = next((ln.strip() for ln in text.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(?:\**\s*)?(?:tl;?dr|summary)\s*[:\-–—]\s*(?:\**\s*)?", "", line, flags=re.I)
    line = MARKER.sub("", line).strip().strip("\"'“”*")
    return " ".join(line.split())


def tldr_supported(line: str, title: str, abstract: str) -> bool:
    """One line, short, not a refusal, its words mostly and its numbers all found in the title or abstract."""
    if not (15 <= len(line) <= 300) or len(line.split()) > 45 or _REFUSAL.search(line):
        return False
    line_terms = terms(line)
    if len(line_terms) < 3:
        return False
    reference = set(terms(f"{title} {abstract}"))
    support = sum(1 for t in line_terms if t in reference) / len(line_terms)
    numbers = set(re.findall(r"\d+(?:\.\d+)?", line))
    known = set(re.findall(r"\d+(?:\.\d+)?", f"{title} {abstract}"))
    return support >= 0.7 and numbers <= known
