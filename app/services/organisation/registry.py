"""Creating areas and services (admin operations)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select

from app.domain import schedule
from app.domain.discretion import DiscretionError, check_short_name
from app.domain.protocol import LONDON_ZONE_NAME
from app.extensions import db
from app.models import Area, Service
from app.services import audit
from app.services.errors import AlreadyExists, NotFound, ServiceError

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def _check_code(kind: str, code: str) -> str:
    if not _CODE.match(code):
        raise ServiceError(f"{kind} code {code!r} must be 1-32 letters, digits, '-' or '_'")
    return code


def create_area(code: str, name: str, *, actor: str, now: datetime) -> Area:
    """Create a commissioning area."""
    _check_code("area", code)
    if not name.strip():
        raise ServiceError("area name must not be empty")
    if db.session.scalar(select(Area).where(Area.code == code)):
        raise AlreadyExists(f"area {code!r} already exists")
    area = Area(code=code, name=name.strip(), created_at=now)
    db.session.add(area)
    audit.record(actor, "area.create", now, subject=f"area:{code}")
    db.session.commit()
    return area


@dataclass(frozen=True)
class ServiceSettings:
    """How a service is contacted: all optional on the command line, with the SPEC defaults."""

    short_name: str | None = None
    timezone: str = LONDON_ZONE_NAME
    send_window: str = "10:00-19:00"
    send_days: str = "mon-sat"
    plan: str = "4,8,18,26,52"
    safeguarding_email: str | None = None
    sms_links: bool = False
    bilingual: bool = False  # Welsh then English in one message to clients who gave no language (SPEC 8.3)


def create_service(
    code: str, name: str, area_code: str, settings: ServiceSettings, *, actor: str, now: datetime
) -> Service:
    """Create a therapy service in an area, validating every setting before writing anything."""
    _check_code("service", code)
    if not name.strip():
        raise ServiceError("service name must not be empty")
    area = db.session.scalar(select(Area).where(Area.code == area_code))
    if area is None:
        raise NotFound(f"area {area_code!r} does not exist (create it with: flask areas create)")
    if db.session.scalar(select(Service).where(Service.code == code)):
        raise AlreadyExists(f"service {code!r} already exists")
    try:
        short_name = check_short_name(settings.short_name or code)
        plan = schedule.format_plan(schedule.parse_plan(settings.plan))
        start, end = schedule.parse_window(settings.send_window)
        days = schedule.format_days(schedule.parse_days(settings.send_days))
        schedule.parse_zone(settings.timezone)
    except (schedule.ScheduleError, DiscretionError) as error:
        raise ServiceError(str(error)) from None
    safeguarding_email = _check_email(settings.safeguarding_email)
    service = Service(
        code=code,
        name=name.strip(),
        area=area,
        short_name=short_name,
        timezone=settings.timezone,
        send_window=f"{start:%H:%M}-{end:%H:%M}",
        send_days=days,
        plan=plan,
        safeguarding_email=safeguarding_email,
        sms_links=settings.sms_links,
        bilingual=settings.bilingual,
        created_at=now,
    )
    db.session.add(service)
    audit.record(
        actor, "service.create", now, subject=f"service:{code}", area=area_code, plan=plan, bilingual=settings.bilingual
    )
    db.session.commit()
    return service


#: `ServiceChanges.safeguarding_email` set to this clears the service's own address (alerts then go to
#: SAFEGUARDING_EMAIL)
CLEAR: Final = ""


@dataclass(frozen=True)
class ServiceChanges:
    """What `update_service` changes: None leaves a setting as it is."""

    bilingual: bool | None = None
    safeguarding_email: str | None = None  # an address, or CLEAR

    def is_empty(self) -> bool:
        return self.bilingual is None and self.safeguarding_email is None


def update_service(code: str, changes: ServiceChanges, *, actor: str, now: datetime) -> Service:
    """Change a service's settings, every one validated before any is written; audited (never the address
    itself) when something changes."""
    service = get_service(code)
    detail: dict[str, object] = {}
    if changes.safeguarding_email is not None:
        email = _check_email(changes.safeguarding_email)
        if email != service.safeguarding_email:
            service.safeguarding_email = email
            detail["safeguarding_email"] = "set" if email else "cleared"
    if changes.bilingual is not None and changes.bilingual != service.bilingual:
        service.bilingual = changes.bilingual
        detail["bilingual"] = changes.bilingual
    if detail:
        audit.record(actor, "service.update", now, subject=f"service:{code}", **detail)
        db.session.commit()
    return service


def _check_email(value: str | None) -> str | None:
    from app.domain.discharge_list import normalise_email

    if not value or not value.strip():
        return None
    email = normalise_email(value.strip())
    if email is None:
        # The address is not repeated: a mistyped address is still someone's contact detail.
        raise ServiceError("the safeguarding email is not a valid email address: give one in the form name@example.org")
    return email


def get_service(code: str) -> Service:
    service = db.session.scalar(select(Service).where(Service.code == code))
    if service is None:
        raise NotFound(f"service {code!r} does not exist (create it with: flask services create)")
    return service


def get_area(code: str) -> Area:
    area = db.session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise NotFound(f"area {code!r} does not exist (create it with: flask areas create)")
    return area
