"""The job table, as data: what runs, and when. Each job calls one service function with `now`.

Monthly reports and contact-detail erasure join this table as they are built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.domain.protocol import LONDON_ZONE_NAME
from app.models.types import utcnow

log = logging.getLogger("stillwell.scheduler")


@dataclass(frozen=True)
class Job:
    id: str
    function: Callable[[Flask, datetime], None]
    trigger: str  # "interval" or "cron"
    trigger_args: dict[str, Any] = field(default_factory=dict)
    run_at_start: bool = False  # also run once as soon as the scheduler starts


def in_app_context(work: Callable[[datetime], None]) -> Callable[[Flask, datetime], None]:
    """A job from a function of `now`: run inside the app's context, its database session removed after."""

    @wraps(work)
    def job(app: Flask, now: datetime) -> None:
        from app.extensions import db

        with app.app_context():
            try:
                work(now)
            finally:
                db.session.remove()

    return job


@in_app_context
def heartbeat(now: datetime) -> None:
    """Proves the scheduler reaches the database; logs how many check-ins are due (no contact details)."""
    from app.extensions import db
    from app.models import CheckIn, CheckInStatus

    due = db.session.scalar(
        select(func.count())
        .select_from(CheckIn)
        .where(CheckIn.status == CheckInStatus.SCHEDULED, CheckIn.due_at <= now)
    )
    log.info("heartbeat: %s check-in(s) due and not yet sent", due)


@in_app_context
def dispatch_tick(now: datetime) -> None:
    """Send what is due, send reminders, close expired check-ins."""
    from app.services import dispatch

    dispatch.tick(now)


@in_app_context
def erase_contact_details(now: datetime) -> None:
    """Erase contact details 90 days after a client's last check-in closes (SPEC 7); idempotent: runs at start too."""
    from app.services import privacy

    privacy.erase_due(now)


@in_app_context
def monthly_reports(now: datetime) -> None:
    """Build and email every area's report for last month, and any earlier month still missing (catch-up)."""
    from app.services.publication import reports

    for line in reports.run_monthly_reports(now):
        log.info(
            "monthly report %s %s built%s",
            line.area,
            line.month,
            f", {line.send.status} ({line.send.sent_to})" if line.send else "",
        )


@in_app_context
def outcome_facts(now: datetime) -> None:
    """Keep the dashboard's outcome facts current (SPEC 8.5): build them once, move their day on at
    midnight, fold in the episodes changes have queued."""
    from app.services.statistics import facts

    done = facts.keep_up(now)
    if done.rebuilt or done.advanced or done.folded:
        log.info(
            "outcome facts: %d rebuilt, day moved on: %s, %d folded, %d pending",
            done.rebuilt,
            "yes" if done.advanced else "no",
            done.folded,
            done.pending,
        )


JOBS: tuple[Job, ...] = (
    Job("dispatch-tick", dispatch_tick, "interval", {"minutes": 1}, run_at_start=True),
    Job("heartbeat", heartbeat, "interval", {"minutes": 15}),
    Job("outcome-facts", outcome_facts, "interval", {"seconds": 10}, run_at_start=True),
    # 06:00 London time on the 1st; at start too, so a scheduler that was down on the 1st catches up.
    Job(
        "monthly-reports",
        monthly_reports,
        "cron",
        {"day": 1, "hour": 6, "minute": 0, "timezone": LONDON_ZONE_NAME},
        run_at_start=True,
    ),
    Job("erase-contact-details", erase_contact_details, "cron", {"hour": 3, "timezone": "UTC"}, run_at_start=True),
)


def run_job(app: Flask, job: Job) -> None:
    """Run one job at the current instant; a failing job is logged and retried at its next time."""
    try:
        job.function(app, utcnow())
    except Exception:
        log.exception("job %s failed", job.id)
