"""Calendar dates a duration reply names: "since March", "since 3rd March 2026", "3/10/2026", "end of May", "2025".

Used by app.domain.durations to turn "since <date>" into a start date. Dates are UK day-first; a date without a
year is the latest one on or before the day the answer arrived (SPEC section 3). Pure: the day is passed in.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Final

from app.domain.reply_text import word_set

_MONTH_NAMES: Final = "january february march april may june july august september october november december".split()
MONTHS: Final = (
    {name: n for n, name in enumerate(_MONTH_NAMES, 1)}
    | {name[:3]: n for n, name in enumerate(_MONTH_NAMES, 1)}
    | {"sept": 9}
)
DATE_MARKERS: Final = word_set(
    "since from ever in about around roughly approx the of on start beginning early mid middle -"
)
DATE_MARKERS_LATE: Final = word_set("late end")
_NUMERIC_DATE: Final = re.compile(
    r"(?P<lead>(?:(?:ever )?since |from |on |about |around |approx |roughly |the |ers |o |tua )*)"
    r"(?:(?P<iy>[0-9]{4})[-/.](?P<im>[0-9]{1,2})[-/.](?P<id>[0-9]{1,2})"
    r"|(?P<d>[0-9]{1,2})[-/.](?P<m>[0-9]{1,2})(?:[-/.](?P<y>[0-9]{4}|[0-9]{2}))?)(?:st|nd|rd|th)?"
)


def _latest(answered_on: date, month: int, day: int, skip_this_month: bool = False) -> date | None:
    """The latest `day` (-1: last day) of `month` on or before answered_on; 29 February waits for a leap year."""
    for year in range(answered_on.year, max(answered_on.year - 8, 0), -1):
        last = calendar.monthrange(year, month)[1]
        if day != -1 and not 1 <= day <= last:
            continue
        candidate = date(year, month, last if day == -1 else day)
        if candidate <= answered_on and not (
            skip_this_month and (year, month) == (answered_on.year, answered_on.month)
        ):
            return candidate
    return None


def numeric_date(text: str, answered_on: date) -> date | None:
    """ "since 3/10/2026" (UK day first), "3.10.26", "2026-10-03"; "since 3/10" is the latest 3 October."""
    found = _NUMERIC_DATE.fullmatch(text)
    if found is None:
        return None
    part = found.groupdict()
    try:
        if part["iy"]:
            return date(int(part["iy"]), int(part["im"]), int(part["id"]))
        day, month = int(part["d"]), int(part["m"])
        if part["y"]:
            return date(int(part["y"]) + (2000 if len(part["y"]) == 2 else 0), month, day)
        if not re.search(r"since|from|ers|o ", part["lead"]) or not (1 <= month <= 12 and 1 <= day <= 31):
            return None  # without "since", "2/3" might be a range of numbers
        return _latest(answered_on, month, day)
    except ValueError:
        return None


def _year_only(words: list[str]) -> date | None:
    """ "since 2025", or just "2025": 1 January of that year."""
    core = [w for w in words if w not in DATE_MARKERS]
    return date(int(core[0]), 1, 1) if len(core) == 1 and re.fullmatch(r"(?:19|20)[0-9]{2}", core[0]) else None


def named_date(words: list[str], answered_on: date) -> date | None:
    """ "since March" (the 1st), "since 3rd March 2026", "mid June", "end of May", "since last May", "2025"."""
    text = " ".join(words).replace("last year", str(answered_on.year - 1))
    words = text.replace("this year", str(answered_on.year)).split()
    at = [i for i, w in enumerate(words) if w in MONTHS]
    if len(at) != 1:
        return None if at else _year_only(words)
    day: int | None = None
    year: int | None = None
    for i, word in enumerate(words):
        if i == at[0] or word in DATE_MARKERS | DATE_MARKERS_LATE or (word == "last" and i < at[0]):
            continue
        if re.fullmatch(r"[0-9]{1,2}", word) and day is None:
            day = int(word)
        elif re.fullmatch(r"[0-9]{4}", word) or (re.fullmatch(r"[0-9]{2}", word) and year is None):
            year = int(word) + (2000 if len(word) == 2 else 0)
        elif word not in word_set("st nd rd th"):
            return None
    if day is None:  # plain "March" is the 1st, "mid March" the 15th, "end of March" the last day
        day = 15 if word_set("mid middle") & set(words) else -1 if DATE_MARKERS_LATE & set(words) else 1
    month = MONTHS[words[at[0]]]
    if year is None:
        return _latest(answered_on, month, day, skip_this_month="last" in words[: at[0]])
    try:
        return date(year, month, calendar.monthrange(year, month)[1] if day == -1 else day)
    except ValueError:
        return None
