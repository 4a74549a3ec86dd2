"""How a digest and its subscriptions look on Discord: embeds split to fit, one line per subscription."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

import discord

from app.subscriptions import Subscription
from bot.exts.digest._marker import hide
from bot.formatting import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    Outgoing,
    add_fields,
    clip,
    embed_messages,
    escape,
    link,
    split_text,
)
from bot.render import COLOURS
from digest.models import Digest, DigestTarget
from digest.render import overview_note, short_date, title


def _link_label(url: str) -> str:
    parts = urlparse(url)
    host = parts.netloc.lower().removeprefix("www.")
    if host == "arxiv.org":
        return "find on arXiv" if "/search" in url else ("PDF" if parts.path.startswith("/pdf/") else "arXiv")
    if host in ("github.com", "gitlab.com", "huggingface.co"):
        return {"github.com": "code", "gitlab.com": "code", "huggingface.co": "Hugging Face"}[host]
    return host or "link"


def digest_messages(digest: Digest) -> list[Outgoing]:
    """The digest as embeds: the header and overview, then one field per paper; split to fit Discord."""
    # Readers see only the note; the run's marker rides along invisibly for crash recovery (see _marker).
    hidden = hide(digest.marker) if digest.marker else ""
    footer = clip(overview_note(digest) or "", FOOTER_LIMIT - len(hidden)) + hidden
    parts = []
    if digest.topics:
        parts.append(f"**Topics:** {escape(digest.topics)}")
    if digest.notice:
        parts.append(f"*{escape(digest.notice)}*")
    if digest.overview:
        parts.append(digest.overview)
    embeds = []
    for index, chunk in enumerate(split_text("\n\n".join(parts), EMBED_DESCRIPTION_LIMIT) or [""]):
        embed = discord.Embed(description=chunk or None, colour=COLOURS["info"])
        if index == 0:
            embed.title = clip(f"📰 {title(digest)}", EMBED_TITLE_LIMIT)
        embeds.append(embed)
    for item in digest.items:
        links = " · ".join(link(_link_label(u), u) for u in item.urls)
        # A paper without a listing date shows none, rather than "undated".
        facts = [escape(item.byline) if item.byline else "", f"*Listed {short_date(item.date)}*" if item.date else "",
                 f"▲ {item.upvotes}" if item.upvotes is not None else "", links]
        meta = " · ".join(f for f in facts if f)
        value = f"{escape(item.tldr)}\n{meta}"
        if len(value) > FIELD_VALUE_LIMIT:
            value = f"{clip(escape(item.tldr), FIELD_VALUE_LIMIT - len(meta) - 1)}\n{meta}"
        add_fields(embeds, clip(f"{item.n}. {escape(item.title)}", FIELD_NAME_LIMIT), [value], footer_room=len(footer))
    for embed in embeds if footer else ():  # Discord refuses an empty footer
        embed.set_footer(text=footer)
    return embed_messages(embeds)


def moment_text(moment: dt.datetime) -> str:
    """A moment as each reader's local date and time, and how far away it is."""
    return f"{discord.utils.format_dt(moment, 'f')} ({discord.utils.format_dt(moment, 'R')})"


def target_line(target: DigestTarget, channel_topic: str | None = None) -> str:
    """Where, when, how many and which topics (its own, else its channel's), in one line."""
    where = f"<#{target.channel_id}>" if target.kind == "channel" else "your DMs"
    parts = [f"{where}: every day at **{target.time:%H:%M} {target.tz}**", f"{target.size} papers"]
    if target.topics:
        parts.append(f"topics: {escape(target.topics)}")
    elif channel_topic:
        parts.append(f"topics: {escape(channel_topic)} (the channel's topic)")
    else:
        parts.append("all papers, newest first")
    if target.rank == "upvotes":
        parts.append("most upvoted first")
    if target.archive:
        parts.append("archive picks when nothing is new")
    return ", ".join(parts)


def subscriptions_text(found: list[Subscription]) -> str:
    lines = []
    for status in found:
        run = status.last_run
        last = f"last: {run.day.isoformat()} ({run.state})" if run else "not posted yet"
        where = target_line(status.target, status.channel_topic)
        lines.append(f"• {where}\n  next {moment_text(status.next_at)}; {last}")
    return "\n".join(lines)


def unmatched_note(topics: list[str]) -> str:
    """Say so when a topic matches nothing in the corpus today, with the likely fix."""
    if not topics:
        return ""
    quoted = ", ".join(f"“{escape(t)}”" for t in topics)
    return (f"\nNote: no paper in the corpus is about {quoted} yet, so those topics will pick nothing until "
            "such papers are added; spelling out acronyms helps.")
