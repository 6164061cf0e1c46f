"""Sending messages: written to the database first (at most once), then handed to providers concurrently.

The database write before the provider call is what makes sends single: a crash after the call
leaves a `sending` row that is reconciled against the provider before anything is sent again.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask import current_app
from itsdangerous import URLSafeSerializer

from app.domain.languages import catalogue_language
from app.messaging.base import EmailSender, SendOutcome, SmsSender
from app.security.fields import field_security
from app.services.dispatch.email_content import check_in_email


class RateLimiter:
    """At most `per_second` starts per second across threads (the provider account's limit)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next_start = time.monotonic()
        self.lock = threading.Lock()

    def reserve(self) -> float:
        """Take the next start slot; how many seconds to wait for it."""
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_start)
            self.next_start = start + self.interval
        return start - now

    def wait(self) -> None:
        delay = self.reserve()
        if delay > 0:
            time.sleep(delay)


@dataclass
class Outgoing:
    """One message to hand to a provider; `message_id` is its row, written before sending."""

    message_id: int
    channel: str
    to: str
    body: str
    subject: str = ""
    html: str = ""
    headers: dict[str, str] | None = None
    outcome: SendOutcome | None = None


def send_all(
    items: Sequence[Outgoing], sms: SmsSender, email: EmailSender, per_second: float, max_workers: int = 128
) -> None:
    """Send every item concurrently within the rate limit; each gets its outcome (never raises).

    SMS goes in one batch when the sender can (`send_sms_many`: one event loop, far less CPU per
    message than a thread each); emails, and SMS on other senders, go through a thread pool.
    """
    if not items:
        return
    limiter = RateLimiter(per_second)
    status_callback = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/webhooks/twilio/status"
    send_many = getattr(sms, "send_sms_many", None)
    batched = [item for item in items if item.channel == "sms"] if send_many is not None else []
    threaded = [item for item in items if item.channel != "sms"] if send_many is not None else list(items)

    def send(item: Outgoing) -> None:
        limiter.wait()
        try:
            if item.channel == "sms":
                item.outcome = sms.send_sms(item.to, item.body, status_callback=status_callback)
            else:
                item.outcome = email.send_email(item.to, item.subject, item.body, item.html, item.headers or {})
        except Exception as error:
            item.outcome = SendOutcome.unknown(f"transport raised {type(error).__name__}")

    concurrency = max(1, min(max_workers, len(items), int(per_second) or 1))
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="send") as pool:
        pending = [pool.submit(send, item) for item in threaded]
        if batched:
            assert send_many is not None
            outcomes = send_many(
                [(item.to, item.body) for item in batched],
                status_callback=status_callback,
                pace=limiter.reserve,
                concurrency=concurrency,
            )
            for item, outcome in zip(batched, outcomes, strict=True):
                item.outcome = outcome
        for future in pending:
            future.result()


def new_survey_token() -> tuple[str, str]:
    """(token for the link, SHA-256 stored): 128 bits, unguessable, only the hash is kept."""
    token = secrets.token_urlsafe(16)
    return token, hashlib.sha256(token.encode()).hexdigest()


def survey_link(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/s/{token}"


def unsubscribe_link(contact_hash: str) -> str:
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe")
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/u/{serializer.dumps(contact_hash)}"


def decrypt(token: str | None) -> str | None:
    return field_security().decrypt(token) if token else None


def email_item(
    message_id: int,
    to: str,
    short_name: str,
    survey_token: str,
    contact_hash: str,
    *,
    reminder: bool = False,
    language_tag: str | None = None,
) -> Outgoing:
    """The check-in email for one client, in the language of the episode's `language` tag."""
    content = check_in_email(
        short_name,
        survey_link(survey_token),
        unsubscribe_link(contact_hash),
        reminder=reminder,
        language=catalogue_language(language_tag),
    )
    return Outgoing(message_id, "email", to, content.text, content.subject, content.html, content.headers)


def backoff(attempts: int, base_seconds: int = 60, cap_seconds: int = 3600) -> int:
    """Seconds to wait before try number `attempts + 1`: exponential, capped."""
    return int(min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))
