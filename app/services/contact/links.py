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
from app.models import Client, Episode
from app.services.contact import opting

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


def language_tag_for(token: str) -> str | None:
    """The `language` tag of the latest episode of a client behind the link's address (None: none known)."""
    contact_hash = contact_hash_for(token)
    if contact_hash is None:
        return None
    return db.session.scalar(
        select(Episode.language)
        .join(Client, Client.id == Episode.client_id)
        .where(or_(Client.email_hash == contact_hash, Client.phone_hash == contact_hash))
        .order_by(Episode.id.desc())
        .limit(1)
    )


def unsubscribe(token: str, now: datetime) -> bool:
    """Opt the address (and every channel of its clients) out at once; False for a bad link."""
    contact_hash = contact_hash_for(token)
    if contact_hash is None:
        return False
    opting.opt_out(contact_hash, "email_link", now, kind="email")
    db.session.commit()
    return True


def resume(token: str, now: datetime) -> bool:
    """Opt back in: only check-ins falling due from now on are sent. False for a bad link."""
    contact_hash = contact_hash_for(token)
    if contact_hash is None:
        return False
    opting.resume(contact_hash, "email_link", now, kind="email")
    db.session.commit()
    return True
