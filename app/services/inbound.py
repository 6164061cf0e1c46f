"""Inbound SMS (SPEC section 2): one service function for the Twilio webhook and `flask demo reply`.

`handle_inbound_sms` follows SPEC's order: de-duplicate on the MessageSid (a redelivery gets the stored
replies again and changes nothing), store the message verbatim (the sender only by keyed hash), find the
sender's client and open check-in, let the pure conversation decide, then persist what it decided: answers
(never overwritten), the conversation state, opt-out and resume on every channel of the client, stop contact
with a review item, and safeguarding alerts. Messages of one sender are handled one at a time: PostgreSQL
takes a transaction-scoped advisory lock on the sender's hash; SQLite's single writer serialises anyway.

The webhook has a tight budget (SPEC section 7: p95 under 25 ms at 300 requests/s on two cores), so the common
path is a few prebuilt Core statements on the session's connection, no ORM objects: the advisory lock
(PostgreSQL), one read that locks the open check-in (`FOR UPDATE`) and brings its episode, client and service
with everything else the conversation needs (the stored reply of a redelivery, opt-out, next planned contact,
last "closed" reply) as scalar subqueries, one INSERT of the message as finally stored and one UPDATE of the
check-in. The rare events (risk, STOP, START, wrong number, bereavement) then run their own statements.

Alert emails are slow work, so the request only writes the outbound row; `send_pending_alerts`, called by
the dispatch tick, sends it. The email carries a link to the alert, never the message.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import Any, Final
from zoneinfo import ZoneInfo

import phonenumbers
from flask import current_app
from psycopg.errors import UniqueViolation
from sqlalchemy import Connection, bindparam, exists, func, literal, literal_column, or_, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from app.domain import conversation, texts
from app.domain.conversation import QUESTIONS, Context, ConversationState, Turn
from app.extensions import db
from app.messaging.base import EmailSender
from app.messaging.registry import email_sender
from app.models import CheckIn, CheckInStatus, Client, ContactPoint, Episode, InboundMessage, OptEvent, OutboundMessage
from app.models.message import ReviewItem, SafeguardingAlert
from app.models.organisation import Service
from app.security.fields import field_security
from app.services.pg_pipeline import can_pipeline, driver_connection, pipelined
from app.services.sending import new_survey_token, survey_link

log = logging.getLogger("stillwell.inbound")

DEFAULT_ZONE = "Europe/London"
SOURCE = "sms_keyword"
#: A UK mobile number in E.164, as Twilio sends it: `normalise_phone` gives it back unchanged when it is valid,
#: and the hash falls back to the number as given when it is not, so either way it is hashed as it comes.
_UK_MOBILE_E164: Final = re.compile(r"\+447[0-9]{9}")

# ---------------------------------------------------------------------------------------------------
# The statements of the common path, built once (SQLAlchemy caches their compiled form)
# ---------------------------------------------------------------------------------------------------

_client, _check_in, _episode = Client.__table__, CheckIn.__table__, Episode.__table__
_service, _inbound, _contact = Service.__table__, InboundMessage.__table__, ContactPoint.__table__

_LOCK: Final = text("SELECT pg_advisory_xact_lock(:key)")
# The subqueries read aliases, so that none is correlated with the tables of the statement around it.
_sender_client, _sender_check_in = _client.alias("sender_client"), _check_in.alias("sender_check_in")
_earlier, _point = _inbound.alias("earlier_message"), _contact.alias("sender_point")
_sender_episode = _episode.alias("sender_episode")
#: A check-in's status, for filters that must not drive the search: it makes no use of ix_check_in_status_due,
#: which SQLite without statistics would otherwise walk (every open or scheduled check-in) instead of the
#: sender's few check-ins by client_id. The same value: the status is never NULL.
_SENDER_STATUS: Final = _sender_check_in.c.status.concat(literal_column("''"))
#: Every client sharing the sender's number (one per service the number was submitted to).
_SENDER_CLIENTS: Final = select(_sender_client.c.id).where(_sender_client.c.phone_hash == bindparam("sender_hash"))
#: A redelivery: the replies stored for this MessageSid ("" when stored without any), NULL when new.
_STORED: Final = (
    select(func.coalesce(_earlier.c.reply_text, ""))
    .where(_earlier.c.provider_id == bindparam("message_sid"))
    .scalar_subquery()
    .label("stored")
)
#: Whether the number, or the email of any client sharing it, is opted out.
_OPTED_OUT: Final = or_(
    exists().where(_point.c.contact_hash == bindparam("sender_hash"), _point.c.opted_out_at.is_not(None)),
    exists().where(
        _point.c.contact_hash == _sender_client.c.email_hash,
        _sender_client.c.phone_hash == bindparam("sender_hash"),
        _sender_client.c.email_hash != "",
        _point.c.opted_out_at.is_not(None),
    ),
).label("opted_out")
#: When the next planned check-in of the sender's clients falls due: none for an episode whose contact stopped
#: (a wrong number, a death, withdrawn by the service), whose check-ins stay planned but will never be sent.
_NEXT_DUE: Final = (
    select(func.min(_sender_check_in.c.due_at))
    .select_from(_sender_check_in.join(_sender_episode, _sender_episode.c.id == _sender_check_in.c.episode_id))
    .where(
        _sender_check_in.c.client_id.in_(_SENDER_CLIENTS),
        _SENDER_STATUS == CheckInStatus.SCHEDULED.value,
        _sender_check_in.c.due_at > bindparam("now", type_=CheckIn.due_at.type),
        _sender_episode.c.contact_stopped_at.is_(None),
    )
    .scalar_subquery()
    .label("next_due")
)
#: When this sender last got the "closed" (or the unknown-number) reply: each goes at most once a day.
_LAST_CLOSED_REPLY: Final = (
    select(_earlier.c.received_at)
    .where(
        _earlier.c.sender_hash == bindparam("sender_hash"),
        or_(_earlier.c.events.like("%closed_reply%"), _earlier.c.events.like("%generic_reply%")),
    )
    .order_by(_earlier.c.received_at.desc())
    .limit(1)
    .scalar_subquery()
    .label("last_closed")
)
_FACTS: Final = (_STORED, _OPTED_OUT, _NEXT_DUE, _LAST_CLOSED_REPLY)
_SERVICE_COLUMNS: Final = (
    _service.c.id.label("service_id"),
    _service.c.short_name,
    _service.c.timezone,
    _service.c.sms_links,
)
#: The sender's open check-in: the latest sent, over every client sharing the number.
_OPEN_CHECK_IN_ID: Final = (
    select(_sender_check_in.c.id)
    .where(
        _sender_check_in.c.client_id.in_(_SENDER_CLIENTS),
        _SENDER_STATUS == CheckInStatus.OPEN.value,
    )
    .order_by(_sender_check_in.c.first_sent_at.desc(), _sender_check_in.c.id.desc())
    .limit(1)
    .scalar_subquery()
)
#: That check-in, locked until commit, with its episode's dates, its client's service and the facts.
_WITH_CHECK_IN: Final = (
    select(
        _check_in.c.id.label("check_in_id"),
        _check_in.c.client_id,
        _check_in.c.conversation,
        _check_in.c.change,
        _check_in.c.duration_start,
        _check_in.c.usual_self,
        _episode.c.discharge_date,
        _episode.c.referral_date,
        *_SERVICE_COLUMNS,
        *_FACTS,
    )
    .select_from(
        _check_in.join(_episode, _episode.c.id == _check_in.c.episode_id)
        .join(_client, _client.c.id == _check_in.c.client_id)
        .join(_service, _service.c.id == _client.c.service_id)
    )
    .where(_check_in.c.id == _OPEN_CHECK_IN_ID, _check_in.c.status == CheckInStatus.OPEN.value)
    .with_for_update(of=_check_in)
)
#: Nothing open: the latest client sharing the number (if any) and its service, and the facts, on one row.
_LATEST_CLIENT_ID: Final = (
    select(func.max(_sender_client.c.id)).where(_sender_client.c.phone_hash == bindparam("sender_hash"))
).scalar_subquery()
_ONE_ROW: Final = select(literal(1).label("one")).subquery("one_row")
_WITHOUT_CHECK_IN: Final = select(_client.c.id.label("client_id"), *_SERVICE_COLUMNS, *_FACTS).select_from(
    _ONE_ROW.outerjoin(_client, _client.c.id == _LATEST_CLIENT_ID).outerjoin(
        _service, _service.c.id == _client.c.service_id
    )
)
_STORED_REPLIES: Final = select(_inbound.c.reply_text).where(_inbound.c.provider_id == bindparam("message_sid"))
_INSERT_MESSAGE: Final = _inbound.insert()
_INSERT_MESSAGE_RETURNING_ID: Final = _inbound.insert().returning(_inbound.c.id)
_UPDATE_CHECK_IN: Final = _check_in.update().where(_check_in.c.id == bindparam("check_in_id"))
#: Events that write more than the message and the check-in.
_ACTING_EVENTS: Final = frozenset(
    {conversation.RISK, conversation.OPT_OUT, conversation.RESUME, conversation.WRONG_NUMBER, conversation.BEREAVEMENT}
)
_CLIENTS_OF_SENDER: Final = (
    select(_client.c.id, _client.c.email_hash)
    .where(_client.c.phone_hash == bindparam("sender_hash"))
    .order_by(_client.c.id)
)


@dataclass(frozen=True)
class _Sender:
    """Who sent a message, as far as we know: the client (the open check-in's, else the latest sharing the
    number), its service, the open check-in with its episode's dates, and the facts the conversation needs.
    The fields after `contact_hash` are named as the columns of `_WITH_CHECK_IN` and `_WITHOUT_CHECK_IN`."""

    contact_hash: str
    stored: str | None = None  # the replies already stored for this MessageSid (a redelivery)
    client_id: int | None = None
    service_id: int | None = None
    short_name: str | None = None
    timezone: str | None = None
    sms_links: bool | None = False
    check_in_id: int | None = None
    conversation: str | None = None
    change: str | None = None
    duration_start: date | None = None
    usual_self: str | None = None
    discharge_date: date | None = None
    referral_date: date | None = None
    opted_out: bool | None = False
    next_due: datetime | str | None = None
    last_closed: datetime | None = None

    @property
    def answered(self) -> tuple[bool, bool, bool]:
        """Whether change, duration and usual self already have an answer (SMS or web)."""
        return self.change is not None, self.duration_start is not None, self.usual_self is not None


def contact_points(connection: Connection, sender_hash: str) -> tuple[list[int], list[tuple[str, str]]]:
    """The ids of every client sharing the number, and the (hash, kind) of each contact point: the number
    and each of those clients' emails."""
    rows = connection.execute(_CLIENTS_OF_SENDER, {"sender_hash": sender_hash}).all()
    points = [(sender_hash, "phone")] + [(email_hash, "email") for _, email_hash in rows if email_hash]
    return [client_id for client_id, _ in rows], points


