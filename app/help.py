"""/help: the commands every surface offers, with one line each."""

from __future__ import annotations

from pydantic import BaseModel


class HelpEntry(BaseModel):
    usage: str
    description: str


HELP: list[HelpEntry] = [
    HelpEntry(usage="/ask question [since] [author] [private]",
              description="Answer a question from the paper abstracts, citing the papers it used."),
    HelpEntry(usage="/search query [since] [author]", description="Ranked papers for a topic, five per page."),
    HelpEntry(usage="/paper title", description="One paper (a title, an arXiv id or link): abstract, authors, "
                                                "dates, links and three similar papers."),
    HelpEntry(usage="/similar title", description="Papers closest to one you know, with why they are close."),
    HelpEntry(usage="/about", description="Corpus size, last update, models in use, version."),
    HelpEntry(usage="/help", description="This list."),
]
