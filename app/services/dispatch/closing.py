"""Closing what is over before anything is sent: expired response windows, check-ins too late to send
(never late), and check-ins that fell due while contact was stopped or the client opted out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update

from app.domain.protocol import LATEST_FIRST_SEND, RESPONSE_WINDOW
from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client, Episode
from app.services.dispatch.claiming import opted_out_condition


def _close_where(now: datetime, status: CheckInStatus, reason: str, *conditions: Any) -> int:
    """Close every check-in matching `conditions` with a status and reason, in one UPDATE; how many."""
    result = db.session.execute(
        update(CheckIn)
        .where(*conditions)
        .values(status=status.value, closed_at=now, close_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(result.rowcount or 0)


def close_expired(now: datetime) -> int:
    """Open check-ins whose response window is over are closed (answered or not)."""
    return _close_where(
        now,
        CheckInStatus.CLOSED,
        "window_over",
        CheckIn.status == CheckInStatus.OPEN,
        CheckIn.first_sent_at <= now - RESPONSE_WINDOW,
    )


def skip_late(now: datetime) -> int:
    """Never late: a check-in not first sent within 14 days of its due time is skipped, never sent."""
    return _close_where(
        now,
        CheckInStatus.SKIPPED,
        "not_sent_in_time",
        CheckIn.status == CheckInStatus.SCHEDULED,
        CheckIn.due_at <= now - LATEST_FIRST_SEND,
    )


def withdraw_blocked(now: datetime) -> int:
    """Check-ins falling due while contact is stopped or the client opted out are withdrawn (not sent)."""
    blocked = (
        select(CheckIn.id)
        .join(Episode, Episode.id == CheckIn.episode_id)
        .join(Client, Client.id == CheckIn.client_id)
        .where(
            CheckIn.status == CheckInStatus.SCHEDULED,
            CheckIn.due_at <= now,
            or_(Episode.contact_stopped_reason.is_not(None), Episode.consent.is_(False), opted_out_condition()),
        )
    )
    return _close_where(
        now,
        CheckInStatus.WITHDRAWN,
        "contact_stopped",
        CheckIn.id.in_(blocked.scalar_subquery()),
        CheckIn.status == CheckInStatus.SCHEDULED,
    )
