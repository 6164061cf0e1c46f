"""The job table, as data: what runs, and when. Each job calls one service function with `now`.

Monthly reports and contact-detail erasure join this table as they are built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select

log = logging.getLogger("stillwell.scheduler")


@dataclass(frozen=True)
class Job:
    id: str
    function: Callable[[Flask, datetime], None]
    trigger: str  # "interval" or "cron"
    trigger_args: dict[str, Any] = field(default_factory=dict)
    run_at_start: bool = False  # also run once as soon as the scheduler starts


def heartbeat(app: Flask, now: datetime) -> None:
    """Proves the scheduler reaches the database; logs how many check-ins are due (no contact details)."""
    from app.extensions import db
    from app.models import CheckIn, CheckInStatus

    with app.app_context():
        due = db.session.scalar(
            select(func.count())
            .select_from(CheckIn)
            .where(CheckIn.status == CheckInStatus.SCHEDULED, CheckIn.due_at <= now)
        )
        log.info("heartbeat: %s check-in(s) due and not yet sent", due)
        db.session.remove()


def dispatch_tick(app: Flask, now: datetime) -> None:
    """Send what is due, send reminders, close expired check-ins."""
    from app.extensions import db
    from app.services import dispatch

    with app.app_context():
        try:
            dispatch.tick(now)
        finally:
            db.session.remove()


def erase_contact_details(app: Flask, now: datetime) -> None:
    """Erase contact details 90 days after a client's last check-in closes (SPEC 7); idempotent: runs at start too."""
    from app.extensions import db
    from app.services import privacy

    with app.app_context():
        try:
            privacy.erase_due(now)
        finally:
            db.session.remove()


def monthly_reports(app: Flask, now: datetime) -> None:
    """Build and email every area's report for last month, and any earlier month still missing (catch-up)."""
    from app.extensions import db
    from app.services.publication import reports

    with app.app_context():
        try:
            for line in reports.run_monthly_reports(now):
                log.info(
                    "monthly report %s %s built%s",
                    line.area,
                    line.month,
                    f", {line.send.status} ({line.send.sent_to})" if line.send else "",
                )
        finally:
            db.session.remove()


JOBS: tuple[Job, ...] = (
    Job("dispatch-tick", dispatch_tick, "interval", {"minutes": 1}, run_at_start=True),
    Job("heartbeat", heartbeat, "interval", {"minutes": 15}),
    # 06:00 London time on the 1st; at start too, so a scheduler that was down on the 1st catches up.
    Job(
        "monthly-reports",
        monthly_reports,
        "cron",
        {"day": 1, "hour": 6, "minute": 0, "timezone": "Europe/London"},
        run_at_start=True,
    ),
    Job("erase-contact-details", erase_contact_details, "cron", {"hour": 3, "timezone": "UTC"}, run_at_start=True),
)


def run_job(app: Flask, job: Job) -> None:
    """Run one job at the current instant; a failing job is logged and retried at its next time."""
    try:
        job.function(app, datetime.now(UTC))
    except Exception:
        log.exception("job %s failed", job.id)
