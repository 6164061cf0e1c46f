"""Opting out, resuming and stopping contact: the one place each is done (SPEC section 2).

Opt-out belongs to the contact point (a phone number or an email address, by keyed hash), across every
service and episode, and applies "at once and on every channel" of the clients behind it: whether it came
as STOP by text, the email unsubscribe link, or Twilio's error 21610 (at send time or in a status
callback), `opt_out` opts out the point itself and every phone and email of the clients who have it, and
closes their open check-ins. `resume` undoes it on the same points. `stop_contact` ends contact for
episodes (a death, a withdrawal by the service, a consent change, a wrong number, an erasure): their unsent
check-ins are withdrawn and their open ones closed, with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select, update

from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client, ContactPoint, Episode, OptEvent


def points_of(contact_hash: str, kind: str = "phone") -> tuple[list[tuple[str, str]], list[int]]:
    """The contact points (hash, kind) that opt out with `contact_hash`, and the ids of the clients behind them.

    `contact_hash` itself (a `kind`: phone or email) and every phone and email of each client who has it.
    """
    rows = db.session.execute(
        select(Client.id, Client.phone_hash, Client.email_hash).where(
            or_(Client.phone_hash == contact_hash, Client.email_hash == contact_hash)
        )
    ).all()
    points = {(contact_hash, kind)}
    for _, phone_hash, email_hash in rows:
        if phone_hash:
            points.add((phone_hash, "phone"))
        if email_hash:
            points.add((email_hash, "email"))
    return sorted(points), [client_id for client_id, *_ in rows]


def opt_out(contact_hash: str, source: str, now: datetime, kind: str = "phone") -> list[int]:
    """Opt out `contact_hash` on every channel of its clients and close their open check-ins; their ids.

    The caller commits. The history (OptEvent) is kept for the statistics.
    """
    points, client_ids = points_of(contact_hash, kind)
    for point_hash, point_kind in points:
        _record_opt_out(point_hash, point_kind, source, now)
    if client_ids:
        db.session.execute(
            update(CheckIn)
            .where(CheckIn.client_id.in_(client_ids), CheckIn.status == CheckInStatus.OPEN)
            .values(status=CheckInStatus.CLOSED.value, closed_at=now, close_reason="opt_out")
            .execution_options(synchronize_session="fetch")
        )
    return client_ids


def _record_opt_out(contact_hash: str, kind: str, source: str, now: datetime) -> None:
    point = db.session.scalar(select(ContactPoint).where(ContactPoint.contact_hash == contact_hash))
    if point is None:
        point = ContactPoint(contact_hash=contact_hash, kind=kind, created_at=now)
        db.session.add(point)
        db.session.flush()
    if point.opted_out_at is None:
        point.opted_out_at = now
        db.session.add(OptEvent(contact_point_id=point.id, kind="opt_out", source=source, at=now))


def resume(contact_hash: str, source: str, now: datetime, kind: str = "phone") -> None:
    """Opt the same points back in (the caller commits): only check-ins falling due from now on are sent."""
    points, _ = points_of(contact_hash, kind)
    hashes = [point_hash for point_hash, _ in points]
    for point in db.session.scalars(
        select(ContactPoint).where(ContactPoint.contact_hash.in_(hashes), ContactPoint.opted_out_at.is_not(None))
    ):
        point.opted_out_at = None
        db.session.add(OptEvent(contact_point_id=point.id, kind="resume", source=source, at=now))


def episodes_of(client_ids: Iterable[int]) -> list[int]:
    """The ids of every episode of these clients."""
    ids = list(client_ids)
    if not ids:
        return []
    return list(db.session.scalars(select(Episode.id).where(Episode.client_id.in_(ids))))


def stop_contact(episode_ids: list[int], reason: str, now: datetime) -> int:
    """No message is started for these episodes again (the caller commits); how many unsent check-ins were withdrawn.

    Check-ins not yet sent are withdrawn (closed non-responses); open ones close at once; each episode keeps
    the first reason its contact stopped for. A check-in being sent right now is withdrawn by dispatch, which
    re-checks just before the provider call.
    """
    if not episode_ids:
        return 0
    withdrawn = db.session.execute(
        update(CheckIn)
        .where(CheckIn.episode_id.in_(episode_ids), CheckIn.status == CheckInStatus.SCHEDULED)
        .values(status=CheckInStatus.WITHDRAWN.value, closed_at=now, close_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.episode_id.in_(episode_ids), CheckIn.status == CheckInStatus.OPEN)
        .values(status=CheckInStatus.CLOSED.value, closed_at=now, close_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(
        update(Episode)
        .where(Episode.id.in_(episode_ids), Episode.contact_stopped_reason.is_(None))
        .values(contact_stopped_at=now, contact_stopped_reason=reason, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(withdrawn, "rowcount", 0) or 0)
