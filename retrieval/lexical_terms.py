"""The lexical index's terms: stemmed content words and word pairs, and the stable hash each is stored under.

Its own module because both the segment writer and the query side need it, and neither may import the other.
"""

from __future__ import annotations

import hashlib
import itertools

from core.text import content_terms


def tokenize(text: str) -> list[str]:
    """Stemmed content words (`core.text`'s base stopwords dropped), then adjacent pairs ("data_select")."""
    stems = content_terms(text)
    return stems + [f"{a}_{b}" for a, b in itertools.pairwise(stems)]


def term_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little", signed=True)
