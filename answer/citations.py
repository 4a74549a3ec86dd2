"""Citation markers in model output: parse, drop the invented ones, renumber, and find supporting quotes.

Accepted forms: [1], [1, 3], [1,3], [1; 3], [1-3], [1–3], [Source 2], [S2]. A marker naming a number outside
the sources given is removed and counted. The kept numbers are renumbered in order of first use and written
as one marker per number, "[1][2]", so every marker the caller sees is a single valid number. Code spans and
fenced blocks are left alone (`a[0]` in code is not a citation).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from answer.terms import terms
from core.sentences import is_complete, is_contribution, sentence_spans
from core.text import DocumentFrequency

_NUM = r"(?:(?:sources?|src|refs?|s)\s*)?\d{1,4}"
MARKER = re.compile(rf"\[\s*({_NUM}(?:\s*(?:[-–—]|,|;|and|&)\s*{_NUM})*)\s*\]", re.I)
_CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`", re.S)
_PARTIAL_TAIL = re.compile(r"\[[^\]\n]{0,24}$")
_REFERENCE_HEADING = re.compile(r"\n\s*(?:#+\s*|\*\*)?(?:sources|references|citations|bibliography)\s*:?\**\s*\n",
                                re.I)
MAX_RANGE = 50


def parse_marker(body: str) -> list[int]:
    """The numbers of one marker's inside, ranges expanded ("1-3, 5" -> [1, 2, 3, 5])."""
    numbers: list[int] = []
    for part in re.split(r"\s*(?:,|;|\band\b|&)\s*", body, flags=re.I):
        bounds = [int(x) for x in re.findall(r"\d+", part)]
        if len(bounds) == 2 and re.search(r"[-–—]", part) and bounds[0] <= bounds[1] \
                and bounds[1] - bounds[0] < MAX_RANGE:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.extend(bounds)
    return numbers


def find_numbers(text: str) -> list[int]:
    """Every number cited in `text`, in order, repeats included (code excluded)."""
    numbers: list[int] = []
    for segment, is_code in _segments(text):
        if not is_code:
            for match in MARKER.finditer(segment):
                numbers.extend(parse_marker(match.group(1)))
    return numbers


@dataclass
class Verified:
    text: str
    order: list[int] = field(default_factory=list)  # original source numbers, in order of first use
    removed: int = 0  # cited numbers that named no source


def verify(text: str, valid: Iterable[int], *, renumber: bool = True, partial: bool = False) -> Verified:
    """Keep only markers naming a valid source; renumber by first use unless `renumber=False`.

    `partial=True` is for a streamed answer still arriving: a trailing "[1" is hidden until it is complete.
    """
    allowed = set(valid)
    text = _PARTIAL_TAIL.sub("", text) if partial else _cut_reference_list(text)
    order: list[int] = []
    removed = 0
    out: list[str] = []
    for segment, is_code in _segments(text):
        if is_code:
            out.append(segment)
            continue
        pos = 0
        for match in MARKER.finditer(segment):
            numbers = parse_marker(match.group(1))
            kept: list[int] = []
            for number in numbers:
                if number not in allowed:
                    removed += 1
                elif number not in kept:
                    kept.append(number)
            for number in kept:
                if number not in order:
                    order.append(number)
            chunk = segment[pos:match.start()]
            if kept:
                shown = [order.index(k) + 1 if renumber else k for k in kept]
                out.append(chunk + "".join(f"[{n}]" for n in shown))
            else:
                # Removing " [7]." must leave "." and not " .".
                after = segment[match.end():match.end() + 1]
                out.append(chunk.rstrip(" \t") if (not after or after in ".,;:!?) \t") else chunk)
            pos = match.end()
        out.append(segment[pos:])
    cleaned = "".join(out)
    cleaned = re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", cleaned)  # "[1] [1]" -> "[1]"
    cleaned = re.sub(r"[ \t]+\n", "\n", cleaned).strip()
    return Verified(text=cleaned, order=order, removed=removed)


def _segments(text: str) -> list[tuple[str, bool]]:
    parts: list[tuple[str, bool]] = []
    pos = 0
    for match in _CODE.finditer(text):
        parts.append((text[pos:match.start()], False))
        parts.append((match.group(0), True))
        pos = match.end()
    parts.append((text[pos:], False))
    return parts


def _cut_reference_list(text: str) -> str:
    """Models often append their own "Sources:" list despite the prompt; the caller renders the real one."""
    headings = list(_REFERENCE_HEADING.finditer(text))
    if headings and headings[-1].start() > len(text) // 3:
        return text[:headings[-1].start()]
    return text


_LEADING_MARKERS = re.compile(rf"^(?:\s*{MARKER.pattern})+", re.I)


def citing_sentences(text: str) -> dict[int, list[str]]:
    """For each cited number of `text`, the sentences that cite it, markers removed.

    A marker written after the full stop ("... prefix. [1] Next sentence") belongs to the sentence before it.
    """
    spans = [text[s:e] for s, e in sentence_spans(text, lines=True)]
    cited: list[list[int]] = [[] for _ in spans]
    plain: list[str] = []
    for index, sentence in enumerate(spans):
        leading = _LEADING_MARKERS.match(sentence)
        if leading and index > 0:
            cited[index - 1].extend(find_numbers(leading.group(0)))
            sentence = sentence[leading.end():]
        cited[index].extend(find_numbers(sentence))
        plain.append(" ".join(MARKER.sub(" ", sentence).split()))
    result: dict[int, list[str]] = {}
    for numbers, sentence in zip(cited, plain, strict=True):
        for number in dict.fromkeys(numbers):
            result.setdefault(number, []).append(sentence)
    return result


def key_sentence(abstract: str) -> str:
    """The sentence that says what a paper does: the first "We propose ..." one, else the first complete one."""
    spans = sentence_spans(abstract)
    candidates = [abstract[s:e] for s, e in spans]
    for sentence in candidates:
        if is_contribution(sentence) and is_complete(sentence):
            return sentence
    for sentence in candidates:
        if is_complete(sentence):
            return sentence
    return candidates[0] if candidates else abstract.strip()


def best_quote(claims: list[str], abstract: str, shown: str | None = None) -> str:
    """The sentence of `abstract` that best supports the claims; a verbatim substring of `abstract`.

    Only the part of the abstract the model was shown (`shown`, a prefix) is considered. Ties go to the
    earlier sentence; with no overlap at all, the paper's key sentence.
    """
    visible = abstract if shown is None else abstract[: len(shown)]
    spans = sentence_spans(visible)
    if not spans:
        return abstract.strip()
    pool = [terms(visible[s:e]) for s, e in spans]
    weights = DocumentFrequency(pool)
    claim_terms = set().union(*(terms(c) for c in claims)) if claims else set()
    best_score, best = 0.0, None
    for (s, e), sentence_terms in zip(spans, pool, strict=True):
        score = weights.overlap(claim_terms, sentence_terms)
        if not is_complete(visible[s:e]):
            score *= 0.8
        if score > best_score:
            best_score, best = score, visible[s:e]
    return best if best is not None else key_sentence(visible)
