"""Check-in emails in the client's language (SPEC 8.3): chosen by the episode's `language`, sent through the real
SMTP sink (aiosmtpd), Welsh from subject to footer, reminders too; English for any other tag."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services.dispatch.email_content import check_in_email
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.languages import english_left_in, english_pieces
from tests.factories.sms import DISCHARGE, DUE, IMPORTED, tick

WELSH_FOOTER = "Nid yw'r cyfeiriad hwn yn darllen atebion."


@pytest.fixture
def providers(app, fake_twilio, smtp_sink):
    app.config.update(fake_twilio.config(), **smtp_sink.config(), SEND_RATE_PER_SECOND=500)
    return fake_twilio, smtp_sink


def email_client(language: str, client_ref: str = "C0001", email: str = "person@example.org") -> dict[str, str]:
    return row(
        client_ref=client_ref,
        discharge_date=DISCHARGE,
        phone="",
        email=email,
        preferred_channel="email",
        language=language,
    )


def parts(message) -> tuple[str, str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return str(message["Subject"]), text, html


def test_a_welsh_client_gets_a_welsh_email_through_smtp_and_an_english_client_an_english_one(app, providers):
    _, sink = providers
    make_service(plan="4")
    run_import(
        csv_bytes(
            [
                email_client("cy-GB"),
                email_client("en-GB", client_ref="C0002", email="person2@example.org"),
                email_client("fr", client_ref="C0003", email="person3@example.org"),
            ]
        ),
        now=IMPORTED,
    )
    assert tick(DUE)["sent"] == 3
    by_recipient = {message.message["To"]: message.message for message in sink.messages}

    subject, text, html = parts(by_recipient["person@example.org"])
    assert subject == "Cwestiwn byr gan Tyne Wellbeing"
    assert text.startswith("Mae Tyne Wellbeing yn cysylltu, yn annibynnol ar y gwasanaeth a welsoch")
    assert "Atebwch yma: http" in text and "/s/" in text
    assert WELSH_FOOTER in text and "116 123" in text and "0808 164 0123" in text
    assert "I atal y negeseuon hyn: http" in text and "/u/" in text
    assert '<html lang="cy">' in html and ">Atebwch dri chwestiwn byr</a>" in html
    assert ">Atal y negeseuon hyn</a>" in html
    assert english_pieces("email.") and not english_left_in(f"{subject}\n{text}\n{html}", "email.")

    for recipient in ("person2@example.org", "person3@example.org"):  # en-GB, and French falls back to English
        subject, text, html = parts(by_recipient[recipient])
        assert subject == "A quick question from Tyne Wellbeing"
        assert "This address does not read replies." in text and '<html lang="en-GB">' in html
        assert WELSH_FOOTER not in text


def test_the_reminder_email_is_in_the_clients_language_too(app, providers):
    _, sink = providers
    make_service(plan="4")
    run_import(csv_bytes([email_client("cy")]), now=IMPORTED)
    tick(DUE)
    assert tick(DUE + timedelta(hours=72))["reminders"] == 1
    subject, text, html = parts(sink.messages[-1].message)
    assert subject == "Nodyn atgoffa: cwestiwn byr gan Tyne Wellbeing"
    assert not english_left_in(f"{subject}\n{text}\n{html}", "email.")
    assert "Dydyn ni ddim wedi clywed gennych eto, felly dyma'r ddolen eto." in text
    assert WELSH_FOOTER in text


@pytest.mark.parametrize("language", ["en", "cy"])
@pytest.mark.parametrize("reminder", [False, True])
def test_every_email_subject_stays_discreet_and_escapes_the_links(language: str, reminder: bool) -> None:
    content = check_in_email(
        "A&B", "https://x.example/s/t?a=1&b=2", "https://x.example/u/u", reminder=reminder, language=language
    )
    assert "A&amp;B" in content.html and "a=1&amp;b=2" in content.html
    for word in ("therap", "mental", "anxi", "depress", "counsel", "psycho", "iechyd meddwl", "iselder", "pryder"):
        assert word not in content.subject.lower()
    assert content.headers["List-Unsubscribe"] == "<https://x.example/u/u>"
