"""What every transport promises: two small Protocols and the result types they return.

Pure: no Flask, database or provider imports, so services and tests can depend on these types
without pulling in Twilio or smtplib.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

SendStatus = Literal["accepted", "transient", "permanent", "unknown"]
SEND_STATUSES: frozenset[str] = frozenset({"accepted", "transient", "permanent", "unknown"})

# Twilio error codes, written once (SPEC section 6), as the strings messages record. The recipient can never
# be reached this way: 21211 invalid 'To' number, 21612 not reachable from our sender, 21614 not a mobile
# number, 21610 the recipient replied STOP to the carrier (also an opt-out, on every channel), 30005 unknown
# or inactive handset, 30006 landline or unreachable carrier.
TWILIO_OPTED_OUT: str = "21610"
TWILIO_PERMANENT_CODES: frozenset[str] = frozenset({"21211", "21612", "21614", TWILIO_OPTED_OUT, "30005", "30006"})
# Worth retrying: 30003 handset unreachable (switched off), 20429 too many requests, 20500/20503 Twilio's outage.
TWILIO_TRANSIENT_CODES: frozenset[str] = frozenset({"30003", "20429", "20500", "20503"})


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What became of one send.

    - accepted: the provider took the message; `provider_id` names it (a Twilio SID, a Message-ID).
    - transient: it did not go; retry later (timeouts before sending, 5xx, 429, Twilio 30003).
    - permanent: it did not go and never will on this channel (invalid or landline number,
      unsubscribed recipient, SMTP 5xx); `error_code` says why, and the caller falls back.
    - unknown: the request may or may not have reached the provider (a dropped connection or a
      timeout after the request was sent); the caller reconciles or marks it possibly_sent,
      and never simply resends.

    `detail` is for operators: it never contains a phone number or an email address.
    """

    status: SendStatus
    provider_id: str | None = None
    error_code: str | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        if self.status not in SEND_STATUSES:
            raise ValueError(f"unknown send status {self.status!r}")
        if self.status == "accepted" and not self.provider_id:
            raise ValueError("an accepted send needs the provider's id for the message")

    @classmethod
    def accepted(cls, provider_id: str, detail: str = "") -> SendOutcome:
        return cls("accepted", provider_id=provider_id, detail=detail)

    @classmethod
    def transient(cls, detail: str, error_code: str | None = None) -> SendOutcome:
        return cls("transient", error_code=error_code, detail=detail)

    @classmethod
    def permanent(cls, detail: str, error_code: str | None = None) -> SendOutcome:
        return cls("permanent", error_code=error_code, detail=detail)

    @classmethod
    def unknown(cls, detail: str, error_code: str | None = None) -> SendOutcome:
        return cls("unknown", error_code=error_code, detail=detail)


@dataclass(frozen=True, slots=True)
class ProviderMessage:
    """A message as the provider lists it, for reconciling a send whose outcome we never heard."""

    sid: str
    body: str
    status: str
    date_created: datetime


class ProviderLookupError(RuntimeError):
    """The provider could not be asked (unreachable, refused, garbled answer); try again later."""


@runtime_checkable
class SmsSender(Protocol):
    """Sends texts; one implementation per `SMS_TRANSPORT`."""

    def send_sms(self, to_e164: str, body: str, *, status_callback: str | None) -> SendOutcome:
        """Hand one text to the provider; never raises for provider or network failures."""
        ...

    def recent_messages_to(self, to_e164: str, since: datetime) -> list[ProviderMessage]:
        """Messages the provider holds for this number created at or after `since` (aware or UTC).

        Raises ProviderLookupError when the provider cannot be asked.
        """
        ...


@runtime_checkable
class EmailSender(Protocol):
    """Sends emails; one implementation per `MAIL_TRANSPORT`."""

    def send_email(self, to: str, subject: str, text: str, html: str, headers: dict[str, str]) -> SendOutcome:
        """Send one multipart (text + HTML) email; never raises for server or network failures."""
        ...
