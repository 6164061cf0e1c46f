"""The privacy lifecycle (SPEC sections 2 and 7): erasure, withdrawal of answers, subject access, key rotation.

Erasure removes what identifies a person (the encrypted contact details, and the keyed hashes that could
confirm a guessed number) and keeps the pseudonymous answers, so no figure changes. A keyed hash is kept
only when its contact point has opt-out history: it is then on the suppression list, and the statistics
judge `opted_out` through it. `unreachable` never needs contact details: it is judged from the attempts
recorded on the check-ins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, null, or_, select, update

from app.domain.protocol import ERASE_AFTER, PROBLEM_LIST_KEPT
from app.extensions import db
from app.models import (
    CheckIn,
    CheckInStatus,
    Client,
    ContactPoint,
    Episode,
    InboundMessage,
    OptEvent,
    OutboundMessage,
    Service,
    Submission,
    User,
)
from app.models.message import ReviewItem, SafeguardingAlert
from app.security.fields import field_security
from app.services import audit
from app.services.contact import stop_contact
from app.services.errors import NotFound, ServiceError
from app.services.organisation import get_service

log = logging.getLogger("stillwell.privacy")

#: Contact details are erased this long after a client's last check-in closes (SPEC 7).
#: A check-in in one of these states may still lead to a message: its client is not yet due for erasure.
ACTIVE = (CheckInStatus.SCHEDULED.value, CheckInStatus.SENDING.value, CheckInStatus.OPEN.value)
# Why contact stopped, on the episodes (and why their check-ins closed).
STOP_ERASED = "erased_on_request"
STOP_ANSWERS_WITHDRAWN = "answers_withdrawn"
SCHEDULER = "scheduler"

Progress = Callable[[int], None]


# -- finding a client -----------------------------------------------------------------------------------


def find_client(service_code: str, client_ref: str) -> Client:
    """The client a service knows by `client_ref`, or a clear error."""
    service = get_service(service_code)
    client: Client | None = db.session.scalar(
        select(Client).where(Client.service_id == service.id, Client.client_ref == client_ref)
    )
    if client is None:
        raise NotFound(f"service {service_code!r} has no client with client_ref {client_ref!r}")
    return client


# -- erasure --------------------------------------------------------------------------------------------


def suppressed_hashes(hashes: Iterable[str]) -> set[str]:
    """The keyed hashes among `hashes` whose contact point has opt-out history (the suppression list)."""
    wanted = {value for value in hashes if value}
    if not wanted:
        return set()
    history = exists(select(OptEvent.id).where(OptEvent.contact_point_id == ContactPoint.id))
    query = select(ContactPoint.contact_hash).where(ContactPoint.contact_hash.in_(wanted), history)
    return set(db.session.scalars(query))


def _erase_rows(rows: Sequence[Any], now: datetime, reason: str, actor: str) -> None:
    """Erase the contact details of rows (id, service code, phone_hash, email_hash) in the current transaction."""
    kept = suppressed_hashes(value for row in rows for value in (row.phone_hash, row.email_hash))
    table = Client.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            phone_enc=null(),
            email_enc=null(),
            phone_hash=bindparam("v_phone_hash"),
            email_hash=bindparam("v_email_hash"),
            contact_erased_at=bindparam("v_now"),
            updated_at=bindparam("v_now"),
        ),
        [
            {
                "b_id": row.id,
                "v_phone_hash": row.phone_hash if row.phone_hash in kept else None,
                "v_email_hash": row.email_hash if row.email_hash in kept else None,
                "v_now": now,
            }
            for row in rows
        ],
    )
    # Inbound messages keep their verbatim bodies (answers) but not the sender's keyed hash.
    sender_hash = InboundMessage.sender_hash
    db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.client_id.in_([row.id for row in rows]), sender_hash.is_not(None))
        .where(sender_hash.not_in(kept))
        .values(sender_hash=None)
        .execution_options(synchronize_session=False)
    )
    for row in rows:
        on_list = sum(value in kept for value in (row.phone_hash, row.email_hash))
        audit.record(
            actor, "privacy.erase", now, subject=f"client:{row.id}", service=row.code, reason=reason, suppressed=on_list
        )


def _erasure_rows(*conditions: Any) -> Any:
    return (
        select(Client.id, Service.code, Client.phone_hash, Client.email_hash)
        .join(Service, Service.id == Client.service_id)
        .where(*conditions)
        .order_by(Client.id)
    )


def erase_contact_details(client: Client, now: datetime, reason: str, actor: str = SCHEDULER) -> bool:
    """Erase one client's contact details (the caller commits); False when there was nothing left to erase."""
    held = or_(Client.phone_enc.is_not(None), Client.email_enc.is_not(None), Client.contact_erased_at.is_(None))
    rows = db.session.execute(_erasure_rows(Client.id == client.id, held)).all()
    if not rows:
        return False
    _erase_rows(rows, now, reason, actor)
    db.session.expire(client)
    return True


