"""The corpus's own acronyms ("Direct Preference Optimization (DPO)"), used to spell out a query's acronyms.

Researchers ask in acronyms ("DPO", "RLHF", "MoE"); the embedding model knows few of them, so a bare "DPO"
lands far from every paper and would be judged out of scope. Abstracts define the acronyms they use, so
ingest collects those definitions and a query's known acronym is searched together with its long form.

Definitions are found as in Schwartz & Hearst (2003): a parenthesized short form whose letters occur, in
order, in the words just before it, the first one starting a word. The long form most papers use wins.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from retrieval.embedding import TOKENIZER_PATH

FILE = "acronyms.json"
COUNTS = "acronym-counts.json"
_DEFINITION = re.compile(r"\(([A-Za-z][A-Za-z0-9-]{1,9}?)s?\)")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_QUERY_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9-]{1,9}")


def _is_short_form(text: str) -> bool:
    return sum(c.isupper() for c in text) >= 2 and not text.isdigit()


def _long_form(short: str, before: str) -> str | None:
    """The words of `before` that `short` abbreviates, or None (Schwartz & Hearst's matching)."""
    letters = [c.lower() for c in short if c.isalnum()]
    words = before.split()[-min(len(letters) + 5, 2 * len(letters)):]
    text = " ".join(words)
    s, i = len(letters) - 1, len(text) - 1
    while s >= 0:
        while i >= 0 and (text[i].lower() != letters[s] or (s == 0 and i > 0 and text[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return None
        i -= 1
        s -= 1
    start = text.rfind(" ", 0, i + 2) + 1
    long_form = text[start:].strip(" ,;:")
    if len(long_form.split()) < 2 or long_form.lower().startswith(short.lower()):
        return None
    return long_form


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    """Whole words of the embedding model's uncased vocabulary ("tag", "rag", "moe"; not "dpo" or "rlhf")."""
    vocab = json.loads(TOKENIZER_PATH.read_text(encoding="utf-8"))["model"]["vocab"]
    return frozenset(word for word in vocab if word.isalpha())


class GlossaryBuilder:
    def __init__(self) -> None:
        self._seen: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def add(self, text: str, times: int = 1) -> None:
        """Count the definitions `text` makes (`times=-1`: uncount those of a paper that is going)."""
        for match in _DEFINITION.finditer(text):
            short = match.group(1)
            if not _is_short_form(short):
                continue
            sentence_start = max(text.rfind(". ", 0, match.start()), text.rfind("(", 0, match.start())) + 1
            long_form = _long_form(short, text[sentence_start : match.start()])
            if long_form:
                self._seen[short.lower()][" ".join(_WORD.findall(long_form.lower()))] += times

    def save(self, directory: Path) -> None:
        """The counts themselves, so that the next ingest adds its papers' definitions instead of recounting."""
        (directory / COUNTS).write_text(json.dumps(self._seen, sort_keys=True))

    @classmethod
    def load(cls, directory: Path) -> GlossaryBuilder:
        builder = cls()
        for short, forms in json.loads((directory / COUNTS).read_text()).items():
            builder._seen[short].update(forms)
        return builder

    def build(self) -> Glossary:
        # `+forms` keeps the positive counts: a long form every defining paper of which has gone is no more.
        long_forms = {short: (+forms).most_common(1)[0][0] for short, forms in self._seen.items() if +forms}
        return Glossary(long_forms, set(long_forms) & _english_words())


class Glossary:
    def __init__(self, long_forms: dict[str, str], as_words: set[str]) -> None:
        self.long_forms = long_forms
        # Short forms that are also English words ("tag", "rag"): spelled out only when a query writes them
        # with capitals ("RAG"), not when it uses the word.
        self.as_words = as_words

    def save(self, directory: Path) -> None:
        (directory / FILE).write_text(json.dumps({"long_forms": self.long_forms, "as_words": sorted(self.as_words)},
                                                 sort_keys=True))

    @classmethod
    def load(cls, directory: Path) -> Glossary:
        path = directory / FILE
        data = json.loads(path.read_text()) if path.exists() else {}
        return cls(data.get("long_forms", {}), set(data.get("as_words", [])))

    def expand(self, query: str) -> str:
        """`query` followed by the long forms of its acronyms that it does not already spell out."""
        lowered = query.lower()
        extra = []
        for token in dict.fromkeys(_QUERY_TOKEN.findall(query)):
            key = token.lower()
            if key not in self.long_forms and key.endswith("s"):
                key = key[:-1]  # "LLMs"
            long_form = self.long_forms.get(key)
            if not long_form or (key in self.as_words and not _is_short_form(token)):
                continue
            if long_form not in lowered and long_form not in extra:
                extra.append(long_form)
        return f"{query} ({'; '.join(extra)})" if extra else query
