"""Choosing transports from settings, and the SendOutcome contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.messaging import SendOutcome, email_sender, sms_sender
from app.messaging.console import ConsoleEmailSender, ConsoleSmsSender
from app.messaging.smtp_email import SmtpEmailSender
from app.messaging.twilio_sms import TwilioSmsSender, classify_twilio_error

TWILIO: dict[str, Any] = {
    "SMS_TRANSPORT": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "token",
    "TWILIO_FROM_NUMBER": "+447700900000",
    "TWILIO_MESSAGING_SERVICE_SID": "",
    "TWILIO_API_BASE": "http://127.0.0.1:9",
}
SMTP: dict[str, Any] = {
    "MAIL_TRANSPORT": "smtp",
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": "2525",
    "SMTP_STARTTLS": "true",
    "MAIL_FROM": "Stillwell <no-reply@stillwell.invalid>",
    "SMTP_LOCAL_HOSTNAME": "localhost",
}


def test_console_is_the_default() -> None:
    assert isinstance(sms_sender({}), ConsoleSmsSender)
    assert isinstance(email_sender({}), ConsoleEmailSender)


def test_twilio_and_smtp_are_built_from_their_settings() -> None:
    sms = sms_sender(TWILIO)
    mail = email_sender(SMTP)

    assert isinstance(sms, TwilioSmsSender)
    assert (sms.from_number, sms.api_base) == ("+447700900000", "http://127.0.0.1:9")
    assert isinstance(mail, SmtpEmailSender)
    assert (mail.host, mail.port, mail.starttls, mail.envelope_from) == (
        "127.0.0.1",
        2525,
        True,
        "no-reply@stillwell.invalid",
    )


@pytest.mark.parametrize(("factory", "setting"), [(sms_sender, "SMS_TRANSPORT"), (email_sender, "MAIL_TRANSPORT")])
def test_an_unknown_transport_is_a_clear_error(factory: Any, setting: str) -> None:
    with pytest.raises(ValueError, match=f"{setting} must be one of .*not 'carrier-pigeon'"):
        factory({setting: "carrier-pigeon"})


def test_twilio_needs_a_sender() -> None:
    with pytest.raises(ValueError, match="TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID"):
        sms_sender({**TWILIO, "TWILIO_FROM_NUMBER": "", "TWILIO_MESSAGING_SERVICE_SID": ""})


@pytest.mark.parametrize("missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
def test_twilio_needs_credentials(missing: str) -> None:
    with pytest.raises(ValueError, match=missing):
        sms_sender({**TWILIO, missing: ""})


def test_twilio_api_base_must_be_a_url() -> None:
    with pytest.raises(ValueError, match="TWILIO_API_BASE"):
        sms_sender({**TWILIO, "TWILIO_API_BASE": "api.twilio.com"})


def test_an_empty_api_base_means_the_real_twilio() -> None:
    sender = sms_sender({**TWILIO, "TWILIO_API_BASE": ""})

    assert isinstance(sender, TwilioSmsSender)
    assert sender.api_base == "https://api.twilio.com"


@pytest.mark.parametrize("mail_from", ["Tyne Talking Therapies <no-reply@tyne.example>", "no-reply@mentalhealth.test"])
def test_mail_from_must_be_discreet(mail_from: str) -> None:
    with pytest.raises(ValueError, match="MAIL_FROM must not reveal"):
        email_sender({**SMTP, "MAIL_FROM": mail_from})


def test_mail_from_must_be_an_address() -> None:
    with pytest.raises(ValueError, match="MAIL_FROM"):
        email_sender({**SMTP, "MAIL_FROM": "Stillwell"})


def test_smtp_port_must_be_a_number() -> None:
    with pytest.raises(ValueError, match="SMTP_PORT"):
        email_sender({**SMTP, "SMTP_PORT": "twenty-five"})


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (21211, "permanent"),
        (21610, "permanent"),
        (30006, "permanent"),
        (30003, "transient"),
        (20003, "transient"),
        (None, "transient"),
    ],
)
def test_twilio_error_codes_classify_for_status_callbacks_too(code: int | None, status: str) -> None:
    assert classify_twilio_error(code) == status


def test_an_accepted_outcome_needs_a_provider_id() -> None:
    with pytest.raises(ValueError):
        SendOutcome("accepted")
    with pytest.raises(ValueError):
        SendOutcome("maybe")  # type: ignore[arg-type]
    assert SendOutcome.accepted("SM1").provider_id == "SM1"


def test_a_console_sender_lists_nothing_it_did_not_send() -> None:
    assert ConsoleSmsSender().recent_messages_to("+447700900123", datetime.now(UTC)) == []
