"""Discharge-list submissions: the metadata service staff may see (never answers)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class Submission(db.Model):  # type: ignore[name-defined,misc]
    """One discharge list a service sent: imported (with its counts) or rejected (nothing imported; how many
    problems and where). Never a value from the file: a rejected cell may hold anything, even a phone number."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    submitted_by: Mapped[str] = mapped_column(String(254))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rows: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), default="imported", server_default="imported")  # or rejected
    problems: Mapped[int | None] = mapped_column(Integer)  # a rejected list: how many problems
    #: A rejected list: where the problems are ("row 5 phone; row 9 discharge_date; file"), no values.
    problem_places: Mapped[str | None] = mapped_column(Text)
