"""A synthetic demo: two areas, twenty services, a few thousand discharged clients, one user per role.

Everything here is invented. A demo client's phone number is a well-formed UK mobile number made from its
reference (`demo_phone`: TYNE-00042 has 07700 110042, WEAR-00042 07700 120042, AVON-00042 07700 130042), so
a person playing the conversation can tell who is who without anything printing a number; the demo refuses to
run unless both transports print to the console, so nothing is ever sent to them.

The services differ on purpose, so that comparing them (`flask stats compare`, SPEC 8.1) has something to
find: each client's chance of a lasting recovery depends on their case mix (first PHQ-9 and GAD-7 scores,
sessions, problem group: `people.recovery_chance`) plus their service's `recovery_effect`. DURH is truly
better and TEES truly worse whatever the case mix: both fall outside the 99.8% limits, raw and adjusted.
CORN only looks worse, because it treats much more severe cases (`severity`): below the 99.8% limits raw,
within them once adjusted for case mix. The other seventeen are average. Twenty services, not just the ten
overdispersion is judged from: SPEC 8.1 winsorises the z-scores at the 10th and 90th percentiles, and with
ten services the second lowest (CORN or TEES) sets the lower clip, so the three planted differences alone
would make the services look overdispersed and widen the limits until CORN sat inside them, raw too. With
twenty, the clips fall at ordinary services and phi stays near 1.

How the synthetic clients reply (`flask demo simulate`) is in app/services/demo/people.py; exploring the
seeded demo by hand (`flask demo clients`, `survey-link`, the notes of `demo reply`) in
app/services/demo/explore.py.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, select

from app.domain.comparison.cells import AGE_BANDS, SEXES
from app.domain.csv_cells import write_csv
from app.domain.discharge_list import COLUMNS
from app.domain.phones import normalise_phone
from app.extensions import db
from app.models import Area, Service
from app.services import intake, organisation
from app.services.access import users
from app.services.errors import ServiceError

AREAS = (("NE-ICB", "North East Integrated Care Board"), ("SW-ICB", "South West Integrated Care Board"))


class DemoService(NamedTuple):
    """A demo service, and how its synthetic clients differ from the average (none of it is stored)."""

    code: str
    name: str
    area: str
    short_name: str
    recovery_effect: float = 0.0  # added to the log-odds of each client's chance of a lasting recovery
    severity: int = 0  # added to the first PHQ-9 score (two thirds of it to GAD-7): a more severe case mix
    bilingual: bool = False  # Welsh then English to clients who gave no language; its clients' languages vary


TRULY_BETTER = "DURH"  # a strong positive effect on recovery, whatever the case mix
TRULY_WORSE = "TEES"  # a strong negative effect, whatever the case mix
SEVERE_CASE_MIX = "CORN"  # no effect of its own; its clients start much more unwell, so its raw rate is low
SERVICES = (
    DemoService("TYNE", "Tyneside Wellbeing Service", "NE-ICB", "Tyne Wellbeing"),
    DemoService("WEAR", "Wearside Wellbeing Service", "NE-ICB", "Wear Wellbeing"),
    DemoService("AVON", "Avon Wellbeing Service", "SW-ICB", "Avon Wellbeing"),
    DemoService("DURH", "County Durham Talking Therapies", "NE-ICB", "Durham Talking", recovery_effect=3.5),
    DemoService("TEES", "Teesside Talking Therapies", "NE-ICB", "Tees Talking", recovery_effect=-3.0),
    DemoService("NTHM", "Northumberland Wellbeing Service", "NE-ICB", "Northumberland"),
    DemoService("BATH", "Bath Talking Therapies", "SW-ICB", "Bath Talking"),
    DemoService("SOMR", "Somerset Wellbeing Service", "SW-ICB", "Somerset Wellbeing"),
    DemoService("DEVN", "Devon Talking Therapies", "SW-ICB", "Devon Talking"),
    DemoService("CORN", "Cornwall Wellbeing Service", "SW-ICB", "Cornwall Wellbeing", severity=10),
    DemoService("GATE", "Gateshead Wellbeing Service", "NE-ICB", "Gateshead Wellbeing"),
    DemoService("PLYM", "Plymouth Talking Therapies", "SW-ICB", "Plymouth Talking"),
    DemoService("NEWC", "Newcastle Talking Therapies", "NE-ICB", "Newcastle Talking"),
    DemoService("TORB", "Torbay Wellbeing Service", "SW-ICB", "Torbay Wellbeing"),
    DemoService("DARL", "Darlington Talking Therapies", "NE-ICB", "Darlington Talking"),
    DemoService("DORS", "Dorset Talking Therapies", "SW-ICB", "Dorset Talking"),
    DemoService("HART", "Hartlepool Wellbeing Service", "NE-ICB", "Hartlepool"),
    DemoService("WILT", "Wiltshire Wellbeing Service", "SW-ICB", "Wiltshire"),
    DemoService("REDC", "Redcar and Cleveland Talking Therapies", "NE-ICB", "Redcar Talking"),
    DemoService("MONM", "Monmouthshire Talking Therapies", "SW-ICB", "Monmouth Talking", bilingual=True),
)
BILINGUAL_SERVICE = "MONM"  # a Welsh service across the border, commissioned by SW-ICB: Welsh and English texts
#: The languages of a bilingual demo service's clients (intake `language`): Welsh, English, not given.
WELSH_SERVICE_LANGUAGES = (("cy", 0.4), ("en", 0.3), ("", 0.3))
SERVICE_BY_CODE = {service.code: service for service in SERVICES}
DESCRIPTORS = ("F32.1", "F33.1", "F41.1", "F41.2", "F40.1", "F42", "F43.1", "F45.2", "none")
# Discharges spread over the last 15 months, so by today every follow-up point (52 weeks too) has answers.
DISCHARGED_WITHIN_DAYS = 456
# About 77% of clients end up eligible (consented, a check-in closed): some 155 per service, enough for a funnel
# (4,000 clients in all: `make run` seeds and simulates them in about a minute).
CLIENTS_PER_SERVICE = 200


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
    """The demo's phone number for client `number` of the `service_number`-th demo service (1-20).

    "07700 1" (07701 for services 11 to 20), the service's last digit, then the client's number in 4 digits:
    TYNE-00042 (service 1) has 07700 110042, CORN-00042 (service 10) 07700 100042, GATE-00042 (service 11)
    07701 110042. None when it does not fit (more than 9,999 clients). Every such number is one that
    `phonenumbers` classifies as a UK mobile, as intake requires."""
    if not 1 <= service_number <= 20 or not 0 < number <= 9_999:
        return None
    return f"0770{(service_number - 1) // 10} 1{service_number % 10}{number:04d}"


def synthetic_discharge_csv(
    rng: random.Random,
    clients: int,
    today: date,
    prefix: str,
    *,
    service_number: int | None = None,
    severity: int = 0,
    bilingual: bool = False,
) -> bytes:
    """A discharge list of invented clients discharged over the last 15 months.

    With `service_number`, client N gets `demo_phone(service_number, N)` (a random mobile number past 9,999);
    without, a random one. The random number is drawn either way: the cohort is the same for the same seed.
    `severity` shifts the first PHQ-9 scores up by that many points (GAD-7 by two thirds of it), capped at
    the scales' maxima: a service that treats more severe cases. `bilingual`: clients' languages are drawn from
    WELSH_SERVICE_LANGUAGES (else every one is `en`)."""
    rows: list[list[object]] = [list(COLUMNS)]
    for number in range(1, clients + 1):
        discharge = today - timedelta(days=rng.randint(1, DISCHARGED_WITHIN_DAYS))
        first_treatment = discharge - timedelta(days=rng.randint(30, 120))
        assessment = first_treatment - timedelta(days=rng.randint(7, 60))
        referral = assessment - timedelta(days=rng.randint(3, 40))
        consent = rng.random() < 0.85
        has_mobile = rng.random() < 0.85
        sessions = rng.choice((0, 1, 2, 3, 4, 6, 8, 10, 12, 16))
        phq_first = min(27, rng.randint(5, 25) + severity)
        gad_first = min(21, rng.randint(4, 20) + round(severity * 2 / 3))
        # Scores at the last session usually fall together: about half "recover" by the services' own measure.
        improvement = rng.uniform(0.15, 1.05)
        values: dict[str, object] = {
            "client_ref": f"{prefix}-{number:05d}",
            "phone": _mobile(rng, service_number, number) if has_mobile else "",
            "email": f"client{number}.{prefix.lower()}@example.org" if (not has_mobile or rng.random() < 0.5) else "",
            "consent_to_follow_up": "yes" if consent else "no",
            "referral_date": referral.isoformat(),
            "assessment_date": assessment.isoformat(),
            "first_treatment_date": first_treatment.isoformat() if sessions else "",
            "discharge_date": discharge.isoformat(),
            "treatment_sessions": sessions,
            "problem_descriptor": rng.choice(DESCRIPTORS),
            "intensity": rng.choice(("low", "high", "stepped")),
            "phq9_first": phq_first,
            "phq9_last": min(27, max(0, round(phq_first * improvement) + rng.randint(-2, 2))) if sessions >= 2 else "",
            "gad7_first": gad_first,
            "gad7_last": min(21, max(0, round(gad_first * improvement) + rng.randint(-2, 2))) if sessions >= 2 else "",
            "ending_reason": rng.choice(("completed", "completed", "completed", "dropped_out", "other")),
            "language": _language(prefix, number) if bilingual else "en",
        }
        values.update(_intake_extras(rng))
        # About a third of consenting clients agree to the assessor's call, drawn apart from `rng` so the rest of
        # the cohort is the same as before the column existed.
        values["consent_to_call"] = (
            "yes" if consent and random.Random(f"call:{prefix}:{number}").random() < 1 / 3 else "no"
        )
        rows.append([values.get(name, "") for name in COLUMNS])
    return write_csv(rows, lineterminator="\r\n").encode()


def _language(prefix: str, number: int) -> str:
    """A client's language at a bilingual service, drawn apart from the cohort's generator (the rest of the
    cohort is the same whatever the languages)."""
    roll = random.Random(f"language:{prefix}:{number}").random()
    for language, share in WELSH_SERVICE_LANGUAGES:
        if roll < share:
            return language
        roll -= share
    return WELSH_SERVICE_LANGUAGES[-1][0]


def _intake_extras(rng: random.Random) -> dict[str, object]:
    """The optional intake columns SPEC 8.1's case-mix model also uses (age band, sex, IMD decile).

    Always drawn, so the rest of the cohort is the same for the same seed; a value reaches the discharge list
    only for a column in `COLUMNS` (the caller drops the others). They carry no effect on recovery in the
    demo: only severity (first scores) and the service's own effect do."""
    return {
        "age_band": rng.choices(AGE_BANDS, weights=(2, 18, 24, 20, 17, 12, 7))[0],
        "sex": rng.choices(SEXES, weights=(62, 35, 1, 2))[0],
        "imd_decile": rng.randint(1, 10),
    }


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
    *,
    actor: str,
    now: datetime,
    today: date,
    clients_per_service: int = CLIENTS_PER_SERVICE,
    seed_value: int = 2026,
) -> list[DemoAccount]:
    """Create the demo organisation, clients and one user per role; returns the accounts (passwords shown once)."""
    refuse_real_transports()
    if not database_is_empty():
        raise ServiceError("the database already has data; the demo seeds only an empty database")
    rng = random.Random(seed_value)  # the cohort is reproducible; the passwords are not
    for code, name in AREAS:
        organisation.create_area(code, name, actor=actor, now=now)
    for service_number, service in enumerate(SERVICES, start=1):
        code = service.code
        settings = organisation.ServiceSettings(
            short_name=service.short_name,
            safeguarding_email=f"safeguarding.{code.lower()}@example.org",
            bilingual=service.bilingual,
        )
        organisation.create_service(code, service.name, service.area, settings, actor=actor, now=now)
        data = synthetic_discharge_csv(
            rng,
            clients_per_service,
            today,
            code,
            service_number=service_number,
            severity=service.severity,
            bilingual=service.bilingual,
        )
        intake.import_discharge_list(code, data, filename=f"demo-{code}.csv", actor=actor, now=now, today=today)
    accounts = [
        DemoAccount("admin", "admin@example.org", secrets.token_urlsafe(12)),
        DemoAccount("evaluator", "evaluator@example.org", secrets.token_urlsafe(12)),
        DemoAccount("commissioner", "commissioner@example.org", secrets.token_urlsafe(12)),
        DemoAccount("service_submitter", "submitter@example.org", secrets.token_urlsafe(12)),
        DemoAccount("assessor", "assessor@example.org", secrets.token_urlsafe(12)),
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
