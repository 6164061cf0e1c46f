"""Safeguarding alerts (SPEC section 2): raised for evaluators by a risk message (SMS or a survey comment), and
an email to the safeguarding contact carrying a link to the alert, never the message.

Emails are slow work, so raising an alert only writes the outbound row; `send_pending_alerts`, called by the
dispatch tick, sends it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from html import escape
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from app.extensions import db
from app.messaging.base import EmailSender
from app.messaging.registry import email_sender
from app.models import Client, InboundMessage, OutboundMessage
from app.models.message import SafeguardingAlert
from app.models.organisation import Service

log = logging.getLogger("stillwell.safeguarding")


def raise_alert(message: InboundMessage, client: Client | None, service: Service | None, now: datetime) -> None:
    """Raise an alert for evaluators and queue its email (a link, never the message) for the dispatch tick."""
    raise_alert_for(message.id, client.id if client else None, service.id if service else None, now)


def raise_alert_for(inbound_message_id: int, client_id: int | None, service_id: int | None, now: datetime) -> None:
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
