"""Console transports for the demo and development: print a masked recipient and the text, send nothing."""

from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

from app.messaging.base import ProviderMessage, SendOutcome
from app.messaging.masking import mask_email, mask_phone


def _console_id() -> str:
    return f"console-{uuid.uuid4()}"


class ConsoleSmsSender:
    """Prints each text (recipient masked) and remembers it, so reconciliation works in the demo too."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._sent: dict[str, list[ProviderMessage]] = {}

    def send_sms(self, to_e164: str, body: str, *, status_callback: str | None = None) -> SendOutcome:
        """Print the text and accept it."""
        sid = _console_id()
        with self._lock:
            self._sent.setdefault(to_e164, []).append(
                ProviderMessage(sid=sid, body=body, status="sent", date_created=datetime.now(UTC))
            )
        print(f"[sms to {mask_phone(to_e164)}] {body}", file=self._stream or sys.stdout, flush=True)
        return SendOutcome.accepted(sid, detail="printed to the console")

    def recent_messages_to(self, to_e164: str, since: datetime) -> list[ProviderMessage]:
        """The texts this process printed for the number since `since`, newest first."""
        cutoff = since.replace(tzinfo=UTC) if since.tzinfo is None else since
        with self._lock:
            sent = list(self._sent.get(to_e164, ()))
        return sorted((m for m in sent if m.date_created >= cutoff), key=lambda m: m.date_created, reverse=True)


class ConsoleEmailSender:
    """Prints each email's subject, extra header names and plain text (recipient masked)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def send_email(self, to: str, subject: str, text: str, html: str, headers: dict[str, str]) -> SendOutcome:
        """Print the email and accept it."""
        message_id = _console_id()
        extra = f" (headers: {', '.join(sorted(headers))})" if headers else ""
        print(
            f"[email to {mask_email(to)}] Subject: {subject}{extra}\n{text}",
            file=self._stream or sys.stdout,
            flush=True,
        )
        return SendOutcome.accepted(message_id, detail="printed to the console")

    def send_email_with_attachments(
        self,
        to: str,
        subject: str,
        text: str,
        html: str,
        headers: dict[str, str],
        attachments: Sequence[tuple[str, str, bytes]],
    ) -> SendOutcome:
        """Print the email and the names and sizes of its attachments (never their content), and accept it."""
        listed = "".join(f"\n[attachment {name} ({kind}, {len(data)} bytes)]" for name, kind, data in attachments)
        return self.send_email(to, subject, text + listed, html, headers)
