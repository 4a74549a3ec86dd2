"""Packing numbered sources into chat messages that fit the model's context window.

The budget is `llm_context_window - llm_max_answer_tokens`, counted with the safety margin of
`answer.tokens`. When the sources do not all fit, lower-ranked sources are dropped first; the last one that
still fits partly is cut at a sentence boundary. Everything is deterministic: the same inputs give the same
messages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from answer.tokens import TokenCounter
from core.models import Hit, Paper, PaperMeta
from core.sentences import sentence_spans
from core.text import neutralise, one_line
from prompts import Prompts

# One abstract may not take more than this: a runaway entry must not crowd out every other source.
MAX_ABSTRACT_TOKENS = 512
# A partly fitting source is included only if at least this much of it fits.
MIN_PARTIAL_TOKENS = 40
# The question or the conversation give way, in a small window, until this much room is left for sources.
MIN_SOURCE_ROOM = 160


@dataclass(frozen=True)
class Source:
    """A paper as offered to the model: numbered, with the part of its abstract that was shown."""

    n: int
    id: str
    title: str
    abstract: str
    date: dt.date | None = None
    urls: tuple[str, ...] = ()
    carried: bool = False  # from an earlier turn of the conversation
    shown: str | None = None  # the abstract prefix actually shown (None: all of it)
    meta: PaperMeta = field(default_factory=PaperMeta)  # authors, arXiv id, links, as its sources give them

    @property
    def text(self) -> str:
        return self.abstract if self.shown is None else self.shown

    @property
    def byline(self) -> str | None:
        """"Zhang et al., 2024" when the authors are known."""
        return self.meta.byline(self.date)

    @classmethod
    def of(cls, n: int, paper: Paper | Hit, carried: bool = False, cap: int | None = None) -> Source:
        """Paper `paper` as source n; its abstract cut to `cap` characters when given."""
        urls = paper.all_urls if isinstance(paper, Paper) else paper.urls
        return cls(n=n, id=paper.id, title=paper.title, abstract=paper.abstract[:cap], date=paper.date,
                   urls=tuple(urls), carried=carried, meta=PaperMeta(**paper.meta()))


class ContextTooSmall(Exception):
    """Not even one source fits in the context window."""


@dataclass
class Packed:
    messages: list[dict[str, str]]
    sources: list[Source]
    prompt_tokens: int  # counted, without margin
    dropped: list[int] = field(default_factory=list)  # source numbers left out
    question_cut: bool = False  # the question itself was shortened to leave room for one source


def byline_note(sources: list[Source]) -> str:
    """For the answer prompt, when some source gives its authors: name papers the way readers cite them."""
    if not any(s.byline for s in sources):
        return ""
    return '\nName a paper with the authors its source gives, e.g. "Long-CLIP (Zhang et al., 2024) [1]".'


def render_source(prompts: Prompts, source: Source) -> str:
    return prompts.render(
        "source",
        n=source.n,
        title=neutralise(one_line(source.title)),
        # Only when known: a small context window has no room for "unknown" on every source.
        authors=f"\nAuthors: {neutralise(one_line(source.byline))}" if source.byline else "",
        date=source.date.isoformat() if source.date else "unknown",
        abstract=neutralise(source.text.strip()),
    )


def cut_to_tokens(counter: TokenCounter, text: str, max_tokens: int) -> str | None:
    """The longest prefix of whole sentences within `max_tokens`; None when not even the first fits.

    Sentences are counted one by one, each with the whitespace before it, which tokenizes as it does in
    place (the pre-tokenizer splits there); the packer's final check of the whole request covers the rest.
    """
    best: str | None = None
    total = 0
    previous = 0
    for _start, end in sentence_spans(text):
        total += counter.count(text[previous:end])
        previous = end
        if total > max_tokens:
            break
        best = text[:end]
    return best


class Packer:
    """Builds the messages of one request from a system prompt, a user template and ranked sources."""

    def __init__(self, prompts: Prompts, counter: TokenCounter, budget: int) -> None:
        self.prompts = prompts
        self.counter = counter
        self.budget = budget

    def pack(self, template: str, sources: list[Source], *, system: str | None, values: dict[str, str],
             optional: tuple[str, ...] = (), shrinkable: str | None = None) -> Packed:
        """Fit `sources` into `template` rendered with `values` (`{{sources}}` is filled here).

        `optional` values are emptied, in order, when the fixed part alone is too big; `shrinkable` names a
        value (the question) that is then cut down to leave room for sources.
        """
        values = dict(values)
        packed = Packed(messages=[], sources=[], prompt_tokens=0)
        room = self._room(template, system, values)
        # Room worth freeing (by dropping optional parts, then shortening the question): the best source
        # whole if it is short, else enough of it to be useful.
        min_room = MIN_PARTIAL_TOKENS + 16
        if sources:
            min_room = max(min_room, min(self._cost(sources[0])[1], MIN_SOURCE_ROOM))
        for name in optional:
            if room >= min_room:
                break
            if values.get(name):
                values[name] = ""
                room = self._room(template, system, values)
        if room < min_room and shrinkable and values.get(shrinkable):
            keep = max(16, self.counter.count(values[shrinkable]) - (min_room - room))
            values[shrinkable] = self.counter.truncate(values[shrinkable], keep) + " …"
            packed.question_cut = True
            room = self._room(template, system, values)
        if room < MIN_PARTIAL_TOKENS:
            raise ContextTooSmall(f"the context window leaves no room for sources (budget {self.budget} tokens)")

        chosen: list[Source] = []
        used = 0
        for index, original in enumerate(sources):
            source, cost = self._cost(original)
            if used + cost <= room:
                chosen.append(source)
                used += cost
                continue
            partial = self._partial(source, room - used)
            if partial is not None:
                chosen.append(partial)
            packed.dropped = [s.n for s in sources[index + (partial is not None):]]
            break
        if not chosen:
            raise ContextTooSmall(f"not one source fits in the context window (budget {self.budget} tokens)")

        # Per-block counts are additive up to a token or two at the joins; check the real thing and give
        # back the last source until it fits.
        while True:
            messages = self._messages(template, system, values, chosen)
            tokens = self.counter.count_messages(messages)
            if self.counter.within(tokens, self.budget) or len(chosen) == 1:
                break
            packed.dropped.insert(0, chosen.pop().n)
        if not self.counter.within(tokens, self.budget):
            raise ContextTooSmall(f"not one source fits in the context window (budget {self.budget} tokens)")
        packed.messages = messages
        packed.sources = chosen
        packed.prompt_tokens = tokens
        return packed

    def _cost(self, source: Source) -> tuple[Source, int]:
        """The source as it will be shown (capped to MAX_ABSTRACT_TOKENS) and its tokens in the prompt."""
        cost = self.counter.count(render_source(self.prompts, source)) + 1
        if cost <= MAX_ABSTRACT_TOKENS:
            return source, cost
        text_tokens = self.counter.count(source.text)
        if text_tokens <= MAX_ABSTRACT_TOKENS:
            return source, cost
        shown = cut_to_tokens(self.counter, source.text, MAX_ABSTRACT_TOKENS)
        capped = replace(source, shown=shown or self.counter.truncate(source.text, MAX_ABSTRACT_TOKENS))
        return capped, self.counter.count(render_source(self.prompts, capped)) + 1

    def _partial(self, source: Source, room: int) -> Source | None:
        if room < MIN_PARTIAL_TOKENS:
            return None
        frame = self.counter.count(render_source(self.prompts, replace(source, shown=""))) + 1
        shown = cut_to_tokens(self.counter, source.text, room - frame)
        if not shown or self.counter.count(shown) < MIN_PARTIAL_TOKENS // 2:
            return None
        return replace(source, shown=shown)

    def _room(self, template: str, system: str | None, values: dict[str, str]) -> int:
        """Raw tokens left for the source blocks, after the fixed part and the safety margin."""
        fixed = self.counter.count_messages(self._messages(template, system, values, []))
        return int(self.budget / self.counter.margin) - fixed

    def _messages(self, template: str, system: str | None, values: dict[str, str],
                  sources: list[Source]) -> list[dict[str, str]]:
        blocks = "\n".join(render_source(self.prompts, s) for s in sources)
        user = self.prompts.render(template, **{**values, "sources": blocks})
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": user})
        return messages
