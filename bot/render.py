"""How PaperBot's results look in Discord: embeds (or plain text where embeds are not allowed), within limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import discord

from app.about import AboutInfo
from app.ask import RERANKED, Prices, mode_line, preferring_text
from app.help import help_sections
from app.papers import PaperDetails, SimilarResult
from bot.formatting import (
    CONTENT_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    FIELD_VALUE_LIMIT,
    Outgoing,
    add_fields,
    clip,
    clip_sentences,
    embed_messages,
    escape,
    link,
    pack_lines,
    split_text,
    text_messages,
)
from core.models import Answer, Citation, Hit, Paper, SearchResult, paper_facts

COLOURS = {
    "llm": discord.Colour(0x5865F2),
    "extractive": discord.Colour(0x2B8A3E),
    "abstain": discord.Colour(0x99AAB5),
    "info": discord.Colour(0x5865F2),
    "error": discord.Colour(0xD9480F),
}


def _day(date: dt.date | None) -> str:
    """' · 2026-03-01', or nothing for a paper with no listing date (a missing date says nothing to a reader)."""
    return f" · {date.isoformat()}" if date else ""


def citation_line(citation: Citation, *, in_embed: bool = True) -> str:
    title = link(clip(citation.title, 200), citation.urls[0] if citation.urls else None, in_embed=in_embed)
    date = f" · {citation.date.isoformat()}" if citation.date else ""
    return f"**[{citation.n}]** {title}{date}"


def hit_line(index: int | None, hit: Hit, *, in_embed: bool = True) -> str:
    title = link(clip(hit.title, 200), hit.urls[0] if hit.urls else None, in_embed=in_embed)
    prefix = f"**{index}.** " if index is not None else "• "
    return f"{prefix}{title}{_day(hit.date)}"


def _answer_body(answer: Answer) -> str:
    text = answer.answer.strip() or "(empty answer)"
    if answer.notice:
        text = f"*{escape(answer.notice)}*\n\n{text}"
    return text


def answer_messages(answer: Answer, *, llm_model: str, embeds: bool = True, max_messages: int = 3,
                    prices: Prices | None = None) -> list[Outgoing]:
    """The answer in at most `max_messages` messages; a longer one is cut at a sentence, the whole attached."""
    footer = mode_line(answer, llm_model, prices)
    messages = _answer_messages(answer, _answer_body(answer), footer, embeds)
    limit = len(answer.answer)
    while len(messages) > max_messages and limit > 200:
        limit = int(limit * 0.8)
        body = (f"{_answer_body(answer.model_copy(update={'answer': clip_sentences(answer.answer, limit)}))}"
                f"\n\n*The answer is {len(answer.answer):,} characters: cut to fit {max_messages} message(s), "
                "the whole of it is in the attached file.*")
        messages = _answer_messages(answer, body, footer, embeds)
    if limit < len(answer.answer):
        messages[-1].attachment = ("answer.md", f"# {answer.question}\n\n{answer.answer}\n")
    return messages


def _answer_messages(answer: Answer, body: str, footer: str, embeds: bool) -> list[Outgoing]:
    """The answer's text with [n] markers, the numbered cited titles, the mode line as footer; split to fit."""
    # An abstention names its closest titles in its text already; only citations get a list.
    heading = "Sources"
    lines = [citation_line(c, in_embed=embeds) for c in answer.citations]
    if not embeds:
        text = f"**Q:** {escape(clip(answer.question, 300))}\n\n{body}"
        if lines:
            text += f"\n\n**{heading}**\n" + "\n".join(lines)
        return text_messages(text + f"\n-# {footer}")

    colour = COLOURS.get(answer.mode, COLOURS["info"])
    chunks = split_text(body, EMBED_DESCRIPTION_LIMIT)
    items: list[discord.Embed] = []
    for index, chunk in enumerate(chunks):
        embed = discord.Embed(description=chunk, colour=colour)
        if index == 0:
            embed.title = clip(escape(" ".join(answer.question.split())), EMBED_TITLE_LIMIT)
        items.append(embed)
    if lines:
        add_fields(items, heading, pack_lines(lines, FIELD_VALUE_LIMIT), continued=f"{heading} (continued)",
                   footer_room=len(footer))
    items[-1].set_footer(text=clip(footer, 2048))
    return embed_messages(items)


