"""The web survey in the client's language (SPEC 8.3), with the Flask test client on SQLite and PostgreSQL:
chosen by the episode's `language` (cy, cy-GB -> Welsh), `<html lang="cy">`, a link to the other language that
keeps the token, every label, hint, error (WTForms validators included), thank-you and signposting in Welsh,
and no English sentence of the page catalogue left on a Welsh page."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.domain import texts
from app.extensions import db
from app.models import CheckIn, InboundMessage
from app.services import dispatch
from app.services.dispatch.sending import new_survey_token
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.languages import english_left_in, visible_text

FIRST_SENT = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
LATER = FIRST_SENT + timedelta(days=1)
VALID = {"change": "a_little_better", "duration_number": "3", "duration_unit": "weeks", "usual_self": "mostly"}


@pytest.fixture
def tokens(app, fake_twilio, smtp_sink, monkeypatch):
    """Open check-ins of a Welsh (cy-GB) and an English client, and a working survey token for each."""
    rows = [
        row(client_ref="CY01", discharge_date="2026-09-07", language="cy-GB"),
        row(client_ref="EN01", phone="07400 654321", email="p2@example.org", discharge_date="2026-09-07"),
    ]
    made = sent_with_tokens(app, fake_twilio, smtp_sink, monkeypatch, rows, bilingual=False)
    return {"cy" if language == "cy-GB" else "en": token for language, token in made.items()}


def sent_with_tokens(app, fake_twilio, smtp_sink, monkeypatch, rows, *, bilingual: bool) -> dict[str, str]:
    """The rows imported at a service (bilingual or not), their first check-ins sent, and a working survey
    token for each open check-in, keyed by its episode's language as the row gave it ("" for none)."""
    app.config.update(fake_twilio.config(), **smtp_sink.config(), SEND_RATE_PER_SECOND=500)
    monkeypatch.setattr("app.web.survey.utcnow", lambda: LATER)
    make_service(plan="4", bilingual=bilingual)
    run_import(csv_bytes(rows), now=datetime(2026, 9, 30, 12, tzinfo=UTC))
    assert dispatch.tick(FIRST_SENT)["sent"] == len(rows)
    made = {}
    for check_in in db.session.scalars(select(CheckIn)):
        token, token_hash = new_survey_token()
        check_in.survey_token_hash = token_hash
        made[check_in.episode.language or ""] = token
    db.session.commit()
    return made


def shown(response) -> str:
    return visible_text(response.get_data(as_text=True))


def test_a_welsh_client_gets_the_survey_in_welsh_with_a_link_to_english(app, tokens):
    response = app.test_client().get(f"/s/{tokens['cy']}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="cy">' in page
    assert "<title>Ychydig o gwestiynau byr - Stillwell</title>" in page
    text = shown(response)
    for welsh in (
        "O gymharu gyda'r tro cyntaf i chi fynd, sut ydych chi nawr?",
        "Ychydig yn well",
        "Ers faint ydych chi wedi bod fel rydych chi nawr?",
        "Dydw i ddim yn siŵr",
        "Ydych chi'n teimlo fel chi eich hun eto?",
        "Anfon fy atebion",
        "Neidio i'r prif gynnwys",
        "0808 164 0123",
    ):
        assert welsh in text, welsh
    assert not english_left_in(text)
    switch = re.search(r'<a href="([^"]+)" lang="en-GB" hreflang="en-GB">English</a>', page)
    assert switch is not None and switch.group(1) == f"/s/{tokens['cy']}?lang=en"
    english = app.test_client().get(switch.group(1))
    assert '<html lang="en-GB">' in english.get_data(as_text=True)
    assert "Compared with when you first went, how are you now?" in shown(english)
    assert len(english_left_in(shown(english))) > 20  # the check finds English where there is English
    assert f'href="/s/{tokens["cy"]}?lang=cy" lang="cy" hreflang="cy">Cymraeg</a>' in english.get_data(as_text=True)


def test_an_english_client_can_read_the_survey_in_welsh_and_an_unknown_lang_is_ignored(app, tokens):
    client = app.test_client()
    assert '<html lang="en-GB">' in client.get(f"/s/{tokens['en']}").get_data(as_text=True)
    welsh = client.get(f"/s/{tokens['en']}?lang=cy")
    assert '<html lang="cy">' in welsh.get_data(as_text=True) and not english_left_in(shown(welsh))
    assert '<html lang="cy">' in client.get(f"/s/{tokens['cy']}?lang=fr").get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "welsh_error"),
    [
        ({}, "Dewiswch sut ydych chi nawr, o gymharu gyda'r tro cyntaf i chi fynd"),
        ({**VALID, "duration_number": "x"}, "Rhowch rif cyfan, fel 3 neu 12"),
        ({**VALID, "duration_unit": ""}, "Dewiswch ddiwrnodau, wythnosau, misoedd neu flynyddoedd"),
        ({**VALID, "duration_number": ""}, "Rhowch sawl diwrnod, wythnos, mis neu flwyddyn"),
        ({**VALID, "duration_kind": "finished"}, "Naill ai rhowch gyfnod o amser"),
        ({"change": "same", "duration_kind": "length"}, "Rhowch rif a dewis diwrnodau"),
        ({**VALID, "usual_self": "forged"}, "Dewiswch un o'r opsiynau"),
        ({**VALID, "comment": "a" * 2001}, "Cadwch eich sylw o dan 2000 nod"),
        ({**VALID, "duration_unit": "years", "duration_number": "999"}, None),  # clamped to referral, not an error
    ],
)
def test_every_error_message_is_welsh_on_a_welsh_page(app, tokens, form, welsh_error):
    response = app.test_client().post(f"/s/{tokens['cy']}", data=form)
    text = shown(response)
    if welsh_error is None:
        assert "Diolch" in text
        return
    assert response.status_code == 200 and text.count(welsh_error) == 2  # the summary and beside the question
    assert "<title>Gwall: Ychydig o gwestiynau byr - Stillwell</title>" in response.get_data(as_text=True)
    assert "Mae problem" in text and "Gwall:" in text
    assert not english_left_in(text)


