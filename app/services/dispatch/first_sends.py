"""First sends of claimed check-ins, falling back to the other channel on a permanent failure; writes batched."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from app.domain import texts
from app.domain.messages import Channel, MessagePurpose, MessageStatus, after_send
from app.extensions import db
from app.messaging.base import TWILIO_OPTED_OUT
from app.models import CheckIn, CheckInStatus, Client, Episode, OutboundMessage, Service
from app.services.contact import opt_out, opted_out_clients, usable_channels
from app.services.dispatch.message_rows import message_status
from app.services.dispatch.sending import (
    Outgoing,
    backoff,
    decrypt,
    email_item,
    new_survey_token,
    send_all,
    survey_link,
)
from app.services.dispatch.summary import Senders, TickSummary

_SEND_COLUMNS = (
    CheckIn.id,
    CheckIn.client_id,
    CheckIn.send_attempts,
    Client.phone_enc,
    Client.phone_hash,
    Client.phone_is_uk_mobile,
    Client.email_enc,
    Client.email_hash,
    Client.sms_failed_at,
    Client.email_failed_at,
    Client.preferred_channel,
    Service.short_name,
    Service.sms_links,
    Episode.contact_stopped_reason,
    Episode.consent,
    Episode.language,
)


def send_first_messages(check_in_ids: list[int], now: datetime, senders: Senders, summary: TickSummary) -> None:
    """First sends for claimed check-ins, falling back to the other channel on a permanent failure.

    Database writes are batched: one executemany per kind of write per round, not one per message.
    """
    rows = db.session.execute(
        select(*_SEND_COLUMNS)
        .join(Client, Client.id == CheckIn.client_id)
        .join(Episode, Episode.id == CheckIn.episode_id)
        .join(Service, Service.id == Episode.service_id)
        .where(CheckIn.id.in_(check_in_ids))
    ).all()
    # Re-checked inside the claim, just before the provider is called.
    opted_out = opted_out_clients(row.client_id for row in rows)
    pending = {row.id: SimpleNamespace(**row._asdict()) for row in rows}
    tried: dict[int, set[str]] = {row.id: set() for row in rows}
    while pending:
        batch = _Batch(now)
        round_items: list[tuple[int, Any, str, Outgoing]] = []
        for check_in_id, row in list(pending.items()):
            if row.client_id in opted_out or row.contact_stopped_reason or not row.consent:
                batch.check_in(
                    check_in_id,
                    status=CheckInStatus.WITHDRAWN.value,
                    closed_at=now,
                    close_reason="contact_stopped",
                    claim_token=None,
                )
                summary.withdrawn += 1
                del pending[check_in_id]
                continue
            channels = [
                channel
                for channel in usable_channels(
                    has_uk_mobile=bool(row.phone_enc and row.phone_is_uk_mobile),
                    has_email=bool(row.email_enc),
                    sms_failed=row.sms_failed_at is not None,
                    email_failed=row.email_failed_at is not None,
                    preferred=row.preferred_channel,
                )
                if channel not in tried[check_in_id]
            ]
            if not channels:
                batch.check_in(
                    check_in_id,
                    status=CheckInStatus.CLOSED.value,
                    closed_at=now,
                    close_reason="unreachable",
                    claim_token=None,
                )
                summary.failed += 1
                del pending[check_in_id]
                continue
            channel = channels[0]
            tried[check_in_id].add(channel)
            purpose = MessagePurpose.FIRST if len(tried[check_in_id]) == 1 else MessagePurpose.FALLBACK
            round_items.append((check_in_id, row, channel, _prepare_first(batch, check_in_id, row, channel, purpose)))
        batch.write_messages([item for *_, item in round_items])
        batch.flush()
        db.session.commit()  # message rows exist before any provider call
        send_all([item for *_, item in round_items], senders.sms, senders.email, senders.per_second)
        batch = _Batch(now)
        for check_in_id, row, channel, item in round_items:
            outcome = item.outcome
            assert outcome is not None
            batch.record(item)
            step = after_send(outcome.status, channel).check_in
            if step == "open":
                # An email whose fate cannot be known is possibly sent: the check-in is open, never resent.
                batch.check_in(
                    check_in_id, status=CheckInStatus.OPEN.value, first_sent_at=now, channel=channel, claim_token=None
                )
                summary.sent += 1
                del pending[check_in_id]
            elif step == "reconcile":
                del pending[check_in_id]  # stays `sending` until reconciled against the provider
            elif step == "retry":
                attempts = row.send_attempts + 1
                batch.check_in(
                    check_in_id,
                    status=CheckInStatus.SCHEDULED.value,
                    claim_token=None,
                    send_attempts=attempts,
                    next_attempt_at=now + timedelta(seconds=backoff(attempts)),
                )
                summary.retried += 1
                del pending[check_in_id]
            else:  # permanent: record, never use this channel again, then try the other one
                summary.failed += 1
                opted_out.update(_channel_failed(row, channel, outcome.error_code, now))
                setattr(row, "sms_failed_at" if channel == Channel.SMS else "email_failed_at", now)
        batch.flush()
        db.session.commit()


class _Batch:
    """Collects the writes of one round and applies each kind with a single executemany."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.check_ins: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        self.messages: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        self.pending_rows: list[tuple[Outgoing, dict[str, Any]]] = []

    def check_in(self, check_in_id: int, **values: Any) -> None:
        self.check_ins[tuple(sorted(values))].append({"b_id": check_in_id, **values})

    def new_message(self, item: Outgoing, **values: Any) -> None:
        self.pending_rows.append((item, values))

    def write_messages(self, items: list[Outgoing]) -> None:
        """Insert the message rows of this round and give each item its row id."""
        if not self.pending_rows:
            return
        rows = [
            {**values, "status": MessageStatus.SENDING.value, "created_at": self.now, "updated_at": self.now}
            for _, values in self.pending_rows
        ]
        db.session.execute(insert(OutboundMessage.__table__), rows)
        check_in_ids = [values["check_in_id"] for _, values in self.pending_rows]
        written = dict(
            db.session.execute(
                select(OutboundMessage.check_in_id, func.max(OutboundMessage.id))
                .where(
                    OutboundMessage.check_in_id.in_(check_in_ids),
                    OutboundMessage.status == MessageStatus.SENDING,
                    OutboundMessage.created_at == self.now,
                )
                .group_by(OutboundMessage.check_in_id)
            ).all()
        )
        for item, values in self.pending_rows:
            item.message_id = written[values["check_in_id"]]
        self.pending_rows = []

    def record(self, item: Outgoing) -> None:
        outcome = item.outcome
        assert outcome is not None
        self.messages[("error_code", "provider_id", "status", "updated_at")].append(
            {
                "b_id": item.message_id,
                "status": message_status(item),
                "provider_id": outcome.provider_id,
                "error_code": outcome.error_code,
                "updated_at": self.now,
            }
        )

    def flush(self) -> None:
        for table, groups in ((CheckIn.__table__, self.check_ins), (OutboundMessage.__table__, self.messages)):
            for keys, values in groups.items():
                # Bind names must differ from column names in an executemany UPDATE.
                statement = (
                    update(table)
                    .where(table.c.id == bindparam("b_id"))
                    .values({key: bindparam(f"v_{key}") for key in keys})
                )
                db.session.execute(
                    statement, [{"b_id": value["b_id"], **{f"v_{key}": value[key] for key in keys}} for value in values]
                )
            groups.clear()


