"""The dashboard service: filters, the summary cache and its invalidation after dispatch and after replies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.extensions import db
from app.services import dispatch
from app.services.conversation.inbound import handle_inbound_sms
from app.services.statistics import dashboard, summaries
from app.services.statistics import summaries as statistics
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.cohorts import answer, seed_cohort

PHONE = "+447400123456"
DUE = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)  # 4 weeks after 7 September 2026, 10:00 in London
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    dashboard.clear_cache()


def test_parse_filters_reads_the_form_and_reports_each_problem(app) -> None:
    seed_cohort()
    today = NOW.date()
    filters, problems = dashboard.parse_filters(
        {
            "as_of": "2026-10-01",
            "service": "TYNE",
            "area": "NE",
            "problem_group": "anxiety",
            "discharged_from": "2026-01-01",
            "discharged_to": "2026-06-30",
        },
        NOW,
    )
    assert problems == []
    assert filters == dashboard.Filters(date(2026, 10, 1), "TYNE", "NE", "anxiety", date(2026, 1, 1), date(2026, 6, 30))
    assert dashboard.parse_filters(filters.query(), NOW)[0] == filters  # chart links carry the same filters
    filters, problems = dashboard.parse_filters(
        {
            "as_of": "soon",
            "service": "NOPE",
            "area": "XX",
            "problem_group": "sadness",
            "discharged_from": "2026-06-01",
            "discharged_to": "2026-01-01",
        },
        NOW,
    )
    assert filters == dashboard.Filters(today)
    assert len(problems) == 5
    assert "As of: enter a date like 2027-01-31" in problems
    assert "Service: there is no service NOPE" in problems


#: 00:30 on 2 July 2026 in London (BST): still 1 July in UTC.
LONDON_HALF_PAST_MIDNIGHT = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)


def test_parse_filters_refuses_an_as_of_after_today_in_london(app) -> None:
    filters, problems = dashboard.parse_filters({"as_of": "2026-07-02"}, LONDON_HALF_PAST_MIDNIGHT)
    assert problems == [] and filters.as_of == date(2026, 7, 2)  # today in London, though not yet in UTC
    filters, problems = dashboard.parse_filters({"as_of": "2026-07-03"}, LONDON_HALF_PAST_MIDNIGHT)
    assert problems == ["As of: as-of date 2026-07-03 is after today (2026-07-02, Europe/London)"]
    assert filters.as_of == date(2026, 7, 2)  # the figures shown are today's


@pytest.mark.parametrize(
    ("filters", "episodes"),
    [
        ({}, 4),
        ({"problem_group": "depression"}, 1),
        ({"problem_group": "anxiety"}, 2),  # R2 (F41.1) and R4 (F41.1, no consent)
        ({"problem_group": "other"}, 1),
        ({"discharged_from": date(2026, 3, 2)}, 0),
        ({"discharged_to": date(2026, 3, 1)}, 4),
        ({"discharged_from": date(2026, 3, 1), "discharged_to": date(2026, 3, 1), "problem_group": "depression"}, 1),
    ],
)
def test_each_filter_narrows_the_cohort(app, filters: dict, episodes: int) -> None:
    seed_cohort()
    board = dashboard.dashboard(dashboard.Filters(date(2026, 11, 20), **filters), NOW)
    assert board.summary["cohort"]["episodes"] == episodes
    assert board.summary == statistics.summary(date(2026, 11, 20), **filters)
    assert board.empty == (episodes == 0)


def test_the_summary_is_cached_until_the_data_changes(app, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_cohort()
    filters = dashboard.Filters(date(2026, 11, 20))
    first = dashboard.dashboard(filters, NOW)
    calls: list[date] = []
    real = statistics.summary_and_curve

    def counting(as_of: date, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(as_of)
        return real(as_of, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(summaries, "summary_and_curve", counting)
    assert dashboard.dashboard(filters, NOW) is first
    assert dashboard.chart(first, "headline") is dashboard.chart(first, "headline")  # drawn once
    assert calls == []
    other = dashboard.dashboard(dashboard.Filters(date(2026, 11, 20), problem_group="anxiety"), NOW)
    assert other is not first and len(calls) == 1
    monkeypatch.setattr(dashboard, "MAX_AGE_SECONDS", -1)  # entries expire even when nothing visible changed
    assert dashboard.dashboard(filters, NOW) is not first


def test_a_dispatch_and_a_reply_each_make_the_next_view_recompute(app) -> None:
    make_service(plan="4,8")
    run_import(csv_bytes([row(discharge_date="2026-09-07")]), now=datetime(2026, 9, 30, 12, tzinfo=UTC))
    filters = dashboard.Filters(date(2026, 10, 20))
    before = dashboard.dashboard(filters, NOW)
    assert before.summary["cohort"]["pending"] == 1

    assert dispatch.tick(DUE)["sent"] == 1
    after_dispatch = dashboard.dashboard(filters, NOW)
    assert after_dispatch is not before

    handle_inbound_sms("SMdashboardreply0000000000000001", PHONE, "1", DUE + timedelta(hours=1))
    db.session.commit()
    after_reply = dashboard.dashboard(filters, NOW)
    assert after_reply is not after_dispatch
    assert after_reply.summary["change_distribution"]["much_better"] == 1
    assert after_reply.summary == statistics.summary(date(2026, 10, 20))
    assert dashboard.dashboard(filters, NOW) is after_reply


def test_every_chart_draws_for_a_cohort_and_for_an_empty_scope(app) -> None:
    seed_cohort()
    for filters in (dashboard.Filters(date(2026, 11, 20)), dashboard.Filters(date(2020, 1, 1))):
        board = dashboard.dashboard(filters, NOW)
        for name in dashboard.CHARTS:
            svg = dashboard.chart(board, name)
            assert svg.count("<svg") == 1 and "<script" not in svg


def test_wellness_curve_comes_beside_the_summary(app) -> None:
    seed_cohort()
    # R1 was already well at 18 weeks: followed from then to 26 weeks (a subject with entry before time)
    answer("R1", 18, datetime(2026, 7, 6, 12, tzinfo=UTC), "much_better", "yes", date(2026, 3, 30))
    db.session.commit()
    board = dashboard.dashboard(dashboard.Filters(date(2026, 11, 20)), NOW)
    assert "curve" not in board.summary["wellness"]  # the SPEC shape is unchanged
    assert board.summary["wellness"]["n"] == 1
    assert board.curve[0].survival == 1.0 and board.curve[-1].days == (date(2026, 8, 30) - date(2026, 3, 30)).days
    assert sum(point.events for point in board.curve) == board.summary["wellness"]["events"] == 0


def test_with_outcome_facts_built_the_dashboard_reads_them_and_follows_a_reply_at_once(
    app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SPEC 8.5: once the facts are built, views come from them (the full computation is never called),
    and a reply through the real webhook code is in the next view before any fold."""
    from app.services.statistics import facts

    make_service(plan="4,8")
    run_import(csv_bytes([row(discharge_date="2026-09-07")]), now=datetime(2026, 9, 30, 12, tzinfo=UTC))
    as_of = date(2026, 10, 20)
    facts.rebuild(as_of, NOW)
    assert dispatch.tick(DUE)["sent"] == 1
    handle_inbound_sms("SMdashboardreply0000000000000002", PHONE, "1", DUE + timedelta(hours=1))
    db.session.commit()
    assert facts.status().stale == 1  # queued by the database in the reply's transaction

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the full computation was called")

    full = statistics.summary(as_of)
    monkeypatch.setattr(summaries, "summary_and_curve", refuse)
    board = dashboard.dashboard(dashboard.Filters(as_of), NOW)
    assert board.summary["change_distribution"]["much_better"] == 1
    assert board.summary == full
    assert dashboard.dashboard(dashboard.Filters(as_of, problem_group="depression"), NOW).summary["cohort"]
    facts.fold_all()
    assert facts.status().stale == 0
    assert dashboard.dashboard(dashboard.Filters(as_of), NOW).summary == full
    # an as-of date before the facts' day: the full computation serves it
    with pytest.raises(AssertionError, match="full computation"):
        dashboard.dashboard(dashboard.Filters(date(2026, 10, 1)), NOW)
