"""Plain-text helpers every layer shares: words, stopwords, stems, idf, truncation, and text made safe.

One word splitter, one stopword list and one stemmer serve BM25, extractive answers, digest themes and
/similar reasons; a use that must ignore more words declares them next to that use. Sentence spans live in
`core.sentences`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import TypeVar, cast

import numpy as np
import Stemmer

_Frequency = TypeVar("_Frequency", float, np.ndarray)

# The base list: Lucene's English stopwords (the ones bm25s ships) plus question scaffolding, since in
# "which papers are about X?" only X carries the topic. BM25 uses exactly these; a use that needs more
# (answers, /similar) adds its own words where it is used.
_STOPWORD_TEXT = """
a an and are as at be but by for if in into is it no not of on or such that the their then there these
they this to was will with
paper papers work works study studies approach approaches method methods propose proposed using use used
show shows how what which does do can about any find me tell explain i you we our
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def fold(text: str) -> str:
    """Lower case without accents ("Naïve" -> "naive"), curly apostrophes made straight."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def words(text: str) -> list[str]:
    """The words of `text`, folded: runs of letters and digits, keeping an inner apostrophe ("model's").

    Hyphens and other punctuation split ("retrieval-augmented" is two words), so a hyphenated query matches
    the spaced form and the other way round.
    """
    return _WORD.findall(fold(text))


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The Snowball (Porter 2) English stem: "alignment" and "aligning" both become "align"."""
    return str(_stemmer().stemWord(word))


def stems(found: Iterable[str]) -> list[str]:
    return list(_stemmer().stemWords(list(found)))


def content_terms(text: str, stopwords: frozenset[str] = STOPWORDS, *, min_length: int = 1) -> list[str]:
    """Stemmed words that carry meaning: no stopwords, none shorter than `min_length` unless a number."""
    return stems(w for w in words(text) if w not in stopwords and (len(w) >= min_length or w.isdigit()))


def idf(df: _Frequency, n: float) -> _Frequency:
    """Inverse document frequency of a term found in `df` of `n` texts, as BM25 (Lucene) defines it.

    log((n + 1) / (df + 0.5)): close to log(n / df), never negative, defined for unseen terms. `df` may be
    a numpy array (BM25 weighs its whole vocabulary at once).
    """
    return cast(_Frequency, np.log1p((n - df + 0.5) / (df + 0.5)))


class DocumentFrequency:
    """In how many texts of a pool each term occurs, and the `idf` that gives."""

    def __init__(self, texts: Iterable[Iterable[str]]) -> None:
        self.df: Counter[str] = Counter()
        self.n = 0
        for terms in texts:
            self.n += 1
            self.df.update(set(terms))

    def idf(self, term: str) -> float:
        return idf(self.df.get(term, 0), self.n)

    def share(self, term: str) -> float:
        """The fraction of the texts that contain `term`."""
        return self.df.get(term, 0) / self.n if self.n else 0.0

    def overlap(self, query: set[str], terms: Iterable[str]) -> float:
        """The idf mass of the query terms found in `terms`."""
        return sum(self.idf(t) for t in set(terms) & query)


# --- making text safe -------------------------------------------------------------------------------------

_TAG_OPEN = re.compile(r"<(?=\s*/?\s*[A-Za-z|!])")
_USER_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")


def neutralise(text: str) -> str:
    """Make data text unable to open or close a prompt section: every tag-like `<` becomes `‹`.

    The prompt delimits sources, conversation and question with tags; an abstract or a question containing
    `</question>` or `<|im_start|>` would otherwise end the data section and speak as instructions.
    """
    return _TAG_OPEN.sub("‹", text)


def defang_mentions(text: str) -> str:
    """`@everyone`, `@here` and `<@123>` written so that no client turns them into a ping or a link."""
    text = re.sub(r"@(everyone|here)\b", "@\u200b\\1", text)
    return _USER_MENTION.sub(lambda m: f"<{m.group(1)}\u200b{m.group(2)}>", text)


def strip_mentions(text: str) -> str:
    """Remove mentions from user input: they name nobody in the corpus and must not be echoed back."""
    text = re.sub(r"<@[!&]?\d+>|<#\d+>", " ", text)
    return re.sub(r"@(everyone|here)\b", " ", text)


def one_line(text: str) -> str:
    return " ".join(text.split())


def clip(text: str, limit: int, ellipsis: str = "…") -> str:
    """At most `limit` characters: cut at a word boundary when one is near, the cut marked with `ellipsis`.

    Line breaks are kept (an embed's lines stay lines); `shorten` is the one-line form. A trailing backslash
    would escape the ellipsis in Discord markdown, so an unfinished escape is dropped with the rest.
    """
    if len(text) <= limit:
        return text
    room = max(limit - len(ellipsis), 0)
    head = text[:room]
    space = head.rfind(" ")
    if space >= room * 0.6:
        head = head[:space]
    return head.rstrip().rstrip(",;:-–—\\").rstrip() + ellipsis


def shorten(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters, cut at a word boundary with an ellipsis."""
    return clip(one_line(text), limit)


def short_title(title: str, limit: int = 60) -> str:
    """The name a paper goes by: "RankGen" for "RankGen: Improving Text Generation with ...", else the title."""
    title = one_line(title)
    head, sep, _ = title.partition(":")
    if sep and 1 <= len(head.split()) <= 4 and len(head) >= 3:
        return head.strip()
    return shorten(title, limit)


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


_ARXIV_VERSION = re.compile(r"v\d+$")
_ARXIV_IN_URL = re.compile(r"arxiv\.org/(?:abs|pdf|html)/(.+?)(?:\.pdf)?/?$")
_ARXIV_ID = re.compile(r"\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7}")


def bare_arxiv_id(value: str) -> str | None:
    """'https://arxiv.org/abs/2403.15378v2', 'arXiv:2403.15378v2' or '2403.15378' -> '2403.15378' (versions
    are one paper); None when the text is no arXiv id."""
    value = value.strip()
    match = _ARXIV_IN_URL.search(value)
    value = match.group(1) if match else value.removeprefix("arXiv:").removeprefix("arxiv:")
    value = _ARXIV_VERSION.sub("", value)
    return value if _ARXIV_ID.fullmatch(value) else None
