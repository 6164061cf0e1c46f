"""The independent telephone assessment (SPEC 8.4): random samples of eligible episodes whose clients
agreed to a call, and each call an assessor makes and records.

Blinding: an assessor is shown an `AssessmentCall`'s episode only through its pseudonymous reference,
service short name, presenting problem and discharge date. `text_category` (the texted outcome the sample
was stratified by) is kept here for the stratification and the agreement figures and is never shown to an
assessor.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.episode import Episode
from app.models.types import UTCDateTime, utcnow


class CallStatus(enum.StrEnum):
    TO_CALL = "to_call"  # not tried yet, or tried and not reached with attempts left
    REACHED = "reached"  # interviewed: the interview items are recorded
    DECLINED = "declined"  # reached, and the client declined the interview
    NOT_REACHED = "not_reached"  # given up after the last attempt


class CriteriaStatus(enum.StrEnum):
    """Does the presenting problem still meet diagnostic criteria (the assessor's judgement)?"""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class AssessmentSample(db.Model):  # type: ignore[name-defined,misc]
    """One draw of `flask assessment sample`: reproducible from its as-of date, size, seed and scope."""

    __tablename__ = "assessment_sample"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254))  # "user:<id>" or "cli:<os user>"
    as_of: Mapped[date] = mapped_column(Date)
    size: Mapped[int] = mapped_column(Integer)  # asked for; the calls drawn may be fewer
    seed: Mapped[int] = mapped_column(Integer)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))  # None: every service

    calls: Mapped[list[AssessmentCall]] = relationship(back_populates="sample", order_by="AssessmentCall.id")


class AssessmentCall(db.Model):  # type: ignore[name-defined,misc]
    """One sampled episode to call, and what the assessor recorded. An episode is sampled at most once."""

    __tablename__ = "assessment_call"
    __table_args__ = (UniqueConstraint("episode_id", name="uq_assessment_call_episode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("assessment_sample.id"), index=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id"))
    #: the texted outcome category as of the sample's as-of date: the stratum; never shown to assessors
    text_category: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default=CallStatus.TO_CALL.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    # The interview (status reached), SPEC 8.4's items:
    interview_date: Mapped[date | None] = mapped_column(Date)
    global_change: Mapped[str | None] = mapped_column(String(16))  # the five change values of SPEC 3
    still_meets_criteria: Mapped[str | None] = mapped_column(String(8))  # CriteriaStatus
    #: since when it no longer (or only partly) meets criteria: a date, or a duration resolved to a date
    criteria_since: Mapped[date | None] = mapped_column(Date)
    criteria_since_text: Mapped[str | None] = mapped_column(String(100))  # as the assessor typed it
    usual_self: Mapped[str | None] = mapped_column(String(8))  # yes | mostly | no
    notes: Mapped[str | None] = mapped_column(Text)  # Fernet-encrypted free text, optional
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    sample: Mapped[AssessmentSample] = relationship(back_populates="calls")
    episode: Mapped[Episode] = relationship()