def test_a_duration_in_the_future_is_refused_in_welsh(app, tokens, monkeypatch):
    monkeypatch.setattr("app.services.conversation.survey.read_duration", lambda *_: None)
    text = shown(app.test_client().post(f"/s/{tokens['cy']}", data=VALID))
    assert "Byddai hynny'n ddyddiad yn y dyfodol. Gwiriwch y rhif a'r uned" in text
    assert not english_left_in(text)


def test_a_welsh_submission_is_stored_and_thanked_in_welsh_then_the_used_link_says_so(app, tokens):
    client = app.test_client()
    thanks = client.post(f"/s/{tokens['cy']}?lang=cy", data={**VALID, "comment": "Diolch am ofyn."})
    text = shown(thanks)
    assert thanks.status_code == 200 and '<html lang="cy">' in thanks.get_data(as_text=True)
    assert "Mae eich atebion gennym. Maen nhw'n mynd i'r gwerthusiad annibynnol, nid i Tyne Wellbeing." in text
    assert "Os oes angen help arnoch nawr" not in text and not english_left_in(text)
    db.session.expire_all()
    check_in = db.session.scalars(select(CheckIn).where(CheckIn.survey_submitted_at.is_not(None))).one()
    assert (check_in.change, check_in.usual_self, check_in.duration_start) == (
        "a_little_better",
        "mostly",
        date(2026, 9, 15),
    )
    used = client.get(f"/s/{tokens['cy']}")
    assert used.status_code == 410 and "Rydych chi wedi ateb yn barod" in shown(used)
    assert not english_left_in(shown(used))


def test_a_risk_comment_gets_welsh_signposting_on_the_page_and_in_the_record(app, tokens):
    thanks = app.test_client().post(f"/s/{tokens['cy']}", data={**VALID, "comment": "I want to die"})
    page = thanks.get_data(as_text=True)
    text = shown(thanks)
    assert "Os oes angen help arnoch nawr" in text and "Does dim rhaid i chi wynebu hyn ar eich pen eich hun." in text
    assert '<a href="tel:111">GIG 111</a>' in page and '<a href="tel:116123">116 123</a>' in page
    assert not english_left_in(text)
    message = db.session.scalars(select(InboundMessage).where(InboundMessage.channel == "web")).one()
    assert json.loads(message.reply_text) == [texts.crisis_signposting("cy")]


def test_answers_already_given_by_text_are_shown_in_welsh(app, tokens):
    check_in = db.session.scalars(
        select(CheckIn).join(CheckIn.episode).where(CheckIn.episode.has(language="cy-GB"))
    ).one()
    check_in.change, check_in.change_at = "much_better", LATER
    check_in.duration_start, check_in.duration_at = date(2026, 9, 15), LATER
    db.session.commit()
    text = shown(app.test_client().get(f"/s/{tokens['cy']}"))
    assert "Rydych eisoes wedi dweud wrthym mewn neges destun: Llawer gwell. Diolch." in text
    assert "Rydych eisoes wedi dweud wrthym mewn neges destun: ers 15 Medi 2026. Diolch." in text
    assert not english_left_in(text)


