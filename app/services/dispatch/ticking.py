"""The dispatch tick: close, skip, withdraw, claim, send, remind. The database is the schedule and the lock.

`tick(now)` is all the scheduler calls. Several ticks may run at once, in several processes: a
check-in is claimed by one conditional UPDATE (with FOR UPDATE SKIP LOCKED on PostgreSQL), so no
check-in is claimed twice, and every message row is written before its provider call.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from flask import current_app
from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from app.domain import schedule, texts
from app.extensions import db
from app.messaging.base import TWILIO_OPTED_OUT, EmailSender, ProviderLookupError, SmsSender
from app.messaging.registry import email_sender, sms_sender
from app.models import CheckIn, CheckInStatus, Client, ContactPoint, Episode, OutboundMessage, Service
from app.services.contact import opt_out, opted_out_clients, usable_channels
from app.services.dispatch.delivery_status import after_tick
from app.services.dispatch.sending import (
    Outgoing,
    backoff,
    decrypt,
    email_item,
    new_survey_token,
    send_all,
    survey_link,
)

log = logging.getLogger("stillwell.dispatch")

RESPONSE_WINDOW = timedelta(days=14)
LATEST_FIRST_SEND = timedelta(days=14)  # never late: skipped if not first sent within this of its due time
REMINDER_AFTER = timedelta(hours=72)
RECONCILE_GRACE = timedelta(seconds=90)  # at least 60 s (SPEC 6) before a `sending` message is reconciled


@dataclass
class TickSummary:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    reminders: int = 0
    closed: int = 0
    skipped: int = 0
    withdrawn: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class Senders:
    sms: SmsSender
    email: EmailSender
    per_second: float

    @classmethod
    def from_config(cls) -> Senders:
        config = current_app.config
        return cls(sms_sender(config), email_sender(config), float(config["SEND_RATE_PER_SECOND"]))


def tick(now: datetime, senders: Senders | None = None, batch_size: int = 1000) -> dict[str, int]:
    """Run one dispatch pass at instant `now` and say what it did."""
    senders = senders or Senders.from_config()
    summary = TickSummary()
    summary.closed += close_expired(now)
    summary.skipped += skip_late(now)
    summary.withdrawn += withdraw_blocked(now)
    reconcile_stale(now, senders)
    open_services = services_in_window(now)
    if open_services:
        while True:
            claimed = claim_due(now, open_services, batch_size)
            if not claimed:
                break
            summary.claimed += len(claimed)
            send_first_messages(claimed, now, senders, summary)
        send_reminders(now, open_services, senders, summary)
    db.session.commit()
    after_tick(now, senders.email)  # held status callbacks; safeguarding alert emails (at any hour)
    log.info("dispatch tick at %s: %s", now.isoformat(), json.dumps(summary.as_dict()))
    return summary.as_dict()


def services_in_window(now: datetime) -> set[int]:
    """Services whose send window is open at `now` (in local time) and that may send at all.

    Sending anything requires a safeguarding contact: the service's own, or SAFEGUARDING_EMAIL.
    """
    platform_contact = bool(current_app.config.get("SAFEGUARDING_EMAIL"))
    open_ids = set()
    for service_id, code, window, days, zone, contact in db.session.execute(
        select(
            Service.id,
            Service.code,
            Service.send_window,
            Service.send_days,
            Service.timezone,
            Service.safeguarding_email,
        )
    ):
        if not schedule.make_window(window, days, zone).contains(now):
            continue
        if not (contact or platform_contact):
            log.error("service %s has no safeguarding contact and SAFEGUARDING_EMAIL is empty: nothing sent", code)
            continue
        open_ids.add(service_id)
    return open_ids


def _close_where(now: datetime, status: CheckInStatus, reason: str, *conditions: Any) -> int:
    """Close every check-in matching `conditions` with a status and reason, in one UPDATE; how many."""
    result = db.session.execute(
        update(CheckIn)
        .where(*conditions)
        .values(status=status.value, closed_at=now, close_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(result.rowcount or 0)


def close_expired(now: datetime) -> int:
    """Open check-ins whose response window is over are closed (answered or not)."""
    return _close_where(
        now,
        CheckInStatus.CLOSED,
        "window_over",
        CheckIn.status == CheckInStatus.OPEN,
        CheckIn.first_sent_at <= now - RESPONSE_WINDOW,
    )


def skip_late(now: datetime) -> int:
    """Never late: a check-in not first sent within 14 days of its due time is skipped, never sent."""
    return _close_where(
        now,
        CheckInStatus.SKIPPED,
        "not_sent_in_time",
        CheckIn.status == CheckInStatus.SCHEDULED,
        CheckIn.due_at <= now - LATEST_FIRST_SEND,
    )


def _opted_out_condition() -> Any:
    return exists(
        select(ContactPoint.id).where(
            ContactPoint.opted_out_at.is_not(None),
            or_(ContactPoint.contact_hash == Client.phone_hash, ContactPoint.contact_hash == Client.email_hash),
        )
    )


def withdraw_blocked(now: datetime) -> int:
    """Check-ins falling due while contact is stopped or the client opted out are withdrawn (not sent)."""
    blocked = (
        select(CheckIn.id)
        .join(Episode, Episode.id == CheckIn.episode_id)
        .join(Client, Client.id == CheckIn.client_id)
        .where(
            CheckIn.status == CheckInStatus.SCHEDULED,
            CheckIn.due_at <= now,
            or_(Episode.contact_stopped_reason.is_not(None), Episode.consent.is_(False), _opted_out_condition()),
        )
    )
    return _close_where(
        now,
        CheckInStatus.WITHDRAWN,
        "contact_stopped",
        CheckIn.id.in_(blocked.scalar_subquery()),
        CheckIn.status == CheckInStatus.SCHEDULED,
    )


def claim_due(now: datetime, open_services: set[int], limit: int) -> list[int]:
    """Atomically claim up to `limit` due check-ins; returns the ids this caller now owns."""
    other = aliased(CheckIn)
    candidates = (
        select(CheckIn.id)
        .join(Episode, Episode.id == CheckIn.episode_id)
        .join(Client, Client.id == CheckIn.client_id)
        .where(
            CheckIn.status == CheckInStatus.SCHEDULED,
            CheckIn.due_at <= now,
            or_(CheckIn.next_attempt_at.is_(None), CheckIn.next_attempt_at <= now),
            Episode.service_id.in_(open_services),
            Episode.consent.is_(True),
            Episode.contact_stopped_reason.is_(None),
            ~_opted_out_condition(),
            # One open check-in per client; an earlier one still waiting goes first. Only a client's
            # earliest waiting check-in is ever a candidate, so concurrent claimers meet on the same
            # row, where SKIP LOCKED (or SQLite's single writer) lets exactly one of them have it.
            ~exists(
                select(other.id).where(
                    other.client_id == CheckIn.client_id,
                    other.id != CheckIn.id,
                    or_(
                        other.status.in_((CheckInStatus.OPEN, CheckInStatus.SENDING)),
                        and_(
                            other.status == CheckInStatus.SCHEDULED,
                            or_(
                                other.due_at < CheckIn.due_at,
                                and_(other.due_at == CheckIn.due_at, other.id < CheckIn.id),
                            ),
                        ),
                    ),
                )
            ),
        )
        .order_by(CheckIn.due_at, CheckIn.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=CheckIn)
    )
    token = secrets.token_hex(16)
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.id.in_(candidates.scalar_subquery()), CheckIn.status == CheckInStatus.SCHEDULED)
        .values(status=CheckInStatus.SENDING.value, claim_token=token, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(db.session.scalars(select(CheckIn.id).where(CheckIn.claim_token == token)))


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
            purpose = "first" if len(tried[check_in_id]) == 1 else "fallback"
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
            if outcome.status == "accepted" or (outcome.status == "unknown" and channel == "email"):
                # An email whose fate cannot be known is possibly sent: the check-in is open, never resent.
                batch.check_in(
                    check_in_id, status=CheckInStatus.OPEN.value, first_sent_at=now, channel=channel, claim_token=None
                )
                summary.sent += 1
                del pending[check_in_id]
            elif outcome.status == "unknown":
                del pending[check_in_id]  # stays `sending` until reconciled against the provider
            elif outcome.status == "transient":
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
                setattr(row, "sms_failed_at" if channel == "sms" else "email_failed_at", now)
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
            {**values, "status": "sending", "created_at": self.now, "updated_at": self.now}
            for _, values in self.pending_rows
        ]
        db.session.execute(insert(OutboundMessage.__table__), rows)
        check_in_ids = [values["check_in_id"] for _, values in self.pending_rows]
        written = dict(
            db.session.execute(
                select(OutboundMessage.check_in_id, func.max(OutboundMessage.id))
                .where(
                    OutboundMessage.check_in_id.in_(check_in_ids),
                    OutboundMessage.status == "sending",
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
                "status": _message_status(item),
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
    if channel == "sms":
        link = survey_link(token) if row.sms_links else None
        item = Outgoing(0, "sms", decrypt(row.phone_enc) or "", texts.first_message(row.short_name, link))
        recorded_body = item.body
    else:
        item = email_item(0, decrypt(row.email_enc) or "", row.short_name, token, row.email_hash)
        recorded_body = item.subject
    batch.new_message(
        item, client_id=row.client_id, check_in_id=check_in_id, channel=channel, purpose=purpose, body=recorded_body
    )
    return item


def _write_message(
    client_id: int, check_in_id: int | None, channel: str, purpose: str, now: datetime, body: str
) -> int:
    result = db.session.execute(
        insert(OutboundMessage.__table__).values(
            client_id=client_id,
            check_in_id=check_in_id,
            channel=channel,
            purpose=purpose,
            body=body,
            status="sending",
            created_at=now,
            updated_at=now,
        )
    )
    return int(result.inserted_primary_key[0])


def _message_status(item: Outgoing) -> str:
    outcome = item.outcome
    assert outcome is not None
    return {
        "accepted": "accepted",
        "transient": "transient",
        "permanent": "failed",
        "unknown": "possibly_sent" if item.channel == "email" else "sending",
    }[outcome.status]


def _record_outcome(item: Outgoing, now: datetime) -> None:
    outcome = item.outcome
    assert outcome is not None
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == item.message_id)
        .values(
            status=_message_status(item),
            provider_id=outcome.provider_id,
            error_code=outcome.error_code,
            updated_at=now,
        )
    )


def _channel_failed(row: Any, channel: str, error_code: str | None, now: datetime) -> list[int]:
    """Never use this channel for the client again; Twilio 21610 also opts out every channel: who it opted out."""
    column = "sms_failed_at" if channel == "sms" else "email_failed_at"
    db.session.execute(update(Client).where(Client.id == row.client_id).values({column: now}))
    if channel == "sms" and error_code == TWILIO_OPTED_OUT and row.phone_hash:
        return opt_out(row.phone_hash, "twilio_21610", now)
    return []


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
        .where(OutboundMessage.status == "sending", OutboundMessage.created_at <= now - RECONCILE_GRACE)
    ).all()
    for message_id, check_in_id, channel, body, created_at, phone_enc in stale:
        if channel == "email" or phone_enc is None:
            # An email's fate cannot be known; nor an SMS's once the number was erased (on request,
            # mid-send): Twilio's list can only be searched by number. Possibly sent, never resent.
            _settle(message_id, check_in_id, "possibly_sent", None, created_at, now)
            continue
        try:
            found = senders.sms.recent_messages_to(decrypt(phone_enc) or "", created_at - timedelta(minutes=1))
        except ProviderLookupError:
            log.warning("reconcile: provider lookup failed for message %s; will retry", message_id)
            continue
        match = next((m for m in found if m.body == body), None)
        if match is not None:
            _settle(message_id, check_in_id, "accepted", match.sid, created_at, now)
        else:
            _settle(message_id, check_in_id, "not_sent", None, None, now)
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
    if status in ("accepted", "possibly_sent"):
        check_in.status, check_in.first_sent_at = CheckInStatus.OPEN.value, sent_at or now
        check_in.claim_token = None
    else:
        check_in.status, check_in.claim_token = CheckInStatus.SCHEDULED.value, None


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
            ~_opted_out_condition(),
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
        if row.channel == "sms" and row.phone_enc:
            body = texts.reminder("change", row.short_name, survey_link(token) if row.sms_links else None)
            message_id = _write_message(row.client_id, row.id, "sms", "reminder", now, body)
            items.append(Outgoing(message_id, "sms", decrypt(row.phone_enc) or "", body))
        elif row.channel == "email" and row.email_enc:
            message_id = _write_message(row.client_id, row.id, "email", "reminder", now, "reminder email")
            items.append(
                email_item(
                    message_id, decrypt(row.email_enc) or "", row.short_name, token, row.email_hash, reminder=True
                )
            )
    db.session.commit()
    send_all(items, senders.sms, senders.email, senders.per_second)
    for item in items:
        _record_outcome(item, now)
        if item.outcome is not None and item.outcome.status in ("accepted", "unknown"):
            summary.reminders += 1
    db.session.commit()
