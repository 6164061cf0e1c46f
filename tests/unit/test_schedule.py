"""Follow-up plans, send windows and due times (SPEC section 2), judged in local time across clock changes.

Europe/London clock changes used below: BST from 2026-03-29 to 2026-10-25, from 2027-03-28 to
2027-10-31 and from 2028-03-26 to 2028-10-29 (changes at 01:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.domain.schedule import (
    DEFAULT_PLAN,
    ScheduleError,
    SendWindow,
    due_at,
    due_times,
    format_days,
    format_plan,
    local_date,
    local_instant,
    make_window,
    parse_days,
    parse_plan,
    parse_window,
    parse_zone,
)

LONDON = parse_zone("Europe/London")
WINDOW = make_window("10:00-19:00", "mon-sat", "Europe/London")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def london(*parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=LONDON, fold=fold)  # type: ignore[misc]


# --- parse_plan ---------------------------------------------------------------------------------


def test_default_plan() -> None:
    assert DEFAULT_PLAN == (4, 8, 18, 26, 52)
    assert parse_plan("4,8,18,26,52") == DEFAULT_PLAN
    assert format_plan(DEFAULT_PLAN) == "4,8,18,26,52"


@pytest.mark.parametrize(
    ("text", "plan"),
    [(" 4, 8 ,18,  26 ,52 ", (4, 8, 18, 26, 52)), ("6", (6,)), ("1,2", (1, 2)), ("4,8,", (4, 8)), ("104", (104,))],
)
def test_parse_plan_accepts(text: str, plan: tuple[int, ...]) -> None:
    assert parse_plan(text) == plan
    assert parse_plan(format_plan(plan)) == plan


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("8,4", "increasing"),
        ("4,8,8,26", "unique"),
        ("4,4", "unique"),
        ("0,4", "whole number"),
        ("0", "whole number"),
        ("-4,8", "whole number"),
        ("4,eight", "whole number"),
        ("4.5,8", "whole number"),
        ("4;8", "whole number"),
        ("+4", "whole number"),
        ("²", "whole number"),  # a digit to str.isdigit, not to int()
        ("", "at least one"),
        (" , ,", "at least one"),
    ],
)
def test_parse_plan_refuses(text: str, word: str) -> None:
    with pytest.raises(ScheduleError, match=word):
        parse_plan(text)


# --- parse_window -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("10:00-19:00", (time(10), time(19))),
        (" 09:30 - 17:45 ", (time(9, 30), time(17, 45))),
        ("00:00-23:59", (time(0), time(23, 59))),
        ("9:30-17:00", (time(9, 30), time(17))),
    ],
)
def test_parse_window_accepts(text: str, window: tuple[time, time]) -> None:
    assert parse_window(text) == window


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("19:00-10:00", "before it ends"),
        ("10:00-10:00", "before it ends"),
        ("10:00", "must look like"),
        ("10:00-19:00-20:00", "must look like"),
        ("ten-seven", "must look like"),
        ("25:00-26:00", "must look like"),
        ("10.00-19.00", "must look like"),
        ("", "must look like"),
        ("10.30-19.30", "must look like"),  # time.fromisoformat would read 10:00:00.3
        ("10-19", "must look like"),
        ("24:00-25:00", "must look like"),
        ("10:60-19:00", "must look like"),
        ("10:00:30-19:00", "must look like"),
        ("10:00Z-19:00Z", "must look like"),
        ("10:00+01:00-19:00", "must look like"),
    ],
)
def test_parse_window_refuses(text: str, word: str) -> None:
    with pytest.raises(ScheduleError, match=word):
        parse_window(text)


# --- parse_days ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-sat", {0, 1, 2, 3, 4, 5}),
        ("mon,wed,fri", {0, 2, 4}),
        ("sat-mon", {5, 6, 0}),
        ("fri-tue", {4, 5, 6, 0, 1}),
        ("mon-wed,sat", {0, 1, 2, 5}),
        ("MON-Sat", {0, 1, 2, 3, 4, 5}),
        (" mon , tue ", {0, 1}),
        ("sun", {6}),
        ("sun-sun", {6}),
        ("mon-sun", set(range(7))),
        ("monday-friday", {0, 1, 2, 3, 4}),
        ("tues,thurs", {1, 3}),
        ("mon,mon", {0}),
    ],
)
def test_parse_days_accepts(text: str, days: set[int]) -> None:
    assert parse_days(text) == frozenset(days)


@pytest.mark.parametrize(
    "text", ["", " , ", "funday", "mo", "mon-", "-sat", "mon-sat-sun", "monkey", "1-5", "weekdays"]
)
def test_parse_days_refuses(text: str) -> None:
    with pytest.raises(ScheduleError):
        parse_days(text)


def test_format_days_round_trip() -> None:
    assert format_days(parse_days("sat-mon")) == "mon,sat,sun"
    assert parse_days(format_days(parse_days("mon-sat"))) == parse_days("mon-sat")


# --- parse_zone ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Europe/London", "UTC", "America/New_York", "Australia/Sydney"])
def test_parse_zone_accepts(name: str) -> None:
    assert parse_zone(name).key == name


@pytest.mark.parametrize("name", ["", "Mars/Olympus_Mons", "London", "Europe", "GMT+1 ", "../../etc/passwd", "x" * 300])
def test_parse_zone_refuses(name: str) -> None:
    with pytest.raises(ScheduleError, match="time zone"):
        parse_zone(name)


def test_make_window_reports_each_part() -> None:
    with pytest.raises(ScheduleError, match="send window"):
        make_window("19:00-10:00", "mon-sat", "Europe/London")
    with pytest.raises(ScheduleError, match="not a day"):
        make_window("10:00-19:00", "mon-fun", "Europe/London")
    with pytest.raises(ScheduleError, match="time zone"):
        make_window("10:00-19:00", "mon-sat", "Europe/Londres")


# --- due times ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("discharge", "weeks", "expected"),
    [
        (date(2026, 5, 4), 4, utc(2026, 6, 1, 9)),  # summer: 10:00 BST
        (date(2026, 11, 2), 4, utc(2026, 11, 30, 10)),  # winter: 10:00 GMT
        (date(2026, 3, 1), 4, utc(2026, 3, 29, 9)),  # due on spring-forward day 2026
        (date(2027, 2, 28), 4, utc(2027, 3, 28, 9)),  # due on spring-forward day 2027
        (date(2027, 2, 27), 4, utc(2027, 3, 27, 10)),  # the day before: still GMT
        (date(2026, 9, 27), 4, utc(2026, 10, 25, 10)),  # due on autumn-back day 2026
        (date(2026, 9, 26), 4, utc(2026, 10, 24, 9)),  # the day before: still BST
        (date(2027, 10, 3), 4, utc(2027, 10, 31, 10)),  # due on autumn-back day 2027
        (date(2026, 1, 5), 52, utc(2027, 1, 4, 10)),
        (date(2026, 3, 2), 26, utc(2026, 8, 31, 9)),  # discharged in GMT, due in BST
        (date(2026, 10, 1), 0, utc(2026, 10, 1, 9)),
    ],
)
def test_due_at_is_the_window_start_in_local_time(discharge: date, weeks: int, expected: datetime) -> None:
    due = due_at(discharge, weeks, WINDOW)
    assert due == expected
    assert due.tzinfo is UTC
    local = due.astimezone(LONDON)
    assert (local.date(), local.time()) == (discharge + timedelta(weeks=weeks), time(10))


def test_due_at_in_another_zone_and_window() -> None:
    window = make_window("09:30-17:00", "mon-fri", "America/New_York")
    assert due_at(date(2026, 6, 1), 4, window) == utc(2026, 6, 29, 13, 30)  # EDT, UTC-4
    assert due_at(date(2026, 12, 1), 4, window) == utc(2026, 12, 29, 14, 30)  # EST, UTC-5


def test_due_at_does_not_move_to_an_open_day() -> None:
    """A check-in due on a Sunday is due then; waiting for the window is the dispatcher's job."""
    due = due_at(date(2026, 5, 10), 4, WINDOW)  # 2026-06-07 is a Sunday
    assert due == utc(2026, 6, 7, 9)
    assert not WINDOW.contains(due)
    assert WINDOW.next_opening(due) == utc(2026, 6, 8, 9)


