"""A Welsh-speaking client's year of check-ins through the real app (SPEC 8.3): the dispatch tick sends through
the real twilio package to the fake Twilio, the client answers by signed webhook requests, and every text, from
the first question to the STOP confirmation, is Welsh; every outbound SMS row keeps its cost and language. Then
a bilingual service's client whose language is not known hears Welsh, then English, in each message.

The client (discharged Monday 7 September 2026, plan 4, 8, 18, 26, 52 weeks, `language` cy-GB) answers with
numbers and W/M, which read the same in every language, and asks for help with HELPU. A Welsh risk phrase meets
the Welsh crisis signposting and raises a safeguarding alert; STOPIO ends contact with the Welsh confirmation
and the 52-week check-in is never sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.domain import texts
from app.domain.languages import BILINGUAL
from app.domain.sms_encoding import measure
from app.extensions import db
from app.models import CheckIn, CheckInStatus, OutboundMessage
from app.models.message import SafeguardingAlert
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.sms import DISCHARGE, DUE, DUE_8, IMPORTED, Phone, tick
from tests.fakes import fixtures

fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink
providers = fixtures.providers

STOP_WORD = "STOPIO"
RISK_PHRASE = "dwi eisiau lladd fy hun"  # I want to kill myself
NAME = "Tyne Wellbeing"
CONTACT = "stillwell.example.org/help"  # the test configuration's HELP_CONTACT
DUE_18 = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)  # Monday, 10:00 GMT
DUE_26 = datetime(2027, 3, 8, 10, 0, tzinfo=UTC)  # Monday, 10:00 GMT
DUE_52 = datetime(2027, 9, 6, 9, 0, tzinfo=UTC)  # Monday, 10:00 BST
SHORTLY = timedelta(minutes=20)


def check_in_at(offset: int) -> CheckIn:
    db.session.expire_all()
    return db.session.scalars(select(CheckIn).where(CheckIn.offset_weeks == offset)).one()


def outbound() -> list[OutboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundMessage).where(OutboundMessage.channel == "sms")))


def test_a_welsh_speaking_client_hears_welsh_for_a_year(app, providers, monkeypatch):
    twilio, _ = providers
    make_service()  # the SPEC plan: 4, 8, 18, 26 and 52 weeks
    run_import(csv_bytes([row(discharge_date=DISCHARGE, language="cy-GB")]), now=IMPORTED)
    phone = Phone(app, monkeypatch)

    # 4 weeks: the Welsh first message, then every question in Welsh.
    assert tick(DUE)["sent"] == 1
    assert [sent.body for sent in twilio.messages] == [texts.first_message(NAME, None, "cy")]
    assert phone.send("2", DUE + SHORTLY) == [texts.duration_question("cy")]
    assert phone.send("3", DUE + 2 * SHORTLY) == [texts.duration_clarification("3", "cy")]
    assert phone.send("W", DUE + 3 * SHORTLY) == [texts.usual_self_question("cy")]
    assert phone.send("3", DUE + 4 * SHORTLY) == [texts.thank_you(NAME, "cy")]
    first = check_in_at(4)
    assert (first.change, first.duration_start, first.usual_self) == ("a_little_better", date(2026, 9, 14), "no")

    # 8 weeks: an unclear answer is asked again in Welsh; HELP is Welsh; a risk phrase meets the Welsh crisis
    # signposting (before the next question) and raises a safeguarding alert.
    assert tick(DUE_8)["sent"] == 1
    assert twilio.messages[-1].body == texts.first_message(NAME, None, "cy")
    assert phone.send("hmm", DUE_8 + SHORTLY) == [texts.reask("change", "cy")]
    assert phone.send("HELPU", DUE_8 + 2 * SHORTLY) == [texts.help_reply(NAME, CONTACT, "cy")]
    assert phone.send(f"4. {RISK_PHRASE}", DUE_8 + 3 * SHORTLY) == [
        texts.crisis_signposting("cy"),
        texts.duration_question("cy"),
    ]
    alert = db.session.scalars(select(SafeguardingAlert)).one()
    assert alert.client_id == first.client_id and alert.status == "open"
    assert check_in_at(8).change == "a_little_worse"

    # Between check-ins: the "closed" reply names the next month in Welsh.
    tick(DUE_8 + timedelta(days=14))
    assert phone.send("helo", DUE_8 + timedelta(days=15)) == [texts.closed("January", "cy")]
    assert "Ionawr" in texts.closed("January", "cy")

    # 18 weeks: well again.
    assert tick(DUE_18)["sent"] == 1
    assert phone.send("1", DUE_18 + SHORTLY) == [texts.duration_question("cy")]
    assert phone.send("2", DUE_18 + 2 * SHORTLY) == [texts.duration_clarification("2", "cy")]
    assert phone.send("M", DUE_18 + 3 * SHORTLY) == [texts.usual_self_question("cy")]
    assert phone.send("1", DUE_18 + 4 * SHORTLY) == [texts.thank_you(NAME, "cy")]

    # 26 weeks: nothing back for 72 hours, so the Welsh reminder; then STOP, confirmed in Welsh.
    assert tick(DUE_26)["sent"] == 1
    assert tick(DUE_26 + timedelta(hours=72))["reminders"] == 1
    assert twilio.messages[-1].body == texts.reminder("change", NAME, None, "cy")
    assert phone.send(STOP_WORD, DUE_26 + timedelta(hours=73)) == [texts.opt_out_confirmation("cy")]

    # 52 weeks: opted out, so nothing is sent and the check-in is withdrawn.
    sent_before = len(twilio.messages)
    assert tick(DUE_52)["sent"] == 0
    assert len(twilio.messages) == sent_before == 5
    assert check_in_at(52).status == CheckInStatus.WITHDRAWN

    # Every outbound SMS is Welsh, with the cost it was measured at when written.
    rows = outbound()
    assert [m.purpose for m in rows] == ["first", "first", "first", "first", "reminder"]
    assert {m.language for m in rows} == {"cy"}
    assert [(m.encoding, m.segments) for m in rows] == [tuple(measure(m.body)[::2]) for m in rows]
    assert [m.body for m in rows] == [sent.body for sent in twilio.messages]


def test_a_bilingual_services_client_with_no_language_hears_welsh_then_english(app, providers, monkeypatch):
    twilio, _ = providers
    make_service(plan="4,8", bilingual=True)
    run_import(csv_bytes([row(discharge_date=DISCHARGE, language="")]), now=IMPORTED)
    phone = Phone(app, monkeypatch)

    assert tick(DUE)["sent"] == 1
    (body,) = [sent.body for sent in twilio.messages]
    welsh, english = body.split(texts.BILINGUAL_SEPARATOR, 1)
    assert welsh == texts.first_message(NAME, None, "cy") and english == texts.first_message(NAME, None, "en")
    assert phone.send("hmm", DUE + SHORTLY) == [texts.reask("change", BILINGUAL)]
    assert phone.send("1", DUE + 2 * SHORTLY) == [texts.duration_question(BILINGUAL)]
    assert phone.send(RISK_PHRASE, DUE + 3 * SHORTLY) == [texts.crisis_signposting(BILINGUAL)]
    assert texts.crisis_signposting(BILINGUAL).startswith("Os ydych mewn perygl")
    assert phone.send(STOP_WORD, DUE + 4 * SHORTLY) == [texts.opt_out_confirmation(BILINGUAL)]
    # START: the Welsh confirmation's o-circumflex makes the whole bilingual text UCS-2.
    resumed = phone.send("START", DUE + 5 * SHORTLY)
    assert resumed == [texts.resume_confirmation("cy") + "\n\n" + texts.resume_confirmation("en")]
    assert measure(resumed[0]).encoding == "UCS-2"

    (first,) = outbound()
    assert (first.language, first.encoding, first.segments) == (BILINGUAL, "GSM-7", measure(body).segments)
