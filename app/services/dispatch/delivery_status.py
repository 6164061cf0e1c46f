"""Twilio delivery-status callbacks (SPEC section 6): a message's status only ever moves forward.

Callbacks arrive out of order and more than once, so each update is one conditional UPDATE that only
applies to a status lower in the order queued < sent < delivered; undelivered and failed are final like
delivered and beat queued and sent. Error 21610 (the recipient replied STOP to the carrier) opts the client
out on every channel. A permanent failure of a check-in's first text marks the client's SMS channel failed
and hands the check-in back to dispatch, which sends it on the other channel if the client has one (SPEC:
"first send" is the first accepted message that did not later fail permanently).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult

from app.extensions import db
from app.messaging.base import TWILIO_OPTED_OUT, TWILIO_PERMANENT_CODES, EmailSender
from app.models import CheckIn, CheckInStatus, Client, OutboundMessage
from app.models.message import FAILED_STATUSES, OWN_STATUSES, STATUS_ORDER, Channel, HeldStatusCallback, MessagePurpose
from app.services.contact import opt_out
from app.services.safeguarding import send_pending_alerts

log = logging.getLogger("stillwell.delivery_status")

HOLD_FOR: Final = timedelta(days=1)  # a callback whose SID is still unknown after this is not ours


def record_status(message_sid: str, status: str, error_code: str | None, now: datetime) -> bool:
    """Move the message with this SID forward to `status`; False when stale, out of order or not yet known.

    A callback for a SID dispatch has not recorded yet is held and applied by the next tick (`after_tick`).
    """
    status = status.strip().lower()
    if status not in STATUS_ORDER or not message_sid:
        return False
    moved = _apply(message_sid, status, error_code, now)
    if (
        not moved
        and db.session.scalar(select(OutboundMessage.id).where(OutboundMessage.provider_id == message_sid).limit(1))
        is None
    ):
        db.session.add(
            HeldStatusCallback(
                provider_id=message_sid[:64],
                status=status,
                error_code=(error_code or None) and error_code[:16],
                received_at=now,
            )
        )
    db.session.commit()
    return moved


def _apply(message_sid: str, status: str, error_code: str | None, now: datetime) -> bool:
    earlier = sorted({name for name, value in STATUS_ORDER.items() if value < STATUS_ORDER[status]} | OWN_STATUSES)
    values: dict[str, object] = {"status": status, "updated_at": now}
    if error_code:
        values["error_code"] = error_code[:16]
    result: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(OutboundMessage)
        .where(OutboundMessage.provider_id == message_sid, OutboundMessage.status.in_(earlier))
        .values(values)
        .execution_options(synchronize_session=False)
    )
    moved = bool(result.rowcount)
    if moved and status in FAILED_STATUSES:
        _after_failure(message_sid, error_code, now)
    return moved


def apply_held_callbacks(now: datetime) -> int:
    """Apply held callbacks whose message dispatch has now recorded (in status order); drop stale ones."""
    known = select(OutboundMessage.id).where(OutboundMessage.provider_id == HeldStatusCallback.provider_id)
    held = db.session.scalars(select(HeldStatusCallback).where(known.exists())).all()
    for callback in sorted(held, key=lambda c: (STATUS_ORDER.get(c.status, 0), c.id)):
        _apply(callback.provider_id, callback.status, callback.error_code, now)
        db.session.delete(callback)
    db.session.execute(
        delete(HeldStatusCallback)
        .where(HeldStatusCallback.received_at < now - HOLD_FOR)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return len(held)


def after_tick(now: datetime, email: EmailSender) -> None:
    """The webhooks' share of each dispatch tick: held status callbacks, then safeguarding alert emails."""
    apply_held_callbacks(now)
    send_pending_alerts(now, email)


def _after_failure(message_sid: str, error_code: str | None, now: datetime) -> None:
    message = db.session.execute(
        select(
            OutboundMessage.id,
            OutboundMessage.client_id,
            OutboundMessage.check_in_id,
            OutboundMessage.channel,
            OutboundMessage.purpose,
        ).where(OutboundMessage.provider_id == message_sid)
    ).first()
    if message is None or message.client_id is None or message.channel != Channel.SMS:
        return
    client = db.session.get(Client, message.client_id)
    if client is None:
        return
    log.info("message %s failed permanently=%s (code %s)", message.id, error_code in TWILIO_PERMANENT_CODES, error_code)
    if error_code == TWILIO_OPTED_OUT and client.phone_hash:
        opt_out(client.phone_hash, "twilio_21610", now)
    if error_code not in TWILIO_PERMANENT_CODES:
        return
    if client.sms_failed_at is None:
        client.sms_failed_at = now
    if message.purpose in MessagePurpose.first_sends() and message.check_in_id is not None:
        _hand_back(message.check_in_id)


def _hand_back(check_in_id: int) -> None:
    """A check-in whose first text never arrived, with nothing received, goes back to dispatch for a fallback."""
    db.session.execute(
        update(CheckIn)
        .where(
            CheckIn.id == check_in_id,
            CheckIn.status == CheckInStatus.OPEN,
            CheckIn.channel == "sms",
            CheckIn.last_inbound_at.is_(None),
        )
        .values(
            status=CheckInStatus.SCHEDULED.value,
            first_sent_at=None,
            channel=None,
            claim_token=None,
            next_attempt_at=None,
            reminder_sent_at=None,
            conversation=None,
        )
        .execution_options(synchronize_session=False)
    )