def normalise_phone(number: str) -> str | None:
    """E.164 for a UK or international number ("07400 123456" -> "+447400123456"); None when not a number."""
    try:
        parsed = phonenumbers.parse(number.strip(), "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def sender_number(number: str) -> str:
    """What a sender's keyed hash is made from: the number in E.164, or as given (stripped) when not a number."""
    if _UK_MOBILE_E164.fullmatch(number):
        return number  # already its own normal form: the common case, without phonenumbers' parsing
    return normalise_phone(number) or number.strip()


def handle_inbound_sms(message_sid: str, from_e164: str, body: str, received_at: datetime) -> list[str]:
    """Handle one inbound SMS received at `received_at` and return the reply texts, in order."""
    sender_hash = field_security().contact_hash(sender_number(from_e164))
    connection = db.session.connection()
    pipeline = can_pipeline(connection)
    sender = (_find_sender_pipelined if pipeline else _find_sender)(connection, sender_hash, message_sid, received_at)
    if sender.stored is not None:
        db.session.rollback()
        return _replies_of(sender.stored)
    try:
        replies = _handle(connection, message_sid, body, sender, received_at, pipeline)
        db.session.commit()  # nothing left to send when the pipeline committed already
    except (IntegrityError, UniqueViolation):
        # The same MessageSid was stored by a concurrent delivery first: answer as it did, change nothing.
        db.session.rollback()
        stored = db.session.connection().execute(_STORED_REPLIES, {"message_sid": message_sid}).first()
        if stored is None:
            raise
        return _replies_of(stored[0])
    return replies


def _replies_of(stored: str | None) -> list[str]:
    return list(json.loads(stored)) if stored else []


def _serialise(connection: Connection, sender_hash: str) -> None:
    """One message per sender at a time (PostgreSQL); released at commit or rollback."""
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK, {"key": _lock_key(sender_hash)})


