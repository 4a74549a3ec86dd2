"""/help: every command, grouped by what it is for, with one line each (the console shows the ones it has)."""

from __future__ import annotations

from pydantic import BaseModel


class HelpEntry(BaseModel):
    usage: str
    description: str
    section: str
    console: bool = False  # also a command of `paperbot chat`


# "## section" starts a group; each line below is "usage | description", with "| console" when `paperbot chat`
# has the command too. README's command table lists the same commands (tests/test_help_commands.py).
_TABLE = """
## Questions and papers
/ask question [since] [author] [private] | Answer a question from the abstracts, citing the papers used. | console
/search query [since] [author] | The papers about a topic, then a few loosely related; five per page. | console
/paper title | One paper (title, arXiv id or link): abstract, authors, dates, links, 3 similar. | console
/similar title | Papers contributing what one you know does, each with the points they share. | console
## Reading lists
/save title | Save a paper to your reading list (and this server's).
/list [mine|server] | Your saved papers, or everything saved in this server.
/export format [mine|server] | The list as a BibTeX, Markdown, RIS or CSV file.
## Digests and roundups
/digest-me [time] [topics] [size] [rank] [off] | A daily digest of new papers in your DMs; 👍/👎 on its papers tune it.
/digest set channel [time] [size] [topics] [rank] [archive] | (Manage Server) A daily digest in a channel.
/digest show | (Manage Server) This server's digests, their next and last runs.
/digest off [channel] | (Manage Server) Stop a channel's digest.
/digest now [channel] | (Manage Server) Post today's digest right away.
/digest timezone zone | (Manage Server) The time zone of digest times given without one.
/roundup set channel [day] [time] | (Manage Server) Every week, the server's most 👍-ed and most saved papers.
/roundup stop | (Manage Server) Stop the weekly roundup.
## About and privacy
/about | Corpus size, last update, models in use, version. | console
/help | This list. | console
/forget-me | Delete everything PaperBot stored about you.
/channel topic set topics | (Manage Server) A topic /ask, /search and the digest prefer in this channel.
/channel topic clear | (Manage Server) Stop preferring a topic in this channel.
/channel topic show | (Manage Server) The topic this channel prefers.
/paperbot status | (Manage Server) Last ingest and fetch, each digest's last run, LLM errors, feedback.
"""


def _parse(table: str) -> list[HelpEntry]:
    entries, section = [], ""
    for line in filter(None, (ln.strip() for ln in table.splitlines())):
        if line.startswith("## "):
            section = line[3:]
            continue
        usage, description, *flags = (part.strip() for part in line.split(" | "))
        entries.append(HelpEntry(usage=usage, description=description, section=section,
                                 console="console" in flags))
    return entries


HELP: list[HelpEntry] = _parse(_TABLE)


def help_sections() -> dict[str, list[HelpEntry]]:
    """The entries by section, in the order above."""
    sections: dict[str, list[HelpEntry]] = {}
    for entry in HELP:
        sections.setdefault(entry.section, []).append(entry)
    return sections