def test_due_times_for_the_default_plan() -> None:
    discharge = date(2026, 2, 2)  # a Monday in GMT
    assert due_times(discharge, DEFAULT_PLAN, WINDOW) == {
        4: utc(2026, 3, 2, 10),
        8: utc(2026, 3, 30, 9),  # the day after spring-forward
        18: utc(2026, 6, 8, 9),
        26: utc(2026, 8, 3, 9),
        52: utc(2027, 2, 1, 10),
    }


def test_local_instant_and_local_date() -> None:
    assert local_instant(date(2026, 7, 1), time(0, 30), LONDON) == utc(2026, 6, 30, 23, 30)
    assert local_date(utc(2026, 6, 30, 23, 30), LONDON) == date(2026, 7, 1)
    assert local_date(utc(2026, 12, 31, 23, 30), LONDON) == date(2026, 12, 31)
    # a repeated autumn time means its first occurrence
    assert local_instant(date(2026, 10, 25), time(1, 30), LONDON) == utc(2026, 10, 25, 0, 30)


# --- SendWindow.contains ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "inside"),
    [
        # BST (UTC+1): Monday 2026-06-01
        (london(2026, 6, 1, 10), True),
        (utc(2026, 6, 1, 9), True),
        (utc(2026, 6, 1, 8, 59, 59), False),
        (london(2026, 6, 1, 18, 59, 59), True),
        (london(2026, 6, 1, 19), False),
        (utc(2026, 6, 1, 18), False),
        (utc(2026, 6, 1, 10), True),  # 11:00 local
        (london(2026, 6, 6, 12), True),  # Saturday
        (london(2026, 6, 7, 12), False),  # Sunday
        # GMT: Monday 2026-12-07
        (utc(2026, 12, 7, 10), True),
        (utc(2026, 12, 7, 9, 59, 59), False),
        (utc(2026, 12, 7, 18, 59), True),
        (utc(2026, 12, 7, 19), False),
        (utc(2026, 12, 6, 12), False),  # Sunday
        (utc(2026, 12, 5, 12), True),  # Saturday
        # the clock-change days are Sundays: outside for mon-sat; the Mondays after are local 10:00
        (utc(2027, 3, 28, 12), False),
        (utc(2027, 3, 29, 9), True),
        (utc(2027, 3, 29, 8, 59), False),
        (utc(2026, 10, 26, 10), True),
        (utc(2026, 10, 26, 9, 59), False),
        # another offset on the input makes no difference
        (datetime(2026, 6, 1, 14, tzinfo=timezone(timedelta(hours=5))), True),  # 10:00 BST
        (datetime(2026, 6, 1, 13, 59, tzinfo=timezone(timedelta(hours=5))), False),
    ],
)
def test_contains(instant: datetime, inside: bool) -> None:
    assert WINDOW.contains(instant) is inside


