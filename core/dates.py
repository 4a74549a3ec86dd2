"""The one parser of `since` (and `until`) options: an ISO date or a span back from today ("7d", "6m")."""

from __future__ import annotations

import datetime as dt
import re

from core.errors import InputError
from core.text import clip

SINCE_HELP = "a date (2024-05-01) or a span back from today: 7d, 4w, 6m, 1y"

_RELATIVE = re.compile(r"^(\d{1,4})\s*(d|day|days|w|wk|week|weeks|m|mo|month|months|y|yr|year|years)$")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def parse_since(text: str | None, today: dt.date | None = None) -> dt.date | None:
    """An ISO date or a span back from `today` (default: today). Blank means no filter."""
    if text is None or not text.strip():
        return None
    value = text.strip().lower()
    if match := _RELATIVE.match(value):
        days = _UNIT_DAYS[match.group(2)[0]] * int(match.group(1))
        try:
            return (today or dt.date.today()) - dt.timedelta(days=days)
        except OverflowError:
            raise InputError(f"“{text.strip()}” reaches too far back; use {SINCE_HELP}.") from None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"“{clip(text.strip(), 40)}” is not a date; use {SINCE_HELP}.") from None
