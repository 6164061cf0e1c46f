"""The email unsubscribe and resume links: a signed token naming one contact point's keyed hash.

The token is the capability (it arrives by email), so no sign-in is needed; opting out applies to
every channel of the clients behind that address, exactly as STOP does by SMS.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select

from app.extensions import db
from app.models import Client
from app.services import inbound

SALT = "unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def contact_hash_for(token: str) -> str | None:
    """The keyed hash a link names, or None for a token we did not sign."""
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) and len(value) == 64 else None


def _points_and_clients(contact_hash: str) -> tuple[list[tuple[str, str]], list[int]]:
    rows = db.session.execute(
        select(Client.id, Client.phone_hash, Client.email_hash).where(
            or_(Client.email_hash == contact_hash, Client.phone_hash == contact_hash)
        )
    ).all()
    points = {(contact_hash, "email")}
    for _, phone_hash, email_hash in rows:
        if phone_hash:
            points.add((phone_hash, "phone"))
        if email_hash:
            points.add((email_hash, "email"))
    return sorted(points), [client_id for client_id, *_ in rows]


def unsubscribe(token: str, now: datetime) -> bool:
    """Opt the address (and every channel of its clients) out at once; False for a bad link."""
    contact_hash = contact_hash_for(token)
    if contact_hash is None:
        return False
    points, client_ids = _points_and_clients(contact_hash)
    inbound.opt_out(points, client_ids, "email_link", now)
    db.session.commit()
    return True


def resume(token: str, now: datetime) -> bool:
    """Opt back in: only check-ins falling due from now on are sent. False for a bad link."""
    contact_hash = contact_hash_for(token)
    if contact_hash is None:
        return False
    points, _ = _points_and_clients(contact_hash)
    inbound.resume(points, "email_link", now)
    db.session.commit()
    return True
