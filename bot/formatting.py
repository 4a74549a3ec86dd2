"""Fitting text into Discord's limits without breaking what the reader relies on.

Discord rejects a message over its limits outright, so everything the bot sends goes through here: long text is
split at paragraph, line, sentence or word boundaries (never inside a citation marker like [2, 3] or a
markdown link), embeds are filled field by field and spread over several messages when needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import discord

from core.text import clip

CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000  # summed over every embed of one message
EMBEDS_PER_MESSAGE = 10
THREAD_NAME_LIMIT = 100

NO_MENTIONS = discord.AllowedMentions.none()

# Spans a split must not fall into: citation markers ([1], [1, 2], [3-5]) and markdown links.
_PROTECTED = re.compile(r"\[\d+(?:\s*[,;–-]\s*\d+)*\]|\[[^\]\n]*\]\([^)\s]*\)")
_ESCAPE = re.compile(r"([\\*_~`|\[\]<>#])")
_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*\s+")


@dataclass
class Outgoing:
    """One message to send: content and/or embeds, already within limits."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    attachment: tuple[str, str] | None = None  # (file name, text): a long text one click away


def escape(text: str) -> str:
    """Show text literally: no markdown, no masked links, no <@mention> or <t:...> syntax.

    Parentheses stay as they are: with brackets escaped they cannot form a link.
    """
    return _ESCAPE.sub(r"\\\1", text)


def clip_sentences(text: str, limit: int) -> str:
    """Cut at the last sentence end that fits (abstracts read better whole-sentence)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= limit * 0.5:
        return head[: ends[-1]].rstrip() + " …"
    return clip(text, limit)


def _protected_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _PROTECTED.finditer(text)]


def _inside(position: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < position < end for start, end in spans)


def _best_cut(text: str, limit: int) -> int:
    """Where to end the first chunk of `text` (len > limit): the most natural boundary that fits."""
    spans = _protected_spans(text[: limit + 200])
    floor = limit // 3
    for pattern in (r"\n\s*\n", r"\n", _SENTENCE_END.pattern, r"\s+"):
        best = -1
        for match in re.finditer(pattern, text[: limit + 1]):
            if match.start() > limit:
                break
            if match.start() >= floor and not _inside(match.start(), spans):
                best = match.start()
        if best > 0:
            return best
    # No boundary in reach (one enormous word): cut hard, but before a protected span rather than inside.
    for start, end in spans:
        if start < limit < end and start > 0:
            return start
    return limit


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters, split at the most natural boundaries."""
    text = text.strip()
    chunks: list[str] = []
    while len(text) > limit:
        cut = _best_cut(text, limit)
        head = text[:cut].rstrip()
        if head:
            chunks.append(head)
        text = text[cut:].strip()
    if text:
        chunks.append(text)
    return chunks


def pack_lines(lines: Iterable[str], limit: int, separator: str = "\n") -> list[str]:
    """Join whole lines into chunks of at most `limit`; a line is never split unless it alone is too long."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        pieces = split_text(line, limit) if len(line) > limit else [line]
        for piece in pieces:
            candidate = f"{current}{separator}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def safe_url(url: str) -> str:
    """A URL that cannot break out of a markdown link."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def link(text: str, url: str | None, *, in_embed: bool = True) -> str:
    """A masked link with escaped text; in message content the URL is wrapped so no preview is shown."""
    label = escape(text)
    if not url or not url.startswith(("http://", "https://")):
        return label
    target = safe_url(url)
    return f"[{label}]({target})" if in_embed else f"[{label}](<{target}>)"


def add_fields(embeds: list[discord.Embed], name: str, values: Sequence[str], *, continued: str | None = None,
               footer_room: int = 0) -> None:
    """Add fields to the last embed while it has room, then to new embeds."""
    for index, value in enumerate(values):
        field_name = clip(name if index == 0 else (continued or name), FIELD_NAME_LIMIT)
        value = clip(value, FIELD_VALUE_LIMIT)
        last = embeds[-1] if embeds else None
        fits = (
            last is not None
            and len(last.fields) < FIELD_COUNT_LIMIT
            and len(last) + len(field_name) + len(value) + footer_room <= EMBED_TOTAL_LIMIT
        )
        if last is None or not fits:
            last = discord.Embed(colour=last.colour if last is not None else None)
            embeds.append(last)
        last.add_field(name=field_name, value=value, inline=False)


def pack_embeds(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Group embeds into messages: at most 10 per message and 6000 characters summed."""
    groups: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    size = 0
    for embed in embeds:
        length = len(embed)
        if current and (len(current) >= EMBEDS_PER_MESSAGE or size + length > EMBED_TOTAL_LIMIT):
            groups.append(current)
            current, size = [], 0
        current.append(embed)
        size += length
    if current:
        groups.append(current)
    return groups


def text_messages(text: str) -> list[Outgoing]:
    return [Outgoing(content=chunk) for chunk in split_text(text, CONTENT_LIMIT)]


def embed_messages(embeds: Sequence[discord.Embed]) -> list[Outgoing]:
    return [Outgoing(embeds=group) for group in pack_embeds(embeds)]


def within_limits(message: Outgoing) -> bool:
    """The checks Discord applies to one message; `bot.replies` runs them on every message before it goes out."""
    if message.content is not None and len(message.content) > CONTENT_LIMIT:
        return False
    if len(message.embeds) > EMBEDS_PER_MESSAGE or sum(len(e) for e in message.embeds) > EMBED_TOTAL_LIMIT:
        return False
    for embed in message.embeds:
        if len(embed.title or "") > EMBED_TITLE_LIMIT or len(embed.description or "") > EMBED_DESCRIPTION_LIMIT:
            return False
        if len(embed.fields) > FIELD_COUNT_LIMIT or len(embed.footer.text or "") > FOOTER_LIMIT:
            return False
        for f in embed.fields:
            if len(f.name or "") > FIELD_NAME_LIMIT or len(f.value or "") > FIELD_VALUE_LIMIT:
                return False
    return True


def thread_name(question: str) -> str:
    """A thread title from a question: one line, no mentions or markdown, at most 100 characters."""
    text = re.sub(r"<[@#][!&]?\d+>|<a?:\w+:\d+>", " ", question)
    text = re.sub(r"[*_~`|>#\\]", "", text)
    text = " ".join(text.split())
    return clip(text, THREAD_NAME_LIMIT) or "Question"
