"""Calendar months (app.domain.months): parsing, stepping across years, last days, DST-aware day starts."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.domain import months


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-10", "2026/10", "1899-12", "", "October"])
def test_parse_month_refuses_what_is_not_a_month(text: str) -> None:
    with pytest.raises(ValueError, match="is not a month such as 2026-10"):
        months.parse_month(text)


def test_parse_month() -> None:
    assert months.parse_month(" 2026-10 ") == date(2026, 10, 1)


@pytest.mark.parametrize(
    ("first", "step", "expected"),
    [
        (date(2026, 1, 1), -1, date(2025, 12, 1)),
        (date(2026, 9, 1), -11, date(2025, 10, 1)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 3, 1), 24, date(2028, 3, 1)),
        (date(2026, 3, 1), 0, date(2026, 3, 1)),
    ],
)
def test_add_months(first: date, step: int, expected: date) -> None:
    assert months.add_months(first, step) == expected


def test_last_day_labels_and_ranges() -> None:
    assert months.last_day(date(2028, 2, 1)) == date(2028, 2, 29)
    assert months.last_day(date(2027, 2, 1)) == date(2027, 2, 28)
    assert months.last_day(date(2026, 12, 1)) == date(2026, 12, 31)
    assert [months.month_label(m) for m in months.months_between(date(2025, 11, 5), date(2026, 2, 1))] == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert months.months_between(date(2026, 3, 1), date(2026, 2, 28)) == []


def test_day_start_follows_daylight_saving() -> None:
    london = ZoneInfo("Europe/London")
    assert months.day_start(date(2026, 7, 1), london) == datetime(2026, 6, 30, 23, tzinfo=UTC)
    assert months.day_start(date(2026, 12, 1), london) == datetime(2026, 12, 1, 0, tzinfo=UTC)
