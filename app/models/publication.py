"""What leaves Stillwell: frozen releases of published figures and monthly commissioner reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import DDL, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


class Release(db.Model):  # type: ignore[name-defined,misc]
    """Published figures frozen as of a date for a scope (SPEC section 4). Never updated."""

    __tablename__ = "release"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254))  # "user:<id>" or "cli:<os user>"
    as_of: Mapped[date] = mapped_column(Date)
    scope_kind: Mapped[str] = mapped_column(String(8))  # all | area | service
    scope_code: Mapped[str | None] = mapped_column(String(32))
    methodology: Mapped[int] = mapped_column(Integer)
    software_version: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    #: the canonical JSON (sorted keys, separators "," and ":", UTF-8) whose SHA-256 is `sha256`
    payload: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(String(200))


class ReleaseImmutable(Exception):
    """Something tried to change or delete a stored release."""


@event.listens_for(Release, "before_update")
def _refuse_change(mapper: Any, connection: Any, target: Release) -> None:
    """The ORM refuses to change a release, before the database's own trigger would."""
    raise ReleaseImmutable(f"release {target.id} is frozen: releases are never changed; create a new one")


@event.listens_for(Release, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: Release) -> None:
    raise ReleaseImmutable(f"release {target.id} is frozen: releases are never deleted")


#: The database itself refuses to change or delete a release (SPEC section 4: "it never changes"), whoever
#: asks: the ORM refuses first (the listeners above), these stop raw SQL too. Created with the table
#: (tests, `db.create_all`) and by migration 9d41c2f7a0b1 (kept identical); a batch migration that rebuilds the
#: table on SQLite must create them again. An owner of the database can still drop them, which is what
#: `flask releases verify` (the SHA-256 of the canonical JSON) is for.
RELEASE_GUARD: dict[str, tuple[str, ...]] = {
    "postgresql": (
        "CREATE OR REPLACE FUNCTION release_is_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION USING MESSAGE = 'release ' || OLD.id || ' is frozen (releases never change)', "
        "ERRCODE = 'integrity_constraint_violation'; END $$",
        "CREATE TRIGGER release_frozen BEFORE UPDATE OR DELETE ON release "
        "FOR EACH ROW EXECUTE FUNCTION release_is_frozen()",
    ),
    "sqlite": (
        "CREATE TRIGGER release_frozen_update BEFORE UPDATE ON release "
        "BEGIN SELECT RAISE(ABORT, 'release is frozen (releases never change)'); END",
        "CREATE TRIGGER release_frozen_delete BEFORE DELETE ON release "
        "BEGIN SELECT RAISE(ABORT, 'release is frozen (releases never change)'); END",
    ),
}
for _dialect, _statements in RELEASE_GUARD.items():
    for _statement in _statements:
        event.listen(Release.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))


class MonthlyReport(db.Model):  # type: ignore[name-defined,misc]
    """One area's report for one month (PDF and CSV, suppressed for publication); built once."""

    __tablename__ = "monthly_report"
    __table_args__ = (UniqueConstraint("area_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    csv: Mapped[str] = mapped_column(Text)
    figures: Mapped[str] = mapped_column(Text)  # the JSON the PDF and CSV were built from
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_to: Mapped[int | None] = mapped_column(Integer)  # how many commissioners it was emailed to
