"""Messages sent to clients and messages received from them (stored verbatim)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.domain.messages import (  # noqa: F401  (the message enums live with the pure rules)
    FAILED_STATUSES,
    OWN_STATUSES,
    STATUS_ORDER,
    Channel,
    MessagePurpose,
    MessageStatus,
)
from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class OutboundMessage(db.Model):  # type: ignore[name-defined,misc]
    """One message we sent or tried to send. Written before the provider is called (at most once)."""

    __tablename__ = "outbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("check_in.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # a Channel
    purpose: Mapped[str] = mapped_column(String(24))  # a MessagePurpose
    body: Mapped[str] = mapped_column(Text)
    # A MessageStatus, moving forward only in STATUS_ORDER.
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.SENDING.value, index=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    error_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What an SMS costs (SPEC 8.3): "GSM-7" or "UCS-2" and its segments, measured by app.domain.sms_encoding when
    # the row is written; and the language it was sent in ("en", "cy", "cy+en"). NULL for emails (and for rows
    # written before they were kept).
    encoding: Mapped[str | None] = mapped_column(String(8))
    segments: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(8))


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
    reply_text: Mapped[str | None] = mapped_column(Text)  # the replies sent, JSON list (a redelivery gets them again)
    # Conversation events the message caused ("risk,closed_reply"): "closed" replies go at most once a day.
    events: Mapped[str | None] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SafeguardingAlert(db.Model):  # type: ignore[name-defined,misc]
    """An inbound message flagged for risk, for evaluators to review. Its email carries only a link to it."""

    __tablename__ = "safeguarding_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_message_id: Mapped[int] = mapped_column(ForeignKey("inbound_message.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"), index=True)
    # The email to the safeguarding contact (purpose "alert"), sent by the dispatch tick, not the request.
    outbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_message.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")  # open | closed
    closed_by: Mapped[str | None] = mapped_column(String(254))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReviewItem(db.Model):  # type: ignore[name-defined,misc]
    """Something for evaluators to look at: a "wrong number" or bereavement reply that stopped contact."""

    __tablename__ = "review_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # wrong_number | bereavement
    inbound_message_id: Mapped[int] = mapped_column(ForeignKey("inbound_message.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")  # open | closed
    closed_by: Mapped[str | None] = mapped_column(String(254))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HeldStatusCallback(db.Model):  # type: ignore[name-defined,misc]
    """A delivery-status callback that arrived before dispatch recorded the message's SID (a batch is sent
    before its outcomes are written); the next dispatch tick applies it, forward only like any other."""

    __tablename__ = "held_status_callback"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
