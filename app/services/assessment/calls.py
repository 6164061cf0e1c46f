"""An assessor's calls: the list, taking a call, the audited phone-number reveal, and recording the call.

Blinding (SPEC 8.4): what leaves this module for an assessor is `CallRow` only: the pseudonymous
reference, the service's short name, the presenting problem in plain words, the dates, and the call's
own status. Never the texted category the sample was stratified by, nor any answer or check-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_, select, update

from app.domain import assessment as rules
from app.domain.discharge_list import parse_date
from app.domain.outcomes import CHANGES
from app.domain.replies import read_duration
from app.extensions import db
from app.models import AssessmentCall, AuditEvent, CallStatus, Client, CriteriaStatus, Episode, Service
from app.security.fields import field_security
from app.services import audit
from app.services.errors import NotFound, ServiceError

PER_PAGE = 20
USUAL_SELF_VALUES = ("yes", "mostly", "no")


class CallRefused(ServiceError):
    """A call this assessor may not record now (recorded already, or another assessor's)."""


@dataclass(frozen=True)
class CallRow:
    """What an assessor sees of one call (blinding: nothing of the texts)."""

    id: int
    client_ref: str
    service: str
    problem: str
    criteria_hint: str
    referral_date: date
    discharge_date: date
    status: str
    attempts: int
    next_try_at: datetime | None
    mine: bool


@dataclass(frozen=True)
class Interview:
    """SPEC 8.4's items as the assessor recorded them."""

    interview_date: date
    global_change: str
    still_meets_criteria: str
    criteria_since_text: str | None
    usual_self: str


def _visible(user_id: int) -> ColumnElement[bool]:
    return or_(AssessmentCall.assessor_id == user_id, AssessmentCall.assessor_id.is_(None))


def _rows(user_id: int) -> Select[Any, *tuple[Any, ...]]:
    return (
        select(
            AssessmentCall.id,
            Client.client_ref,
            Service.short_name,
            Episode.problem_descriptor,
            Episode.referral_date,
            Episode.discharge_date,
            AssessmentCall.status,
            AssessmentCall.attempts,
            AssessmentCall.next_try_at,
            AssessmentCall.assessor_id,
        )
        .join(Episode, Episode.id == AssessmentCall.episode_id)
        .join(Client, Client.id == Episode.client_id)
        .join(Service, Service.id == Episode.service_id)
        .where(_visible(user_id))
    )


def _row(values: Sequence[Any], user_id: int) -> CallRow:
    call_id, ref, short, descriptor, referral, discharge, status, attempts, next_try, assessor = values
    return CallRow(
        call_id,
        ref,
        short,
        rules.presenting_problem(descriptor),
        rules.criteria_hint(descriptor),
        referral,
        discharge,
        status,
        attempts,
        next_try,
        assessor == user_id,
    )


def call_list(user_id: int, page: int = 1) -> tuple[list[CallRow], int]:
    """The assessor's calls and the unassigned ones: calls to make first (soonest next try first), then done."""
    total = db.session.scalar(select(func.count()).select_from(AssessmentCall).where(_visible(user_id))) or 0
    done_last = case((AssessmentCall.status == CallStatus.TO_CALL.value, 0), else_=1)
    query = (
        _rows(user_id)
        .order_by(done_last, AssessmentCall.next_try_at.is_not(None), AssessmentCall.next_try_at, AssessmentCall.id)
        .limit(PER_PAGE)
        .offset((max(page, 1) - 1) * PER_PAGE)
    )
    return [_row(values, user_id) for values in db.session.execute(query)], int(total)


def get_call(call_id: int, user_id: int) -> CallRow:
    """One call this assessor may see (theirs or unassigned); NotFound otherwise, naming nothing."""
    values = db.session.execute(_rows(user_id).where(AssessmentCall.id == call_id)).first()
    if values is None:
        raise NotFound("no such call on your list")
    return _row(values, user_id)


def next_call(user_id: int, now: datetime, after: int | None = None) -> int | None:
    """The next call to make: the assessor's or an unassigned one, due now (never tried or its next try come)."""
    query = (
        select(AssessmentCall.id)
        .where(
            _visible(user_id),
            AssessmentCall.status == CallStatus.TO_CALL.value,
            or_(AssessmentCall.next_try_at.is_(None), AssessmentCall.next_try_at <= now),
        )
        .order_by(AssessmentCall.next_try_at.is_not(None), AssessmentCall.next_try_at, AssessmentCall.id)
    )
    if after is not None:
        query = query.where(AssessmentCall.id != after)
    return db.session.scalars(query.limit(1)).first()


def take_call(call_id: int, user_id: int, now: datetime) -> None:
    """Assign an unassigned call to this assessor (at most one assessor wins), or confirm it is theirs."""
    _take(call_id, user_id, now)
    db.session.commit()


def _take(call_id: int, user_id: int, now: datetime) -> AssessmentCall:
    db.session.execute(
        update(AssessmentCall)
        .where(AssessmentCall.id == call_id, AssessmentCall.assessor_id.is_(None))
        .values(assessor_id=user_id)
    )
    call = db.session.get(AssessmentCall, call_id)
    if call is None or call.assessor_id != user_id:
        db.session.rollback()
        raise NotFound("no such call on your list")
    return call


def reveal_phone(call_id: int, user_id: int, now: datetime) -> str | None:
    """The client's phone number, decrypted for this one page, and an audit event; None after erasure."""
    call = _take(call_id, user_id, now)
    phone = _phone_of(call)
    held = phone is not None
    audit.record(f"user:{user_id}", "assessment.phone_reveal", now, subject=f"assessment_call:{call.id}", held=held)
    db.session.commit()
    return phone


def _phone_of(call: AssessmentCall) -> str | None:
    """The client's number (E.164), decrypted; None when not held (erased)."""
    client = call.episode.client
    if client.phone_enc is None or client.contact_erased_at is not None:
        return None
    return str(field_security().decrypt(client.phone_enc))


def phone_revealed_before(call_id: int, user_id: int) -> tuple[bool, str | None]:
    """Whether this assessor revealed the call's number already (the audit log says so), and the number again
    for the page being shown (None when no longer held). Writes nothing: the reveal was audited once."""
    call = db.session.get(AssessmentCall, call_id)
    if call is None or call.assessor_id != user_id:
        return False, None
    revealed = db.session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.at >= call.sample.created_at,  # the `at` index: nothing of this call is older than its sample
            AuditEvent.action == "assessment.phone_reveal",
            AuditEvent.actor == f"user:{user_id}",
            AuditEvent.subject == f"assessment_call:{call.id}",
        )
        .limit(1)
    )
    if revealed is None:
        return False, None
    return True, _phone_of(call)


