"""The digest's short texts without an LLM, and the checks an LLM's TL;DR must pass.

- `extractive_overview`: the day's themes named from words the papers share ("3 are on retrieval-augmented
  generation [1][3][4]"), the rest named by their short titles.
- `tldr_supported`: an LLM TL;DR is kept only if it is one short line whose words and numbers come from the
  paper's title and abstract; otherwise `key_line` (the abstract's key sentence) is used.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from answer.citations import MARKER, key_sentence
from answer.context import Source
from answer.terms import terms
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
        return self.df.get(key, 0) > max(3, 0.2 * self.n)


def extractive_overview(sources: list[Source], frequency: PhraseFrequency | None = None) -> tuple[str, list[int]]:
    """Two or three sentences on what the papers share; returns the text and the numbers it cites."""
    frequency = frequency or PhraseFrequency([f"{s.title} {s.abstract}" for s in sources])
    coverage: dict[str, set[int]] = defaultdict(set)
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    for source in sources:
        # Titles name topics; abstracts' sentences are full of everyday words ("types", "extends").
        for key, surface in phrases(source.title):
            coverage[key].add(source.n)
            surfaces[key][surface] += 1

    def pick(exclude: set[int]) -> tuple[str, list[int]] | None:
        best = None
        for key, papers in coverage.items():
            fresh = papers - exclude
            if len(fresh) < 2 or frequency.common(key):
                continue
            rank = (len(fresh) * frequency.idf(key), " " in key, key)
            if best is None or rank > best[0]:
                best = (rank, key, sorted(fresh))
        if best is None:
            return None
        # "alignment" reads better than "aligning" as a theme: prefer a form that is not a gerund.
        forms = sorted(surfaces[best[1]].items(), key=lambda item: (item[0].endswith("ing"), -item[1], item[0]))
        return forms[0][0], best[2]

    count = len(sources)
    lines: list[str] = []
    covered: set[int] = set()
    first = pick(covered)
    if first is not None:
        name, papers = first
        covered.update(papers)
        if len(papers) == count:
            share = "Both of today's papers" if count == 2 else f"All {count} of today's papers"
        else:
            share = f"{len(papers)} of today's {count} papers"
        lines.append(f"{share} are on {name} {_marks(papers)}.")
        second = pick(covered) if count - len(covered) >= 2 else None
        if second is not None:
            covered.update(second[1])
            lines.append(f"{len(second[1])} more deal with {second[0]} {_marks(second[1])}.")
    rest = [s for s in sources if s.n not in covered]
    if rest:
        shown = rest[:4]
        names = [f"{short_title(s.title, 50)} [{s.n}]" for s in shown]
        if len(rest) > len(shown):
            names.append(f"{len(rest) - len(shown)} more")
        if lines:
            lines.append(f"Also: {join_names(names)}.")
        else:
            lines.append(f"Today's {count} paper{'s' if count != 1 else ''}: {join_names(names)}.")
    cited = sorted({int(m) for m in re.findall(r"\[(\d+)\]", " ".join(lines))})
    return " ".join(lines), cited


def _marks(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


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
