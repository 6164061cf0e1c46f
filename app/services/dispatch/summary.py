"""What one dispatch tick did (its JSON summary), and the providers it sends through."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import current_app

from app.messaging.base import EmailSender, SmsSender
from app.messaging.registry import email_sender, sms_sender


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