def _lock_key(sender_hash: str) -> int:
    """The sender's advisory-lock key: 60 bits of the hash, which fit a signed bigint."""
    return int(sender_hash[:15], 16)


def _find_sender(connection: Connection, sender_hash: str, message_sid: str, now: datetime) -> _Sender:
    """The sender's lock, then one statement when the sender has an open check-in (locked until commit), two
    otherwise."""
    _serialise(connection, sender_hash)
    params = {"sender_hash": sender_hash, "message_sid": message_sid, "now": now}
    row = connection.execute(_WITH_CHECK_IN, params).first()
    if row is None:
        row = connection.execute(_WITHOUT_CHECK_IN, params).one()
    return _Sender(sender_hash, **row._asdict())


def _find_sender_pipelined(connection: Connection, sender_hash: str, message_sid: str, now: datetime) -> _Sender:
    """`_find_sender` on PostgreSQL: the advisory lock and the read in one round trip (two when nothing is open).
    The read runs after the lock is granted, with a snapshot taken then, so it sees every earlier message."""
    params = {"sender_hash": sender_hash, "message_sid": message_sid, "now": now}
    lock, read = pipelined(_LOCK, connection.dialect), pipelined(_WITH_CHECK_IN, connection.dialect)
    driver = driver_connection(connection)
    with driver.pipeline():
        driver.execute(lock.sql, lock.params({"key": _lock_key(sender_hash)}))
        cursor = driver.execute(read.sql, read.params(params))
    row = read.row(cursor.fetchone())
    if row is None:
        without = pipelined(_WITHOUT_CHECK_IN, connection.dialect)
        row = without.row(driver.execute(without.sql, without.params(params)).fetchone())
    if row is None:
        raise RuntimeError("the sender query returned no row")  # it reads one row whatever the sender
    return _Sender(sender_hash, **row)


