"""An endpoint's answer, bounded and labelled before it is verified: over-long, cut off, or echoing the prompt.

Endpoints misbehave in ways a user must not pay for: one ignored `max_tokens` and sent 50,000 tokens (67
Discord messages from one /ask); a stream can stop mid-sentence (finish_reason "length", or no finish at
all); a model can repeat the system prompt, whose example markers ("e.g. [1] or [2][3]") would then count as
citations. The answer is cut at its last whole sentence within the budget, an unfinished last sentence is
dropped, echoed instruction sentences are removed, and each of these is said in a notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.sentences import is_complete, sentence_spans

# English averages about 4 characters per token; the slack keeps an answer that respects max_tokens whole.
CHARS_PER_TOKEN = 6
_ECHO_MIN_CHARS = 16  # shorter sentences ("See [1].") may match the prompt by chance
_MARKERS_ONLY = re.compile(r"[\[\]\d,\s-]+")


@dataclass
class Bounded:
    text: str
    notice: str | None = None
    cut_off: bool = False  # the endpoint stopped mid-sentence


def char_budget(max_answer_tokens: int) -> int:
    return max_answer_tokens * CHARS_PER_TOKEN


def _squash(text: str) -> str:
    return " ".join(text.split()).lower()


def drop_echo(text: str, prompt: str) -> tuple[str, int]:
    """`text` without the sentences it copies verbatim from `prompt` (the instructions), and how many went."""
    source = _squash(prompt)
    kept, dropped, last = [], 0, 0
    for start, end in sentence_spans(text, lines=True):
        sentence = text[start:end]
        if len(sentence) >= _ECHO_MIN_CHARS and _squash(sentence.lstrip("-*• ")) in source:
            kept.append(text[last:start])
            last = end
            dropped += 1
    kept.append(text[last:])
    return ("".join(kept).strip() if dropped else text), dropped


def _whole(sentence: str) -> bool:
    return is_complete(sentence) or _MARKERS_ONLY.fullmatch(sentence) is not None  # "... claim. [2]"


def bound(text: str, finish_reason: str | None, limit: int) -> Bounded:
    """`text` cut to at most `limit` characters at a sentence end, its unfinished last sentence dropped."""
    over = len(text) > limit
    head = text[:limit] if over else text
    spans = sentence_spans(head)
    unfinished = bool(spans) and not _whole(head[spans[-1][0]:spans[-1][1]])
    cut_off = finish_reason in (None, "length") and unfinished and not over
    if unfinished and (over or cut_off):
        whole = [span for span in spans if _whole(head[span[0]:span[1]])]
        head = head[: whole[-1][1]] if whole else head
    notice = None
    if over:
        notice = f"The answer was cut to {len(head):,} of the {len(text):,} characters the model sent."
    elif cut_off:
        notice = "The model's answer stopped mid-sentence" + (
            "; its unfinished last sentence was dropped." if head != text else ".")
    return Bounded(head.rstrip(), notice, cut_off=cut_off)
