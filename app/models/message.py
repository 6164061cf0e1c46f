"""Messages sent to clients and messages received from them (stored verbatim)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class OutboundMessage(db.Model):  # type: ignore[name-defined,misc]
    """One message we sent or tried to send. Written before the provider is called (at most once)."""

    __tablename__ = "outbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("check_in.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # sms | email
    purpose: Mapped[str] = mapped_column(String(24))  # first | reminder | reply | fallback | alert
    body: Mapped[str] = mapped_column(Text)
    # sending -> accepted/queued -> sent -> delivered | undelivered | failed; or possibly_sent (email,
    # fate unknown: never resent), not_sent (reconciled: never reached the provider), transient.
    status: Mapped[str] = mapped_column(String(16), default="sending", index=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    error_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundMessage(db.Model):  # type: ignore[name-defined,misc]
    """Every inbound SMS or web submission, verbatim, even when it is not understood."""

    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # Twilio MessageSid
    channel: Mapped[str] = mapped_column(String(8))
    sender_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("check_in.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    risk_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    reply_text: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
