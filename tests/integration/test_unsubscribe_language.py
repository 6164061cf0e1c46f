"""The unsubscribe pages in the client's language (SPEC 8.3), on SQLite and PostgreSQL: the language of the
latest episode behind the address, `?lang=` to read them in the other language, kept from page to page."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import ContactPoint
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.languages import english_left_in, visible_text
from tests.factories.sms import DISCHARGE, DUE, IMPORTED, tick


def emailed_path(sink, to: str) -> str:
    message = next(m.message for m in sink.messages if m.message["To"] == to)
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://[^/\s]+(/u/\S+)", text).group(1)


def shown(response) -> str:
    return visible_text(response.get_data(as_text=True))


def emailed(app, fake_twilio, smtp_sink) -> dict[str, str]:
    app.config.update(fake_twilio.config(), **smtp_sink.config(), SEND_RATE_PER_SECOND=500)
    make_service(plan="4")
    rows = [
        row(discharge_date=DISCHARGE, phone="", email="cy@example.org", preferred_channel="email", language="cy"),
        row(client_ref="C0002", discharge_date=DISCHARGE, phone="", email="en@example.org", preferred_channel="email"),
    ]
    run_import(csv_bytes(rows), now=IMPORTED)
    assert tick(DUE)["sent"] == 2
    return {language: emailed_path(smtp_sink, f"{language}@example.org") for language in ("cy", "en")}


def test_a_welsh_client_stops_and_resumes_in_welsh(app, fake_twilio, smtp_sink):
    paths = emailed(app, fake_twilio, smtp_sink)
    client = app.test_client()
    confirm = client.get(paths["cy"])
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and '<html lang="cy">' in page
    assert "<title>Atal negeseuon - Stillwell</title>" in page and "Atal y negeseuon hyn?" in shown(confirm)
    assert f'<a href="{paths["cy"]}?lang=en" lang="en-GB" hreflang="en-GB">English</a>' in page
    assert not english_left_in(shown(confirm))
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
    assert action == f"{paths['cy']}?lang=cy"
    stopped = client.post(action)
    assert stopped.status_code == 200 and "Fyddwch chi ddim yn cael rhagor o negeseuon" in shown(stopped)
    assert "English</a>" not in stopped.get_data(as_text=True)  # a link cannot repeat the POST
    assert not english_left_in(shown(stopped))
    db.session.expire_all()
    assert all(point.opted_out_at for point in db.session.scalars(select(ContactPoint)))
    resume = re.search(r'<form method="post" action="([^"]+)"', stopped.get_data(as_text=True)).group(1)
    resumed = client.post(resume)
    assert resumed.status_code == 200 and "Bydd negeseuon yn dechrau eto" in shown(resumed)
    assert not english_left_in(shown(resumed))


def test_the_one_click_post_answers_in_the_clients_language(app, fake_twilio, smtp_sink):
    paths = emailed(app, fake_twilio, smtp_sink)
    client = app.test_client()
    assert '<html lang="cy">' in client.post(paths["cy"]).get_data(as_text=True)
    english = client.post(paths["en"])
    assert '<html lang="en-GB">' in english.get_data(as_text=True) and "not get any more messages" in shown(english)


def test_an_english_client_can_read_it_in_welsh_and_a_bad_link_is_refused_in_either(app, fake_twilio, smtp_sink):
    paths = emailed(app, fake_twilio, smtp_sink)
    client = app.test_client()
    welsh = client.get(paths["en"] + "?lang=cy")
    assert "Atal y negeseuon hyn?" in shown(welsh) and not english_left_in(shown(welsh))
    refused = client.get("/u/not-a-token?lang=cy")
    assert refused.status_code == 404 and "Dydyn ni ddim yn adnabod y ddolen hon" in shown(refused)
    assert not english_left_in(shown(refused))
    assert "We do not recognise this link" in shown(client.get("/u/not-a-token"))