def partial_message(question: str, text: str, *, embeds: bool = True) -> Outgoing:
    """What a streaming answer shows while it is being written."""
    body = clip(text.strip(), EMBED_DESCRIPTION_LIMIT - 2) + " ▌" if text.strip() else "…"
    if not embeds:
        return Outgoing(content=clip(f"{body}\n-# writing…", CONTENT_LIMIT))
    embed = discord.Embed(title=clip(escape(" ".join(question.split())), EMBED_TITLE_LIMIT), description=body,
                          colour=COLOURS["llm"])
    embed.set_footer(text="Writing…")
    return Outgoing(embeds=[embed])


def sources_messages(citations: Sequence[Citation], papers: dict[str, Paper]) -> list[Outgoing]:
    """Each cited paper with the sentence that supports the answer and its abstract."""
    if not citations:
        return [Outgoing(content="This answer cites no papers.")]
    items = []
    for citation in citations:
        paper = papers.get(citation.id)
        abstract = paper.abstract if paper else ""
        quote = f"> {escape(citation.quote)}\n\n" if citation.quote else ""
        room = 1500 - len(quote)
        description = quote + (escape(clip_sentences(abstract, max(room, 200))) if abstract else "")
        embed = discord.Embed(title=clip(f"[{citation.n}] {escape(citation.title)}", EMBED_TITLE_LIMIT),
                              description=clip(description, EMBED_DESCRIPTION_LIMIT), colour=COLOURS["info"])
        url = citation.urls[0] if citation.urls else None
        if url and url.startswith(("http://", "https://")):
            embed.url = url
        if citation.date:
            embed.set_footer(text=f"Listed {citation.date.isoformat()}")
        items.append(embed)
    return embed_messages(items)


def hits_message(title: str, hits: Sequence[Hit], empty: str) -> Outgoing:
    if not hits:
        return Outgoing(content=empty)
    embed = discord.Embed(title=clip(title, EMBED_TITLE_LIMIT), colour=COLOURS["info"],
                          description=clip("\n".join(hit_line(i, h) for i, h in enumerate(hits, 1)),
                                           EMBED_DESCRIPTION_LIMIT))
    return Outgoing(embeds=[embed])


PAGE_SIZE = 5


def search_pages(result: SearchResult, since: dt.date | None = None) -> list[Outgoing]:
    """Five ranked papers per page; where the relevant ones end (`relevant_count`), a "loosely related" line."""
    query = clip(escape(result.query), 200)
    if not result.hits:
        text = f"No paper in the corpus matches “{query}”"
        text += f" since {since.isoformat()}." if since else "."
        return [Outgoing(content=text)]
    pages = []
    total = (len(result.hits) + PAGE_SIZE - 1) // PAGE_SIZE
    cut = result.relevant_count
    for page in range(total):
        start = page * PAGE_SIZE
        lines = []
        for i, hit in enumerate(result.hits[start:start + PAGE_SIZE], start):
            if i == cut and cut:
                lines.append(LOOSELY_RELATED)
            lines.append(hit_line(i + 1, hit))
        header = []
        if result.notice:
            header.append(f"*{escape(result.notice)}*")
        if not result.relevant or cut == 0:
            header.append("*Nothing in the corpus is clearly about this; these are the closest papers.*")
        embed = discord.Embed(title=clip(f"Search: {query}", EMBED_TITLE_LIMIT), colour=COLOURS["info"],
                              description=clip("\n".join([*header, *lines]), EMBED_DESCRIPTION_LIMIT))
        footer = f"Page {page + 1}/{total} · {_count(result)}"
        if since:
            footer += f" · since {since.isoformat()}"
        if result.preferring:
            footer += f" · {preferring_text(result.preferring)}"
        if result.reranked:
            footer += f" · {RERANKED}"
        embed.set_footer(text=clip(footer, 2048))
        pages.append(Outgoing(embeds=[embed]))
    return pages


LOOSELY_RELATED = "── *loosely related* ──"


def _count(result: SearchResult) -> str:
    """'3 relevant papers' (how many are about the query), or the number listed when that was not judged."""
    n = len(result.hits) if result.relevant_count is None else result.relevant_count
    noun = "paper" if n == 1 else "papers"
    return f"{n} {noun}" if result.relevant_count is None else f"{n} relevant {noun}"


