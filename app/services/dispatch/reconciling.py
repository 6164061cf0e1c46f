"""Messages left `sending` by a crash, settled against the provider before anything is resent (SPEC section 6)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update

from app.domain.messages import Channel, MessageStatus
from app.domain.protocol import RECONCILE_GRACE
from app.extensions import db
from app.messaging.base import ProviderLookupError
from app.models import CheckIn, CheckInStatus, Client, OutboundMessage
from app.services.dispatch.sending import (
    decrypt,
)
from app.services.dispatch.summary import Senders

log = logging.getLogger("stillwell.dispatch")


def reconcile_stale(now: datetime, senders: Senders) -> None:
    """Messages left `sending` by a crash are settled against the provider before anything is resent."""
    stale = db.session.execute(
        select(
            OutboundMessage.id,
            OutboundMessage.check_in_id,
            OutboundMessage.channel,
            OutboundMessage.body,
            OutboundMessage.created_at,
            Client.phone_enc,
        )
        .join(Client, Client.id == OutboundMessage.client_id)
        .where(OutboundMessage.status == MessageStatus.SENDING, OutboundMessage.created_at <= now - RECONCILE_GRACE)
    ).all()
    for message_id, check_in_id, channel, body, created_at, phone_enc in stale:
        if channel == Channel.EMAIL or phone_enc is None:
            # An email's fate cannot be known; nor an SMS's once the number was erased (on request,
            # mid-send): Twilio's list can only be searched by number. Possibly sent, never resent.
            _settle(message_id, check_in_id, MessageStatus.POSSIBLY_SENT, None, created_at, now)
            continue
        try:
            found = senders.sms.recent_messages_to(decrypt(phone_enc) or "", created_at - timedelta(minutes=1))
        except ProviderLookupError:
            log.warning("reconcile: provider lookup failed for message %s; will retry", message_id)
            continue
        match = next((m for m in found if m.body == body), None)
        if match is not None:
            _settle(message_id, check_in_id, MessageStatus.ACCEPTED, match.sid, created_at, now)
        else:
            _settle(message_id, check_in_id, MessageStatus.NOT_SENT, None, None, now)
    # A claim whose message row was never written (crash in between) is simply released.
    orphaned = select(CheckIn.id).where(
        CheckIn.status == CheckInStatus.SENDING,
        CheckIn.claimed_at <= now - RECONCILE_GRACE,
        ~exists(select(OutboundMessage.id).where(OutboundMessage.check_in_id == CheckIn.id)),
    )
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.id.in_(orphaned.scalar_subquery()))
        .values(status=CheckInStatus.SCHEDULED.value, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _settle(
    message_id: int, check_in_id: int | None, status: str, sid: str | None, sent_at: datetime | None, now: datetime
) -> None:
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id)
        .values(status=status, provider_id=sid, updated_at=now)
    )
    if check_in_id is None:
        return
    check_in = db.session.get(CheckIn, check_in_id)
    if check_in is None or check_in.status != CheckInStatus.SENDING:
        return
    if status in (MessageStatus.ACCEPTED, MessageStatus.POSSIBLY_SENT):
        check_in.status, check_in.first_sent_at = CheckInStatus.OPEN.value, sent_at or now
        check_in.claim_token = None
    else:
        check_in.status, check_in.claim_token = CheckInStatus.SCHEDULED.value, None
