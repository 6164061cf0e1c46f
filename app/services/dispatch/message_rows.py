"""Outbound message rows: written before the provider is called (at most once), then updated with its answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, update

from app.domain.messages import Channel, MessageStatus, after_send
from app.domain.sms_encoding import measure
from app.extensions import db
from app.models import OutboundMessage
from app.services.dispatch.sending import (
    Outgoing,
)


def cost_columns(channel: str, body: str, language: str | None) -> dict[str, Any]:
    """What an SMS costs and the language it is in (SPEC 8.3), as the message row keeps them; NULL for an email."""
    if channel != Channel.SMS:
        return {"encoding": None, "segments": None, "language": None}
    size = measure(body)
    return {"encoding": size.encoding, "segments": size.segments, "language": language}


def write_message(
    client_id: int,
    check_in_id: int | None,
    channel: str,
    purpose: str,
    now: datetime,
    body: str,
    language: str | None = None,
) -> int:
    """Write a message row before the provider is called; an SMS's `body` is its text, measured here."""
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
            **cost_columns(channel, body, language),
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