def test_contains_every_day_window_on_clock_change_days() -> None:
    daily = make_window("10:00-19:00", "mon-sun", "Europe/London")
    assert daily.contains(utc(2027, 3, 28, 9))  # 10:00 BST
    assert not daily.contains(utc(2027, 3, 28, 8, 59))
    assert daily.contains(utc(2027, 3, 28, 17, 59))
    assert not daily.contains(utc(2027, 3, 28, 18))
    assert daily.contains(utc(2026, 10, 25, 10))  # 10:00 GMT
    assert not daily.contains(utc(2026, 10, 25, 9, 59))
    assert not daily.contains(utc(2026, 10, 25, 19))


# --- SendWindow.next_opening --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (london(2026, 6, 6, 19, 30), utc(2026, 6, 8, 9)),  # Saturday evening (BST) -> Monday 10:00
        (london(2026, 12, 5, 19, 30), utc(2026, 12, 7, 10)),  # Saturday evening (GMT) -> Monday 10:00
        (london(2026, 6, 7, 12), utc(2026, 6, 8, 9)),  # Sunday -> Monday
        (london(2026, 6, 1, 9, 59), utc(2026, 6, 1, 9)),  # 09:59 -> 10:00 the same day
        (london(2026, 12, 1, 9, 59), utc(2026, 12, 1, 10)),
        (london(2026, 6, 1, 0, 0), utc(2026, 6, 1, 9)),
        (london(2026, 6, 1, 19, 0), utc(2026, 6, 2, 9)),  # the end is exclusive
        (london(2026, 6, 5, 23, 59), utc(2026, 6, 6, 9)),  # Friday night -> Saturday
        # across spring-forward (Sunday 2027-03-28): Saturday GMT evening -> Monday 10:00 BST
        (london(2027, 3, 27, 19, 30), utc(2027, 3, 29, 9)),
        (utc(2027, 3, 28, 1, 30), utc(2027, 3, 29, 9)),
        # across autumn-back (Sunday 2026-10-25): Saturday BST evening -> Monday 10:00 GMT
        (london(2026, 10, 24, 19, 30), utc(2026, 10, 26, 10)),
        (utc(2026, 10, 25, 1, 30), utc(2026, 10, 26, 10)),
        (london(2027, 10, 30, 20), utc(2027, 11, 1, 10)),
        # the last second before the window
        (utc(2026, 6, 1, 8, 59, 59, 999999), utc(2026, 6, 1, 9)),
    ],
)
def test_next_opening(instant: datetime, expected: datetime) -> None:
    opening = WINDOW.next_opening(instant)
    assert opening == expected
    assert opening.tzinfo is UTC
    assert opening.astimezone(LONDON).time() == time(10)


