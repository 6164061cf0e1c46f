"""The unsubscribe link in every email: a GET only asks, a POST stops every channel, resume restarts."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import CheckIn, CheckInStatus, ContactPoint
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.sms import DISCHARGE, DUE, IMPORTED, tick


def emailed_link(sink) -> str:
    text = sink.messages[-1].message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://\S+/u/\S+", text).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_unsubscribe_link_stops_every_channel_and_resume_restarts(app, fake_twilio, smtp_sink):
    app.config.update(fake_twilio.config(), **smtp_sink.config(), SEND_RATE_PER_SECOND=500)
    make_service(plan="4,8")
    run_import(csv_bytes([row(discharge_date=DISCHARGE, preferred_channel="email")]), now=IMPORTED)
    assert tick(DUE)["sent"] == 1
    email = smtp_sink.messages[-1].message
    link = emailed_link(smtp_sink)
    assert email["List-Unsubscribe"] == f"<{link}>"
    client = app.test_client()
    page = client.get(path_of(link))
    assert page.status_code == 200 and b"Stop messages" in page.data
    assert db.session.scalars(select(ContactPoint)).all() == []  # a GET (or a link scanner) changes nothing
    stopped = client.post(path_of(link))
    assert stopped.status_code == 200 and b"not get any more messages" in stopped.data
    db.session.expire_all()
    points = db.session.scalars(select(ContactPoint)).all()
    assert {p.kind for p in points} == {"email", "phone"} and all(p.opted_out_at for p in points)
    first = db.session.scalars(select(CheckIn).where(CheckIn.offset_weeks == 4)).one()
    assert (first.status, first.close_reason) == (CheckInStatus.CLOSED, "opt_out")
    assert tick(DUE + timedelta(weeks=4))["sent"] == 0  # the 8-week check-in falls due while opted out
    resumed = client.post(path_of(link) + "/resume")
    assert resumed.status_code == 200
    db.session.expire_all()
    assert all(p.opted_out_at is None for p in db.session.scalars(select(ContactPoint)))


def test_forged_or_damaged_links_are_refused_kindly(app):
    client = app.test_client()
    for path in ("/u/not-a-token", "/u/not-a-token/resume"):
        response = client.get(path) if not path.endswith("resume") else client.post(path)
        assert response.status_code == 404 and b"do not recognise this link" in response.data
    assert client.post("/u/not-a-token").status_code == 404
