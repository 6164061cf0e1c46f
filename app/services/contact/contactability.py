"""Who may be contacted right now: opt-outs by contact point, stopped episodes, usable channels."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select

from app.extensions import db
from app.models import Client, ContactPoint


def opted_out_clients(client_ids: Iterable[int]) -> set[int]:
    """Clients any of whose contact points (phone or email, by keyed hash) is opted out now."""
    ids = list(set(client_ids))
    if not ids:
        return set()
    query = (
        select(Client.id)
        .join(
            ContactPoint,
            or_(ContactPoint.contact_hash == Client.phone_hash, ContactPoint.contact_hash == Client.email_hash),
        )
        .where(Client.id.in_(ids), ContactPoint.opted_out_at.is_not(None))
    )
    return set(db.session.scalars(query))


def usable_channels(
    *, has_uk_mobile: bool, has_email: bool, sms_failed: bool, email_failed: bool, preferred: str | None
) -> list[str]:
    """Channels to try, preferred first; a channel that failed permanently is never used again."""
    usable = []
    if has_uk_mobile and not sms_failed:
        usable.append("sms")
    if has_email and not email_failed:
        usable.append("email")
    if preferred in usable:
        usable.remove(preferred)
        usable.insert(0, preferred)
    return usable
