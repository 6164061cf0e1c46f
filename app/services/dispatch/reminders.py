"""One reminder, 72 hours after the first send, when nothing at all has been received (SPEC section 2)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from app.domain import texts
from app.domain.messages import Channel, MessagePurpose
from app.domain.protocol import REMINDER_AFTER
from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client, Episode, Service
from app.services.dispatch.claiming import opted_out_condition
from app.services.dispatch.message_rows import record_outcome, write_message
from app.services.dispatch.sending import (
    Outgoing,
    decrypt,
    email_item,
    new_survey_token,
    send_all,
    survey_link,
)
from app.services.dispatch.summary import Senders, TickSummary


def send_reminders(now: datetime, open_services: set[int], senders: Senders, summary: TickSummary) -> None:
    """One reminder 72 hours after the first send when nothing at all has been received."""
    rows = db.session.execute(
        select(
            CheckIn.id,
            CheckIn.client_id,
            CheckIn.channel,
            CheckIn.conversation,
            Client.phone_enc,
            Client.email_enc,
            Client.email_hash,
            Service.short_name,
            Service.sms_links,
            Episode.language,
        )
        .join(Client, Client.id == CheckIn.client_id)
        .join(Episode, Episode.id == CheckIn.episode_id)
        .join(Service, Service.id == Episode.service_id)
        .where(
            CheckIn.status == CheckInStatus.OPEN,
            CheckIn.reminder_sent_at.is_(None),
            CheckIn.last_inbound_at.is_(None),
            CheckIn.first_sent_at <= now - REMINDER_AFTER,
            Episode.service_id.in_(open_services),
            Episode.contact_stopped_reason.is_(None),
            ~opted_out_condition(),
        )
    ).all()
    items: list[Outgoing] = []
    for row in rows:
        # Claim the reminder itself so two ticks never both send it.
        claimed = db.session.execute(
            update(CheckIn)
            .where(CheckIn.id == row.id, CheckIn.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        token, token_hash = new_survey_token()
        db.session.execute(update(CheckIn).where(CheckIn.id == row.id).values(survey_token_hash=token_hash))
        if row.channel == Channel.SMS and row.phone_enc:
            body = texts.reminder("change", row.short_name, survey_link(token) if row.sms_links else None)
            message_id = write_message(row.client_id, row.id, Channel.SMS, MessagePurpose.REMINDER, now, body)
            items.append(Outgoing(message_id, Channel.SMS, decrypt(row.phone_enc) or "", body))
        elif row.channel == Channel.EMAIL and row.email_enc:
            message_id = write_message(
                row.client_id, row.id, Channel.EMAIL, MessagePurpose.REMINDER, now, "reminder email"
            )
            items.append(
                email_item(
                    message_id,
                    decrypt(row.email_enc) or "",
                    row.short_name,
                    token,
                    row.email_hash,
                    reminder=True,
                    language_tag=row.language,
                )
            )
    db.session.commit()
    send_all(items, senders.sms, senders.email, senders.per_second)
    for item in items:
        record_outcome(item, now)
        if item.outcome is not None and item.outcome.status in ("accepted", "unknown"):
            summary.reminders += 1
    db.session.commit()
