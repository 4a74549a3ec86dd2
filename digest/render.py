"""Plain-text rendering of a `Digest` (terminal preview). Discord rendering lives in bot/exts/digest/_render.py."""

from __future__ import annotations

import datetime as dt
import textwrap

from digest.models import Digest

EXTRACTIVE_NOTE = "Overview: extractive, quoted from the abstracts"


def long_date(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def title(digest: Digest) -> str:
    return f"Paper digest · {long_date(digest.day)}"


def header(digest: Digest) -> str:
    return f"{title(digest)} · {digest.topics}" if digest.topics else title(digest)


def overview_note(digest: Digest) -> str | None:
    """Why the overview is not an LLM summary, when it is not."""
    if digest.empty:
        return None
    if digest.overview_mode is None:
        return f"No overview: {digest.fallback_reason}" if digest.fallback_reason else "No overview"
    if digest.overview_mode == "extractive":
        reason = digest.fallback_reason
        return f"{EXTRACTIVE_NOTE}; {reason}" if reason else EXTRACTIVE_NOTE
    return None


def digest_text(digest: Digest, width: int = 100) -> str:
    def wrap(text: str, indent: str = "", first: str | None = None) -> list[str]:
        return textwrap.wrap(
            text,
            width=width,
            initial_indent=indent if first is None else first,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )

    lines = [header(digest), "=" * min(width, len(header(digest)))]
    if digest.notice:
        lines += ["", *wrap(digest.notice)]
    if digest.overview:
        lines += ["", *wrap(digest.overview)]
    note = overview_note(digest)
    if note:
        lines.append(f"({note})")
    for item in digest.items:
        lines += ["", *wrap(f"{item.n}. {item.title}", indent="   ", first="")]
        lines += wrap(f"TL;DR: {item.tldr}", indent="   ")
        # A paper without a listing date shows none, rather than "undated".
        facts = [*([item.byline] if item.byline else []), *([f"Listed {short_date(item.date)}"] if item.date else []),
                 *([f"{item.upvotes} upvotes"] if item.upvotes is not None else [])]
        lines += ["   " + " · ".join(facts)] if facts else []
        lines += [f"   {url}" for url in item.urls]
    if digest.marker:
        lines += ["", f"— {digest.marker}"]
    return "\n".join(lines)