def paper_message(details: PaperDetails) -> Outgoing:
    paper = details.paper
    embed = discord.Embed(title=clip(escape(paper.title), EMBED_TITLE_LIMIT), colour=COLOURS["info"],
                          description=escape(clip_sentences(paper.abstract, 3000)) or "*No abstract.*")
    url = next((u for u in paper.all_urls if u.startswith(("http://", "https://"))), None)
    if url:
        embed.url = url
    if paper.dates:
        dates = ", ".join(d.isoformat() for d in paper.dates)
        embed.add_field(name="Listed", value=clip(dates, FIELD_VALUE_LIMIT), inline=False)
    if paper.authors:
        embed.add_field(name="Authors", value=clip(escape(", ".join(paper.authors)), FIELD_VALUE_LIMIT), inline=False)
    facts = paper_facts(paper)
    if facts:
        embed.add_field(name="arXiv", value=clip(escape(" · ".join(facts)), FIELD_VALUE_LIMIT), inline=False)
    if paper.all_urls:
        links = pack_lines([link(label, u) for label, u in paper.labelled_links()], FIELD_VALUE_LIMIT)[0]
        embed.add_field(name="Links", value=links, inline=False)
    if details.similar:
        value = pack_lines([hit_line(None, h) for h in details.similar], FIELD_VALUE_LIMIT)[0]
        embed.add_field(name="Similar papers", value=value, inline=False)
    return Outgoing(embeds=[embed])


def similar_message(result: SimilarResult) -> Outgoing:
    if not result.items:
        return Outgoing(content=f"No other paper in the corpus is close to “{escape(clip(result.paper.title, 200))}”.")
    lines = [f"{hit_line(i, item.hit)}\n↳ {escape(item.reason)}" for i, item in enumerate(result.items, 1)]
    embed = discord.Embed(title=clip(f"Similar to: {escape(result.paper.title)}", EMBED_TITLE_LIMIT),
                          colour=COLOURS["info"], description=clip("\n".join(lines), EMBED_DESCRIPTION_LIMIT))
    return Outgoing(embeds=[embed])


def about_message(info: AboutInfo) -> Outgoing:
    embed = discord.Embed(title="About PaperBot", colour=COLOURS["info"],
                          description="A research assistant over a corpus of paper abstracts: answers cite the "
                                      "papers they come from.")
    if info.index_problem:
        embed.add_field(name="Corpus", value=clip(escape(info.index_problem), FIELD_VALUE_LIMIT), inline=False)
    else:
        embed.add_field(name="Corpus", value=f"{info.papers} papers", inline=True)
        last = info.last_ingest.strftime("%Y-%m-%d %H:%M UTC") if info.last_ingest else "unknown"
        embed.add_field(name="Last ingest", value=last, inline=True)
    if info.fetch:
        embed.add_field(name="Last fetch of new papers", value=clip(escape(info.fetch), FIELD_VALUE_LIMIT),
                        inline=False)
    embed.add_field(name="Embedding model", value=escape(info.embedding_model), inline=False)
    embed.add_field(name="Answer model", value=escape(info.llm), inline=False)
    embed.set_footer(text=f"PaperBot {info.version}")
    return Outgoing(embeds=[embed])


def help_message(bot_mention: str | None = None) -> Outgoing:
    embed = discord.Embed(title="PaperBot help", colour=COLOURS["info"],
                          description="Answers come only from the paper abstracts in the corpus; every claim "
                                      "cites its paper as [n], and the cited titles are listed under the answer.")
    for section, entries in help_sections().items():
        embed.add_field(name=section, value="\n".join(f"`{e.usage}`: {e.description}" for e in entries),
                        inline=False)
    mention = bot_mention or "@PaperBot"
    embed.add_field(
        name="Conversations",
        value=(f"• Mention me with a question ({mention} what is …): I answer in a new thread; mention me or "
               "reply to me there for follow-ups (a reply to an older answer is about that answer's papers).\n"
               "• Or send me a direct message: every message is a question and I remember the last few turns "
               "(\"compare the first two\"). Send `reset` to start over."),
        inline=False,
    )
    embed.add_field(name="Dates", value="`since` takes a date (2024-05-01) or a span: 7d, 4w, 6m, 1y.", inline=False)
    return Outgoing(embeds=[embed])
