"""When digests are owed: pure functions of the targets, the recorded runs and an injected clock.

The rules, per target and day *in the target's time zone* (UTC unless set):
- a digest is owed at the target's local time of day (its *slot*), at most once per local day, whatever
  triggered it; across a daylight-saving change the slot keeps its local time, so it moves by an hour in UTC;
- it may go out late (the bot was down or busy) up to `grace_hours` after the slot, but never after that local
  day ends: there is no back-filling of missed days;
- a slot earlier than the moment the schedule was configured is not owed (setting a 09:00 digest at 10:00
  starts tomorrow);
- a run left `pending` by a previous process may or may not have been posted: it is *recovered* (the channel
  is checked for the digest's marker) before anything else happens for that target.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from core.errors import InputError
from digest.models import DigestRun, DigestTarget
from digest.timezones import local_day, zone

# The scheduler ticks about once a minute; a slot must stay open for a few ticks even with grace 0,
# or one slow tick would silently skip a day.
MIN_WINDOW = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 3

ActionKind = Literal["post", "recover"]

_TIME = re.compile(r"^(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>am|pm)?(?:\s*(?:utc|z|gmt))?$", re.I)


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    target: DigestTarget
    day: dt.date
    run: DigestRun | None = None


def as_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def slot_at(target: DigestTarget, day: dt.date) -> dt.datetime:
    """The UTC moment of the target's local time on a local day (zoneinfo applies that day's DST offset)."""
    return dt.datetime.combine(day, target.time, tzinfo=zone(target.tz)).astimezone(dt.UTC)


def today_for(target: DigestTarget, now: dt.datetime) -> dt.date:
    """The day it is for the target's readers: the day its runs are recorded under."""
    return local_day(as_utc(now), target.tz)


def window(target: DigestTarget, day: dt.date, grace_hours: float) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) during which the slot of `day` may be served."""
    start = slot_at(target, day)
    end_of_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone(target.tz)).astimezone(dt.UTC)
    late = max(dt.timedelta(hours=grace_hours), MIN_WINDOW)
    return start, min(start + late, end_of_day)


def due_day(target: DigestTarget, now: dt.datetime, grace_hours: float) -> dt.date | None:
    """The local day whose slot is open at `now`, if any (only ever today: missed days are not owed)."""
    now = as_utc(now)
    day = today_for(target, now)
    start, end = window(target, day, grace_hours)
    if start < as_utc(target.active_from).replace(second=0, microsecond=0):
        return None
    return day if start <= now < end else None


def plan(
    targets: Iterable[DigestTarget],
    runs: Iterable[DigestRun],
    now: dt.datetime,
    grace_hours: float,
    busy: Collection[str] = (),
) -> list[Action]:
    """What to do at `now`.

    `runs` must include every run still `pending` and every run of today (`runs_to_consider` in storage).
    `busy` holds target keys this process is working on right now: their pending runs are in flight, not
    stale.
    """
    now = as_utc(now)
    by_key = {t.key: t for t in targets}
    by_target: dict[str, list[DigestRun]] = {}
    actions: list[Action] = []
    recovering: set[str] = set()
    for run in runs:
        if run.state == "pending" and run.target_key not in busy and run.target_key in by_key:
            actions.append(Action("recover", by_key[run.target_key], run.day, run))
            recovering.add(run.target_key)
        by_target.setdefault(run.target_key, []).append(run)
    for key, target in by_key.items():
        if key in busy or key in recovering:
            continue
        day = due_day(target, now, grace_hours)
        if day is None:
            continue
        previous = [r for r in by_target.get(key, []) if r.day == day]
        if any(r.state in ("pending", "done", "failed", "missed") for r in previous):
            continue
        retries = [r for r in previous if r.state == "retry"]
        if retries and max(r.attempts for r in retries) >= MAX_ATTEMPTS:
            continue
        actions.append(Action("post", target, day, retries[-1] if retries else None))
    return actions


def next_slot(target: DigestTarget, now: dt.datetime, grace_hours: float, served_today: bool) -> dt.datetime:
    """When the next digest will go out: now-ish if today's slot is open and unserved, else the next slot."""
    now = as_utc(now)
    if not served_today and due_day(target, now, grace_hours) is not None:
        return now
    today = today_for(target, now)
    today_slot = slot_at(target, today)
    if not served_today and today_slot > now:
        return today_slot
    return slot_at(target, today + dt.timedelta(days=1))


def parse_time(text: str) -> dt.time:
    """'09:00', '9', '9:30', '21.15', '7pm', '07:00 UTC' -> a time of day (its zone is split off before)."""
    match = _TIME.match(text.strip())
    if match:
        hour, minute = int(match["h"]), int(match["m"] or 0)
        ampm = (match["ampm"] or "").lower()
        if ampm and 1 <= hour <= 12:
            hour = hour % 12 + (12 if ampm == "pm" else 0)
        elif ampm:
            hour = 99
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    raise InputError(f"'{text.strip()[:40]}' is not a time of day: use 24-hour time like 09:00 or "
                     "17:30, optionally with a time zone: 09:00 Europe/Berlin, 9am UTC+2")
