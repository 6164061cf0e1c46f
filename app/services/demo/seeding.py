"""A synthetic demo: areas, services, a few hundred discharged clients, one user per role.

Everything here is invented. A demo client's phone number is a well-formed UK mobile number made from its
reference (`demo_phone`: TYNE-00042 has 07700 110042, WEAR-00042 07700 120042, AVON-00042 07700 130042), so
a person playing the conversation can tell who is who without anything printing a number; the demo refuses to
run unless both transports print to the console, so nothing is ever sent to them.

How the synthetic clients reply (`flask demo simulate`) is in app/services/demo_people.py; exploring the
seeded demo by hand (`flask demo clients`, `survey-link`, the notes of `demo reply`) in
app/services/demo_explore.py.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.domain.csv_cells import write_csv
from app.domain.discharge_list import COLUMNS
from app.domain.phones import normalise_phone
from app.extensions import db
from app.models import Area, Service
from app.services import intake, organisation
from app.services.access import users
from app.services.errors import ServiceError

AREAS = (("NE-ICB", "North East Integrated Care Board"), ("SW-ICB", "South West Integrated Care Board"))
SERVICES = (
    ("TYNE", "Tyneside Wellbeing Service", "NE-ICB", "Tyne Wellbeing"),
    ("WEAR", "Wearside Wellbeing Service", "NE-ICB", "Wear Wellbeing"),
    ("AVON", "Avon Wellbeing Service", "SW-ICB", "Avon Wellbeing"),
)
DESCRIPTORS = ("F32.1", "F33.1", "F41.1", "F41.2", "F40.1", "F42", "F43.1", "F45.2", "none")
# Discharges spread over the last 15 months, so by today every follow-up point (52 weeks too) has answers.
DISCHARGED_WITHIN_DAYS = 456


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


def is_demo_database() -> bool:
    """Whether the demo's own areas and services are here (simulating replies elsewhere needs --force)."""
    areas = db.session.scalar(select(func.count()).select_from(Area).where(Area.code.in_([a for a, _ in AREAS])))
    services = db.session.scalar(
        select(func.count()).select_from(Service).where(Service.code.in_([s[0] for s in SERVICES]))
    )
    return areas == len(AREAS) and services == len(SERVICES)


def demo_phone(service_number: int, number: int) -> str | None:
    """The demo's phone number for client `number` of the `service_number`-th demo service (1-9).

    "07700 1", the service's digit, then the client's number in 4 digits: TYNE-00042 (service 1) has
    07700 110042. None when it does not fit (more than 9,999 clients). Every such number is one that
    `phonenumbers` classifies as a UK mobile, as intake requires."""
    if not 1 <= service_number <= 9 or not 0 < number <= 9_999:
        return None
    return f"07700 1{service_number}{number:04d}"


def synthetic_discharge_csv(
    rng: random.Random, clients: int, today: date, prefix: str, *, service_number: int | None = None
) -> bytes:
    """A discharge list of invented clients discharged over the last 15 months.

    With `service_number`, client N gets `demo_phone(service_number, N)` (a random mobile number past 9,999);
    without, a random one. The random number is drawn either way: the cohort is the same for the same seed."""
    rows: list[list[object]] = [list(COLUMNS)]  # the values below follow the same order
    for number in range(1, clients + 1):
        discharge = today - timedelta(days=rng.randint(1, DISCHARGED_WITHIN_DAYS))
        first_treatment = discharge - timedelta(days=rng.randint(30, 120))
        assessment = first_treatment - timedelta(days=rng.randint(7, 60))
        referral = assessment - timedelta(days=rng.randint(3, 40))
        consent = rng.random() < 0.85
        has_mobile = rng.random() < 0.85
        sessions = rng.choice((0, 1, 2, 3, 4, 6, 8, 10, 12, 16))
        phq_first, gad_first = rng.randint(5, 25), rng.randint(4, 20)
        # Scores at the last session usually fall together: about half "recover" by the services' own measure.
        improvement = rng.uniform(0.15, 1.05)
        rows.append(
            [
                f"{prefix}-{number:05d}",
                _mobile(rng, service_number, number) if has_mobile else "",
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
                min(27, max(0, round(phq_first * improvement) + rng.randint(-2, 2))) if sessions >= 2 else "",
                gad_first,
                min(21, max(0, round(gad_first * improvement) + rng.randint(-2, 2))) if sessions >= 2 else "",
                rng.choice(("completed", "completed", "completed", "dropped_out", "other")),
                "en",
                "",  # age_band, sex, imd_decile: not given (optional case-mix columns)
                "",
                "",
            ]
        )
    return write_csv(rows, lineterminator="\r\n").encode()


def _mobile(rng: random.Random, service_number: int | None, number: int) -> str:
    drawn = _synthetic_mobile(rng)  # always drawn: the rest of the cohort does not depend on service_number
    return (demo_phone(service_number, number) if service_number is not None else None) or drawn


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
    for service_number, (code, name, area, short_name) in enumerate(SERVICES, start=1):
        settings = organisation.ServiceSettings(
            short_name=short_name, safeguarding_email=f"safeguarding.{code.lower()}@example.org"
        )
        organisation.create_service(code, name, area, settings, actor=actor, now=now)
        data = synthetic_discharge_csv(rng, clients_per_service, today, code, service_number=service_number)
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
