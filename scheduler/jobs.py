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


JOBS: tuple[Job, ...] = (
    Job("dispatch-tick", dispatch_tick, "interval", {"minutes": 1}, run_at_start=True),
    Job("heartbeat", heartbeat, "interval", {"minutes": 15}),
)


def run_job(app: Flask, job: Job) -> None:
    """Run one job at the current instant; a failing job is logged and retried at its next time."""
    try:
        job.function(app, datetime.now(UTC))
    except Exception:
        log.exception("job %s failed", job.id)