def _last_closed() -> Any:
    """When a client's last check-in closed (skipped and withdrawn ones count); NULL without check-ins."""
    return (
        select(func.max(func.coalesce(CheckIn.closed_at, CheckIn.due_at)))
        .where(CheckIn.client_id == Client.id)
        .scalar_subquery()
    )


def erase_due(now: datetime, batch_size: int = 500, actor: str = SCHEDULER) -> int:
    """Erase the contact details of every client whose last check-in closed 90 days or more before `now`.

    Batched, one commit per batch, idempotent: what is erased is no longer due, and a rerun carries on.
    """
    cutoff = now - ERASE_AFTER
    active = exists(select(CheckIn.id).where(CheckIn.client_id == Client.id, CheckIn.status.in_(ACTIVE)))
    due = [
        or_(Client.phone_enc.is_not(None), Client.email_enc.is_not(None)),
        ~active,
        # A client without check-ins (a consent changed to no) counts from when its details last changed.
        func.coalesce(_last_closed(), Client.updated_at) <= cutoff,
    ]
    erased, last_id = 0, 0
    while True:
        # Several schedulers may run this job: on PostgreSQL a batch another one is erasing is skipped.
        batch = _erasure_rows(Client.id > last_id, *due).limit(batch_size).with_for_update(skip_locked=True, of=Client)
        rows = db.session.execute(batch).all()
        if not rows:
            break
        _erase_rows(rows, now, "90 days after the last check-in closed", actor)
        db.session.commit()
        erased += len(rows)
        last_id = rows[-1].id
    erased_senders = _forget_unknown_senders(cutoff)
    forget_problem_lists(now)
    db.session.commit()
    if erased or erased_senders:
        log.info("erased the contact details of %d client(s) and %d unknown sender(s)", erased, erased_senders)
    return erased


def forget_problem_lists(now: datetime) -> int:
    """Erase the problem lists of refused discharge lists once PROBLEM_LIST_KEPT has passed (a rejected cell
    may hold anything, even a phone number); the count of problems and their places stay in the history."""
    statement = (
        update(Submission)
        .where(Submission.problem_report.is_not(None), Submission.submitted_at < now - PROBLEM_LIST_KEPT)
        .values(problem_report=None)
    )
    return int(getattr(db.session.execute(statement), "rowcount", 0) or 0)