def _handle(
    connection: Connection, message_sid: str, body: str, sender: _Sender, now: datetime, pipeline: bool = False
) -> list[str]:
    known = sender.client_id is not None
    zone = ZoneInfo(sender.timezone if known and sender.timezone is not None else DEFAULT_ZONE)
    check_in_id = sender.check_in_id
    links = bool(known and sender.sms_links)
    token, token_hash = new_survey_token() if check_in_id is not None and links else (None, None)
    context = Context(
        now=now,
        answered_on=now.astimezone(zone).date(),
        short_name=sender.short_name if known else None,
        discharge_date=sender.discharge_date,
        referral_date=sender.referral_date,
        links_allowed=links,
        link=survey_link(token) if token else None,
        opted_out=bool(sender.opted_out),
        has_open_check_in=check_in_id is not None,
        known_sender=known,
        next_contact_month=_month_of(sender.next_due, zone),
        last_closed_reply_at=sender.last_closed,
        help_contact=current_app.config.get("HELP_CONTACT") or None,
    )
    turn = conversation.respond(_state(sender), body, context)
    message = {
        "provider_id": message_sid,
        "channel": "sms",
        "sender_hash": sender.contact_hash,
        "client_id": sender.client_id,
        "check_in_id": check_in_id,
        "body": body,
        "risk_flagged": conversation.RISK in turn.events,
        "reply_text": json.dumps(turn.replies),
        "events": ",".join(turn.events)[:120] or None,
        "received_at": now,
    }
    check_in: dict[str, Any] | None = None
    if check_in_id is not None:
        check_in = _check_in_values(sender, turn, now)
        if context.link and any(context.link in reply for reply in turn.replies):
            check_in["survey_token_hash"] = token_hash  # the link just sent is the one that works now
    if pipeline:
        # Nothing else to write (the common case): the message, the check-in and the commit in one round trip.
        message_id = _write_pipelined(connection, message, check_in_id, check_in, commit=not _acts(turn.events))
    else:
        result = connection.execute(_INSERT_MESSAGE, message)
        message_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        if check_in is not None:
            connection.execute(_UPDATE_CHECK_IN, {"check_in_id": check_in_id, **check_in})
    _act_on_events(connection, turn.events, message_id, sender, now)
    log.info(
        "inbound sms %s from sender %s: events=%s replies=%d",
        message_id,
        sender.contact_hash[:12],
        ",".join(turn.events) or "-",
        len(turn.replies),
    )
    return list(turn.replies)


def _write_pipelined(
    connection: Connection,
    message: dict[str, Any],
    check_in_id: int | None,
    check_in: dict[str, Any] | None,
    commit: bool,
) -> int:
    """Store the message and update the check-in in one round trip (PostgreSQL), committing too when asked;
    returns the message's id. A MessageSid stored meanwhile raises psycopg's UniqueViolation."""
    insert = pipelined(_INSERT_MESSAGE_RETURNING_ID, connection.dialect, tuple(message))
    driver = driver_connection(connection)
    with driver.pipeline():
        cursor = driver.execute(insert.sql, insert.params(message))
        if check_in is not None:
            update = pipelined(_UPDATE_CHECK_IN, connection.dialect, tuple(check_in))
            driver.execute(update.sql, update.params({"check_in_id": check_in_id, **check_in}))
        if commit:
            driver.commit()
    row = insert.row(cursor.fetchone())
    if row is None:
        raise RuntimeError("INSERT ... RETURNING returned no row")
    return int(row["id"])


