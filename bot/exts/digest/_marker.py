"""A digest run's marker ("digest 2026-01-01 #3") hidden in its footers: invisible to readers, found after a crash.

The marker is written as zero-width characters (one bit each, between two zero-width joiners), which Discord
keeps in embed text like any other character and renders as nothing. Exactly-once posting needs it in every
digest message: after a crash between posting and recording, it is how the bot tells which run a message is.
"""

from __future__ import annotations

import re

_ZERO, _ONE, _FENCE = "\u200b", "\u200c", "\u200d"  # zero-width space, non-joiner, joiner
_HIDDEN = re.compile(f"{_FENCE}([{_ZERO}{_ONE}]+){_FENCE}")
_INVISIBLE = str.maketrans("", "", _ZERO + _ONE + _FENCE)


def hide(marker: str) -> str:
    bits = "".join(f"{byte:08b}" for byte in marker.encode())
    return _FENCE + bits.replace("0", _ZERO).replace("1", _ONE) + _FENCE


def reveal(text: str) -> list[str]:
    """The markers hidden in a text."""
    found = []
    for match in _HIDDEN.finditer(text):
        bits = match.group(1).replace(_ZERO, "0").replace(_ONE, "1")
        if len(bits) % 8 == 0:
            found.append(bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)).decode(errors="replace"))
    return found


def visible(text: str) -> str:
    """What a reader sees of a text carrying a marker."""
    return text.translate(_INVISIBLE)
