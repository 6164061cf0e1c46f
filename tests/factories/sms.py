"""One client discharged on DISCHARGE, the follow-up timeline of the dispatch tests, and a phone
talking to the app through the signed Twilio webhook. Requests are signed with the twilio package's
own `RequestValidator.compute_signature`. Synthetic numbers only."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from app.extensions import db
from app.models import CheckIn, CheckInStatus
from app.services import dispatch
from app.web import webhooks
from tests.factories import csv_bytes, make_service, row, run_import

BASE = "https://stillwell.example.org"
SMS_PATH = "/webhooks/twilio/sms"
PHONE = "+447400123456"
OTHER_PHONE = "+447400999888"
# Discharged Monday 2026-09-07: the 4-week check-in is due Monday 2026-10-05, 10:00 BST = 09:00 UTC.
DISCHARGE = "2026-09-07"
DUE = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)  # 4 weeks after discharge, 10:00 BST
DUE_8 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # 8 weeks after discharge, 10:00 GMT
IMPORTED = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)


def new_sid() -> str:
    return "SM" + secrets.token_hex(16)


def signature(token: str, url: str, params: dict[str, str]) -> str:
    return RequestValidator(token).compute_signature(url, params)


def post_signed(client, path: str, params: dict[str, str], *, token: str, url: str | None = None, headers=None):
    """POST form `params` to `path`, signed as Twilio would sign `url` (default: BASE + path)."""
    sig = signature(token, url or BASE + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": sig, **(headers or {})})


def sms_params(body: str, *, sid: str | None = None, sender: str = PHONE) -> dict[str, str]:
    return {
        "MessageSid": sid or new_sid(),
        "SmsSid": sid or "",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+447700900000",
        "Body": body,
        "NumMedia": "0",
    }


def replies_of(response) -> list[str]:
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return [element.text or "" for element in root.findall("Message")]


class Phone:
    """A client's phone talking to the app through the signed webhook, at a chosen instant."""

    def __init__(self, app, monkeypatch, number: str = PHONE) -> None:
        self.client = app.test_client()
        self.token = app.config["TWILIO_AUTH_TOKEN"]
        self.monkeypatch = monkeypatch
        self.number = number

    def send(self, body: str, at: datetime, *, sid: str | None = None) -> list[str]:
        self.monkeypatch.setattr(webhooks, "utcnow", lambda: at)
        response = post_signed(self.client, SMS_PATH, sms_params(body, sid=sid, sender=self.number), token=self.token)
        db.session.expire_all()
        return replies_of(response)


def open_check_in(plan: str = "4,8", **service_settings: object) -> CheckIn:
    """One client (07400 123456) discharged on DISCHARGE; the 4-week check-in opened by a dispatch tick."""
    make_service(plan=plan, **service_settings)
    run_import(csv_bytes([row(discharge_date=DISCHARGE)]), now=IMPORTED)
    assert dispatch.tick(DUE)["sent"] == 1
    db.session.expire_all()
    return db.session.scalars(select(CheckIn).where(CheckIn.status == CheckInStatus.OPEN)).one()


def tick(at: datetime) -> dict[str, int]:
    result = dispatch.tick(at)
    db.session.expire_all()
    return result
