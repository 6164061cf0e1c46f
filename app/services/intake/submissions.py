"""What service staff may see about their own submissions: metadata and counts, never a person.

Independence (SPEC section 1): staff of a service never see any answer, outcome, reply or contact
detail of a client. These read models give them only what they need to keep their discharge lists
good: when each file was taken and what it changed (or, for a file refused, how many problems it had and
where), and how many consented episodes can be reached
by which channel (counted from the stored flags and keyed hashes, never by decrypting anything).
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select

from app.domain import intake_problems
from app.domain.discharge_list import Problem
from app.domain.protocol import PROBLEM_LIST_KEPT
from app.extensions import db
from app.models import Client, Episode, Service, Submission, User
from app.models.submission import CHECK_FAILED, CHECKED, REJECTED
from app.security.fields import field_security
from app.services import audit
from app.services.errors import NotFound, ServiceError
from app.services.intake.importing import ImportResult

RECENT_SUBMISSIONS = 100
#: How long the whole problem list of a refused discharge list is kept for its sender to download
#: (privacy's erasure job then erases it).
PROBLEM_REPORT_KEPT = PROBLEM_LIST_KEPT


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
    """The service's discharge lists (imported, refused and only checked), newest first."""
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


def record_rejected(
    service: Service, filename: str, problems: Sequence[Problem], *, actor: str, now: datetime, dry_run: bool = False
) -> Submission:
    """A discharge list that was refused (none of it imported), or checked and found wanting: in the service's
    history with how many problems and where they are, the whole list of them kept encrypted for its sender to
    download, and audited."""
    submission = Submission(
        service_id=service.id,
        filename=filename[:255],
        submitted_by=actor,
        submitted_at=now,
        rows=0,
        created=0,
        updated=0,
        unchanged=0,
        status=CHECK_FAILED if dry_run else REJECTED,
        problems=len(problems),
        problem_places=intake_problems.places(problems),
        problem_report=field_security().encrypt_bytes(
            gzip.compress(intake_problems.problems_csv(problems).encode(), compresslevel=6)
        ),
    )
    db.session.add(submission)
    db.session.flush()
    action = "intake.dry_run" if dry_run else "intake.rejected"
    audit.record(
        actor,
        action,
        now,
        subject=f"service:{service.code}",
        file=filename,
        submission=submission.id,
        problems=len(problems),
    )
    db.session.commit()
    return submission


def record_dry_run(service: Service, filename: str, result: ImportResult, *, actor: str, now: datetime) -> Submission:
    """A discharge list checked without being imported, with what it would have changed: in the history, audited."""
    submission = Submission(
        service_id=service.id,
        filename=filename[:255],
        submitted_by=actor,
        submitted_at=now,
        rows=result.created + result.updated + result.unchanged,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        status=CHECKED,
    )
    db.session.add(submission)
    db.session.flush()
    audit.record(
        actor,
        "intake.dry_run",
        now,
        subject=f"service:{service.code}",
        file=filename,
        submission=submission.id,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )
    db.session.commit()
    return submission


def problem_report(service_id: int, submission_id: int, *, now: datetime) -> tuple[Submission, str]:
    """The whole problem list of one of the service's refused (or checked) lists, as CSV text."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.service_id != service_id or not submission.refused:
        raise NotFound("no refused discharge list of your service has that number")
    if submission.problem_report is None or submission.submitted_at < now - PROBLEM_REPORT_KEPT:
        raise NotFound(
            f"the problem list of {submission.filename} is no longer kept (lists are kept "
            f"{PROBLEM_REPORT_KEPT.days} days): check the file again to see its problems"
        )
    return submission, gzip.decompress(field_security().decrypt_bytes(submission.problem_report)).decode()
