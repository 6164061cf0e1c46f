"""Builders shared by the tests: an area and a service, discharge-list CSV text, and importing it.

Test modules import builders from here (and from `tests.factories.sms`, `.cohorts`, `.statistics`,
`.privacy`), never from another test module. Synthetic data only."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from app.domain.discharge_list import COLUMNS
from app.models import Service
from app.services.intake.importing import import_discharge_list
from app.services.organisation import registry as organisation

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def make_service(code: str = "TYNE", area: str = "NE", **settings: object) -> Service:
    """Create an area (if needed) and a service with SPEC defaults unless overridden."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Area

    if db.session.scalar(select(Area).where(Area.code == area)) is None:
        organisation.create_area(area, f"Area {area}", actor="test", now=NOW)
    options = {"short_name": "Tyne Wellbeing", "safeguarding_email": "safe@example.org", **settings}
    return organisation.create_service(
        code,
        f"Service {code}",
        area,
        organisation.ServiceSettings(**options),
        actor="test",
        now=NOW,  # type: ignore[arg-type]
    )


BASE_ROW: dict[str, str] = {
    "client_ref": "C0001",
    "phone": "07400 123456",
    "email": "person1@example.org",
    "preferred_channel": "",
    "consent_to_follow_up": "yes",
    "referral_date": "2026-01-05",
    "assessment_date": "2026-01-20",
    "first_treatment_date": "2026-02-10",
    "discharge_date": "2026-06-01",
    "treatment_sessions": "8",
    "problem_descriptor": "F41.1",
    "intensity": "high",
    "phq9_first": "18",
    "phq9_last": "7",
    "gad7_first": "15",
    "gad7_last": "6",
    "ending_reason": "completed",
    "language": "en",
}


def row(**overrides: str) -> dict[str, str]:
    return {**BASE_ROW, **overrides}


def csv_bytes(rows: Iterable[Mapping[str, str]], columns: Iterable[str] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for item in rows:
        writer.writerow(item)
    return out.getvalue().encode()


def run_import(data: bytes, *, dry_run: bool = False, service: str = "TYNE", now: datetime = NOW):
    return import_discharge_list(
        service, data, filename="list.csv", actor="test", now=now, today=now.date(), dry_run=dry_run
    )
