"""Calendar months, as commissioners count them: parsing 'YYYY-MM', stepping, first and last days."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

_MONTH: Final = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> date:
    """'2026-10' -> 1 October 2026; ValueError, saying what a month looks like, for anything else."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValueError(f"{text!r} is not a month such as 2026-10 (YYYY-MM)")
    return date(int(match.group(1)), int(match.group(2)), 1)


def add_months(first: date, months: int) -> date:
    """The first day of the month `months` after (or before) the month starting on `first`."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_label(first: date) -> str:
    """'YYYY-MM' of the month starting on `first`."""
    return f"{first.year:04d}-{first.month:02d}"


def last_day(first: date) -> date:
    """The last day of the month starting on `first`."""
    return add_months(first, 1) - timedelta(days=1)


def months_between(first: date, last: date) -> list[date]:
    """First days of every month from `first`'s to `last`'s, inclusive (empty when first > last)."""
    months: list[date] = []
    current = first.replace(day=1)
    while current <= last:
        months.append(current)
        current = add_months(current, 1)
    return months


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant `day` starts in `zone` (daylight-saving aware)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
