"""Discharge-list submissions: the metadata service staff may see (never answers)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

#: What became of a submitted list.
IMPORTED = "imported"
REJECTED = "rejected"
CHECKED = "checked"  # a dry run of a clean list: nothing imported, by request
CHECK_FAILED = "check_failed"  # a dry run of a list with problems
STATUSES = (IMPORTED, REJECTED, CHECKED, CHECK_FAILED)


class Submission(db.Model):  # type: ignore[name-defined,misc]
    """One discharge list a service sent: imported (with its counts), rejected (nothing imported; how many
    problems and where), or only checked (a dry run: what it would change, or its problems). The places never
    hold a value from the file (a rejected cell may hold anything, even a phone number); the whole problem list,
    which does, is kept encrypted like contact details, for its sender to download, and erased after 30 days."""

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
    status: Mapped[str] = mapped_column(String(16), default=IMPORTED, server_default=IMPORTED)
    problems: Mapped[int | None] = mapped_column(Integer)  # a rejected list: how many problems
    #: A rejected list: where the problems are ("row 5 phone; row 9 discharge_date; file"), no values.
    problem_places: Mapped[str | None] = mapped_column(Text)
    #: A list with problems: every problem as CSV (row, column, problem), gzipped and Fernet-encrypted.
    problem_report: Mapped[str | None] = mapped_column(Text, deferred=True)  # loaded only to download

    @property
    def refused(self) -> bool:
        """Whether the list had problems (imported or only checked, nothing of it was taken)."""
        return self.status in (REJECTED, CHECK_FAILED)

    @property
    def dry_run(self) -> bool:
        """Whether the list was only checked, never meant to be imported."""
        return self.status in (CHECKED, CHECK_FAILED)
