"""Evaluators' review work: safeguarding alerts, review items (wrong number, bereavement) and pseudonymised answers.

Contact details are shown only through an alert, one request at a time, and every showing is
audited (`alert.contact_viewed`); closing an alert or a review item records who, when and the note
(in the audit log: the alert has no note column). Answers are listed under a pseudonym, a keyed
hash of the episode id, never the service's client reference.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from app.extensions import db
from app.models import AuditEvent, CheckIn, Client, Episode, InboundMessage, Service
from app.models.message import ReviewItem, SafeguardingAlert
from app.security.fields import field_security
from app.services import audit
from app.services.errors import NotFound, ServiceError

PAGE_SIZE: Final = 50
NOTE_MAX: Final = 2000
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, its number (from 1) and how many pages there are."""

    items: list[T]
    number: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def _page_bounds(total: int, number: int) -> tuple[int, int]:
    pages = max(1, -(-total // PAGE_SIZE))
    return min(max(1, number), pages), pages


# Safeguarding alerts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRow:
    """An alert as the queue and its page show it (the message text, never contact details)."""

    id: int
    raised_at: datetime
    status: str
    service_code: str | None
    service_name: str | None
    body: str
    channel: str
    known_sender: bool
    closed_by: str | None
    closed_at: datetime | None
    close_note: str | None = None


_ALERT_COLUMNS = (
    SafeguardingAlert.id,
    SafeguardingAlert.raised_at,
    SafeguardingAlert.status,
    Service.code,
    Service.name,
    InboundMessage.body,
    InboundMessage.channel,
    SafeguardingAlert.client_id,
    SafeguardingAlert.closed_by,
    SafeguardingAlert.closed_at,
)


def _alert_query() -> Any:
    return (
        select(*_ALERT_COLUMNS)
        .join(InboundMessage, InboundMessage.id == SafeguardingAlert.inbound_message_id)
        .outerjoin(Service, Service.id == SafeguardingAlert.service_id)
    )


def _alert_row(values: Any, note: str | None = None) -> AlertRow:
    alert_id, raised, status, code, name, body, channel, client_id, closed_by, closed_at = values
    return AlertRow(
        alert_id, raised, status, code, name, body, channel, client_id is not None, closed_by, closed_at, note
    )


def alert_queue(page: int = 1) -> Page[AlertRow]:
    """Alerts, open ones first, newest first within each, PAGE_SIZE a page."""
    total = db.session.scalar(select(func.count()).select_from(SafeguardingAlert)) or 0
    number, pages = _page_bounds(total, page)
    open_first = case((SafeguardingAlert.status == "open", 0), else_=1)
    rows = db.session.execute(
        _alert_query()
        .order_by(open_first, SafeguardingAlert.raised_at.desc(), SafeguardingAlert.id.desc())
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    return Page([_alert_row(values) for values in rows], number, pages, total)


def open_alert_count() -> int:
    """How many alerts wait for review."""
    return db.session.scalar(select(func.count()).where(SafeguardingAlert.status == "open")) or 0


def alert(alert_id: int, *, actor: str, now: datetime) -> AlertRow:
    """One alert with its message (audited as `alert.viewed`: the message may identify someone)."""
    values = db.session.execute(_alert_query().where(SafeguardingAlert.id == alert_id)).one_or_none()
    if values is None:
        raise NotFound(f"there is no alert {alert_id}")
    audit.record(actor, "alert.viewed", now, subject=f"alert:{alert_id}")
    db.session.commit()
    return _alert_row(values, _close_note(f"alert:{alert_id}", "alert.closed"))


def _close_note(subject: str, action: str) -> str | None:
    detail = db.session.scalar(
        select(AuditEvent.detail)
        .where(AuditEvent.subject == subject, AuditEvent.action == action)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if not detail:
        return None
    note = json.loads(detail).get("note")
    return str(note) if note else None


def _clean_note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ServiceError(f"the note is too long: at most {NOTE_MAX} characters")
    return note


def close_alert(alert_id: int, note: str, *, actor: str, now: datetime) -> None:
    """Close an alert with a note of what was done; closing a closed alert changes nothing."""
    found = db.session.get(SafeguardingAlert, alert_id)
    if found is None:
        raise NotFound(f"there is no alert {alert_id}")
    note = _clean_note(note)
    if not note:
        raise ServiceError("write a note saying what was done before closing the alert")
    if found.status == "closed":
        return
    found.status, found.closed_by, found.closed_at = "closed", actor, now
    audit.record(actor, "alert.closed", now, subject=f"alert:{alert_id}", note=note)
    db.session.commit()


@dataclass(frozen=True)
class ContactDetails:
    """A client's contact details, decrypted for one safeguarding response."""

    client_ref: str | None
    service_code: str | None
    phone: str | None
    email: str | None
    erased: bool


def reveal_contact(alert_id: int, *, actor: str, now: datetime) -> ContactDetails:
    """Decrypt the contact details of the client who sent an alert's message, audited as `alert.contact_viewed`."""
    found = db.session.get(SafeguardingAlert, alert_id)
    if found is None:
        raise NotFound(f"there is no alert {alert_id}")
    client = db.session.get(Client, found.client_id) if found.client_id is not None else None
    audit.record(
        actor,
        "alert.contact_viewed",
        now,
        subject=f"alert:{alert_id}",
        client=f"client:{client.id}" if client else None,
    )
    db.session.commit()
    if client is None:
        return ContactDetails(None, None, None, None, erased=False)
    security = field_security()
    return ContactDetails(
        client_ref=client.client_ref,
        service_code=client.service.code if client.service else None,
        phone=security.decrypt(client.phone_enc) if client.phone_enc else None,
        email=security.decrypt(client.email_enc) if client.email_enc else None,
        erased=client.contact_erased_at is not None,
    )


# Review items ---------------------------------------------------------------------------------------

REVIEW_KINDS: Final = {"wrong_number": "Wrong number", "bereavement": "Bereavement"}


@dataclass(frozen=True)
class ReviewRow:
    """A review item as listed: what kind, the message that raised it, where it came from."""

    id: int
    kind: str
    raised_at: datetime
    status: str
    service_code: str | None
    body: str
    closed_by: str | None
    closed_at: datetime | None

    @property
    def kind_label(self) -> str:
        return REVIEW_KINDS.get(self.kind, self.kind.replace("_", " ").capitalize())


def review_queue(page: int = 1) -> Page[ReviewRow]:
    """Review items, open ones first, newest first within each, PAGE_SIZE a page."""
    total = db.session.scalar(select(func.count()).select_from(ReviewItem)) or 0
    number, pages = _page_bounds(total, page)
    open_first = case((ReviewItem.status == "open", 0), else_=1)
    rows = db.session.execute(
        select(
            ReviewItem.id,
            ReviewItem.kind,
            ReviewItem.raised_at,
            ReviewItem.status,
            Service.code,
            InboundMessage.body,
            ReviewItem.closed_by,
            ReviewItem.closed_at,
        )
        .join(InboundMessage, InboundMessage.id == ReviewItem.inbound_message_id)
        .outerjoin(Client, Client.id == ReviewItem.client_id)
        .outerjoin(Service, Service.id == Client.service_id)
        .order_by(open_first, ReviewItem.raised_at.desc(), ReviewItem.id.desc())
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    return Page([ReviewRow(*values) for values in rows], number, pages, total)


def close_review_item(item_id: int, note: str, *, actor: str, now: datetime) -> None:
    """Close a review item (the note, optional, goes to the audit log); closing twice changes nothing."""
    found = db.session.get(ReviewItem, item_id)
    if found is None:
        raise NotFound(f"there is no review item {item_id}")
    note = _clean_note(note)
    if found.status == "closed":
        return
    found.status, found.closed_by, found.closed_at = "closed", actor, now
    audit.record(actor, "review.closed", now, subject=f"review:{item_id}", kind=found.kind, note=note or None)
    db.session.commit()


# Pseudonymised responses -----------------------------------------------------------------------------


def pseudonym(episode_id: int) -> str:
    """A stable pseudonym for an episode: a keyed hash of its id, meaningless without CONTACT_HASH_KEY."""
    digest = hmac.new(field_security().hash_key, f"episode:{episode_id}".encode(), hashlib.sha256).hexdigest()
    return f"E-{digest[:10].upper()}"


@dataclass(frozen=True)
class ResponseRow:
    """One answered check-in under a pseudonym: no client reference, no contact detail."""

    pseudonym: str
    service_code: str
    offset_weeks: int
    change: str
    change_on: date
    duration_start: date | None
    duration_on: date | None
    usual_self: str | None
    usual_self_on: date | None


def responses(page: int = 1, *, service_code: str | None = None, actor: str, now: datetime) -> Page[ResponseRow]:
    """Answered check-ins, newest answer first, PAGE_SIZE a page; audited as `evaluate.responses`.

    Episodes whose client withdrew their answers from the figures are left out.
    """
    scope = [
        CheckIn.change.is_not(None),
        CheckIn.change != "",
        CheckIn.change_at.is_not(None),
        Episode.answers_withdrawn_at.is_(None),
    ]
    if service_code:
        scope.append(Service.code == service_code)
    base = (
        select(CheckIn.id)
        .join(Episode, Episode.id == CheckIn.episode_id)
        .join(Service, Service.id == Episode.service_id)
        .where(*scope)
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    number, pages = _page_bounds(total, page)
    rows = db.session.execute(
        select(
            Episode.id,
            Service.code,
            Service.timezone,
            CheckIn.offset_weeks,
            CheckIn.change,
            CheckIn.change_at,
            CheckIn.duration_start,
            CheckIn.duration_at,
            CheckIn.usual_self,
            CheckIn.usual_self_at,
        )
        .join(Episode, Episode.id == CheckIn.episode_id)
        .join(Service, Service.id == Episode.service_id)
        .where(*scope)
        .order_by(CheckIn.change_at.desc(), CheckIn.id.desc())
        .limit(PAGE_SIZE)
        .offset((number - 1) * PAGE_SIZE)
    ).all()
    audit.record(
        actor,
        "evaluate.responses",
        now,
        subject=f"service:{service_code}" if service_code else "all",
        page=number,
        rows=len(rows),
    )
    db.session.commit()
    zones: dict[str, ZoneInfo] = {}
    items = []
    for episode_id, code, zone_name, offset, change, change_at, start, duration_at, usual, usual_at in rows:
        zone = zones.setdefault(zone_name, ZoneInfo(zone_name))
        if change is None or change_at is None:  # excluded by the query
            continue
        items.append(
            ResponseRow(
                pseudonym=pseudonym(episode_id),
                service_code=code,
                offset_weeks=offset,
                change=change,
                change_on=change_at.astimezone(zone).date(),
                duration_start=start,
                duration_on=duration_at.astimezone(zone).date() if duration_at else None,
                usual_self=usual,
                usual_self_on=usual_at.astimezone(zone).date() if usual_at else None,
            )
        )
    return Page(items, number, pages, total)
