"""Plain-text helpers shared by the engine's parts: content words, and making text safe to embed.

Sentence splitting lives in `core.sentences`, which retrieval needs too.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

_STOPWORDS_WORDS = """
a about above after again against all also am an and any are aren as at be because been before being below
between both but by can cannot could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is isn it its itself just let me more most
my myself no nor not of off on once only or other ought our ours ourselves out over own same she should so
some such than that the their theirs them themselves then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your yours yourself
yourselves paper papers work works study studies approach approaches method methods propose proposed
proposes present presents introduce introduces introduced show shows shown use used uses using via based new
novel results result also well however existing recent recently several many various one two three first
second third show tell find finds give gives known question questions answer compare between whether does
did which what any corpus abstract abstracts article articles like get got make makes made
"""
_STOPWORDS = frozenset(_STOPWORDS_WORDS.split())

_WORD = re.compile(r"[^\W_](?:[\w'-]*[^\W_])?", re.UNICODE)
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ers", "er", "ed", "es", "s", "ly")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning (no stopwords, no one-letter tokens)."""
    return [stem(w) for w in words(text) if w not in _STOPWORDS and (len(w) > 1 or w.isdigit())]


class TermWeights:
    """Inverse document frequency over a small pool of texts (the candidate sentences of one answer)."""

    def __init__(self, texts: Iterable[Iterable[str]]) -> None:
        self.df: Counter[str] = Counter()
        self.n = 0
        for terms in texts:
            self.n += 1
            self.df.update(set(terms))

    def weight(self, term: str) -> float:
        return math.log(1 + (self.n + 1) / (self.df.get(term, 0) + 0.5))

    def overlap(self, query: set[str], terms: Iterable[str]) -> float:
        return sum(self.weight(t) for t in set(terms) & query)


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


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-–—")
    return cut + "…"


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
