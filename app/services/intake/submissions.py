"""What service staff may see about their own submissions: metadata and counts, never a person.

Independence (SPEC section 1): staff of a service never see any answer, outcome, reply or contact
detail of a client. These read models give them only what they need to keep their discharge lists
good: when each file was taken and what it changed (or, for a file refused, how many problems it had and
where), and how many consented episodes can be reached
by which channel (counted from the stored flags and keyed hashes, never by decrypting anything).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select

from app.domain.discharge_list import COLUMNS, Problem
from app.extensions import db
from app.models import Client, Episode, Service, Submission, User
from app.services import audit
from app.services.errors import ServiceError

RECENT_SUBMISSIONS = 100
#: How many problem places a rejected submission keeps (the page showed every problem when it was rejected).
PLACES_SHOWN = 20


@dataclass(frozen=True)
class ContactQuality:
    """Consented episodes of a service by how they can be reached (counts only)."""

    consented: int
    mobile_and_email: int
    mobile_only: int
    email_only: int
    no_usable_channel: int
    erased: int

    @property
    def with_mobile(self) -> int:
        """Consented episodes whose client has a UK mobile number (SMS possible)."""
        return self.mobile_and_email + self.mobile_only


def service_of(user: User) -> Service:
    """The service a service submitter belongs to."""
    service = db.session.get(Service, user.service_id) if user.service_id else None
    if service is None:
        raise ServiceError("your account is not linked to a service: ask an admin")
    return service


def recent_submissions(service_id: int, limit: int = RECENT_SUBMISSIONS) -> list[Submission]:
    """The service's accepted discharge lists, newest first."""
    query = (
        select(Submission)
        .where(Submission.service_id == service_id)
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def contact_quality(service_id: int) -> ContactQuality:
    """How the service's consented episodes can be reached, counted in one query."""
    mobile = and_(Client.phone_hash.is_not(None), Client.phone_is_uk_mobile.is_(True))
    email = Client.email_hash.is_not(None)
    erased = Client.contact_erased_at.is_not(None)

    def count_when(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        select(
            func.count(Episode.id),
            count_when(and_(~erased, mobile, email)),
            count_when(and_(~erased, mobile, ~email)),
            count_when(and_(~erased, ~mobile, email)),
            count_when(and_(~erased, ~mobile, ~email)),
            count_when(erased),
        )
        .join(Client, Client.id == Episode.client_id)
        .where(Episode.service_id == service_id, Episode.consent.is_(True))
    ).one()
    return ContactQuality(*(int(value or 0) for value in row))


def record_rejected(service: Service, filename: str, problems: Sequence[Problem], *, actor: str, now: datetime) -> None:
    """A discharge list that was refused (none of it imported): in the service's history with how many problems
    and where they are, and audited."""
    db.session.add(
        Submission(
            service_id=service.id,
            filename=filename[:255],
            submitted_by=actor,
            submitted_at=now,
            rows=0,
            created=0,
            updated=0,
            unchanged=0,
            status="rejected",
            problems=len(problems),
            problem_places=problem_places(problems),
        )
    )
    audit.record(
        actor, "intake.rejected", now, subject=f"service:{service.code}", file=filename, problems=len(problems)
    )
    db.session.commit()


def problem_places(problems: Sequence[Problem], most: int = PLACES_SHOWN) -> str:
    """Where the problems are, never what the cells held (a rejected cell may hold anything, even a phone
    number): "row 3 email; row 7 discharge_date; file", the first `most` places, then how many more."""
    places: list[str] = []
    for problem in problems:
        if problem.row is None:
            place = "file"
        else:
            column = problem.column if problem.column in COLUMNS else "an unknown column"
            place = f"row {problem.row} {column}"
        if place not in places:
            places.append(place)
    shown = "; ".join(places[:most])
    return shown + (f"; and {len(places) - most} more" if len(places) > most else "")


def record_dry_run(service: Service, filename: str, *, actor: str, now: datetime) -> None:
    """Audit a discharge list checked without being imported."""
    audit.record(actor, "intake.dry_run", now, subject=f"service:{service.code}", file=filename)
    db.session.commit()
