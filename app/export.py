"""Reading lists as files: BibTeX, RIS, Markdown and CSV, from the papers' titles, authors, dates and links."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Sequence
from typing import Literal

from core.models import Paper
from digest.compose import paper_links

ExportFormat = Literal["bibtex", "markdown", "ris", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("bibtex", "markdown", "ris", "csv")
EXTENSIONS: dict[ExportFormat, str] = {"bibtex": "bib", "markdown": "md", "ris": "ris", "csv": "csv"}

_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf|html)/(?P<id>\d{4}\.\d{4,5})(?:v\d+)?", re.I)
_ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}$")


def arxiv_id(paper: Paper) -> str | None:
    """The paper's arXiv identifier (2401.01234), from its metadata or an arxiv.org link."""
    known = getattr(paper, "arxiv_id", None)
    if isinstance(known, str) and _ARXIV_ID.match(known):
        return known
    for url in paper.urls:
        if match := _ARXIV_URL.search(url):
            return match.group("id")
    return None


def paper_url(paper: Paper) -> str:
    """The arXiv page, else the paper's own link, else a title search on arXiv (every entry gets a URL)."""
    found = arxiv_id(paper)
    if found:
        return f"https://arxiv.org/abs/{found}"
    return paper_links(paper)[0]


# -- BibTeX ---------------------------------------------------------------------------------------------------

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}",
                  "%": r"\%", "&": r"\&", "$": r"\$", "#": r"\#", "_": r"\_",
                  "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_ACCENTS = {"\u0301": "'", "\u0300": "`", "\u0302": "^", "\u0308": '"', "\u0303": "~", "\u0327": "c",
            "\u030c": "v", "\u030a": "r", "\u0304": "=", "\u0306": "u", "\u030b": "H", "\u0328": "k"}
_LETTERS = {"ß": r"{\ss}", "æ": r"{\ae}", "Æ": r"{\AE}", "ø": r"{\o}", "Ø": r"{\O}", "ł": r"{\l}", "Ł": r"{\L}",
            "œ": r"{\oe}", "Œ": r"{\OE}", "å": r"{\aa}", "Å": r"{\AA}", "–": "--", "—": "---",
            "‘": "`", "’": "'", "“": "``", "”": "''", "…": r"\ldots{}"}


def latex_escape(text: str) -> str:
    """Plain text as a BibTeX field value: specials escaped, accented letters as LaTeX accents, ASCII out."""
    out: list[str] = []
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    # BibTeX counts even escaped braces when balancing a field: unbalanced ones are spelled as commands.
    balanced = _balanced(text)
    for char in text:
        if char in "{}" and not balanced:
            out.append(r"\textbraceleft{}" if char == "{" else r"\textbraceright{}")
        elif char in _LATEX_SPECIAL:
            out.append(_LATEX_SPECIAL[char])
        elif ord(char) < 128:
            out.append(char)
        elif char in _LETTERS:
            out.append(_LETTERS[char])
        else:
            base, marks = unicodedata.normalize("NFD", char)[0], unicodedata.normalize("NFD", char)[1:]
            if marks and ord(base) < 128 and all(m in _ACCENTS for m in marks):
                inner = base
                for mark in marks:
                    inner = f"\\{_ACCENTS[mark]}{{{inner}}}" if _ACCENTS[mark].isalpha() else \
                        f"\\{_ACCENTS[mark]}{inner}"
                out.append("{" + inner + "}")
            else:  # no LaTeX spelling (CJK, symbols): kept as UTF-8, which biber and bibtexparser read
                out.append(char)
    return "".join(out)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", folded)


_KEY_SKIP = frozenset({"a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "towards", "toward", "via",
                       "is", "are", "do", "does", "can"})


def bibtex_key(paper: Paper) -> str:
    """A citation key that is the same in every export of this paper: author, year, title word, id hash."""
    surname = _ascii_words(paper.authors[0].split()[-1])[:1] if paper.authors and paper.authors[0].split() else []
    year = str(paper.dates[0].year) if paper.dates else ""
    word = next((w for w in _ascii_words(paper.title) if w not in _KEY_SKIP), "paper")
    digest = hashlib.sha1(paper.id.encode()).hexdigest()[:4]
    return f"{(surname or ['paper'])[0]}{year}{word}_{digest}"


def bibtex_entry(paper: Paper) -> str:
    found = arxiv_id(paper)
    fields: list[tuple[str, str]] = [("title", latex_escape(paper.title))]
    if paper.authors:
        fields.append(("author", " and ".join(latex_escape(a) for a in paper.authors)))
    if paper.dates:
        fields.append(("year", str(paper.dates[0].year)))
    if found:
        fields += [("eprint", found), ("archivePrefix", "arXiv")]
    fields.append(("url", paper_url(paper)))
    # @misc either way, as arXiv's own export does: a preprint has no journal for @article.
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{bibtex_key(paper)},\n{body}\n}}\n"


def bibtex(papers: Sequence[Paper]) -> str:
    return "\n".join(bibtex_entry(p) for p in papers)


# -- RIS, Markdown, CSV -------------------------------------------------------------------------------------

def ris(papers: Sequence[Paper]) -> str:
    lines: list[str] = []
    for paper in papers:
        lines += ["TY  - ELEC" if arxiv_id(paper) is None else "TY  - JOUR", f"TI  - {' '.join(paper.title.split())}"]
        lines += [f"AU  - {author}" for author in paper.authors]
        if paper.dates:
            lines += [f"PY  - {paper.dates[0].year}", f"DA  - {paper.dates[0].strftime('%Y/%m/%d')}"]
        if found := arxiv_id(paper):
            lines += ["JO  - arXiv", f"M1  - arXiv:{found}"]
        lines.append(f"UR  - {paper_url(paper)}")
        lines += [f"ID  - {bibtex_key(paper)}", "ER  - ", ""]
    return "\n".join(lines)


def _md(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", " ".join(text.split()))


def markdown(papers: Sequence[Paper], heading: str = "Reading list") -> str:
    lines = [f"# {_md(heading)}", ""]
    for paper in papers:
        title = f"[{_md(paper.title)}]({paper_url(paper)})"
        extra = [", ".join(paper.authors)] if paper.authors else []
        if paper.date:
            extra.append(paper.date.isoformat())
        if found := arxiv_id(paper):
            extra.append(f"arXiv:{found}")
        lines.append(f"- {title}" + (f" — {_md(' · '.join(extra))}" if extra else ""))
    return "\n".join(lines) + "\n"


def csv_text(papers: Sequence[Paper]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["title", "authors", "date", "arxiv_id", "url", "key"])
    for paper in papers:
        writer.writerow([" ".join(paper.title.split()), "; ".join(paper.authors),
                         paper.date.isoformat() if paper.date else "", arxiv_id(paper) or "",
                         paper_url(paper), bibtex_key(paper)])
    return out.getvalue()


def render(papers: Sequence[Paper], fmt: ExportFormat, heading: str = "Reading list") -> str:
    if fmt == "bibtex":
        return bibtex(papers)
    if fmt == "ris":
        return ris(papers)
    if fmt == "csv":
        return csv_text(papers)
    return markdown(papers, heading)
