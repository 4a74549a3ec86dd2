"""Time zones of digest times: IANA names (Europe/Berlin) or fixed UTC offsets (UTC+05:30), via zoneinfo."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import lru_cache

from core.errors import InputError

UTC_NAME = "UTC"
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?$", re.I)
_HELP = "an IANA name like Europe/Berlin or America/New_York, or a UTC offset like UTC+2 or -05:30"


def canonical_zone(text: str) -> str:
    """A zone as the user typed it, validated and in the form stored: 'Europe/Berlin', 'UTC', 'UTC+05:30'."""
    value = text.strip()
    if value.casefold() in ("utc", "z", "gmt", "utc+0", "utc-0", "+00:00", "0"):
        return UTC_NAME
    if match := _OFFSET.match(value):
        hours, minutes = int(match["h"]), int(match["m"] or 0)
        if hours > 14 or minutes >= 60:
            raise InputError(f"'{value[:40]}' is not a UTC offset: use {_HELP}.")
        if hours == minutes == 0:
            return UTC_NAME
        return f"UTC{match['sign']}{hours:02d}:{minutes:02d}"
    if "/" in value and not value.startswith("/") and ".." not in value:
        try:
            zoneinfo.ZoneInfo(value)
            return value
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    raise InputError(f"'{value[:40]}' is not a time zone I know: use {_HELP}.")


@lru_cache(maxsize=256)
def zone(name: str) -> dt.tzinfo:
    """The tzinfo of a stored zone name (DST rules included for IANA names)."""
    if name == UTC_NAME:
        return dt.UTC
    if name.startswith("UTC") and len(name) == 9:
        sign = 1 if name[3] == "+" else -1
        return dt.timezone(sign * dt.timedelta(hours=int(name[4:6]), minutes=int(name[7:9])), name)
    return zoneinfo.ZoneInfo(name)


def local_day(moment: dt.datetime, name: str) -> dt.date:
    return moment.astimezone(zone(name)).date()


def split_time_zone(text: str) -> tuple[str, str | None]:
    """'09:00 Europe/Berlin' -> ('09:00', 'Europe/Berlin'); '9am UTC+2' -> ('9am', 'UTC+2'); '09:00' -> (.., None)."""
    value = " ".join(text.split())
    head, _, tail = value.partition(" ")
    if tail and tail.casefold() not in ("am", "pm"):
        if tail[:2].casefold() in ("am", "pm") and " " in tail:  # '9 am Europe/Berlin'
            ampm, _, rest = tail.partition(" ")
            return f"{head}{ampm}", rest
        return head, tail
    match = re.match(r"^(?P<time>.*?\d(?:am|pm)?)(?P<offset>[+-]\d{1,2}(?::?\d{2})?)$", value, re.I)
    if match and ":" in match["time"]:  # '09:00+02:00'
        return match["time"], match["offset"]
    return value, None