def _prepare_first(batch: _Batch, check_in_id: int, row: Any, channel: str, purpose: str) -> Outgoing:
    """Build what the provider gets, with a fresh survey token; the message row is written in batch."""
    token, token_hash = new_survey_token()
    batch.check_in(check_in_id, survey_token_hash=token_hash)
    if channel == Channel.SMS:
        link = survey_link(token) if row.sms_links else None
        item = Outgoing(0, Channel.SMS, decrypt(row.phone_enc) or "", texts.first_message(row.short_name, link))
        recorded_body = item.body
    else:
        item = email_item(
            0, decrypt(row.email_enc) or "", row.short_name, token, row.email_hash, language_tag=row.language
        )
        recorded_body = item.subject
    batch.new_message(
        item, client_id=row.client_id, check_in_id=check_in_id, channel=channel, purpose=purpose, body=recorded_body
    )
    return item


def _channel_failed(row: Any, channel: str, error_code: str | None, now: datetime) -> list[int]:
    """Never use this channel for the client again; Twilio 21610 also opts out every channel: who it opted out."""
    column = "sms_failed_at" if channel == Channel.SMS else "email_failed_at"
    db.session.execute(update(Client).where(Client.id == row.client_id).values({column: now}))
    if channel == Channel.SMS and error_code == TWILIO_OPTED_OUT and row.phone_hash:
        return opt_out(row.phone_hash, "twilio_21610", now)
    return []