def _open_for_recording(call_id: int, user_id: int, now: datetime) -> AssessmentCall:
    call = _take(call_id, user_id, now)
    if call.status != CallStatus.TO_CALL.value:
        db.session.rollback()
        raise CallRefused("this call has been recorded already and cannot be changed")
    return call


def record_not_reached(call_id: int, user_id: int, now: datetime, next_try_at: datetime | None = None) -> str:
    """One attempt without reaching the client: try again (tomorrow by default), or give up after the last."""
    call = _open_for_recording(call_id, user_id, now)
    if next_try_at is not None and next_try_at <= now:
        db.session.rollback()
        raise CallRefused("the next try must be after now")
    attempt = rules.not_reached(call.attempts, now, next_try_at)
    call.attempts = attempt.attempts
    call.last_attempt_at = now
    call.next_try_at = attempt.next_try_at
    if attempt.given_up:
        call.status = CallStatus.NOT_REACHED.value
        call.recorded_at, call.recorded_by = now, user_id
    audit.record(
        f"user:{user_id}", "assessment.not_reached", now, subject=f"assessment_call:{call.id}", attempts=call.attempts
    )
    db.session.commit()
    return call.status


def record_declined(call_id: int, user_id: int, now: datetime) -> None:
    """Reached, and the client declined the interview."""
    call = _open_for_recording(call_id, user_id, now)
    call.attempts += 1
    call.last_attempt_at = now
    call.next_try_at = None
    call.status = CallStatus.DECLINED.value
    call.recorded_at, call.recorded_by = now, user_id
    audit.record(f"user:{user_id}", "assessment.declined", now, subject=f"assessment_call:{call.id}")
    db.session.commit()


