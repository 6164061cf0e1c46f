"""An SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it receives, for tests and demos.

    with SmtpSink() as sink:
        sender = email_sender(sink.config())
        ...
        assert sink.messages[0].message["Subject"] == "..."

It can be told to refuse the next message (4xx or 5xx, at RCPT or at the end of DATA), or to read
a message and then hang up or stall instead of giving the final reply.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import deque
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, Literal

from aiosmtpd.controller import Controller

Stage = Literal["rcpt", "data"]


@dataclass(frozen=True)
class ReceivedEmail:
    """One message the sink accepted (or read before hanging up)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes


@dataclass(frozen=True)
class _Rejection:
    stage: Stage
    reply: str


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for a sink, or for a connection that must be refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        rejection = self.sink._take_rejection("rcpt")
        if rejection is not None:
            return rejection
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        rejection = self.sink._take_rejection("data")
        if rejection is not None:
            return rejection
        raw = bytes(envelope.original_content or b"")
        # Stored as a local mailbox would: CRLF line ends become LF.
        parsed = BytesParser(policy=policy.default).parsebytes(raw.replace(b"\r\n", b"\n"))
        assert isinstance(parsed, EmailMessage)
        self.sink._record(ReceivedEmail(str(envelope.mail_from), tuple(envelope.rcpt_tos), parsed, raw))
        stall = self.sink._take_stall()
        if stall == "drop":
            server.transport.abort()
            return "421 closing"
        if stall:
            await asyncio.sleep(float(stall))
        return "250 OK: queued"


class SmtpSink:
    """An aiosmtpd Controller on 127.0.0.1 and a free port; a context manager; thread-safe."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._lock = threading.Lock()
        self._messages: list[ReceivedEmail] = []
        self._rejections: deque[_Rejection] = deque()
        self._stalls: deque[str] = deque()
        self._controller = Controller(_Handler(self), hostname=host, port=self.port)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def config(self, **overrides: Any) -> dict[str, Any]:
        """Settings that point `app.messaging.registry.email_sender` at this sink."""
        settings: dict[str, Any] = {
            "MAIL_TRANSPORT": "smtp",
            "SMTP_HOST": self.host,
            "SMTP_PORT": self.port,
            "SMTP_USERNAME": "",
            "SMTP_PASSWORD": "",
            "SMTP_STARTTLS": False,
            "MAIL_FROM": "Stillwell <no-reply@stillwell.invalid>",
            "SMTP_LOCAL_HOSTNAME": "localhost",
        }
        settings.update(overrides)
        return settings

    @property
    def messages(self) -> list[ReceivedEmail]:
        """Every message received, oldest first (a copy)."""
        with self._lock:
            return list(self._messages)

    def reject_next(self, code: int = 550, text: str = "rejected", *, stage: Stage = "data", count: int = 1) -> None:
        """Refuse the next `count` recipients (stage "rcpt") or messages (stage "data") with this reply."""
        if not 400 <= code < 600:
            raise ValueError("a rejection needs a 4xx or 5xx code")
        enhanced = "4.0.0" if code < 500 else "5.0.0"
        with self._lock:
            self._rejections.extend([_Rejection(stage, f"{code} {enhanced} {text}")] * count)

    def drop_after_data(self) -> None:
        """Read the next message whole, then hang up instead of giving the final reply."""
        with self._lock:
            self._stalls.append("drop")

    def stall_after_data(self, seconds: float) -> None:
        """Read the next message whole, then wait this long before the final reply."""
        with self._lock:
            self._stalls.append(str(seconds))

    def _take_rejection(self, stage: Stage) -> str | None:
        with self._lock:
            if self._rejections and self._rejections[0].stage == stage:
                return self._rejections.popleft().reply
            return None

    def _take_stall(self) -> str | None:
        with self._lock:
            return self._stalls.popleft() if self._stalls else None

    def _record(self, received: ReceivedEmail) -> None:
        with self._lock:
            self._messages.append(received)