def _forget_unknown_senders(cutoff: datetime) -> int:
    """Messages from numbers we do not know keep their body, not the sender's keyed hash, after 90 days."""
    on_list = exists(
        select(ContactPoint.id)
        .join(OptEvent, OptEvent.contact_point_id == ContactPoint.id)
        .where(ContactPoint.contact_hash == InboundMessage.sender_hash)
    )
    result = db.session.execute(
        update(InboundMessage)
        .where(
            InboundMessage.client_id.is_(None),
            InboundMessage.sender_hash.is_not(None),
            InboundMessage.received_at <= cutoff,
            ~on_list,
        )
        .values(sender_hash=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class ErasureResult:
    erased: bool  # False: the contact details were already erased
    withdrawn_check_ins: int


def erase_on_request(service_code: str, client_ref: str, *, actor: str, now: datetime) -> ErasureResult:
    """The client asked: erase their contact details now and stop all contact with them."""
    client = find_client(service_code, client_ref)
    episode_ids = list(db.session.scalars(select(Episode.id).where(Episode.client_id == client.id)))
    withdrawn = stop_contact(episode_ids, STOP_ERASED, now)
    erased = erase_contact_details(client, now, "on request", actor)
    if not erased:
        audit.record(actor, "privacy.erase", now, subject=f"client:{client.id}", service=service_code, reason="repeat")
    db.session.commit()
    return ErasureResult(erased=erased, withdrawn_check_ins=withdrawn)


# -- withdrawal of answers ------------------------------------------------------------------------------


def withdraw_answers(
    service_code: str, client_ref: str, discharge_date: date | None, *, actor: str, now: datetime
) -> int:
    """The client asked that their answers leave future figures (releases already made stay as they are).

    Every episode of the client, or the one discharged on `discharge_date`, counts from now on as not
    consented, and contact for it stops. Returns how many episodes were newly withdrawn.
    """
    client = find_client(service_code, client_ref)
    query = select(Episode).where(Episode.client_id == client.id)
    if discharge_date is not None:
        query = query.where(Episode.discharge_date == discharge_date)
    episodes = list(db.session.scalars(query.order_by(Episode.discharge_date)))
    if not episodes:
        raise NotFound(
            f"client {client_ref!r} of service {service_code!r} has no episode discharged on {discharge_date}"
        )
    fresh = [episode for episode in episodes if episode.answers_withdrawn_at is None]
    for episode in fresh:
        episode.answers_withdrawn_at = now
        episode.updated_at = now
    db.session.flush()
    stop_contact([episode.id for episode in fresh], STOP_ANSWERS_WITHDRAWN, now)
    audit.record(
        actor,
        "privacy.withdraw",
        now,
        subject=f"client:{client.id}",
        service=service_code,
        episodes=[episode.id for episode in fresh],
    )
    db.session.commit()
    return len(fresh)


# -- subject access -------------------------------------------------------------------------------------


def _when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_subject_access(service_code: str, client_ref: str, *, actor: str, now: datetime, to: str) -> dict[str, Any]:
    """Everything Stillwell holds about one client, contact details decrypted (audited as `privacy.export`)."""
    client = find_client(service_code, client_ref)
    security = field_security()
    hashes = [value for value in (client.phone_hash, client.email_hash) if value]
    opt_events = db.session.execute(
        select(ContactPoint.kind, OptEvent.kind, OptEvent.source, OptEvent.at, ContactPoint.opted_out_at)
        .join(OptEvent, OptEvent.contact_point_id == ContactPoint.id)
        .where(ContactPoint.contact_hash.in_(hashes))
        .order_by(OptEvent.at, OptEvent.id)
    ).all()
    episodes = db.session.scalars(
        select(Episode).where(Episode.client_id == client.id).order_by(Episode.discharge_date)
    )
    check_ins: dict[int, list[CheckIn]] = {}
    for check_in in db.session.scalars(
        select(CheckIn).where(CheckIn.client_id == client.id).order_by(CheckIn.due_at, CheckIn.id)
    ):
        check_ins.setdefault(check_in.episode_id, []).append(check_in)
    offsets = {item.id: item.offset_weeks for items in check_ins.values() for item in items}
    export = {
        "exported_at": _when(now),
        "service": {"code": client.service.code, "name": client.service.name},
        "client_ref": client.client_ref,
        "contact": {
            "phone": security.decrypt(client.phone_enc) if client.phone_enc else None,
            "email": security.decrypt(client.email_enc) if client.email_enc else None,
            "phone_is_uk_mobile": client.phone_is_uk_mobile,
            "preferred_channel": client.preferred_channel,
            "sms_failed_at": _when(client.sms_failed_at),
            "email_failed_at": _when(client.email_failed_at),
            "erased_at": _when(client.contact_erased_at),
            "opted_out_now": any(opted_out_at is not None for *_, opted_out_at in opt_events),
        },
        "opt_events": [
            {"contact": point, "kind": kind, "source": source, "at": _when(at)}
            for point, kind, source, at, _ in opt_events
        ],
        "episodes": [_episode_export(episode, check_ins.get(episode.id, [])) for episode in episodes],
        "inbound_messages": [
            {
                "received_at": _when(message.received_at),
                "channel": message.channel,
                "body": message.body,
                "check_in_weeks": offsets.get(message.check_in_id or 0),
                "risk_flagged": message.risk_flagged,
            }
            for message in db.session.scalars(
                select(InboundMessage).where(InboundMessage.client_id == client.id).order_by(InboundMessage.received_at)
            )
        ],
        "outbound_messages": [
            {
                "created_at": _when(message.created_at),
                "updated_at": _when(message.updated_at),
                "channel": message.channel,
                "purpose": message.purpose,
                "body": message.body,
                "status": message.status,
                "error_code": message.error_code,
                "language": message.language,
                "check_in_weeks": offsets.get(message.check_in_id or 0),
            }
            for message in db.session.scalars(
                select(OutboundMessage).where(OutboundMessage.client_id == client.id).order_by(OutboundMessage.id)
            )
        ],
        "safeguarding_alerts": [
            {"raised_at": _when(alert.raised_at), "status": alert.status}
            for alert in db.session.scalars(select(SafeguardingAlert).where(SafeguardingAlert.client_id == client.id))
        ],
        "review_items": [
            {"kind": item.kind, "raised_at": _when(item.raised_at), "status": item.status}
            for item in db.session.scalars(select(ReviewItem).where(ReviewItem.client_id == client.id))
        ],
    }
    audit.record(actor, "privacy.export", now, subject=f"client:{client.id}", service=service_code, to=to)
    db.session.commit()
    return export


def _episode_export(episode: Episode, check_ins: list[CheckIn]) -> dict[str, Any]:
    return {
        "discharge_date": _when(episode.discharge_date),
        "referral_date": _when(episode.referral_date),
        "assessment_date": _when(episode.assessment_date),
        "first_treatment_date": _when(episode.first_treatment_date),
        "treatment_sessions": episode.treatment_sessions,
        "problem_descriptor": episode.problem_descriptor,
        "intensity": episode.intensity,
        "scores": {
            "phq9_first": episode.phq9_first,
            "phq9_last": episode.phq9_last,
            "gad7_first": episode.gad7_first,
            "gad7_last": episode.gad7_last,
        },
        "ending_reason": episode.ending_reason,
        "language": episode.language,
        "case_mix": {"age_band": episode.age_band, "sex": episode.sex, "imd_decile": episode.imd_decile},
        "consent_to_follow_up": episode.consent,
        "follow_up_plan_weeks": [int(weeks) for weeks in episode.plan.split(",") if weeks.strip()],
        "contact_stopped_at": _when(episode.contact_stopped_at),
        "contact_stopped_reason": episode.contact_stopped_reason,
        "answers_withdrawn_at": _when(episode.answers_withdrawn_at),
        "check_ins": [
            {
                "weeks": item.offset_weeks,
                "due_at": _when(item.due_at),
                "status": item.status,
                "channel": item.channel,
                "first_sent_at": _when(item.first_sent_at),
                "reminder_sent_at": _when(item.reminder_sent_at),
                "closed_at": _when(item.closed_at),
                "close_reason": item.close_reason,
                "answers": {
                    "change": item.change,
                    "change_at": _when(item.change_at),
                    "duration_start": _when(item.duration_start),
                    "duration_at": _when(item.duration_at),
                    "usual_self": item.usual_self,
                    "usual_self_at": _when(item.usual_self_at),
                },
            }
            for item in check_ins
        ],
    }


# -- key rotation ---------------------------------------------------------------------------------------

#: Every column encrypted with FIELD_ENCRYPTION_KEYS.
ENCRYPTED_COLUMNS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (Client, ("phone_enc", "email_enc")),
    (User, ("totp_secret_enc",)),
    (Submission, ("problem_report",)),
)


@dataclass
class RotationResult:
    checked: int = 0  # encrypted values looked at
    rotated: int = 0  # re-encrypted under the newest key
    current: int = 0  # already under the newest key (a resumed run skips them)
    complete: bool = True  # False when stopped by `max_batches` before the end

    def summary(self) -> str:
        text = f"checked={self.checked} rotated={self.rotated} already_current={self.current}"
        return text if self.complete else f"{text} (stopped early: run again to finish)"


def rows_to_rotate() -> int:
    """How many rows hold an encrypted value (the length of the progress bar)."""
    total = 0
    for model, columns in ENCRYPTED_COLUMNS:
        held = or_(*(getattr(model, name).is_not(None) for name in columns))
        total += int(db.session.scalar(select(func.count()).select_from(model).where(held)) or 0)
    return total


def rotate_keys(
    *,
    actor: str,
    now: datetime,
    batch_size: int = 500,
    max_batches: int | None = None,
    progress: Progress | None = None,
) -> RotationResult:
    """Re-encrypt every encrypted value under the newest key of FIELD_ENCRYPTION_KEYS, one committed batch at a time.

    Resumable: a run that is killed leaves its finished batches done, and values already under the
    newest key are skipped. A value changed meanwhile by someone else is left to them (compare and set).
    """
    if batch_size < 1:
        raise ServiceError("the batch size must be at least 1")
    security = field_security()
    result, batches = RotationResult(), 0
    for model, columns in ENCRYPTED_COLUMNS:
        table = model.__table__
        held = or_(*(table.c[name].is_not(None) for name in columns))
        last_id = 0
        while True:
            if max_batches is not None and batches >= max_batches:
                result.complete = False
                break
            rows = db.session.execute(
                select(table.c.id, *(table.c[name] for name in columns))
                .where(table.c.id > last_id, held)
                .order_by(table.c.id)
                .limit(batch_size)
            ).all()
            if not rows:
                break
            changes: dict[str, list[dict[str, Any]]] = {name: [] for name in columns}
            for row in rows:
                for name in columns:
                    token = getattr(row, name)
                    if token is None:
                        continue
                    result.checked += 1
                    if security.is_current(token):
                        result.current += 1
                    else:
                        changes[name].append({"b_id": row.id, "b_old": token, "b_new": security.rotate(token)})
            for name, values in changes.items():
                if values:
                    statement = (
                        update(table)
                        .where(table.c.id == bindparam("b_id"), table.c[name] == bindparam("b_old"))
                        .values({name: bindparam("b_new")})
                    )
                    result.rotated += int(getattr(db.session.execute(statement, values), "rowcount", 0) or 0)
            db.session.commit()
            batches += 1
            last_id = rows[-1].id
            if progress:
                progress(len(rows))
        if not result.complete:
            break
    audit.record(actor, "privacy.rotate_keys", now, **vars(result))
    db.session.commit()
    log.info("key rotation: %s", result.summary())
    return result