def test_closed_and_unknown_links_in_welsh(app, tokens):
    client = app.test_client()
    unknown = client.get("/s/not-a-link?lang=cy")
    assert unknown.status_code == 404 and "Dydyn ni ddim yn adnabod y ddolen hon" in shown(unknown)
    assert not english_left_in(shown(unknown))
    assert "We do not recognise this link" in shown(client.get("/s/not-a-link"))
    for check_in in db.session.scalars(select(CheckIn)):
        check_in.first_sent_at = LATER - timedelta(days=15)
    db.session.commit()
    closed = client.get(f"/s/{tokens['cy']}")
    assert closed.status_code == 410 and "Mae'r ddolen hon wedi cau" in shown(closed)
    assert not english_left_in(shown(closed))


def test_the_timed_out_form_notice_is_welsh(app, tokens):
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post(f"/s/{tokens['cy']}", data=VALID)
    assert response.status_code == 400
    text = shown(response)
    assert "daeth amser y dudalen hon i ben er eich diogelwch" in text and not english_left_in(text)


def test_the_form_keeps_its_language_and_a_body_too_large_is_refused_in_it(app, tokens):
    client = app.test_client()
    page = client.get(f"/s/{tokens['cy']}").get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]*)"', page).group(1)
    assert action == "?lang=cy"
    refused = client.post(f"/s/{tokens['cy']}{action}", data={**VALID, "comment": "a" * 70_000})
    assert refused.status_code == 413 and '<html lang="cy">' in refused.get_data(as_text=True)
    text = shown(refused)
    assert "Mae hyn yn rhy hir i'w anfon" in text and "64 KB" not in text and not english_left_in(text)
    english = client.post(f"/s/{tokens['en']}?lang=en", data={**VALID, "comment": "a" * 70_000})
    assert english.status_code == 413 and "This is too long to send" in shown(english)


@pytest.fixture
def bilingual_tokens(app, fake_twilio, smtp_sink, monkeypatch):
    """Open check-ins at a bilingual service of a client who gave no language, an English (en) and a Welsh (cy)
    client, and a working survey token for each (keyed by the row's language, "" for none)."""
    rows = [
        row(client_ref="UN01", discharge_date="2026-09-07", language=""),
        row(
            client_ref="EN01", phone="07400 654321", email="p2@example.org", discharge_date="2026-09-07", language="en"
        ),
        row(
            client_ref="CY01", phone="07400 654322", email="p3@example.org", discharge_date="2026-09-07", language="cy"
        ),
    ]
    return sent_with_tokens(app, fake_twilio, smtp_sink, monkeypatch, rows, bilingual=True)


def test_at_a_bilingual_service_a_client_of_unknown_language_gets_welsh_first_with_english_offered(
    app, bilingual_tokens
):
    client = app.test_client()
    token = bilingual_tokens[""]
    response = client.get(f"/s/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and '<html lang="cy">' in page
    text = shown(response)
    assert "O gymharu gyda'r tro cyntaf i chi fynd, sut ydych chi nawr?" in text and not english_left_in(text)
    # The switch to English is the first link of the page after "skip to content": in the header, in English.
    switch = re.search(r'<a href="([^"]+)" lang="en-GB" hreflang="en-GB">English</a>', page)
    assert switch is not None and switch.group(1) == f"/s/{token}?lang=en"
    assert page.index(switch.group(0)) < page.index("<main")
    english = client.get(switch.group(1))
    assert '<html lang="en-GB">' in english.get_data(as_text=True)
    assert "Compared with when you first went, how are you now?" in shown(english)
    # The form keeps the language the client is reading: Welsh first, English once chosen.
    assert re.search(r'<form method="post" action="([^"]*)"', page).group(1) == "?lang=cy"
    thanks = client.post(f"/s/{token}?lang=cy", data=VALID)
    assert thanks.status_code == 200 and '<html lang="cy">' in thanks.get_data(as_text=True)
    used = client.get(f"/s/{token}")
    assert used.status_code == 410 and '<html lang="cy">' in used.get_data(as_text=True)
    assert not english_left_in(shown(used))


def test_at_a_bilingual_service_an_english_client_gets_english_and_a_welsh_client_welsh(app, bilingual_tokens):
    client = app.test_client()
    english = client.get(f"/s/{bilingual_tokens['en']}").get_data(as_text=True)
    assert '<html lang="en-GB">' in english and ">Cymraeg</a>" in english
    welsh = client.get(f"/s/{bilingual_tokens['cy']}")
    assert '<html lang="cy">' in welsh.get_data(as_text=True) and not english_left_in(shown(welsh))
