"""Inbound SMS (SPEC section 2): one service function for the Twilio webhook and `flask demo reply`.

`handle_inbound_sms` follows SPEC's order: de-duplicate on the MessageSid (a redelivery gets the stored
replies again and changes nothing), store the message verbatim (the sender only by keyed hash), find the
sender's client and open check-in, let the pure conversation decide, then persist what it decided: answers
(never overwritten), the conversation state, opt-out and resume on every channel of the client, stop contact
with a review item, and safeguarding alerts. Messages of one sender are handled one at a time: PostgreSQL
takes a transaction-scoped advisory lock on the sender's hash; SQLite's single writer serialises anyway.

The webhook has a tight budget (SPEC section 7: p95 under 25 ms at 300 requests/s on two cores), so the common
path is a few prebuilt Core statements (app/services/inbound_queries.py) on the session's connection, no ORM
objects: the advisory lock (PostgreSQL), one read that locks the open check-in (`FOR UPDATE`) and brings
everything the conversation needs, one INSERT of the message as finally stored and one UPDATE of the check-in.
On PostgreSQL they go in two psycopg pipelines (the lock with the read; the writes with the commit), so a
message costs two round trips. The rare events (risk, STOP, START, wrong number, bereavement) then run their
own statements. A risk message raises a safeguarding alert (app/services/safeguarding_alerts.py), whose email
the dispatch tick sends.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from flask import current_app
from psycopg.errors import UniqueViolation
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from app.domain import conversation, texts
from app.domain.conversation import QUESTIONS, Context, ConversationState, Turn
from app.domain.languages import message_language
from app.domain.phones import sender_number
from app.domain.protocol import LONDON_ZONE_NAME
from app.extensions import db
from app.models.message import ReviewItem
from app.pg_pipeline import can_pipeline, driver_connection, pipelined
from app.security.fields import field_security
from app.services import contact
from app.services.conversation import inbound_queries as queries
from app.services.dispatch import new_survey_token, survey_link
from app.services.safeguarding import raise_alert_for

log = logging.getLogger("stillwell.inbound")

DEFAULT_ZONE = LONDON_ZONE_NAME
SOURCE = "sms_keyword"
#: Events that write more than the message and the check-in.
_ACTING_EVENTS: Final = frozenset(
    {conversation.RISK, conversation.OPT_OUT, conversation.RESUME, conversation.WRONG_NUMBER, conversation.BEREAVEMENT}
)


@dataclass(frozen=True)
class _Sender:
    """Who sent a message, as far as we know: the client (the open check-in's, else the latest sharing the
    number), its service, the open check-in with its episode's dates, and the facts the conversation needs.
    The fields after `contact_hash` are named as the columns of `WITH_CHECK_IN` and `WITHOUT_CHECK_IN`
    (app/services/inbound_queries.py)."""

    contact_hash: str
    stored: str | None = None  # the replies already stored for this MessageSid (a redelivery)
    client_id: int | None = None
    service_id: int | None = None
    short_name: str | None = None
    timezone: str | None = None
    sms_links: bool | None = False
    bilingual: bool | None = False
    language: str | None = None  # the episode's BCP 47 tag, as the intake stored it
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
        stored = db.session.connection().execute(queries.STORED_REPLIES, {"message_sid": message_sid}).first()
        if stored is None:
            raise
        return _replies_of(stored[0])
    return replies


def _replies_of(stored: str | None) -> list[str]:
    return list(json.loads(stored)) if stored else []


def _serialise(connection: Connection, sender_hash: str) -> None:
    """One message per sender at a time (PostgreSQL); released at commit or rollback."""
    if connection.dialect.name == "postgresql":
        connection.execute(queries.LOCK, {"key": _lock_key(sender_hash)})


def _lock_key(sender_hash: str) -> int:
    """The sender's advisory-lock key: 60 bits of the hash, which fit a signed bigint."""
    return int(sender_hash[:15], 16)


def _find_sender(connection: Connection, sender_hash: str, message_sid: str, now: datetime) -> _Sender:
    """The sender's lock, then one statement when the sender has an open check-in (locked until commit), two
    otherwise."""
    _serialise(connection, sender_hash)
    params = {"sender_hash": sender_hash, "message_sid": message_sid, "now": now}
    row = connection.execute(queries.WITH_CHECK_IN, params).first()
    if row is None:
        row = connection.execute(queries.WITHOUT_CHECK_IN, params).one()
    return _Sender(sender_hash, **row._asdict())


def _find_sender_pipelined(connection: Connection, sender_hash: str, message_sid: str, now: datetime) -> _Sender:
    """`_find_sender` on PostgreSQL: the advisory lock and the read in one round trip (two when nothing is open).
    The read runs after the lock is granted, with a snapshot taken then, so it sees every earlier message."""
    params = {"sender_hash": sender_hash, "message_sid": message_sid, "now": now}
    lock, read = pipelined(queries.LOCK, connection.dialect), pipelined(queries.WITH_CHECK_IN, connection.dialect)
    driver = driver_connection(connection)
    with driver.pipeline():
        driver.execute(lock.sql, lock.params({"key": _lock_key(sender_hash)}))
        cursor = driver.execute(read.sql, read.params(params))
    row = read.row(cursor.fetchone())
    if row is None:
        without = pipelined(queries.WITHOUT_CHECK_IN, connection.dialect)
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
        text_language=message_language(sender.language, bool(sender.bilingual)),
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
        result = connection.execute(queries.INSERT_MESSAGE, message)
        message_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        if check_in is not None:
            connection.execute(queries.UPDATE_CHECK_IN, {"check_in_id": check_in_id, **check_in})
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
    insert = pipelined(queries.INSERT_MESSAGE_RETURNING_ID, connection.dialect, tuple(message))
    driver = driver_connection(connection)
    with driver.pipeline():
        cursor = driver.execute(insert.sql, insert.params(message))
        if check_in is not None:
            update = pipelined(queries.UPDATE_CHECK_IN, connection.dialect, tuple(check_in))
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
        raise_alert_for(message_id, sender.client_id, sender.service_id if sender.client_id else None, now)
    stopping = [reason for reason in (conversation.WRONG_NUMBER, conversation.BEREAVEMENT) if reason in events]
    if not (stopping or conversation.OPT_OUT in events or conversation.RESUME in events):
        return
    if conversation.OPT_OUT in events:
        contact.opt_out(sender.contact_hash, SOURCE, now)
    if conversation.RESUME in events:
        contact.resume(sender.contact_hash, SOURCE, now)
    client_ids = contact.points_of(sender.contact_hash)[1] if stopping else []
    for reason in stopping:
        stop_contact(client_ids, reason, message_id, now)


def stop_contact(client_ids: list[int], reason: str, inbound_message_id: int, now: datetime) -> None:
    """A wrong number or news of a death: stop all contact with these clients and ask evaluators to review."""
    if not client_ids:
        return
    contact.stop_contact(contact.episodes_of(client_ids), reason, now)
    for client_id in client_ids:
        db.session.add(
            ReviewItem(kind=reason, inbound_message_id=inbound_message_id, client_id=client_id, raised_at=now)
        )
