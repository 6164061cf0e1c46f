"""Inbound SMS (SPEC section 2): one service function for the Twilio webhook and `flask demo reply`.

`handle_inbound_sms` follows SPEC's order: de-duplicate on the MessageSid (a redelivery gets the stored
replies again and changes nothing), store the message verbatim (the sender only by keyed hash), find the
sender's client and open check-in, let the pure conversation decide, then persist what it decided: answers
(never overwritten), the conversation state, opt-out and resume on every channel of the client, stop contact
with a review item, and safeguarding alerts. Messages of one sender are handled one at a time: PostgreSQL
takes a transaction-scoped advisory lock on the sender's hash; SQLite's single writer serialises anyway.

Alert emails are slow work, so the request only writes the outbound row; `send_pending_alerts`, called by
the dispatch tick, sends it. The email carries a link to the alert, never the message.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from flask import current_app
from sqlalchemy import func, or_, select, text, update
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
from app.services.sending import new_survey_token, survey_link

log = logging.getLogger("stillwell.inbound")

DEFAULT_ZONE = "Europe/London"
SOURCE = "sms_keyword"
_ANSWER_COLUMNS = {"change": "change", "duration": "duration_start", "usual_self": "usual_self"}


@dataclass
class _Sender:
    """Who sent a message, as far as we know: clients sharing the number and the open check-in, if any."""

    contact_hash: str
    clients: list[Client] = field(default_factory=list)
    client: Client | None = None
    check_in: CheckIn | None = None

    @property
    def client_ids(self) -> list[int]:
        return [client.id for client in self.clients]

    @property
    def contact_hashes(self) -> list[tuple[str, str]]:
        """(hash, kind) of every contact point of the sender: the number, and each client's email."""
        points = [(self.contact_hash, "phone")]
        points += [(client.email_hash, "email") for client in self.clients if client.email_hash]
        return points


