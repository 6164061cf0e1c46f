"""Contact points (a phone number or an email, by keyed hash) and their opt-out history.

Opt-out belongs to the contact point across all services and episodes, and survives erasure of
the contact details as a suppression list.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class ContactPoint(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "contact_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # phone | email
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OptEvent(db.Model):  # type: ignore[name-defined,misc]
    """An opt-out or resume, kept for the as-of classification of episodes."""

    __tablename__ = "opt_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_point_id: Mapped[int] = mapped_column(ForeignKey("contact_point.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # opt_out | resume
    source: Mapped[str] = mapped_column(String(32))  # sms keyword, email link, twilio 21610, ...
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
