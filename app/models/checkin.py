"""Check-ins: the planned contacts of an episode. The database is the schedule."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime


class CheckInStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # planned, not yet sent
    SENDING = "sending"  # claimed by one dispatch tick; its first message is being sent
    OPEN = "open"  # first sent; waiting for answers within the response window
    CLOSED = "closed"  # response window over (answered or not), or closed by an opt-out
    SKIPPED = "skipped"  # could not be first sent within 14 days of its due time: never sent
    WITHDRAWN = "withdrawn"  # fell due while contact was stopped or opted out: never sent

    @classmethod
    def unsent(cls) -> tuple[str, ...]:
        return (cls.SCHEDULED.value,)


class CheckIn(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "check_in"
    __table_args__ = (
        Index("ix_check_in_status_due", "status", "due_at"),
        # The claim walks waiting check-ins in due order and stops at its batch size: without this
        # partial index PostgreSQL sorts the whole backlog for every batch (2 s per 1,000 at 100,000).
        Index(
            "ix_check_in_scheduled_due",
            "due_at",
            "id",
            postgresql_where=text("status = 'scheduled'"),
            sqlite_where=text("status = 'scheduled'"),
        ),
        Index("uq_check_in_episode_offset", "episode_id", "offset_weeks", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    offset_weeks: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=CheckInStatus.SCHEDULED.value)
    # Dispatch: who claimed it and when; when to try again after a transient provider error.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    channel: Mapped[str | None] = mapped_column(String(8))  # channel of the first send
    first_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # anything received (no reminder then)
    conversation: Mapped[str | None] = mapped_column(Text)  # the SMS conversation state (JSON)
    survey_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # SHA-256 of the /s/ token
    survey_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the web link is used up
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_reason: Mapped[str | None] = mapped_column(String(32))
    # Answers, each with the instant it arrived (only answers on or before the as-of date count).
    change: Mapped[str | None] = mapped_column(String(16))
    change_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_start: Mapped[date | None] = mapped_column(Date)
    duration_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    usual_self: Mapped[str | None] = mapped_column(String(8))
    usual_self_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    episode = relationship("Episode")