def _acts(events: tuple[str, ...]) -> bool:
    """Whether the events need writes beyond the message and the check-in (an alert, opt-out, resume, stop)."""
    return any(event in _ACTING_EVENTS for event in events)


def _month_of(due: datetime | str | None, zone: ZoneInfo) -> str | None:
    """The month name of the next planned contact, in the service's time zone."""
    if due is None:
        return None
    if isinstance(due, str):  # SQLite aggregate: the column type is not applied
        due = datetime.fromisoformat(due)
    due = due if due.tzinfo else due.replace(tzinfo=ZoneInfo("UTC"))
    return texts.MONTHS[due.astimezone(zone).month - 1]


def _state(sender: _Sender) -> ConversationState:
    """The stored conversation, told of items answered elsewhere (the web survey) meanwhile."""
    if sender.check_in_id is None:
        return ConversationState.start()
    answered = [q for q, done in zip(QUESTIONS, sender.answered, strict=True) if done]
    if not sender.conversation:
        return ConversationState.start(answered)
    state = ConversationState.from_dict(json.loads(sender.conversation))
    new = [q for q in answered if q not in state.answered]
    return state.with_answered(*new) if new else state


def _check_in_values(sender: _Sender, turn: Turn, now: datetime) -> dict[str, Any]:
    """Anything received blocks the reminder; answers are taken once and never overwritten."""
    values: dict[str, Any] = {"last_inbound_at": now, "conversation": json.dumps(turn.state.as_dict())}
    answers = turn.answers
    had_change, had_duration, had_usual_self = sender.answered
    if answers.change is not None and not had_change:
        values.update(change=answers.change, change_at=now)
    if answers.duration_start is not None and not had_duration:
        values.update(duration_start=answers.duration_start, duration_at=now)
    if answers.usual_self is not None and not had_usual_self:
        values.update(usual_self=answers.usual_self, usual_self_at=now)
    return values


def _act_on_events(
    connection: Connection, events: tuple[str, ...], message_id: int, sender: _Sender, now: datetime
) -> None:
    if not _acts(events):
        return
    if conversation.RISK in events:
        _raise_alert(message_id, sender.client_id, sender.service_id if sender.client_id else None, now)
    stopping = [reason for reason in (conversation.WRONG_NUMBER, conversation.BEREAVEMENT) if reason in events]
    if not (stopping or conversation.OPT_OUT in events or conversation.RESUME in events):
        return
    client_ids, points = contact_points(connection, sender.contact_hash)
    if conversation.OPT_OUT in events:
        opt_out(points, client_ids, SOURCE, now)
    if conversation.RESUME in events:
        resume(points, SOURCE, now)
    for reason in stopping:
        stop_contact(client_ids, reason, message_id, now)


def opt_out(points: list[tuple[str, str]], client_ids: list[int], source: str, now: datetime) -> None:
    """Opt out every contact point of the client (all channels) and close their open check-ins at once."""
    from app.services.dispatch import record_opt_out  # dispatch calls back into this module

    for contact_hash, kind in points:
        record_opt_out(contact_hash, kind, source, now)
    if client_ids:
        db.session.execute(
            update(CheckIn)
            .where(CheckIn.client_id.in_(client_ids), CheckIn.status == CheckInStatus.OPEN)
            .values(status=CheckInStatus.CLOSED.value, closed_at=now, close_reason="opt_out")
            .execution_options(synchronize_session="fetch")
        )


def resume(points: list[tuple[str, str]], source: str, now: datetime) -> None:
    """Opt every contact point back in; only check-ins falling due from now on are sent."""
    hashes = [contact_hash for contact_hash, _ in points]
    for point in db.session.scalars(
        select(ContactPoint).where(ContactPoint.contact_hash.in_(hashes), ContactPoint.opted_out_at.is_not(None))
    ):
        point.opted_out_at = None
        db.session.add(OptEvent(contact_point_id=point.id, kind="resume", source=source, at=now))


