"""Claiming due check-ins atomically: one conditional UPDATE (FOR UPDATE SKIP LOCKED on PostgreSQL), so no
check-in is claimed twice however many ticks run at once; only inside an open send window."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from app.domain import schedule
from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client, ContactPoint, Episode, Service

log = logging.getLogger("stillwell.dispatch")


def services_in_window(now: datetime) -> set[int]:
    """Services whose send window is open at `now` (in local time) and that may send at all.

    Sending anything requires a safeguarding contact: the service's own, or SAFEGUARDING_EMAIL.
    """
    platform_contact = bool(current_app.config.get("SAFEGUARDING_EMAIL"))
    open_ids = set()
    for service_id, code, window, days, zone, contact in db.session.execute(
        select(
            Service.id,
            Service.code,
            Service.send_window,
            Service.send_days,
            Service.timezone,
            Service.safeguarding_email,
        )
    ):
        if not schedule.make_window(window, days, zone).contains(now):
            continue
        if not (contact or platform_contact):
            log.error("service %s has no safeguarding contact and SAFEGUARDING_EMAIL is empty: nothing sent", code)
            continue
        open_ids.add(service_id)
    return open_ids


def opted_out_condition() -> Any:
    return exists(
        select(ContactPoint.id).where(
            ContactPoint.opted_out_at.is_not(None),
            or_(ContactPoint.contact_hash == Client.phone_hash, ContactPoint.contact_hash == Client.email_hash),
        )
    )


def claim_due(now: datetime, open_services: set[int], limit: int) -> list[int]:
    """Atomically claim up to `limit` due check-ins; returns the ids this caller now owns."""
    other = aliased(CheckIn)
    candidates = (
        select(CheckIn.id)
        .join(Episode, Episode.id == CheckIn.episode_id)
        .join(Client, Client.id == CheckIn.client_id)
        .where(
            CheckIn.status == CheckInStatus.SCHEDULED,
            CheckIn.due_at <= now,
            or_(CheckIn.next_attempt_at.is_(None), CheckIn.next_attempt_at <= now),
            Episode.service_id.in_(open_services),
            Episode.consent.is_(True),
            Episode.contact_stopped_reason.is_(None),
            ~opted_out_condition(),
            # One open check-in per client; an earlier one still waiting goes first. Only a client's
            # earliest waiting check-in is ever a candidate, so concurrent claimers meet on the same
            # row, where SKIP LOCKED (or SQLite's single writer) lets exactly one of them have it.
            ~exists(
                select(other.id).where(
                    other.client_id == CheckIn.client_id,
                    other.id != CheckIn.id,
                    or_(
                        other.status.in_((CheckInStatus.OPEN, CheckInStatus.SENDING)),
                        and_(
                            other.status == CheckInStatus.SCHEDULED,
                            or_(
                                other.due_at < CheckIn.due_at,
                                and_(other.due_at == CheckIn.due_at, other.id < CheckIn.id),
                            ),
                        ),
                    ),
                )
            ),
        )
        .order_by(CheckIn.due_at, CheckIn.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=CheckIn)
    )
    token = secrets.token_hex(16)
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.id.in_(candidates.scalar_subquery()), CheckIn.status == CheckInStatus.SCHEDULED)
        .values(status=CheckInStatus.SENDING.value, claim_token=token, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(db.session.scalars(select(CheckIn.id).where(CheckIn.claim_token == token)))
