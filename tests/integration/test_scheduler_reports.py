"""The scheduler's monthly reports: 06:00 London time on the 1st, catching up every month it missed."""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from app.extensions import db
from app.models import Area, MonthlyReport
from app.services.access.users import create_user
from app.services.publication import reports
from scheduler.jobs import JOBS, monthly_reports
from tests.factories import csv_bytes, make_service, row, run_import

LONDON_MIDNIGHT_1_OCTOBER = datetime(2026, 9, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 October in London (BST)


def built() -> set[tuple[str, str]]:
    db.session.expire_all()
    return {(code, month) for code, month in db.session.execute(select(Area.code, MonthlyReport.month).join(Area))}


def test_the_job_runs_at_six_in_london_on_the_first_and_at_start():
    job = {job.id: job for job in JOBS}["monthly-reports"]
    assert job.trigger == "cron" and job.run_at_start
    assert job.trigger_args == {"day": 1, "hour": 6, "minute": 0, "timezone": "Europe/London"}
    trigger = CronTrigger(**job.trigger_args)
    # Summer time: 06:00 BST is 05:00 UTC; winter: 06:00 GMT is 06:00 UTC.
    assert trigger.get_next_fire_time(None, datetime(2026, 3, 15, tzinfo=UTC)) == datetime(2026, 4, 1, 5, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, datetime(2026, 11, 15, tzinfo=UTC)) == datetime(2026, 12, 1, 6, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, datetime(2026, 4, 1, 5, 1, tzinfo=UTC)) == datetime(
        2026, 5, 1, 5, tzinfo=UTC
    )


def test_catch_up_builds_exactly_the_missing_months_and_sends_them(app, smtp_sink):
    app.config.update(smtp_sink.config())
    make_service()  # area NE, created 20 November 2026; its first discharge is in July
    make_service(code="AVON", area="SW", short_name="Avon Wellbeing")  # no discharges: from its creation month
    run_import(csv_bytes([row(client_ref="J1", discharge_date="2026-07-15")]))
    create_user(
        "ne@example.org",
        "commissioner",
        "a long synthetic passphrase 42",
        service_code=None,
        area_code="NE",
        actor="test",
        now=LONDON_MIDNIGHT_1_OCTOBER,
    )
    # August was built already (by hand, say): the catch-up must leave it alone.
    ne = db.session.scalars(select(Area).where(Area.code == "NE")).one()
    db.session.add(
        MonthlyReport(
            area_id=ne.id, month="2026-08", built_at=LONDON_MIDNIGHT_1_OCTOBER, pdf=b"%PDF-", csv="", figures="{}"
        )
    )
    db.session.commit()

    # Just after midnight on 1 October in London, September is over.
    lines = reports.run_monthly_reports(LONDON_MIDNIGHT_1_OCTOBER)
    assert [(line.area, line.month) for line in lines] == [("NE", "2026-07"), ("NE", "2026-09")]
    assert built() == {("NE", "2026-07"), ("NE", "2026-08"), ("NE", "2026-09")}
    assert all(line.send is not None and line.send.status == "sent" for line in lines)
    assert sorted(m.message["Subject"] for m in smtp_sink.messages) == [
        "Stillwell monthly report NE 2026-07",
        "Stillwell monthly report NE 2026-09",
    ]
    august = db.session.scalars(select(MonthlyReport).where(MonthlyReport.month == "2026-08")).one()
    assert august.pdf == b"%PDF-" and august.sent_at is None

    # Running again changes nothing and sends nothing.
    assert reports.run_monthly_reports(LONDON_MIDNIGHT_1_OCTOBER) == []
    assert len(smtp_sink.messages) == 2

    # The job itself, at 06:00 on 1 December: October and November for NE, and SW from its creation month.
    monthly_reports(app, datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    assert built() == {
        ("NE", "2026-07"),
        ("NE", "2026-08"),
        ("NE", "2026-09"),
        ("NE", "2026-10"),
        ("NE", "2026-11"),
        ("SW", "2026-11"),
    }
    assert len(smtp_sink.messages) == 4  # SW has no commissioner


def test_nothing_is_built_before_a_month_is_over(app):
    make_service()
    run_import(csv_bytes([row(client_ref="J1", discharge_date="2026-09-15")]))
    assert reports.run_monthly_reports(datetime(2026, 9, 30, 22, 59, tzinfo=UTC)) == []  # 23:59 BST on the 30th
    assert built() == set()
