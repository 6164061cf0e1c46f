"""Exploring the demo by hand: who to text as (`demo clients`), a web survey link (`demo survey-link`) and
what happened to a message played with `demo reply`.

Only on the demo's own database (app/services/demo.py seeds it), with console transports: it prints synthetic
contact details and mints survey links, and every listing is audited. Time is a parameter (`now`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from app.domain.phones import normalise_phone
from app.domain.protocol import RESPONSE_WINDOW
from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client, Episode, InboundMessage, Service
from app.models.message import SafeguardingAlert
from app.services import audit
from app.services.contact import opted_out_clients
from app.services.demo.seeding import SERVICES, is_demo_database, refuse_real_transports
from app.services.dispatch import decrypt, new_survey_token, survey_link
from app.services.errors import ServiceError

_ASKING = {"change": "change", "duration": "duration", "usual_self": "usual self", "done": "nothing (all settled)"}


@dataclass(frozen=True)
class ClientLine:
    """One demo client as `demo clients` shows it: who, how to text as them, and where their follow-up stands."""

    client_ref: str
    service: str
    phone: str | None  # E.164; None when the client has no UK mobile number (email only) or it was erased
    email_only: bool
    stands: str  # "open since ...: asking duration", "next check-in 2027-02-02 10:00 (18 weeks)", ...
    open_check_in: bool


@dataclass(frozen=True)
class CheckInLine:
    """One check-in of a client, for `demo clients --client REF`."""

    weeks: int
    due_at: datetime
    status: str
    first_sent_at: datetime | None
    channel: str | None
    asking: str | None  # the question the SMS conversation waits for, while open


def refuse_unless_demo() -> None:
    """Printing contact details and minting links is for the demo's own synthetic clients only."""
    refuse_real_transports()
    if not is_demo_database():
        raise ServiceError("this database does not hold the demo (run `flask demo seed` on an empty database)")


def list_clients(
    *, now: datetime, actor: str, service_code: str | None = None, open_only: bool = False, limit: int = 20
) -> list[ClientLine]:
    """Demo clients who have consented to follow-up, those with an open check-in first; audited."""
    refuse_unless_demo()
    query = select(Client).join(Service, Service.id == Client.service_id).order_by(Service.code, Client.client_ref)
    if service_code:
        service_id = db.session.scalar(select(Service.id).where(Service.code == service_code))
        if service_id is None:
            raise ServiceError(f"--service: no service {service_code!r} (the demo has {_service_codes()})")
        query = query.where(Client.service_id == service_id)
    lines = [line for client in db.session.scalars(query) if (line := _client_line(client, now)) is not None]
    if open_only:
        lines = [line for line in lines if line.open_check_in]
    lines.sort(key=_rank)  # stable: by service and reference within each group
    shown = lines[:limit]
    audit.record(actor, "demo.clients_listed", now, shown=len(shown), service=service_code, open_only=open_only)
    db.session.commit()
    return shown


def client_check_ins(client_ref: str, *, now: datetime, actor: str) -> tuple[ClientLine, list[CheckInLine]]:
    """One demo client and each of their check-ins (when due, what became of it); audited."""
    refuse_unless_demo()
    client = _demo_client(client_ref)
    line = _client_line(client, now)
    if line is None:
        raise ServiceError(f"{client_ref} did not consent to follow-up: nothing is sent to them")
    rows = db.session.scalars(
        select(CheckIn).where(CheckIn.client_id == client.id).order_by(CheckIn.due_at, CheckIn.id)
    ).all()
    check_ins = [
        CheckInLine(
            weeks=row.offset_weeks,
            due_at=row.due_at,
            status=row.status,
            first_sent_at=row.first_sent_at,
            channel=row.channel,
            asking=_asking(row) if row.status == CheckInStatus.OPEN else None,
        )
        for row in rows
    ]
    audit.record(actor, "demo.client_shown", now, subject=client_ref)
    db.session.commit()
    return line, check_ins


def new_survey_link(client_ref: str, *, now: datetime, actor: str) -> str:
    """A fresh web survey link for the client's open check-in (the one sent before stops working); audited.

    The same token code as a first send: a 128-bit token, only its SHA-256 stored on the check-in."""
    refuse_unless_demo()
    client = _demo_client(client_ref)
    check_in = _open_check_in(client.id, now)
    if check_in is None:
        raise ServiceError(f"{client_ref} has no open check-in at {now:%Y-%m-%d %H:%M} UTC; {_next_hint(client, now)}")
    token, token_hash = new_survey_token()
    check_in.survey_token_hash = token_hash
    audit.record(actor, "demo.survey_link", now, subject=client_ref, check_in=check_in.id)
    db.session.commit()
    return survey_link(token)


@dataclass(frozen=True)
class ReplyNotes:
    """What a message played with `demo reply` did besides the replies, in words for the person playing."""

    lines: list[str]


def reply_notes(message_sid: str, replies: list[str]) -> ReplyNotes:
    """Why a message got no reply, and what it set off (an alert, an opt-out, stopped contact)."""
    message = db.session.scalar(select(InboundMessage).where(InboundMessage.provider_id == message_sid))
    if message is None:
        return ReplyNotes([])
    events = set((message.events or "").split(","))
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    notes: list[str] = []
    if "risk" in events:
        alert = db.session.scalar(
            select(SafeguardingAlert.id).where(SafeguardingAlert.inbound_message_id == message.id)
        )
        notes.append(
            f"safeguarding alert {alert} raised: evaluators see it at {base}/evaluate/alerts/{alert}; "
            "the safeguarding contact is emailed a link to it at the next dispatch tick"
        )
    if "opt_out" in events:
        notes.append("opted out on every channel: no more check-ins until START")
    if "resume" in events:
        notes.append("opted back in: check-ins due from now on will be sent")
    for reason in ("wrong_number", "bereavement"):
        if reason in events:
            notes.append(f"contact stopped, {reason.replace('_', ' ')}: no more texts; evaluators have a review item")
    if "complete" in events:
        notes.append("check-in complete: every question is answered or given up")
    if not replies:
        notes.append(f"no reply: {_why_silent(message, events)}")
    return ReplyNotes(notes)