def normalise_phone(number: str) -> str | None:
    """E.164 for a UK or international number ("07400 123456" -> "+447400123456"); None when not a number."""
    try:
        parsed = phonenumbers.parse(number.strip(), "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def handle_inbound_sms(message_sid: str, from_e164: str, body: str, received_at: datetime) -> list[str]:
    """Handle one inbound SMS received at `received_at` and return the reply texts, in order."""
    sender_hash = field_security().contact_hash(normalise_phone(from_e164) or from_e164.strip())
    _serialise(sender_hash)
    stored = _stored_replies(message_sid)
    if stored is not None:
        db.session.rollback()
        return stored
    message = InboundMessage(
        provider_id=message_sid, channel="sms", sender_hash=sender_hash, body=body, received_at=received_at
    )
    try:
        db.session.add(message)
        db.session.flush()
        replies = _handle(message, _find_sender(sender_hash), received_at)
        db.session.commit()
    except IntegrityError:
        # The same MessageSid was stored by a concurrent delivery first: answer as it did, change nothing.
        db.session.rollback()
        stored = _stored_replies(message_sid)
        if stored is None:
            raise
        return stored
    return replies


def _serialise(sender_hash: str) -> None:
    """One message per sender at a time (PostgreSQL); released at commit or rollback."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = int(sender_hash[:15], 16)  # 60 bits: fits a signed bigint
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _stored_replies(message_sid: str) -> list[str] | None:
    reply = db.session.execute(
        select(InboundMessage.reply_text).where(InboundMessage.provider_id == message_sid)
    ).first()
    if reply is None:
        return None
    return list(json.loads(reply[0])) if reply[0] else []


def _find_sender(sender_hash: str) -> _Sender:
    sender = _Sender(sender_hash)
    clients = select(Client).where(Client.phone_hash == sender_hash).order_by(Client.id)
    sender.clients = list(db.session.scalars(clients))
    if not sender.clients:
        return sender
    sender.check_in = db.session.scalars(
        select(CheckIn)
        .where(CheckIn.client_id.in_(sender.client_ids), CheckIn.status == CheckInStatus.OPEN)
        .order_by(CheckIn.first_sent_at.desc(), CheckIn.id.desc())
        .limit(1)
        .with_for_update()
    ).first()
    owner = sender.check_in.client_id if sender.check_in else sender.clients[-1].id
    sender.client = next(client for client in sender.clients if client.id == owner)
    return sender


def _handle(message: InboundMessage, sender: _Sender, now: datetime) -> list[str]:
    check_in, client = sender.check_in, sender.client
    service = client.service if client else None
    zone = ZoneInfo(service.timezone if service else DEFAULT_ZONE)
    token, token_hash = new_survey_token() if check_in and service and service.sms_links else (None, None)
    episode = check_in.episode if check_in else None
    context = Context(
        now=now,
        answered_on=now.astimezone(zone).date(),
        short_name=service.short_name if service else None,
        discharge_date=episode.discharge_date if episode else None,
        referral_date=episode.referral_date if episode else None,
        links_allowed=bool(service and service.sms_links),
        link=survey_link(token) if token else None,
        opted_out=_opted_out(sender),
        has_open_check_in=check_in is not None,
        known_sender=client is not None,
        next_contact_month=_next_contact_month(sender, now, zone),
        last_closed_reply_at=_last_closed_reply_at(sender.contact_hash, message.id),
        help_contact=current_app.config.get("HELP_CONTACT") or None,
    )
    state = _state(check_in)
    turn = conversation.respond(state, message.body, context)
    if check_in is not None:
        _apply_to_check_in(check_in, turn, now)
        if context.link and any(context.link in reply for reply in turn.replies):
            check_in.survey_token_hash = token_hash  # the link just sent is the one that works now
    message.client_id = client.id if client else None
    message.check_in_id = check_in.id if check_in else None
    message.risk_flagged = conversation.RISK in turn.events
    message.reply_text = json.dumps(turn.replies)
    message.events = ",".join(turn.events)[:120] or None
    _act_on_events(turn.events, message, sender, service, now)
    log.info("inbound sms %s from sender %s: events=%s replies=%d",
             message.id, sender.contact_hash[:12], ",".join(turn.events) or "-", len(turn.replies))
    return list(turn.replies)


def _opted_out(sender: _Sender) -> bool:
    hashes = [contact_hash for contact_hash, _ in sender.contact_hashes]
    opted_out = db.session.scalar(
        select(func.count()).select_from(ContactPoint)
        .where(ContactPoint.contact_hash.in_(hashes), ContactPoint.opted_out_at.is_not(None))
    )
    return bool(opted_out)


def _next_contact_month(sender: _Sender, now: datetime, zone: ZoneInfo) -> str | None:
    if not sender.clients:
        return None
    due = db.session.scalar(
        select(func.min(CheckIn.due_at)).where(
            CheckIn.client_id.in_(sender.client_ids), CheckIn.status == CheckInStatus.SCHEDULED, CheckIn.due_at > now
        )
    )
    if due is None:
        return None
    if isinstance(due, str):  # SQLite aggregate: the column type is not applied
        due = datetime.fromisoformat(due)
    due = due if due.tzinfo else due.replace(tzinfo=ZoneInfo("UTC"))
    return texts.MONTHS[due.astimezone(zone).month - 1]


def _last_closed_reply_at(sender_hash: str, this_message_id: int) -> datetime | None:
    """When this sender last got the "closed" (or the unknown-number) reply: each goes at most once a day."""
    last = db.session.scalars(
        select(InboundMessage.received_at)
        .where(
            InboundMessage.sender_hash == sender_hash,
            InboundMessage.id != this_message_id,
            or_(InboundMessage.events.like("%closed_reply%"), InboundMessage.events.like("%generic_reply%")),
        )
        .order_by(InboundMessage.received_at.desc())
        .limit(1)
    ).first()
    return last


def _state(check_in: CheckIn | None) -> ConversationState:
    """The stored conversation, told of items answered elsewhere (the web survey) meanwhile."""
    if check_in is None:
        return ConversationState.start()
    answered = [q for q in QUESTIONS if getattr(check_in, _ANSWER_COLUMNS[q]) is not None]
    if not check_in.conversation:
        return ConversationState.start(answered)
    state = ConversationState.from_dict(json.loads(check_in.conversation))
    new = [q for q in answered if q not in state.answered]
    return state.with_answered(*new) if new else state


def _apply_to_check_in(check_in: CheckIn, turn: Turn, now: datetime) -> None:
    """Anything received blocks the reminder; answers are taken once and never overwritten."""
    check_in.last_inbound_at = now
    check_in.conversation = json.dumps(turn.state.as_dict())
    answers = turn.answers
    if answers.change is not None and check_in.change is None:
        check_in.change, check_in.change_at = answers.change, now
    if answers.duration_start is not None and check_in.duration_start is None:
        check_in.duration_start, check_in.duration_at = answers.duration_start, now
    if answers.usual_self is not None and check_in.usual_self is None:
        check_in.usual_self, check_in.usual_self_at = answers.usual_self, now


def _act_on_events(events: tuple[str, ...], message: InboundMessage, sender: _Sender, service: Service | None,
                   now: datetime) -> None:
    if conversation.RISK in events:
        raise_alert(message, sender.client, service, now)
    if conversation.OPT_OUT in events:
        opt_out(sender.contact_hashes, sender.client_ids, SOURCE, now)
    if conversation.RESUME in events:
        resume(sender.contact_hashes, SOURCE, now)
    for reason in (conversation.WRONG_NUMBER, conversation.BEREAVEMENT):
        if reason in events:
            stop_contact(sender.client_ids, reason, message.id, now)


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
        db.session.add(ReviewItem(kind=reason, inbound_message_id=inbound_message_id, client_id=client_id,
                                  raised_at=now))


# ---------------------------------------------------------------------------------------------------
# Safeguarding alerts
# ---------------------------------------------------------------------------------------------------


def raise_alert(message: InboundMessage, client: Client | None, service: Service | None, now: datetime) -> None:
    """Raise an alert for evaluators and queue its email (a link, never the message) for the dispatch tick."""
    alert = SafeguardingAlert(inbound_message_id=message.id, client_id=client.id if client else None,
                              service_id=service.id if service else None, raised_at=now, status="open")
    db.session.add(alert)
    db.session.flush()
    # No client_id: the email goes to the safeguarding contact, and dispatch's reconciliation leaves it alone.
    email = OutboundMessage(channel="email", purpose="alert", body=alert_email_text(alert.id), status="sending",
                            created_at=now, updated_at=now)
    db.session.add(email)
    db.session.flush()
    alert.outbound_message_id = email.id
    log.warning("safeguarding alert %s raised for inbound message %s", alert.id, message.id)


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
            update(OutboundMessage).where(OutboundMessage.id == message_id, OutboundMessage.status == "sending")
            .values(status="possibly_sent", updated_at=now).execution_options(synchronize_session=False)
        )
        claimed = claim.rowcount
        db.session.commit()
        if not claimed:
            continue
        link = alert_link(alert_id)
        html = (f"<p>A message received by Stillwell may show a risk to someone's safety and needs review today.</p>"
                f'<p><a href="{escape(link)}">Read the alert</a> (sign-in required).</p>'
                "<p>For privacy this email does not include the message.</p>")
        outcome = sender.send_email(to, f"Stillwell alert {alert_id}: please review", body, html, {})
        status = {"accepted": "accepted", "permanent": "failed", "transient": "sending"}.get(outcome.status,
                                                                                               "possibly_sent")
        db.session.execute(update(OutboundMessage).where(OutboundMessage.id == message_id).values(
            status=status, provider_id=outcome.provider_id, error_code=outcome.error_code, updated_at=now))
        db.session.commit()
        sent += outcome.status == "accepted"
        if outcome.status != "accepted":
            log.error("safeguarding alert %s: email %s (%s)", alert_id, outcome.status, outcome.detail)
    return sent