@pytest.mark.parametrize(
    "instant", [london(2026, 6, 1, 10), london(2026, 6, 1, 15, 17, 3, 42), utc(2026, 12, 7, 18, 59, 59)]
)
def test_next_opening_inside_is_unchanged(instant: datetime) -> None:
    opening = WINDOW.next_opening(instant)
    assert opening == instant
    assert opening.tzinfo is UTC


def test_next_opening_on_the_clock_change_days_for_an_every_day_window() -> None:
    daily = make_window("10:00-19:00", "mon-sun", "Europe/London")
    assert daily.next_opening(utc(2027, 3, 28, 0, 30)) == utc(2027, 3, 28, 9)
    assert daily.next_opening(utc(2027, 3, 28, 1, 30)) == utc(2027, 3, 28, 9)
    assert daily.next_opening(utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 25, 10)
    assert daily.next_opening(utc(2026, 10, 25, 1, 30)) == utc(2026, 10, 25, 10)
    assert daily.next_opening(utc(2027, 10, 31, 19)) == utc(2027, 11, 1, 10)  # 19:00 GMT


def test_window_starting_in_the_skipped_hour_opens_when_the_clocks_go_forward() -> None:
    """01:30 does not exist on 2027-03-28: at 01:00 UTC the clock reads 02:00, already inside."""
    window = make_window("01:30-03:00", "mon-sun", "Europe/London")
    assert not window.contains(utc(2027, 3, 28, 0, 59))
    assert window.contains(utc(2027, 3, 28, 1, 0))
    assert window.next_opening(utc(2027, 3, 28, 0, 59)) == utc(2027, 3, 28, 1, 0)
    assert window.next_opening(utc(2027, 3, 27, 3, 0)) == utc(2027, 3, 28, 1, 0)


def test_window_ending_in_the_repeated_hour_reopens_when_the_clocks_go_back() -> None:
    """On 2026-10-25 local 01:00-01:59 happens twice: the window 00:00-01:30 is open twice."""
    window = make_window("00:00-01:30", "mon-sun", "Europe/London")
    assert window.contains(london(2026, 10, 25, 1, 15, fold=0))
    assert not window.contains(london(2026, 10, 25, 1, 45, fold=0))
    assert window.contains(london(2026, 10, 25, 1, 15, fold=1))
    assert window.next_opening(london(2026, 10, 25, 1, 45, fold=0)) == utc(2026, 10, 25, 1, 0)
    assert window.next_opening(london(2026, 10, 25, 1, 45, fold=1)) == utc(2026, 10, 26, 0, 0)


def test_window_starting_in_the_repeated_hour_opens_at_its_first_occurrence() -> None:
    window = make_window("01:30-01:45", "sun", "Europe/London")
    assert window.next_opening(utc(2026, 10, 25, 0)) == utc(2026, 10, 25, 0, 30)  # 01:30 BST
    assert window.next_opening(utc(2026, 10, 25, 0, 50)) == utc(2026, 10, 25, 1, 30)  # 01:30 GMT


# --- properties ---------------------------------------------------------------------------------

_START = utc(2026, 1, 1)
_END = utc(2029, 1, 1)


def _instants() -> st.SearchStrategy[datetime]:
    span = int((_END - _START).total_seconds() * 1_000_000)
    return st.integers(min_value=0, max_value=span - 1).map(lambda micros: _START + timedelta(microseconds=micros))


