"""Follow-up questions: what "the second one", "[3]" or "they" refer to, and a standalone query for retrieval.

The papers cited by the latest answer keep their numbers in the next prompt ([1] is still [1]), so
"compare [1] and [3]" and "the first two" mean what the user saw. Resolution here is deterministic; the
engine may ask the LLM for a better standalone query (prompt `followup.md`) and falls back to
`standalone_query` when it cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from answer.citations import MARKER, parse_marker
from answer.terms import terms
from core.models import Turn
from core.text import neutralise, one_line, shorten

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7, "8th": 8,
    "9th": 9, "10th": 10, "former": 1,
}
_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5}
_NOUN = r"(?:one|ones|paper|papers|article|result|source|reference|work|study|entry|item)"
_ORD = "|".join(sorted(_ORDINALS, key=len, reverse=True))
# "the second one", "the last paper", "the third." and "the latter"; not "the first step".
_ORDINAL_REF = re.compile(rf"\bthe\s+(former|latter)\b(?:\s+{_NOUN}\b)?"
                          rf"|\bthe\s+({_ORD}|last)(?:\s+{_NOUN}\b|(?=\s*(?:[.,;:?!)]|$)))"
                          rf"|\b({_ORD}|last)\s+{_NOUN}\b", re.I)
_FIRST_N = re.compile(r"\b(?:the\s+)?(first|top|last)\s+(two|three|four|five|[2-5])\b(?:\s+" + _NOUN + r")?",
                      re.I)
_NUMBERED = re.compile(r"\b(?:paper|source|article|result|reference|ref|number|no\.)\s*#?\s*(\d{1,2})\b|#(\d{1,2})\b",
                       re.I)
_BOTH = re.compile(r"\b(?:both(?:\s+of\s+them|\s+" + _NOUN + r")?|these\s+two|those\s+two|the\s+two(?:\s+" + _NOUN
                   + r")?)\b", re.I)
_ALL = re.compile(r"\b(?:all\s+of\s+them|them\s+all|all\s+(?:the\s+|these\s+|those\s+)?" + _NOUN
                  + r"|each\s+of\s+them|these\s+" + _NOUN + r"|those\s+" + _NOUN + r")\b", re.I)
_ANAPHORA = re.compile(r"\b(?:it|its|they|them|their|this|that|these|those|above|previous|former|latter|same|"
                       r"the\s+(?:paper|papers|method|model|approach|authors|study|work|dataset|results?))\b", re.I)
_OPENER = re.compile(r"^\s*(?:and|but|also|so|what about|how about|why|compare|tell me more|more on|more about)\b",
                     re.I)


@dataclass
class FollowUp:
    """How a question relates to the conversation before it."""

    is_followup: bool = False
    carried: list[str] = field(default_factory=list)  # ids cited by the latest answer, as numbered there
    referenced: list[int] = field(default_factory=list)  # numbers (1-based, into `carried`) named explicitly
    phrases: list[tuple[str, list[int]]] = field(default_factory=list)  # "the second one" -> [2]
    previous_question: str | None = None

    @property
    def referenced_ids(self) -> list[str]:
        return [self.carried[n - 1] for n in self.referenced]


def resolve(question: str, history: list[Turn] | None) -> FollowUp:
    if not history:
        return FollowUp()
    cited_turn = next((t for t in reversed(history) if t.cited_ids), None)
    result = FollowUp(previous_question=history[-1].question)
    if cited_turn is None:
        result.is_followup = _sounds_like_followup(question)
        return result
    result.carried = list(dict.fromkeys(cited_turn.cited_ids))
    count = len(result.carried)

    def note(phrase: str, numbers: list[int]) -> None:
        numbers = [n for n in numbers if 1 <= n <= count]
        if numbers:
            result.phrases.append((phrase, numbers))
            result.referenced.extend(n for n in numbers if n not in result.referenced)

    taken: list[tuple[int, int]] = []

    def free(match: re.Match[str]) -> bool:
        overlaps = any(match.start() < e and s < match.end() for s, e in taken)
        if not overlaps:
            taken.append(match.span())
        return not overlaps

    for match in MARKER.finditer(question):
        if free(match):
            note(match.group(0), parse_marker(match.group(1)))
    for match in _FIRST_N.finditer(question):
        if free(match):
            k = _COUNTS[match.group(2).lower()]
            numbers = list(range(count - k + 1, count + 1)) if match.group(1).lower() == "last" else \
                list(range(1, k + 1))
            note(match.group(0), numbers)
    for match in _ORDINAL_REF.finditer(question):
        if free(match):
            word = (match.group(1) or match.group(2) or match.group(3)).lower()
            note(match.group(0), [count if word in ("last", "latter") else _ORDINALS[word]])
    for match in _NUMBERED.finditer(question):
        if free(match):
            note(match.group(0), [int(match.group(1) or match.group(2))])
    for match in _BOTH.finditer(question):
        if free(match) and count >= 2:
            note(match.group(0), [1, 2])
    for match in _ALL.finditer(question):
        if free(match):
            note(match.group(0), list(range(1, count + 1)))
    result.is_followup = bool(result.referenced) or _sounds_like_followup(question)
    return result


def _sounds_like_followup(question: str) -> bool:
    """"What dataset did they use?" leans on the conversation; "papers about X" stands alone."""
    if _OPENER.search(question):
        return True
    return bool(_ANAPHORA.search(question)) and len(terms(question)) <= 4


def standalone_query(question: str, followup: FollowUp, titles: dict[str, str]) -> str:
    """A retrieval query that stands alone: references replaced by the titles they point at, or, for "they" and
    the like, the previous question appended for its topic."""
    if not followup.is_followup:
        return question
    query = question
    for phrase, numbers in followup.phrases:
        names = [titles.get(followup.carried[n - 1], "") for n in numbers]
        query = query.replace(phrase, " and ".join(n for n in names if n) or phrase, 1)
    if not followup.phrases:
        context = followup.previous_question or ""
        if followup.carried and followup.carried[0] in titles:
            context = f"{context} {titles[followup.carried[0]]}".strip()
        query = f"{question} {context}".strip()
    return one_line(query)


def references_note(followup: FollowUp) -> str:
    """For the prompt: what the question's references mean in terms of the numbered sources."""
    if not followup.phrases:
        return ""
    parts = [f'"{neutralise(one_line(phrase))}" means ' + " and ".join(f"source [{n}]" for n in numbers)
             for phrase, numbers in followup.phrases]
    return "\nIn the question, " + "; ".join(parts) + "."


def render_turns(history: list[Turn], limit: int, answer_chars: int = 500) -> str:
    """The latest turns for a prompt; only the latest answer keeps its markers (its numbering is still valid)."""
    recent = history[-limit:] if limit > 0 else []
    lines = []
    for index, turn in enumerate(recent):
        answer = turn.answer if index == len(recent) - 1 else MARKER.sub("", turn.answer)
        lines.append(f"User: {neutralise(shorten(turn.question, 300))}")
        lines.append(f"PaperBot: {neutralise(shorten(answer, answer_chars))}")
    return "\n".join(lines)


def clean_rewrite(text: str) -> str | None:
    """The LLM's standalone query, if it is one: a single short line, not a refusal or an answer."""
    line = next((ln.strip() for ln in text.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(?:standalone\s+)?(?:search\s+)?query\s*:\s*", "", line, flags=re.I).strip().strip("\"'`“”")
    if not (3 <= len(line) <= 300) or MARKER.search(line) or not terms(line):
        return None
    return line