def stop_contact(client_ids: list[int], reason: str, inbound_message_id: int, now: datetime) -> None:
    """A wrong number or news of a death: stop all contact with these clients and ask evaluators to review."""
    if not client_ids:
        return
    db.session.execute(
        update(Episode)
        .where(Episode.client_id.in_(client_ids), Episode.contact_stopped_reason.is_(None))
        .values(contact_stopped_at=now, contact_stopped_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.client_id.in_(client_ids), CheckIn.status == CheckInStatus.OPEN)
        .values(status=CheckInStatus.CLOSED.value, closed_at=now, close_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    for client_id in client_ids:
        db.session.add(
            ReviewItem(kind=reason, inbound_message_id=inbound_message_id, client_id=client_id, raised_at=now)
        )


# ---------------------------------------------------------------------------------------------------
# Safeguarding alerts
# ---------------------------------------------------------------------------------------------------


def raise_alert(message: InboundMessage, client: Client | None, service: Service | None, now: datetime) -> None:
    """Raise an alert for evaluators and queue its email (a link, never the message) for the dispatch tick."""
    _raise_alert(message.id, client.id if client else None, service.id if service else None, now)


def _raise_alert(inbound_message_id: int, client_id: int | None, service_id: int | None, now: datetime) -> None:
    alert = SafeguardingAlert(
        inbound_message_id=inbound_message_id, client_id=client_id, service_id=service_id, raised_at=now, status="open"
    )
    db.session.add(alert)
    db.session.flush()
    # No client_id: the email goes to the safeguarding contact, and dispatch's reconciliation leaves it alone.
    email = OutboundMessage(
        channel="email",
        purpose="alert",
        body=alert_email_text(alert.id),
        status="sending",
        created_at=now,
        updated_at=now,
    )
    db.session.add(email)
    db.session.flush()
    alert.outbound_message_id = email.id
    log.warning("safeguarding alert %s raised for inbound message %s", alert.id, inbound_message_id)


def alert_link(alert_id: int) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/evaluate/alerts/{alert_id}"


def alert_email_text(alert_id: int) -> str:
    """The alert email: where to read the alert (sign-in required). Never the message itself."""
    return (
        "A message received by Stillwell may show a risk to someone's safety and needs review today.\n\n"
        f"Read the alert (sign-in required): {alert_link(alert_id)}\n\n"
        "For privacy this email does not include the message.\n"
    )


def send_pending_alerts(now: datetime, sender: EmailSender | None = None) -> int:
    """Send the queued alert emails (from the dispatch tick, not a request); returns how many went."""
    rows = db.session.execute(
        select(SafeguardingAlert.id, OutboundMessage.id, OutboundMessage.body, Service.safeguarding_email)
        .join(OutboundMessage, OutboundMessage.id == SafeguardingAlert.outbound_message_id)
        .outerjoin(Service, Service.id == SafeguardingAlert.service_id)
        .where(OutboundMessage.status == "sending", OutboundMessage.purpose == "alert")
        .order_by(SafeguardingAlert.id)
    ).all()
    if not rows:
        return 0
    sender = sender or email_sender(current_app.config)
    sent = 0
    for alert_id, message_id, body, service_email in rows:
        to = service_email or current_app.config.get("SAFEGUARDING_EMAIL")
        if not to:
            log.error("safeguarding alert %s: no safeguarding contact configured; email waits", alert_id)
            continue
        # Claimed as possibly_sent before the call: a crash mid-send is never followed by a resend (SPEC 6).
        claim: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id, OutboundMessage.status == "sending")
            .values(status="possibly_sent", updated_at=now)
            .execution_options(synchronize_session=False)
        )
        claimed = claim.rowcount
        db.session.commit()
        if not claimed:
            continue
        link = alert_link(alert_id)
        html = (
            f"<p>A message received by Stillwell may show a risk to someone's safety and needs review today.</p>"
            f'<p><a href="{escape(link)}">Read the alert</a> (sign-in required).</p>'
            "<p>For privacy this email does not include the message.</p>"
        )
        outcome = sender.send_email(to, f"Stillwell alert {alert_id}: please review", body, html, {})
        status = {"accepted": "accepted", "permanent": "failed", "transient": "sending"}.get(
            outcome.status, "possibly_sent"
        )
        db.session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id)
            .values(status=status, provider_id=outcome.provider_id, error_code=outcome.error_code, updated_at=now)
        )
        db.session.commit()
        sent += outcome.status == "accepted"
        if outcome.status != "accepted":
            log.error("safeguarding alert %s: email %s (%s)", alert_id, outcome.status, outcome.detail)
    return sent
