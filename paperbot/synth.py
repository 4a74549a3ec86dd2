"""Synthetic papers for benchmarks at scale: Zipfian text over a vocabulary that keeps growing, like abstracts.

Real abstracts draw their words from a long-tailed distribution: a few hundred words ("the", "model",
"language") fill half the text, and every new paper brings words no earlier paper used (names, datasets,
rare terms), so the vocabulary grows with the corpus by Heaps' law (V = K * tokens^beta). A corpus made
of reshuffled sentences of the 327 bundled abstracts has neither property: its vocabulary stops at theirs,
so BM25 postings, term lookups and disk per paper all look smaller than they will be.

Here word ranks are drawn from a finite Zipf-Mandelbrot law, p(r) ~ 1 / (r + Q)^s over `SIZE` words, with
s = 1 over the first `HEAD` ranks (common words) and steeper beyond (the tail of rare words, which sets how
fast the vocabulary grows: beta ~ 1 / S_TAIL); a share of each abstract's words repeats its own earlier
words, as a paper keeps naming its topic. The head is the bundled corpus's own words in their frequency
order (so real queries find real words), the tail pseudo-words ("dakomu") that the stemmer leaves alone.
The constants were chosen so that a paper has as many words (~230) and distinct BM25 stems (~110) as a
bundled abstract (`corpus_stats` measures both: 236 and 110); the stem vocabulary then grows by Heaps' law
(beta ~0.6 measured over 10k papers; the 327 bundled abstracts give 0.44 over their second half).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence

import numpy as np
from pydantic import BaseModel

from core.models import Paper
from core.settings import BUNDLED_CORPUS
from core.text import content_terms, words

SIZE = 1_500_000  # words the law ranks; a 1M-paper corpus uses a fraction of them
HEAD, S_HEAD, S_TAIL, Q = 4_000, 1.0, 1.9, 2.7  # Zipf's s of about 1 over common words, steeper in the tail
REPEAT = 0.4  # share of an abstract's words that repeat one of its earlier words (its topic, its method)
ABSTRACT_WORDS = (150, 290)  # uniform range of an abstract's length in words (bundled: 130-330)
TITLE_WORDS = (6, 13)
SENTENCE_WORDS = 22  # mean words per sentence
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aou"  # endings the Snowball stemmer keeps: every pseudo-word is its own stem
SYLLABLES = [c + v for c in _CONSONANTS for v in _VOWELS]


class CorpusStats(BaseModel):
    papers: int
    words_per_paper: float
    distinct_terms_per_paper: float  # BM25 stems of title and abstract, word pairs not counted
    vocabulary: int  # distinct stems over the whole corpus
    bm25_terms_per_paper: float  # distinct BM25 terms (stems and word pairs) over the corpus, per paper
    heaps_beta: float | None = None  # from the vocabulary's growth between half the corpus and all of it


def _pseudo_word(rank: int) -> str:
    """The rank-th pseudo-word: its digits in base len(SYLLABLES) as syllables."""
    out = []
    n = rank
    while n:
        n, digit = divmod(n, len(SYLLABLES))
        out.append(SYLLABLES[digit])
    return "".join(out)


def real_vocabulary() -> list[str]:
    """The bundled corpus's words, most frequent first (ties alphabetical: the same order every run)."""
    from retrieval.corpus import parse_corpus

    counts: Counter[str] = Counter()
    for paper in parse_corpus([BUNDLED_CORPUS]).papers:
        counts.update(w for w in words(f"{paper.title} {paper.abstract}") if w.isalpha())
    return [w for w, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


class Vocabulary:
    """`SIZE` words by rank; draws ranks from the Zipf-Mandelbrot law."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        ranks = np.arange(1, size + 1, dtype=np.float64) + Q
        weights = ranks ** -S_HEAD
        tail = ranks > HEAD + Q
        weights[tail] = (HEAD + Q) ** -S_HEAD * (ranks[tail] / (HEAD + Q)) ** -S_TAIL
        self._cdf = np.cumsum(weights / weights.sum())
        self._real = real_vocabulary()
        self._words = np.array(self._real, dtype=object)

    def ranks(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.minimum(np.searchsorted(self._cdf, rng.random(n)), self.size - 1)

    def words(self, ranks: np.ndarray) -> np.ndarray:
        """The words of `ranks` (an object array). Pseudo-words are made as far down the ranking as drawn so
        far (a 300-paper corpus needs ~30k words, a million papers ~1M): rounded up to a power of two."""
        needed = int(ranks.max(initial=0)) + 1
        if needed > len(self._words):
            upto = min(self.size, 1 << (needed - 1).bit_length())
            first = len(SYLLABLES) ** 3 + len(self._words) - len(self._real)
            pseudo = list(map(_pseudo_word, range(first, first + upto - len(self._words))))
            self._words = np.concatenate([self._words, np.array(pseudo, dtype=object)])
        return self._words[ranks]

    def text(self, ranks: np.ndarray) -> str:
        return " ".join(self.words(ranks).tolist())

def _abstracts(vocabulary: Vocabulary, rng: np.random.Generator, n: int) -> list[str]:
    """`n` abstracts drawn at once: word ranks, a share of them repeats, then full stops now and then."""
    lengths = rng.integers(*ABSTRACT_WORDS, size=n)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    ranks = vocabulary.ranks(rng, int(ends[-1]))
    position = np.arange(len(ranks)) - np.repeat(starts, lengths)  # word's place in its own abstract
    repeat = (rng.random(len(ranks)) < REPEAT) & (position > 0)
    source = np.repeat(starts, lengths)[repeat] + (rng.random(int(repeat.sum())) * position[repeat]).astype(np.int64)
    ranks[repeat] = ranks[source]  # in increasing order: a repeat may copy a repeat, as topics compound
    tokens = vocabulary.words(ranks)
    stops = np.flatnonzero(rng.random(len(tokens)) < 1 / SENTENCE_WORDS)
    tokens[stops] = [f"{t}." for t in tokens[stops].tolist()]
    # A capital after the stop: the sentence splitter reads "model. we" as one sentence, as abstracts do.
    after = np.concatenate([starts, stops[stops + 1 < len(tokens)] + 1])
    tokens[after] = [t[:1].upper() + t[1:] for t in tokens[after].tolist()]
    return [" ".join(tokens[a:b].tolist()) + "." for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]


def synthetic_papers(vocabulary: Vocabulary, n: int, *, seed: int, start: int = 0, today: dt.date,
                     days: int = 365) -> Iterator[Paper]:
    """Papers `start` .. `start + n - 1`, listed on a day of the `days` up to `today` (uniformly spread)."""
    from retrieval.corpus import paper_id

    rng = np.random.default_rng([seed, start])
    abstracts = _abstracts(vocabulary, rng, n)
    title_lengths = rng.integers(*TITLE_WORDS, size=n)
    title_ranks = vocabulary.ranks(rng, int(title_lengths.sum()))
    offsets = np.concatenate([[0], np.cumsum(title_lengths)])
    ages = rng.integers(days, size=n).tolist()
    for i in range(n):
        title = vocabulary.text(title_ranks[offsets[i]:offsets[i + 1]]).title() + f" {start + i}"
        yield Paper(id=paper_id(title), title=title, abstract=abstracts[i],
                    dates=[today - dt.timedelta(days=ages[i])])


def queries(vocabulary: Vocabulary, n: int, seed: int, real: Sequence[str]) -> list[str]:
    """Half the real dev questions (in turn), half 3-7 words drawn like a paper's, rare words included."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        if i % 2 == 0 and real:
            out.append(real[(i // 2) % len(real)])
        else:
            out.append(vocabulary.text(vocabulary.ranks(rng, int(rng.integers(3, 8)))))
    return out


def corpus_stats(papers: Sequence[Paper]) -> CorpusStats:
    """Words and distinct BM25 stems per paper, the vocabulary, and Heaps' beta over the second half."""
    from retrieval.lexical_terms import tokenize

    seen: set[str] = set()
    pairs: set[int] = set()
    half_vocab = half_tokens = tokens = 0
    per_paper = []
    n_words = 0
    for i, paper in enumerate(papers):
        text = f"{paper.title} {paper.abstract}"
        terms = content_terms(text)
        n_words += len(re.findall(r"\S+", text))
        tokens += len(terms)
        per_paper.append(len(set(terms)))
        seen.update(terms)
        pairs.update(hash(t) for t in tokenize(text) if "_" in t)
        if i + 1 == len(papers) // 2:
            half_vocab, half_tokens = len(seen), tokens
    beta = None
    if half_vocab and tokens > half_tokens and len(seen) > half_vocab:
        beta = round(math.log(len(seen) / half_vocab) / math.log(tokens / half_tokens), 3)
    count = max(len(papers), 1)
    return CorpusStats(papers=len(papers), words_per_paper=round(n_words / count, 1),
                       distinct_terms_per_paper=round(sum(per_paper) / count, 1), vocabulary=len(seen),
                       bm25_terms_per_paper=round((len(seen) + len(pairs)) / count, 1),
                       heaps_beta=beta)