def _interesting_instants() -> st.SearchStrategy[datetime]:
    """Anywhere in 2026-2028, with extra weight near the clock changes and the window's edges."""
    changes = [utc(2026, 3, 29, 1), utc(2026, 10, 25, 1), utc(2027, 3, 28, 1), utc(2027, 10, 31, 1),
               utc(2028, 3, 26, 1), utc(2028, 10, 29, 1)]  # fmt: skip
    near_change = st.builds(
        lambda change, seconds: change + timedelta(seconds=seconds),
        st.sampled_from(changes),
        st.integers(min_value=-3 * 86400, max_value=3 * 86400),
    )
    just_before_change = st.builds(
        lambda change, minutes: change - timedelta(minutes=minutes),
        st.sampled_from(changes),
        st.integers(min_value=0, max_value=6 * 60),
    )
    return st.one_of(_instants(), near_change, just_before_change)


def _moments_strictly_between(after: datetime, before: datetime, step: timedelta) -> list[datetime]:
    """Every instant on a whole `step` (counted from the epoch) strictly between two instants."""
    step_seconds = int(step.total_seconds())
    first = (int(after.timestamp()) // step_seconds + 1) * step_seconds
    moments = []
    moment = datetime.fromtimestamp(first, UTC)
    while moment < before:
        moments.append(moment)
        moment += step
    return moments


def _check_next_opening(window: SendWindow, instant: datetime, step: timedelta) -> None:
    opening = window.next_opening(instant)
    assert opening.tzinfo is UTC
    assert opening >= instant
    assert window.contains(opening)
    assert opening - instant <= timedelta(days=8)  # a week, or two if a clock change skips the only open hour
    if window.contains(instant):
        assert opening == instant
    # The window's edges (local start and end times, clock changes) fall on whole minutes, so the
    # set of inside instants is a union of intervals starting on whole minutes: if any instant
    # strictly between `instant` and `opening` were inside, a whole minute in between would be.
    for moment in _moments_strictly_between(instant, opening, step):
        assert not window.contains(moment), (instant, opening, moment)


@settings(max_examples=300, deadline=None)
@given(_interesting_instants())
def test_next_opening_is_the_first_inside_instant_default_window(instant: datetime) -> None:
    _check_next_opening(WINDOW, instant, timedelta(minutes=1))


def _quarter(index: int) -> time:
    return time(index // 4, index % 4 * 15)


@st.composite
def _windows(draw: st.DrawFn) -> SendWindow:
    # Start and end on whole quarter hours, often around 00:00-03:00 local where the clocks change.
    start = draw(st.one_of(st.integers(min_value=0, max_value=94), st.integers(min_value=0, max_value=12)))
    length = draw(st.sampled_from([1, 2, 4, 8, 36, 95]))
    end = draw(st.integers(min_value=start + 1, max_value=min(95, start + length)))
    days = draw(st.frozensets(st.integers(min_value=0, max_value=6), min_size=1))
    zone = draw(st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "America/Havana", "UTC"]))
    return SendWindow(start=_quarter(start), end=_quarter(end), days=days, zone=parse_zone(zone))


@settings(max_examples=300, deadline=None)
@given(_windows(), _interesting_instants())
@example(make_window("01:30-03:00", "mon-sun", "Europe/London"), utc(2027, 3, 28, 0, 59))  # start skipped
@example(make_window("00:00-01:30", "mon-sun", "Europe/London"), utc(2026, 10, 25, 0, 45))  # end repeated
@example(make_window("00:00-01:00", "sun", "America/Havana"), utc(2027, 3, 13, 12))  # skipped: opens 7 days later
def test_next_opening_is_the_first_inside_instant_any_window(window: SendWindow, instant: datetime) -> None:
    # Window times are whole quarter hours and these zones' offsets and clock changes are too, so
    # checking every quarter hour in between is as good as checking every instant.
    _check_next_opening(window, instant, timedelta(minutes=15))


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)), st.sampled_from(DEFAULT_PLAN))
def test_due_at_is_always_local_window_start(discharge: date, weeks: int) -> None:
    due = due_at(discharge, weeks, WINDOW)
    local = due.astimezone(LONDON)
    assert local.date() == discharge + timedelta(weeks=weeks)
    assert local.time() == time(10)
    assert due.minute == 0 and due.hour in (9, 10)
