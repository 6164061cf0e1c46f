"""Every text in the client's language (SPEC 8.3), through the real dispatch tick, a fake Twilio and the signed
webhook: Welsh clients hear Welsh, a bilingual service's clients with no language hear Welsh then English, and
every outbound SMS row keeps its encoding, segments and language (emails: none)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.domain import texts
from app.domain.catalogues import CATALOGUES
from app.domain.languages import BILINGUAL
from app.domain.sms_encoding import measure
from app.extensions import db
from app.models import OutboundMessage
from app.models.message import SafeguardingAlert
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.sms import DISCHARGE, DUE, IMPORTED, OTHER_PHONE, Phone, tick
from tests.fakes import fixtures

fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink
providers = fixtures.providers

NAME = "Tyne Wellbeing"
SHORTLY = timedelta(minutes=20)
CONTACT = "stillwell.example.org/help"  # the test configuration's HELP_CONTACT


def import_one(language: str, *, bilingual: bool = False, **overrides: str) -> None:
    make_service(plan="4,8", bilingual=bilingual)
    run_import(csv_bytes([row(discharge_date=DISCHARGE, language=language, **overrides)]), now=IMPORTED)


def messages() -> list[OutboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def test_a_welsh_client_hears_welsh_first_message_reask_help_and_signposting(app, providers, monkeypatch):
    twilio, _ = providers
    import_one("cy-GB")
    assert tick(DUE)["sent"] == 1
    assert [sent.body for sent in twilio.messages] == [texts.first_message(NAME, None, "cy")]
    assert twilio.messages[0].body.startswith("Helo gan Tyne Wellbeing.")
    phone = Phone(app, monkeypatch)
    assert phone.send("better", DUE + SHORTLY) == [texts.reask("change", "cy")]
    assert phone.send("HELP", DUE + 2 * SHORTLY) == [texts.help_reply(NAME, CONTACT, "cy")]
    # An English risk phrase (understood in every language) gets the Welsh signposting, and an alert.
    assert phone.send("I want to kill myself", DUE + 3 * SHORTLY) == [texts.crisis_signposting("cy")]
    assert db.session.scalars(select(SafeguardingAlert)).one()
    assert phone.send("1", DUE + 4 * SHORTLY) == [texts.duration_question("cy")]
    assert phone.send("STOP", DUE + 5 * SHORTLY) == [texts.opt_out_confirmation("cy")]


def test_a_bilingual_service_sends_welsh_then_english_when_the_language_is_not_known(app, providers, monkeypatch):
    twilio, _ = providers
    import_one("", bilingual=True)
    assert tick(DUE)["sent"] == 1
    body = twilio.messages[0].body
    assert body == texts.first_message(NAME, None, "cy") + "\n\n" + texts.first_message(NAME, None, "en")
    assert body.index("Helo gan") < body.index("Hello from")
    (first,) = messages()
    assert (first.language, first.encoding, first.segments) == (BILINGUAL, "GSM-7", measure(body).segments)
    assert first.segments == 3  # Tyne Wellbeing, no link: 3 segments where each half alone takes 2
    phone = Phone(app, monkeypatch)
    assert phone.send("a little better", DUE + SHORTLY) == [texts.duration_question(BILINGUAL)]
    assert phone.send("HELP", DUE + 2 * SHORTLY) == [
        texts.help_reply(NAME, CONTACT, "cy") + "\n\n" + texts.help_reply(NAME, CONTACT, "en")
    ]


@pytest.mark.parametrize(("language", "expected"), [("cy", "cy"), ("en-GB", "en"), ("pl", "en")])
def test_a_bilingual_service_sends_one_language_when_the_client_chose_one(app, providers, language, expected):
    twilio, _ = providers
    import_one(language, bilingual=True)
    assert tick(DUE)["sent"] == 1
    assert twilio.messages[0].body == texts.first_message(NAME, None, expected)
    assert messages()[0].language == expected


def test_an_unknown_sender_hears_english_even_at_a_bilingual_service(app, providers, monkeypatch):
    import_one("cy", bilingual=True)
    tick(DUE)
    stranger = Phone(app, monkeypatch, number=OTHER_PHONE)
    assert stranger.send("hello", DUE + SHORTLY) == [texts.unknown_sender("en")]


def test_a_known_client_with_nothing_open_hears_the_closed_reply_in_welsh(app, providers, monkeypatch):
    import_one("cy")
    tick(DUE)
    tick(DUE + timedelta(days=15))  # the 4-week check-in closes; the 8-week one is planned for November
    phone = Phone(app, monkeypatch)
    assert phone.send("helo", DUE + timedelta(days=16)) == [texts.closed("November", "cy")]
    assert "Tachwedd" in texts.closed("November", "cy")


def test_first_sends_and_reminders_store_their_encoding_segments_and_language(app, providers):
    twilio, _ = providers
    make_service(plan="4,8")
    run_import(
        csv_bytes(
            [
                row(client_ref="C0001", discharge_date=DISCHARGE, language="cy"),
                row(client_ref="C0002", discharge_date=DISCHARGE, language="en", phone="07400 222333"),
                row(client_ref="C0003", discharge_date=DISCHARGE, language="", phone="", preferred_channel="email"),
            ]
        ),
        now=IMPORTED,
    )
    assert tick(DUE)["sent"] == 3
    assert tick(DUE + timedelta(hours=72))["reminders"] == 3
    by_client = {}
    for message in messages():
        by_client.setdefault(message.client_id, []).append(message)
    welsh, english, emailed = (by_client[key] for key in sorted(by_client))
    for sent in welsh + english:
        size = measure(sent.body)
        assert (sent.encoding, sent.segments) == (size.encoding, size.segments)
    assert [(m.purpose, m.language, m.encoding) for m in welsh] == [
        ("first", "cy", "GSM-7"),
        ("reminder", "cy", "GSM-7"),
    ]
    assert welsh[0].body == texts.first_message(NAME, None, "cy")
    assert welsh[1].body == texts.reminder("change", NAME, None, "cy")
    assert [(m.language, m.segments) for m in english] == [("en", 2), ("en", 2)]
    assert [(m.channel, m.encoding, m.segments, m.language) for m in emailed] == [("email", None, None, None)] * 2
    assert {sent.body for sent in twilio.messages} == {m.body for m in welsh + english}


def test_a_welsh_text_with_a_circumflex_is_stored_as_ucs2(app, providers, monkeypatch):
    # The draft catalogue keeps its Welsh first message GSM-7; a wording with a w-circumflex makes it UCS-2.
    monkeypatch.setitem(CATALOGUES["cy"], "first_message", "Shwmae gan {name}! Sut ydych chi? Ateb: 1 i 5. \u0174")
    monkeypatch.setitem(CATALOGUES["cy"], "reminder", "Atgoffa gan {name}: sut ydych chi? 1 i 5. \u0174")
    twilio, _ = providers
    import_one("cy")
    tick(DUE)
    tick(DUE + timedelta(hours=72))
    first, reminder = messages()
    assert first.body.endswith("\u0174") and twilio.messages[0].body == first.body
    assert (first.encoding, first.segments, first.language) == ("UCS-2", 1, "cy")
    assert (reminder.purpose, reminder.encoding, reminder.segments) == ("reminder", "UCS-2", 1)


def test_a_safeguarding_alert_email_has_no_sms_cost(app, providers, monkeypatch):
    import_one("cy")
    tick(DUE)
    Phone(app, monkeypatch).send("I want to end my life", DUE + SHORTLY)
    alert_email = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "alert")).one()
    assert (alert_email.channel, alert_email.encoding, alert_email.segments, alert_email.language) == (
        "email",
        None,
        None,
        None,
    )
