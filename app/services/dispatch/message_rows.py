"""Outbound message rows: written before the provider is called (at most once), then updated with its answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, update

from app.domain.messages import MessageStatus, after_send
from app.extensions import db
from app.models import OutboundMessage
from app.services.dispatch.sending import (
    Outgoing,
)


def write_message(client_id: int, check_in_id: int | None, channel: str, purpose: str, now: datetime, body: str) -> int:
    result = db.session.execute(
        insert(OutboundMessage.__table__).values(
            client_id=client_id,
            check_in_id=check_in_id,
            channel=channel,
            purpose=purpose,
            body=body,
            status=MessageStatus.SENDING.value,
            created_at=now,
            updated_at=now,
        )
    )
    return int(result.inserted_primary_key[0])


def message_status(item: Outgoing) -> str:
    outcome = item.outcome
    assert outcome is not None
    return after_send(outcome.status, item.channel).message_status.value


def record_outcome(item: Outgoing, now: datetime) -> None:
    outcome = item.outcome
    assert outcome is not None
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == item.message_id)
        .values(
            status=message_status(item),
            provider_id=outcome.provider_id,
            error_code=outcome.error_code,
            updated_at=now,
        )
    )
