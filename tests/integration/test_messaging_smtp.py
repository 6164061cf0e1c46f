"""Real smtplib against the aiosmtpd sink: the message we build, and how refusals and failures are classified."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from app.messaging import EmailSender, SendOutcome, email_sender
from app.messaging.smtp_email import SmtpEmailSender
from tests.fakes import fixtures
from tests.fakes.smtp_sink import SmtpSink, free_port

TO = "person@example.org"
UNSUBSCRIBE = {
    "List-Unsubscribe": "<https://sw.example/u/abc123>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}
TEXT = "Hello.\n\nHow are you now compared with when you first went?\nReplies to this address are not read."
HTML = "<p>Hello.</p><p>How are you now compared with when you first went?</p>"

smtp_sink = fixtures.smtp_sink  # the pytest fixture, made visible to this module


def send(sink: SmtpSink, **settings: object) -> SendOutcome:
    sender = email_sender(sink.config(**settings))
    return sender.send_email(TO, "A quick question", TEXT, HTML, dict(UNSUBSCRIBE))


def assert_discreet(outcome: SendOutcome) -> None:
    assert TO not in outcome.detail
    assert "@example.org" not in outcome.detail


def test_an_email_is_multipart_text_and_html_from_mail_from(smtp_sink: SmtpSink) -> None:
    outcome = send(smtp_sink)

    assert outcome.status == "accepted"
    [received] = smtp_sink.messages
    message = received.message
    assert received.mail_from == "no-reply@stillwell.invalid"
    assert received.rcpt_tos == (TO,)
    assert message["From"] == "Stillwell <no-reply@stillwell.invalid>"
    assert message["To"] == TO
    assert message["Subject"] == "A quick question"
    assert message["Message-ID"] == outcome.provider_id
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert plain.get_content().strip() == TEXT.strip()
    assert html.get_content().strip() == HTML


def test_the_given_headers_are_present(smtp_sink: SmtpSink) -> None:
    send(smtp_sink)

    message = smtp_sink.messages[0].message
    assert message["List-Unsubscribe"] == "<https://sw.example/u/abc123>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_text_beyond_ascii_survives_a_7bit_transfer(smtp_sink: SmtpSink) -> None:
    sender = email_sender(smtp_sink.config())

    sender.send_email(TO, "Café – a question", "Costs £0 — thank you.", "<p>Costs £0 — thank you.</p>", {})

    received = smtp_sink.messages[0]
    assert received.raw.isascii()
    plain, html = received.message.iter_parts()
    assert isinstance(plain, EmailMessage) and isinstance(html, EmailMessage)
    assert received.message["Subject"] == "Café – a question"
    assert plain.get_content().strip() == "Costs £0 — thank you."
    assert "£0" in html.get_content()


@pytest.mark.parametrize(("stage", "code"), [("rcpt", 550), ("rcpt", 553), ("data", 554), ("data", 552)])
def test_a_5xx_refusal_is_permanent_with_the_smtp_code(smtp_sink: SmtpSink, stage: str, code: int) -> None:
    smtp_sink.reject_next(code, stage=stage)  # type: ignore[arg-type]

    outcome = send(smtp_sink)

    assert (outcome.status, outcome.error_code) == ("permanent", str(code))
    assert smtp_sink.messages == []
    assert_discreet(outcome)


@pytest.mark.parametrize(("stage", "code"), [("rcpt", 450), ("rcpt", 451), ("data", 451), ("data", 452)])
def test_a_4xx_refusal_is_transient(smtp_sink: SmtpSink, stage: str, code: int) -> None:
    smtp_sink.reject_next(code, stage=stage)  # type: ignore[arg-type]

    outcome = send(smtp_sink)
    retried = send(smtp_sink)

    assert (outcome.status, outcome.error_code) == ("transient", str(code))
    assert retried.status == "accepted"
    assert len(smtp_sink.messages) == 1


def test_connection_refused_is_transient() -> None:
    settings = {"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": free_port(), "MAIL_FROM": "a@b.test"}

    outcome = email_sender(settings).send_email(TO, "Hello", "text", "<p>html</p>", {})

    assert outcome.status == "transient"
    assert_discreet(outcome)


def test_a_connection_dropped_after_the_message_was_sent_is_unknown(smtp_sink: SmtpSink) -> None:
    smtp_sink.drop_after_data()

    outcome = send(smtp_sink)

    assert outcome.status == "unknown"
    assert len(smtp_sink.messages) == 1  # the server had it: a resend could deliver it twice
    assert_discreet(outcome)


def test_no_final_reply_within_the_timeout_is_unknown(smtp_sink: SmtpSink) -> None:
    smtp_sink.stall_after_data(2.0)

    outcome = send(smtp_sink, SMTP_TIMEOUT_SECONDS=0.3)

    assert outcome.status == "unknown"


def test_starttls_required_but_not_offered_is_transient_and_nothing_is_sent(smtp_sink: SmtpSink) -> None:
    outcome = send(smtp_sink, SMTP_STARTTLS=True)

    assert outcome.status == "transient"
    assert smtp_sink.messages == []


def test_headers_the_sender_owns_cannot_be_passed(smtp_sink: SmtpSink) -> None:
    sender = email_sender(smtp_sink.config())

    with pytest.raises(ValueError, match="From"):
        sender.send_email(TO, "Hello", "text", "<p>html</p>", {"From": "someone@else.example"})


def test_a_header_value_with_a_line_break_is_refused(smtp_sink: SmtpSink) -> None:
    sender = email_sender(smtp_sink.config())

    with pytest.raises(ValueError):
        sender.send_email(TO, "Hello", "text", "<p>html</p>", {"List-Unsubscribe": "<https://x>\r\nBcc: a@b.example"})
    assert smtp_sink.messages == []


def test_the_smtp_sender_is_an_email_sender(smtp_sink: SmtpSink) -> None:
    sender = email_sender(smtp_sink.config())

    assert isinstance(sender, SmtpEmailSender)
    assert isinstance(sender, EmailSender)