def since_date(text: str, interview: date, discharge: date, referral: date) -> date | str:
    """Since when (a date, or a duration counted back from the interview): the date, or what is wrong."""
    value = text.strip()
    parsed = parse_date(value)
    if isinstance(parsed, date):
        if parsed > interview:
            return f"{parsed.isoformat()} is after the interview date"
        return max(parsed, referral)
    duration = read_duration(value, interview, discharge, referral)
    if duration == "clarify":
        return f"{value!r} needs a unit: weeks, months or years (for example '3 months')"
    if duration is None:
        return f"{value!r} is neither a date (2026-03-14 or 14/3/2026) nor a duration such as '3 months'"
    return duration


def interview_problems(interview: Interview, today: date, call: CallRow) -> dict[str, str]:
    """Field name -> what is wrong with the recorded interview (empty when it may be saved)."""
    problems: dict[str, str] = {}
    date_problem = rules.interview_date_problem(interview.interview_date, today, call.discharge_date)
    if date_problem:
        problems["interview_date"] = date_problem
    if interview.global_change not in CHANGES:
        problems["global_change"] = "choose one of the five answers"
    if interview.still_meets_criteria not in {status.value for status in CriteriaStatus}:
        problems["still_meets_criteria"] = "choose yes, partly or no"
    if interview.usual_self not in USUAL_SELF_VALUES:
        problems["usual_self"] = "choose yes, mostly or no"
    needs_since = interview.still_meets_criteria in (CriteriaStatus.PARTLY.value, CriteriaStatus.NO.value)
    if needs_since and not (interview.criteria_since_text or "").strip():
        problems["criteria_since"] = "say since when: a date, or how long, such as '3 months'"
    elif needs_since and "interview_date" not in problems:
        since = since_date(
            interview.criteria_since_text or "", interview.interview_date, call.discharge_date, call.referral_date
        )
        if isinstance(since, str):
            problems["criteria_since"] = since
    return problems


def record_interview(call_id: int, user_id: int, now: datetime, today: date, interview: Interview) -> None:
    """Save the interview (status reached); CallRefused, naming every problem, when `interview_problems` has any."""
    row = get_call(call_id, user_id)
    problems = interview_problems(interview, today, row)
    if problems:
        raise CallRefused("; ".join(f"{name}: {message}" for name, message in problems.items()))
    call = _open_for_recording(call_id, user_id, now)
    since: date | None = None
    text = (interview.criteria_since_text or "").strip() or None
    if interview.still_meets_criteria != CriteriaStatus.YES.value and text:
        resolved = since_date(text, interview.interview_date, row.discharge_date, row.referral_date)
        assert isinstance(resolved, date)
        since = resolved
    call.attempts += 1
    call.last_attempt_at = now
    call.next_try_at = None
    call.status = CallStatus.REACHED.value
    call.interview_date = interview.interview_date
    call.global_change = interview.global_change
    call.still_meets_criteria = interview.still_meets_criteria
    call.criteria_since = since
    call.criteria_since_text = text if since else None
    call.usual_self = interview.usual_self
    call.recorded_at, call.recorded_by = now, user_id
    audit.record(f"user:{user_id}", "assessment.interview", now, subject=f"assessment_call:{call.id}")
    db.session.commit()
