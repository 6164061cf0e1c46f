"""Clients (one per service and client_ref) and their episodes of care (one per discharge)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.organisation import Service
from app.models.types import UTCDateTime, utcnow


class Client(db.Model):  # type: ignore[name-defined,misc]
    """A former client of one service, known to us only by the service's pseudonymous reference.

    Contact details are Fernet-encrypted (`*_enc`) and found by keyed hash (`*_hash`); they are
    stored only when the client consented, and erased 90 days after the last check-in closes.
    """

    __tablename__ = "client"
    __table_args__ = (UniqueConstraint("service_id", "client_ref", name="uq_client_service_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    client_ref: Mapped[str] = mapped_column(String(64))
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # Only numbers that phonenumbers classifies as UK mobile are ever texted.
    phone_is_uk_mobile: Mapped[bool] = mapped_column(Boolean, default=False)
    email_enc: Mapped[str | None] = mapped_column(Text)
    email_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    preferred_channel: Mapped[str | None] = mapped_column(String(8))
    sms_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    service: Mapped[Service] = relationship()
    episodes: Mapped[list[Episode]] = relationship(back_populates="client")


class Episode(db.Model):  # type: ignore[name-defined,misc]
    """One course of care ending in a discharge, as the service submitted it."""

    __tablename__ = "episode"
    __table_args__ = (UniqueConstraint("client_id", "discharge_date", name="uq_episode_client_discharge"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    consent: Mapped[bool] = mapped_column(Boolean)
    referral_date: Mapped[date] = mapped_column(Date)
    assessment_date: Mapped[date | None] = mapped_column(Date)
    first_treatment_date: Mapped[date | None] = mapped_column(Date)
    discharge_date: Mapped[date] = mapped_column(Date, index=True)
    treatment_sessions: Mapped[int] = mapped_column(Integer)
    problem_descriptor: Mapped[str] = mapped_column(String(16))
    intensity: Mapped[str | None] = mapped_column(String(8))
    phq9_first: Mapped[int | None] = mapped_column(Integer)
    phq9_last: Mapped[int | None] = mapped_column(Integer)
    gad7_first: Mapped[int | None] = mapped_column(Integer)
    gad7_last: Mapped[int | None] = mapped_column(Integer)
    ending_reason: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(35))
    # The optional case-mix columns of the service comparison (SPEC 8.1); None: not given.
    age_band: Mapped[str | None] = mapped_column(String(8))  # 16-17 ... 66+
    sex: Mapped[str | None] = mapped_column(String(8))  # female | male | other | unknown
    imd_decile: Mapped[int | None] = mapped_column(Integer)  # 1-10
    #: the optional intake column consent_to_call (SPEC 8.4): the client agreed to an assessor's call
    consent_to_call: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The follow-up plan (weeks after discharge) the episode was submitted under; it keeps it.
    plan: Mapped[str] = mapped_column(String(200))
    # Set when all contact must stop: deceased, withdrawn by the service, consent no, wrong number.
    contact_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_stopped_reason: Mapped[str | None] = mapped_column(String(32))
    #: the client asked that their answers leave future figures (flask privacy withdraw): the episode
    #: then counts as not consented (cohort, attrition and service-reported figures only)
    answers_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 of the submitted row's meaning, so a re-submission can say `unchanged` cheaply.
    row_fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # indexed: the dashboard's cache reads max(updated_at) on every page (app/services/dashboard.py)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    client: Mapped[Client] = relationship(back_populates="episodes")
    service: Mapped[Service] = relationship()
