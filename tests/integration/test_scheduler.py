"""The scheduler's job table: a dispatch tick every minute, run through the same service as the CLI."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import CheckIn, CheckInStatus
from scheduler.jobs import JOBS, dispatch_tick, run_job
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.sms import DISCHARGE, DUE, IMPORTED


def test_job_table_runs_dispatch_every_minute():
    jobs = {job.id: job for job in JOBS}
    assert jobs["dispatch-tick"].trigger == "interval" and jobs["dispatch-tick"].trigger_args == {"minutes": 1}
    assert jobs["dispatch-tick"].run_at_start


def test_dispatch_job_sends_due_check_ins(app, fake_twilio):
    app.config.update(fake_twilio.config())
    make_service(plan="4")
    run_import(csv_bytes([row(discharge_date=DISCHARGE)]), now=IMPORTED)
    dispatch_tick(app, DUE)
    db.session.expire_all()
    assert db.session.scalars(select(CheckIn.status)).one() == CheckInStatus.OPEN
    assert len(fake_twilio.messages) == 1


def test_a_failing_job_is_logged_not_raised(app, caplog):
    from scheduler.jobs import Job

    def broken(app_, now):
        raise RuntimeError("boom")

    run_job(app, Job("broken", broken, "interval", {"minutes": 1}))
    assert "job broken failed" in caplog.text