def _why_silent(message: InboundMessage, events: set[str]) -> str:
    if not message.body.strip():
        return "the message is empty"
    if message.client_id is None:
        return "no client has this number, and the one generic reply goes at most once a day"
    client = db.session.get(Client, message.client_id)
    assert client is not None
    if client.id in opted_out_clients([client.id]):
        return "this number is opted out: only STOP, START and HELP get an answer"
    if message.check_in_id is None:
        return "nothing is open for this number, and the 'closed' reply goes at most once a day"
    check_in = db.session.get(CheckIn, message.check_in_id)
    assert check_in is not None
    state = json.loads(check_in.conversation) if check_in.conversation else {}
    if state.get("question") == "done":
        return "every question of this check-in is settled; the message is kept but not read as an answer"
    if state.get("change_given_up"):
        return "after a second unclear answer to the first question, unclear replies get at most one reply a day"
    return "the message is stored"


def _rank(line: ClientLine) -> int:
    """Open check-ins still waiting for an answer first, then the other open ones, then everyone else."""
    if not line.open_check_in:
        return 2
    return 1 if line.stands.endswith(_ASKING["done"]) else 0


def _service_codes() -> str:
    return ", ".join(code for code, *_ in SERVICES)


def _demo_client(client_ref: str) -> Client:
    clients = db.session.scalars(select(Client).where(Client.client_ref == client_ref.strip().upper())).all()
    if not clients:
        raise ServiceError(
            f"--client: no demo client {client_ref!r} (references look like TYNE-00001; see `flask demo clients`)"
        )
    return clients[0]


def _open_check_in(client_id: int, now: datetime) -> CheckIn | None:
    """The client's open check-in whose response window is not over at `now` (sent with a later `dispatch tick
    --now` counts too: links are opened on the real clock), contact not stopped."""
    return db.session.scalars(
        select(CheckIn)
        .join(Episode, Episode.id == CheckIn.episode_id)
        .where(
            CheckIn.client_id == client_id,
            CheckIn.status == CheckInStatus.OPEN,
            CheckIn.first_sent_at > now - RESPONSE_WINDOW,
            Episode.contact_stopped_at.is_(None),
        )
        .order_by(CheckIn.first_sent_at.desc())
    ).first()


def _next_hint(client: Client, now: datetime) -> str:
    due = db.session.scalar(
        select(func.min(CheckIn.due_at)).where(
            CheckIn.client_id == client.id, CheckIn.status == CheckInStatus.SCHEDULED, CheckIn.due_at > now
        )
    )
    if due is None:
        return "no more check-ins are planned"
    return (
        f"the next is due {due:%Y-%m-%d %H:%M} UTC: send it with "
        f"`flask --app wsgi dispatch tick --now {due:%Y-%m-%dT%H:%M:%SZ}`"
    )


def _asking(check_in: CheckIn) -> str:
    state = json.loads(check_in.conversation) if check_in.conversation else {}
    question = str(state.get("question", "change"))
    if state.get("pending_number"):
        return "duration (weeks or months?)"
    return _ASKING.get(question, question)


def _client_line(client: Client, now: datetime) -> ClientLine | None:
    """How a client stands at `now`; None when they did not consent (nothing is ever sent to them)."""
    episodes = db.session.scalars(select(Episode).where(Episode.client_id == client.id)).all()
    if not any(episode.consent for episode in episodes):
        return None
    phone = decrypt(client.phone_enc) if client.phone_is_uk_mobile else None
    normalised = normalise_phone(phone) if phone else None
    service = db.session.get(Service, client.service_id)
    assert service is not None
    line = functools.partial(
        ClientLine,
        client_ref=client.client_ref,
        service=service.code,
        phone=normalised[0] if normalised else None,
        email_only=not normalised,
    )
    stopped = next((episode for episode in episodes if episode.contact_stopped_at is not None), None)
    if stopped is not None:
        return line(stands=f"contact stopped ({stopped.contact_stopped_reason or 'stopped'})", open_check_in=False)
    if client.contact_erased_at is not None:
        return line(stands="contact details erased", open_check_in=False)
    if client.id in opted_out_clients([client.id]):
        return line(stands="opted out (text START to resume)", open_check_in=False)
    check_in = _open_check_in(client.id, now)
    if check_in is not None:
        assert check_in.first_sent_at is not None
        how = "by text" if check_in.channel == "sms" else "by email"
        return line(
            stands=f"open since {check_in.first_sent_at:%Y-%m-%d %H:%M} {how}, asking {_asking(check_in)}",
            open_check_in=True,
        )
    due = db.session.scalars(
        select(CheckIn)
        .where(CheckIn.client_id == client.id, CheckIn.status == CheckInStatus.SCHEDULED)
        .order_by(CheckIn.due_at)
    ).first()
    if due is None:
        return line(stands="no more check-ins planned", open_check_in=False)
    return line(stands=f"next check-in due {due.due_at:%Y-%m-%d %H:%M} ({due.offset_weeks} weeks)", open_check_in=False)
