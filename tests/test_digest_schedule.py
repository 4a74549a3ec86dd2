"""The digest schedule as pure functions of targets, recorded runs and a given clock (no Discord)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import InputError
from digest.models import DigestRun, DigestTarget, channel_target_key
from digest.schedule import due_day, next_slot, parse_time, plan

UTC = dt.UTC
DAY1 = dt.date(2026, 1, 1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


def target(channel: int = 1, time: dt.time = dt.time(9), created: dt.datetime | None = None) -> DigestTarget:
    created = created or at(DAY1, 0)
    return DigestTarget(
        key=channel_target_key(channel),
        kind="channel",
        guild_id=10,
        channel_id=channel,
        time=time,
        active_from=created,
        created_at=created,
        updated_at=created,
    )


def run(t: DigestTarget, day: dt.date, state: str, run_id: int = 1, attempts: int = 1) -> DigestRun:
    return DigestRun(
        id=run_id,
        target_key=t.key,
        day=day,
        trigger="schedule",
        state=state,  # type: ignore[arg-type]
        attempts=attempts,
        created_at=at(day, 9),
    )


def kinds(actions: list) -> list[tuple[str, str, dt.date]]:
    return [(a.kind, a.target.key, a.day) for a in actions]


def test_not_due_before_the_time_due_at_it():
    t = target()
    assert plan([t], [], at(DAY1, 8, 59), grace_hours=6) == []
    assert kinds(plan([t], [], at(DAY1, 9, 0), grace_hours=6)) == [("post", t.key, DAY1)]


def test_once_a_day_whatever_state_today_s_run_is_in():
    t = target()
    for state in ("pending", "done", "failed", "missed"):
        runs = [run(t, DAY1, state)]
        actions = plan([t], runs, at(DAY1, 9, 5), grace_hours=6, busy={t.key} if state == "pending" else ())
        assert actions == [], state
    # The next day it is due again.
    assert kinds(plan([t], [run(t, DAY1, "done")], at(DAY1 + dt.timedelta(days=1), 9), 6)) == [
        ("post", t.key, DAY1 + dt.timedelta(days=1))
    ]


def test_late_within_grace_is_posted_after_grace_is_not():
    t = target()
    assert kinds(plan([t], [], at(DAY1, 14, 59), grace_hours=6)) == [("post", t.key, DAY1)]
    assert plan([t], [], at(DAY1, 15, 0), grace_hours=6) == []


def test_never_backfills_an_earlier_day():
    # Down for two days: on return at day 3, 10:00, only day 3's digest is owed.
    t = target()
    actions = plan([t], [run(t, DAY1, "done")], at(DAY1 + dt.timedelta(days=2), 10), grace_hours=6)
    assert kinds(actions) == [("post", t.key, DAY1 + dt.timedelta(days=2))]


def test_grace_stops_at_the_end_of_the_utc_day():
    t = target(time=dt.time(23, 0))
    assert due_day(t, at(DAY1, 23, 30), grace_hours=6) == DAY1
    assert due_day(t, at(DAY1 + dt.timedelta(days=1), 1, 0), grace_hours=6) is None


def test_zero_grace_still_leaves_a_few_minutes_for_a_slow_tick():
    t = target()
    assert due_day(t, at(DAY1, 9, 3), grace_hours=0) == DAY1
    assert due_day(t, at(DAY1, 10, 0), grace_hours=0) is None


def test_a_schedule_set_after_today_s_time_starts_tomorrow():
    t = target(created=at(DAY1, 10))
    assert plan([t], [], at(DAY1, 10, 1), grace_hours=6) == []
    assert next_slot(t, at(DAY1, 10, 1), 6, served_today=False) == at(DAY1 + dt.timedelta(days=1), 9)
    # Set before the time: today counts.
    t = target(created=at(DAY1, 8, 30))
    assert next_slot(t, at(DAY1, 8, 30), 6, served_today=False) == at(DAY1, 9)
    assert kinds(plan([t], [], at(DAY1, 9), 6)) == [("post", t.key, DAY1)]


def test_a_stale_pending_run_is_recovered_before_anything_else():
    t = target()
    pending = run(t, DAY1, "pending")
    actions = plan([t], [pending], at(DAY1, 9, 30), grace_hours=6)
    assert kinds(actions) == [("recover", t.key, DAY1)]
    assert actions[0].run == pending
    # Still in flight in this process: leave it alone.
    assert plan([t], [pending], at(DAY1, 9, 30), 6, busy={t.key}) == []
    # A pending run from an earlier day is recovered too (its papers may have been posted), and today's
    # digest waits until that is settled.
    actions = plan([t], [pending], at(DAY1 + dt.timedelta(days=2), 9, 30), 6)
    assert kinds(actions) == [("recover", t.key, DAY1)]


def test_transient_failures_are_retried_a_few_times():
    t = target()
    assert kinds(plan([t], [run(t, DAY1, "retry", attempts=1)], at(DAY1, 9, 2), 6)) == [("post", t.key, DAY1)]
    assert plan([t], [run(t, DAY1, "retry", attempts=3)], at(DAY1, 9, 2), 6) == []


def test_two_targets_each_at_their_own_time():
    a, b = target(1, dt.time(9)), target(2, dt.time(17, 30))
    assert kinds(plan([a, b], [], at(DAY1, 9, 1), 1)) == [("post", a.key, DAY1)]
    assert kinds(plan([a, b], [run(a, DAY1, "done")], at(DAY1, 17, 30), 1)) == [("post", b.key, DAY1)]


def test_next_slot_after_today_s_digest_is_tomorrow():
    t = target()
    assert next_slot(t, at(DAY1, 9, 30), 6, served_today=True) == at(DAY1 + dt.timedelta(days=1), 9)
    assert next_slot(t, at(DAY1, 9, 30), 6, served_today=False) == at(DAY1, 9, 30)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("09:00", dt.time(9)),
        ("9", dt.time(9)),
        ("17:30", dt.time(17, 30)),
        ("7pm", dt.time(19)),
        ("12am", dt.time(0)),
        ("06:15 UTC", dt.time(6, 15)),
    ],
)
def test_times_people_type(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9:75", "noon-ish", "", "13pm"])
def test_bad_times_get_a_clear_message(text):
    with pytest.raises(InputError, match="24-hour time like 09:00"):
        parse_time(text)


def test_a_berlin_slot_is_07_utc_in_summer_08_in_winter_once_per_local_day_across_both_switches():
    berlin = target(time=dt.time(9)).model_copy(update={"tz": "Europe/Berlin"})
    posted: list[dt.datetime] = []
    runs: list[DigestRun] = []
    # Every ten minutes over the spring (29 March) and autumn (25 October 2026) switches.
    for start in (dt.datetime(2026, 3, 26, tzinfo=UTC), dt.datetime(2026, 10, 22, tzinfo=UTC)):
        for step in range(6 * 24 * 6):
            now = start + dt.timedelta(minutes=10 * step)
            for action in plan([berlin], runs, now, grace_hours=6):
                runs.append(run(berlin, action.day, "done", run_id=len(runs) + 1))
                posted.append(now)
    hours = {p.date(): p.hour for p in posted}
    assert list(hours.items()) == [
        (dt.date(2026, 3, 26), 8), (dt.date(2026, 3, 27), 8), (dt.date(2026, 3, 28), 8),
        (dt.date(2026, 3, 29), 7), (dt.date(2026, 3, 30), 7), (dt.date(2026, 3, 31), 7),
        (dt.date(2026, 10, 22), 7), (dt.date(2026, 10, 23), 7), (dt.date(2026, 10, 24), 7),
        (dt.date(2026, 10, 25), 8), (dt.date(2026, 10, 26), 8), (dt.date(2026, 10, 27), 8)]
    assert len(posted) == 12  # once a day: none skipped, none doubled


@pytest.mark.parametrize(("text", "clock", "zone"), [
    ("09:00 Europe/Berlin", "09:00", "Europe/Berlin"), ("9am UTC+2", "9am", "UTC+02:00"),
    ("9 am America/New_York", "9am", "America/New_York"), ("09:00+05:30", "09:00", "UTC+05:30"),
    ("17:30", "17:30", None), ("07:00 UTC", "07:00", "UTC")])
def test_times_with_a_zone(text, clock, zone):
    from digest.timezones import canonical_zone, split_time_zone

    typed_clock, typed_zone = split_time_zone(text)
    assert typed_clock == clock
    assert (canonical_zone(typed_zone) if typed_zone else None) == zone


@pytest.mark.parametrize("zone", ["Mars/Olympus", "UTC+15", "../etc/passwd", "Berlin"])
def test_unknown_zones_get_a_clear_message(zone):
    from digest.timezones import canonical_zone

    with pytest.raises(InputError, match="Europe/Berlin"):
        canonical_zone(zone)
