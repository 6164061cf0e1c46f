"""Twilio delivery-status callbacks through the signed webhook: forward only, error codes, opt-out, fallback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client, ContactPoint, OutboundMessage
from app.models.message import HeldStatusCallback
from app.services import dispatch
from tests.factories.sms import DUE, open_check_in, post_signed
from tests.fakes import fixtures

STATUS_PATH = "/webhooks/twilio/status"


def callback(app, sid: str, status: str, error_code: str | None = None, *, token: str | None = None):
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32, "To": "+447400123456"}
    if error_code:
        params["ErrorCode"] = error_code
    response = post_signed(app.test_client(), STATUS_PATH, params, token=token or app.config["TWILIO_AUTH_TOKEN"])
    db.session.expire_all()
    return response


def first_message() -> OutboundMessage:
    return db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "first")).one()


@pytest.mark.parametrize(
    ("sequence", "final"),
    [
        (["queued", "sent", "delivered"], "delivered"),
        (["delivered", "sent", "queued"], "delivered"),
        (["sent", "queued"], "sent"),
        (["failed", "delivered", "sent"], "failed"),
        (["undelivered", "queued", "sent", "delivered"], "undelivered"),
        (["delivered", "undelivered"], "delivered"),
        (["sent", "sent"], "sent"),
    ],
)
def test_status_only_moves_forward(app, providers, sequence, final):
    open_check_in()
    sid = first_message().provider_id
    for status in sequence:
        assert callback(app, sid, status).status_code == 204
    assert first_message().status == final


fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink
providers = fixtures.providers


def test_error_code_is_stored_and_unknown_sids_are_ignored(app, providers):
    open_check_in()
    message = first_message()
    callback(app, message.provider_id, "undelivered", "30003")
    assert first_message().status == "undelivered" and first_message().error_code == "30003"
    assert callback(app, "SM" + "f" * 32, "delivered").status_code == 204
    assert db.session.scalars(select(Client.sms_failed_at)).one() is None  # 30003 is not permanent


def test_unsigned_status_callback_changes_nothing(app, providers):
    open_check_in()
    sid = first_message().provider_id
    assert callback(app, sid, "failed", "21610", token="wrong").status_code == 403
    response = app.test_client().post(STATUS_PATH, data={"MessageSid": sid, "MessageStatus": "failed"})
    assert response.status_code == 403
    db.session.expire_all()
    assert first_message().status == "accepted"
    assert db.session.scalars(select(ContactPoint)).all() == []


@pytest.mark.parametrize("sid", ["", "SM123", "SM" + "F" * 32, "console-1234", "SM" + "0" * 32 + "x", "MX" + "0" * 32])
def test_a_message_sid_twilio_could_not_have_made_is_refused_and_nothing_is_written(app, providers, sid):
    open_check_in()
    tables = db.metadata.sorted_tables
    before = {table.name: db.session.execute(select(func.count()).select_from(table)).scalar_one() for table in tables}
    assert callback(app, sid, "failed", "21610").status_code == 400
    after = {table.name: db.session.execute(select(func.count()).select_from(table)).scalar_one() for table in tables}
    assert after == before  # no held callback, no opt-out, no audit event
    assert first_message().status == "accepted"


def test_error_21610_opts_the_client_out_everywhere(app, providers):
    twilio, sink = providers
    check_in = open_check_in()
    callback(app, first_message().provider_id, "failed", "21610")
    points = db.session.scalars(select(ContactPoint)).all()
    assert {p.kind for p in points} == {"phone", "email"} and all(p.opted_out_at for p in points)
    db.session.refresh(check_in)
    assert check_in.status == CheckInStatus.CLOSED and check_in.close_reason == "opt_out"
    before = len(twilio.messages)
    dispatch.tick(DUE + timedelta(weeks=4, hours=1))
    assert len(twilio.messages) == before and sink.messages == []


def test_permanent_failure_of_the_first_text_falls_back_to_email(app, providers):
    _, sink = providers
    check_in = open_check_in()
    callback(app, first_message().provider_id, "undelivered", "30006")
    client = db.session.scalars(select(Client)).one()
    assert client.sms_failed_at is not None
    db.session.refresh(check_in)
    assert check_in.status == CheckInStatus.SCHEDULED and check_in.first_sent_at is None
    summary = dispatch.tick(DUE + timedelta(hours=1))
    assert summary["sent"] == 1
    assert len(sink.messages) == 1 and sink.messages[0].rcpt_tos == ("person1@example.org",)
    db.session.expire_all()
    check_in = db.session.get(CheckIn, check_in.id)
    assert check_in.status == CheckInStatus.OPEN and check_in.channel == "email"


def test_a_callback_before_dispatch_recorded_the_sid_is_held_and_applied_by_the_next_tick(app, providers):
    _, sink = providers
    check_in = open_check_in()
    early_sid = "SM" + "e" * 32
    # Dispatch records SIDs after the whole batch is sent; Twilio's callbacks can come first.
    assert callback(app, early_sid, "sent").status_code == 204
    assert callback(app, early_sid, "undelivered", "30006").status_code == 204
    assert len(db.session.scalars(select(HeldStatusCallback)).all()) == 2
    message = first_message()
    message.provider_id = early_sid  # what dispatch records once the batch is done
    db.session.commit()
    dispatch.tick(DUE + timedelta(minutes=1))
    db.session.expire_all()
    assert first_message().status == "undelivered" and first_message().error_code == "30006"
    assert db.session.scalars(select(HeldStatusCallback)).all() == []
    assert db.session.get(CheckIn, check_in.id).status == CheckInStatus.SCHEDULED
    assert dispatch.tick(DUE + timedelta(minutes=2))["sent"] == 1 and len(sink.messages) == 1


def test_held_callbacks_for_sids_never_seen_are_dropped_after_a_day(app, providers):
    open_check_in()
    callback(app, "SM" + "a" * 32, "delivered")
    dispatch.tick(DUE + timedelta(hours=1))
    assert len(db.session.scalars(select(HeldStatusCallback)).all()) == 1
    dispatch.tick(datetime.now(UTC) + timedelta(days=2))
    assert db.session.scalars(select(HeldStatusCallback)).all() == []
