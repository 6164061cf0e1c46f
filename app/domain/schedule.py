"""Follow-up plans, send windows and due times: pure, DST-safe, no clock.

A check-in is due on discharge date + offset weeks, at the start of the service's send window in
the service's own time zone. Send windows are judged in local wall-clock time, so 10:00 stays
10:00 for clients across the spring and autumn clock changes.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_PLAN: tuple[int, ...] = (4, 8, 18, 26, 52)
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WHOLE_NUMBER = re.compile(r"[0-9]+")
# Not time.fromisoformat: it reads '10.30' as 10:00:00.3 and accepts offsets ('10:00Z').
_WINDOW = re.compile(r"\s*([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})\s*")


class ScheduleError(ValueError):
    """A plan, window, day list or time zone that cannot be used; the message says why."""


@dataclass(frozen=True)
class SendWindow:
    """When system-started messages may go: local start (inclusive) to end (exclusive), on some days."""

    start: time
    end: time
    days: frozenset[int]  # 0 = Monday
    zone: ZoneInfo

    def contains(self, instant: datetime) -> bool:
        """Whether an aware instant falls inside the window, in the window's local time."""
        local = instant.astimezone(self.zone)
        return local.weekday() in self.days and self.start <= local.time().replace(tzinfo=None) < self.end

    def next_opening(self, instant: datetime) -> datetime:
        """The first instant at or after `instant` that is inside the window (aware UTC)."""
        if self.contains(instant):
            return instant.astimezone(UTC)
        # The window opens either when the local clock reaches its start on an open day (either
        # occurrence of a repeated autumn time) or when a clock change jumps the local time into it
        # (a start time skipped by spring-forward; an end time inside a repeated autumn hour).
        local_day = instant.astimezone(self.zone).date()
        candidates: list[datetime] = []
        for days_ahead in range(0, 9):
            day = local_day + timedelta(days=days_ahead)
            if day.weekday() in self.days:
                for fold in (0, 1):
                    candidates.append(datetime.combine(day, self.start, tzinfo=self.zone).replace(fold=fold))
        candidates.extend(_offset_changes(self.zone, instant, instant + timedelta(days=9)))
        openings = sorted(c.astimezone(UTC) for c in candidates)
        for opening in openings:
            if opening >= instant and self.contains(opening):
                return opening
        raise ScheduleError("the send window has no open day")  # unreachable: days is never empty


def _offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The instants (aware UTC) in [start, end] at which the zone's UTC offset changes (clock changes)."""

    def offset(seconds: int) -> timedelta | None:
        return datetime.fromtimestamp(seconds, UTC).astimezone(zone).utcoffset()

    step = 6 * 3600  # clock changes are months apart, never two within six hours
    changes: list[datetime] = []
    low, stop = math.floor(start.timestamp()), math.ceil(end.timestamp())
    while low < stop:
        high = min(low + step, stop)
        if offset(low) != offset(high):
            before, after = low, high  # old offset at `before`, new offset at `after`
            while after - before > 1:
                middle = (before + after) // 2
                if offset(middle) == offset(before):
                    before = middle
                else:
                    after = middle
            changes.append(datetime.fromtimestamp(after, UTC))
        low = high
    return changes


def parse_plan(text: str) -> tuple[int, ...]:
    """'4,8,18,26,52' -> (4, 8, 18, 26, 52): whole weeks, unique and increasing."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise ScheduleError("a follow-up plan needs at least one week, e.g. 4,8,18,26,52")
    weeks: list[int] = []
    for part in parts:
        if not _WHOLE_NUMBER.fullmatch(part) or int(part) < 1:
            raise ScheduleError(f"plan: {part!r} is not a whole number of weeks (1 or more)")
        weeks.append(int(part))
    if any(later <= earlier for earlier, later in itertools.pairwise(weeks)):
        raise ScheduleError("plan: weeks must be unique and increasing, e.g. 4,8,18,26,52")
    return tuple(weeks)


def format_plan(weeks: tuple[int, ...]) -> str:
    return ",".join(str(week) for week in weeks)


def parse_window(text: str) -> tuple[time, time]:
    """'10:00-19:00' -> (10:00, 19:00), start before end, local times as H:MM or HH:MM."""
    match = _WINDOW.fullmatch(text)
    try:
        if not match:
            raise ValueError(text)
        start_hour, start_minute, end_hour, end_minute = (int(part) for part in match.groups())
        start, end = time(start_hour, start_minute), time(end_hour, end_minute)
    except ValueError:
        raise ScheduleError(f"send window {text!r} must look like 10:00-19:00") from None
    if start >= end:
        raise ScheduleError(f"send window {text!r} must start before it ends")
    return start, end


def parse_days(text: str) -> frozenset[int]:
    """'mon-sat' or 'mon,wed,fri' (or a mix: 'mon-wed,sat') -> weekday numbers, Monday = 0."""
    days: set[int] = set()
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        if "-" in part:
            first, last = (_day_number(name) for name in part.split("-", 1))
            span = (last - first) % 7
            days.update((first + step) % 7 for step in range(span + 1))
        else:
            days.add(_day_number(part))
    if not days:
        raise ScheduleError("send days must name at least one day, e.g. mon-sat")
    return frozenset(days)


def format_days(days: frozenset[int]) -> str:
    return ",".join(DAY_NAMES[day] for day in sorted(days))


def _day_number(name: str) -> int:
    key = name.strip().lower()
    for number, full in enumerate(_FULL_DAY_NAMES):
        if len(key) >= 3 and full.startswith(key):  # mon, tues, thurs, wednesday...
            return number
    raise ScheduleError(f"{name!r} is not a day: use mon, tue, wed, thu, fri, sat, sun")


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. 'Europe' is a directory
        raise ScheduleError(f"{name!r} is not a time zone name such as Europe/London") from None


def make_window(window: str, days: str, zone: str) -> SendWindow:
    start, end = parse_window(window)
    return SendWindow(start=start, end=end, days=parse_days(days), zone=parse_zone(zone))


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time. A time skipped by a clock change moves forward."""
    # fold=0: a time skipped by spring-forward maps to the pre-change offset, i.e. a later wall
    # time (the gap's length later); a repeated autumn time means its first occurrence.
    aware = datetime.combine(day, at).replace(tzinfo=zone, fold=0)
    return aware.astimezone(UTC)


def due_at(discharge: date, offset_weeks: int, window: SendWindow) -> datetime:
    """When the check-in at `offset_weeks` falls due: its day at the window's start, as UTC."""
    return local_instant(discharge + timedelta(weeks=offset_weeks), window.start, window.zone)


def due_times(discharge: date, plan: tuple[int, ...], window: SendWindow) -> dict[int, datetime]:
    """Due instants for every offset of a plan."""
    return {offset: due_at(discharge, offset, window) for offset in plan}


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The local calendar date of an instant in a service's time zone."""
    return instant.astimezone(zone).date()
