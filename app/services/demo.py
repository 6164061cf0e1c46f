"""A synthetic demo: areas, services, a few hundred discharged clients, one user per role.

Everything here is invented. Phone numbers are random, well-formed UK mobile numbers: the demo
refuses to run unless both transports print to the console, so nothing is ever sent to them.
"""

from __future__ import annotations

import csv
import io
import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.domain.discharge_list import COLUMNS, normalise_phone
from app.extensions import db
from app.models import Area
from app.services import intake, organisation, users
from app.services.errors import ServiceError

AREAS = (("NE-ICB", "North East Integrated Care Board"), ("SW-ICB", "South West Integrated Care Board"))
SERVICES = (
    ("TYNE", "Tyneside Wellbeing Service", "NE-ICB", "Tyne Wellbeing"),
    ("WEAR", "Wearside Wellbeing Service", "NE-ICB", "Wear Wellbeing"),
    ("AVON", "Avon Wellbeing Service", "SW-ICB", "Avon Wellbeing"),
)
DESCRIPTORS = ("F32.1", "F33.1", "F41.1", "F41.2", "F40.1", "F42", "F43.1", "F45.2", "none")


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str


def refuse_real_transports() -> None:
    """Synthetic contact details must never reach a real provider."""
    if current_app.config["SMS_TRANSPORT"] != "console" or current_app.config["MAIL_TRANSPORT"] != "console":
        raise ServiceError("the demo runs only with SMS_TRANSPORT=console and MAIL_TRANSPORT=console")


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Area))


def synthetic_discharge_csv(rng: random.Random, clients: int, today: date, prefix: str) -> bytes:
    """A discharge list of invented clients discharged over the last year."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)  # the values below follow the same order
    for number in range(1, clients + 1):
        discharge = today - timedelta(days=rng.randint(1, 365))
        first_treatment = discharge - timedelta(days=rng.randint(30, 120))
        assessment = first_treatment - timedelta(days=rng.randint(7, 60))
        referral = assessment - timedelta(days=rng.randint(3, 40))
        consent = rng.random() < 0.85
        has_mobile = rng.random() < 0.85
        sessions = rng.choice((0, 1, 2, 3, 4, 6, 8, 10, 12, 16))
        phq_first, gad_first = rng.randint(5, 25), rng.randint(4, 20)
        writer.writerow(
            [
                f"{prefix}-{number:05d}",
                _synthetic_mobile(rng) if has_mobile else "",
                f"client{number}.{prefix.lower()}@example.org" if (not has_mobile or rng.random() < 0.5) else "",
                "",
                "yes" if consent else "no",
                referral.isoformat(),
                assessment.isoformat(),
                first_treatment.isoformat() if sessions else "",
                discharge.isoformat(),
                sessions,
                rng.choice(DESCRIPTORS),
                rng.choice(("low", "high", "stepped")),
                phq_first,
                min(27, max(0, phq_first - rng.randint(-3, 12))) if sessions >= 2 else "",
                gad_first,
                min(21, max(0, gad_first - rng.randint(-3, 10))) if sessions >= 2 else "",
                rng.choice(("completed", "completed", "completed", "dropped_out", "other")),
                "en",
            ]
        )
    return out.getvalue().encode()


def _synthetic_mobile(rng: random.Random) -> str:
    """A random well-formed UK mobile number (never used with a real provider: see refuse_real_transports)."""
    while True:
        candidate = f"07700 {rng.randint(100000, 899999)}"
        normalised = normalise_phone(candidate)
        if normalised and normalised[1]:
            return candidate


def seed(
    *, actor: str, now: datetime, today: date, clients_per_service: int = 120, seed_value: int = 2026
) -> list[DemoAccount]:
    """Create the demo organisation, clients and one user per role; returns the accounts (passwords shown once)."""
    refuse_real_transports()
    if not database_is_empty():
        raise ServiceError("the database already has data; the demo seeds only an empty database")
    rng = random.Random(seed_value)  # the cohort is reproducible; the passwords are not
    for code, name in AREAS:
        organisation.create_area(code, name, actor=actor, now=now)
    for code, name, area, short_name in SERVICES:
        settings = organisation.ServiceSettings(
            short_name=short_name, safeguarding_email=f"safeguarding.{code.lower()}@example.org"
        )
        organisation.create_service(code, name, area, settings, actor=actor, now=now)
        data = synthetic_discharge_csv(rng, clients_per_service, today, code)
        intake.import_discharge_list(code, data, filename=f"demo-{code}.csv", actor=actor, now=now, today=today)
    accounts = [
        DemoAccount("admin", "admin@example.org", secrets.token_urlsafe(12)),
        DemoAccount("evaluator", "evaluator@example.org", secrets.token_urlsafe(12)),
        DemoAccount("commissioner", "commissioner@example.org", secrets.token_urlsafe(12)),
        DemoAccount("service_submitter", "submitter@example.org", secrets.token_urlsafe(12)),
    ]
    for account in accounts:
        users.create_user(
            account.email,
            account.role,
            account.password,
            service_code="TYNE" if account.role == "service_submitter" else None,
            area_code="NE-ICB" if account.role == "commissioner" else None,
            actor=actor,
            now=now,
        )
    return accounts
