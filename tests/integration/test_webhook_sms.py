"""The inbound SMS webhook through the real app: Twilio signatures, TwiML, de-duplication, keywords, safeguarding.

Requests are signed with the twilio package's own `RequestValidator.compute_signature`; the check-in being
answered is opened by a real dispatch tick against the fake Twilio.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.domain import texts
from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client, ContactPoint, Episode, InboundMessage, OptEvent, OutboundMessage
from app.models.message import ReviewItem, SafeguardingAlert
from app.services import dispatch
from app.web import webhooks
from tests.factories.sms import (
    BASE,
    DUE,
    DUE_8,
    OTHER_PHONE,
    PHONE,
    SMS_PATH,
    Phone,
    new_sid,
    open_check_in,
    post_signed,
    replies_of,
    signature,
    sms_params,
)
from tests.fakes import fixtures

fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink
providers = fixtures.providers


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


# -- signatures ----------------------------------------------------------------------------------------


def test_signed_answer_gets_the_next_question_and_is_recorded(app, providers, monkeypatch):
    check_in = open_check_in()
    phone = Phone(app, monkeypatch)
    at = DUE + timedelta(hours=2)
    assert phone.send("2", at) == [texts.duration_question()]
    db.session.refresh(check_in)
    assert check_in.change == "a_little_better" and check_in.change_at == at and check_in.last_inbound_at == at
    message = db.session.scalars(select(InboundMessage)).one()
    assert message.body == "2" and message.check_in_id == check_in.id and message.client_id == check_in.client_id
    assert PHONE not in (message.sender_hash or "") and len(message.sender_hash or "") == 64


@pytest.mark.parametrize(
    "case", ["missing", "wrong token", "tampered body", "other url", "forwarded host", "http scheme", "query added"]
)
def test_unsigned_or_mis_signed_requests_are_refused_and_nothing_is_stored(app, providers, case):
    open_check_in()
    client, token = app.test_client(), app.config["TWILIO_AUTH_TOKEN"]
    params = sms_params("1")
    headers: dict[str, str] = {}
    url = BASE + SMS_PATH
    if case == "missing":
        response = client.post(SMS_PATH, data=params)
    else:
        sign_token, signed = token, dict(params)
        if case == "wrong token":
            sign_token = "not-the-token"
        elif case == "tampered body":
            params = {**params, "Body": "5"}
        elif case == "other url":
            url = "https://evil.example.com" + SMS_PATH
        elif case == "forwarded host":
            url = "https://evil.example.com" + SMS_PATH
            headers = {"X-Forwarded-Host": "evil.example.com", "X-Forwarded-Proto": "https", "Host": "evil.example.com"}
        elif case == "http scheme":
            url = BASE.replace("https", "http") + SMS_PATH
            headers = {"X-Forwarded-Proto": "http"}
        elif case == "query added":
            url = BASE + SMS_PATH + "?x=1"
        sig = signature(sign_token, url, signed)
        response = client.post(SMS_PATH, data=params, headers={"X-Twilio-Signature": sig, **headers})
    assert response.status_code == 403
    db.session.expire_all()
    assert count(InboundMessage) == 0
    assert db.session.scalars(select(CheckIn.change)).all() == [None, None]


#: MessageSids Twilio could not have made: SM or MM and 32 lower-case hex digits is the only shape (SPEC 8.6).
BAD_SIDS = [
    "",
    "SM123",
    "SM" + "0" * 31,
    "SM" + "0" * 33,
    "SM" + "A" * 32,
    "sm" + "0" * 32,
    "XX" + "0" * 32,
    "SMdemo" + "0" * 32,
    "SM" + "0" * 32 + "\n",
    "MM" + "g" * 32,
    "SM" + "0" * 32 + "' OR 1=1 --",
]


def row_counts() -> dict[str, int]:
    """Rows in every table: a refused request must leave every one as it was (no message, no audit event)."""
    return {
        table.name: int(db.session.execute(select(func.count()).select_from(table)).scalar_one())
        for table in db.metadata.sorted_tables
    }


@pytest.mark.parametrize("sid", BAD_SIDS)
def test_a_message_sid_twilio_could_not_have_made_is_refused_and_nothing_is_written(app, providers, sid):
    check_in = open_check_in()
    before = row_counts()
    params = {**sms_params("1"), "MessageSid": sid}
    response = post_signed(app.test_client(), SMS_PATH, params, token=app.config["TWILIO_AUTH_TOKEN"])
    assert response.status_code == 400
    db.session.expire_all()
    assert row_counts() == before
    assert db.session.get(CheckIn, check_in.id).change is None


def test_an_mms_sid_is_taken(app, providers, monkeypatch):
    check_in = open_check_in()
    phone = Phone(app, monkeypatch)
    assert phone.send("1", DUE + timedelta(hours=1), sid="MM" + "0123456789abcdef" * 2) == [texts.duration_question()]
    db.session.refresh(check_in)
    assert check_in.change == "much_better"


def test_signature_covers_the_query_string(app, providers):
    open_check_in()
    client, token = app.test_client(), app.config["TWILIO_AUTH_TOKEN"]
    params = sms_params("1")
    response = post_signed(client, SMS_PATH + "?tag=a", params, token=token, url=BASE + SMS_PATH + "?tag=a")
    assert replies_of(response) == [texts.duration_question()]


_PRINTABLE = st.characters(min_codepoint=32, max_codepoint=126)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(
        st.sampled_from(["MessageSid", "From", "Body", "To", "AccountSid", "MessageStatus", "X"]),
        st.text(max_size=20),
        min_size=1,
    ),
    mode=st.sampled_from(["none", "garbage", "wrong key", "tampered", "other host"]),
    garbage=st.text(alphabet=_PRINTABLE, max_size=40),
    path=st.sampled_from([SMS_PATH, "/webhooks/twilio/status"]),
)
def test_random_forged_requests_are_all_refused(app, providers, params, mode, garbage, path):
    client, token = app.test_client(), app.config["TWILIO_AUTH_TOKEN"]
    headers: dict[str, str] = {}
    if mode == "garbage":
        headers["X-Twilio-Signature"] = garbage
    elif mode == "wrong key":
        headers["X-Twilio-Signature"] = signature(token + (garbage or "x"), BASE + path, params)
    elif mode == "tampered":  # signed properly, then one value changed on the way
        headers["X-Twilio-Signature"] = signature(token, BASE + path, params)
        key = sorted(params)[0]
        params = {**params, key: params[key] + "!"}
    elif mode == "other host":  # signed for the host the caller claims, not our public URL
        headers["X-Twilio-Signature"] = signature(token, "https://evil.example.com" + path, params)
        headers["X-Forwarded-Host"] = "evil.example.com"
    response = client.post(path, data=params, headers=headers)
    assert response.status_code == 403
    assert count(InboundMessage) == 0 and count(OutboundMessage) == 0


# -- de-duplication ----------------------------------------------------------------------------------


def test_the_same_message_sid_is_handled_once_with_the_same_reply(app, providers, monkeypatch):
    check_in = open_check_in()
    phone = Phone(app, monkeypatch)
    sid = new_sid()
    first = phone.send("1", DUE + timedelta(hours=1), sid=sid)
    again = phone.send("1", DUE + timedelta(hours=2), sid=sid)
    assert first == again == [texts.duration_question()]
    assert count(InboundMessage) == 1
    db.session.refresh(check_in)
    assert check_in.change == "much_better" and check_in.change_at == DUE + timedelta(hours=1)
    # The state did not move on: the next message answers duration.
    assert phone.send("3 weeks", DUE + timedelta(hours=3)) == [texts.usual_self_question()]


def test_concurrent_duplicates_are_handled_once(app, providers, monkeypatch):
    open_check_in()
    monkeypatch.setattr(webhooks, "utcnow", lambda: DUE + timedelta(hours=1))
    token = app.config["TWILIO_AUTH_TOKEN"]
    params = sms_params("1")
    results: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        try:
            with app.app_context():
                client = app.test_client()
                barrier.wait()
                results.append(replies_of(post_signed(client, SMS_PATH, params, token=token)))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert results == [[texts.duration_question()]] * 4
    db.session.expire_all()
    assert count(InboundMessage) == 1


# -- keywords ----------------------------------------------------------------------------------------


def test_stop_opts_out_every_channel_and_nothing_more_is_sent(app, providers, monkeypatch):
    twilio, sink = providers
    check_in = open_check_in()
    phone = Phone(app, monkeypatch)
    at = DUE + timedelta(hours=1)
    assert phone.send("STOP", at) == [texts.opt_out_confirmation()]
    db.session.refresh(check_in)
    assert check_in.status == CheckInStatus.CLOSED and check_in.close_reason == "opt_out" and check_in.closed_at == at
    points = db.session.scalars(select(ContactPoint)).all()
    assert {p.kind for p in points} == {"phone", "email"} and all(p.opted_out_at == at for p in points)
    assert check_in.last_inbound_at == at
    # No reminder, and the 8-week check-in is withdrawn, never sent.
    before = len(twilio.messages)
    dispatch.tick(DUE + timedelta(days=4))
    summary = dispatch.tick(DUE_8)
    assert summary["withdrawn"] == 1 and summary["sent"] == 0
    assert len(twilio.messages) == before and sink.messages == []
    # An opted-out client's answers are not read; a second STOP is confirmed again.
    assert phone.send("1", at + timedelta(hours=1)) == []
    assert phone.send("stop", at + timedelta(hours=2)) == [texts.opt_out_confirmation()]


def test_start_resumes_only_later_check_ins(app, providers, monkeypatch):
    twilio, _ = providers
    open_check_in(plan="4,8,18")
    phone = Phone(app, monkeypatch)
    phone.send("STOP", DUE + timedelta(hours=1))
    assert dispatch.tick(DUE_8)["withdrawn"] == 1  # the 8-week one fell due while opted out
    resumed_at = DUE + timedelta(weeks=5)
    assert phone.send("START", resumed_at) == [texts.resume_confirmation()]
    assert all(p.opted_out_at is None for p in db.session.scalars(select(ContactPoint)))
    assert sorted(e.kind for e in db.session.scalars(select(OptEvent))) == ["opt_out", "opt_out", "resume", "resume"]
    sent_before = len(twilio.messages)
    due_18 = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)  # 18 weeks after discharge, 10:00 GMT
    assert dispatch.tick(due_18)["sent"] == 1
    assert len(twilio.messages) == sent_before + 1
    assert phone.send("YES", due_18 + timedelta(hours=1)) == [texts.reask("change")]


def test_help_gets_the_help_text_and_is_no_answer(app, providers, monkeypatch):
    check_in = open_check_in()
    phone = Phone(app, monkeypatch)
    replies = phone.send("HELP", DUE + timedelta(hours=1))
    assert replies == [texts.help_reply("Tyne Wellbeing", "stillwell.example.org/help")]
    assert "stillwell.example.org/help" in replies[0] and "STOP" in replies[0]
    db.session.refresh(check_in)
    assert check_in.change is None and check_in.last_inbound_at == DUE + timedelta(hours=1)
    # Something was received: no reminder.
    assert dispatch.tick(DUE + timedelta(days=4))["reminders"] == 0


def test_closed_check_in_reply_once_a_day_and_unknown_sender(app, providers, monkeypatch):
    open_check_in()
    phone = Phone(app, monkeypatch)
    dispatch.tick(DUE + timedelta(days=14))  # closes the window
    later = DUE + timedelta(days=15)
    assert phone.send("hello", later) == [texts.closed("November")]  # the 8-week check-in is due 2 Nov
    assert phone.send("hello again", later + timedelta(hours=1)) == []
    stranger = Phone(app, monkeypatch, OTHER_PHONE)
    assert stranger.send("hi", later) == [texts.unknown_sender()]
    assert stranger.send("hi", later + timedelta(minutes=5)) == []
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 4


def test_wrong_number_stops_contact_and_raises_a_review_item(app, providers, monkeypatch):
    twilio, _ = providers
    check_in = open_check_in()
    phone = Phone(app, monkeypatch)
    assert phone.send("Sorry, wrong number", DUE + timedelta(hours=1)) == [texts.wrong_number_ack()]
    episode = db.session.scalars(select(Episode)).one()
    assert episode.contact_stopped_reason == "wrong_number"
    item = db.session.scalars(select(ReviewItem)).one()
    assert item.kind == "wrong_number" and item.client_id == check_in.client_id and item.status == "open"
    before = len(twilio.messages)
    assert dispatch.tick(DUE_8)["sent"] == 0
    assert len(twilio.messages) == before
    # A later text promises nothing: the 8-week check-in is still planned but will never be sent.
    assert phone.send("2", DUE_8 + timedelta(hours=1)) == [texts.closed(None)]


# -- safeguarding ------------------------------------------------------------------------------------


RISK = "much better but some days I want to end it all"


def _alert_email_checked(sink, alert: SafeguardingAlert, to: str) -> None:
    dispatch.tick(DUE + timedelta(hours=3))
    emails = [m for m in sink.messages if to in m.rcpt_tos]
    assert len(emails) == 1
    body = emails[0].message.get_body(("plain",)).get_content()
    raw = emails[0].raw.decode("utf-8", "replace").lower()
    assert f"{BASE}/evaluate/alerts/{alert.id}" in body
    assert "end it all" not in raw and "much better" not in raw
    db.session.expire_all()
    assert db.session.get(OutboundMessage, alert.outbound_message_id).status == "accepted"


def test_risk_from_a_client_gets_signposting_an_alert_and_an_email_link(app, providers, monkeypatch):
    _, sink = providers
    check_in = open_check_in()
    phone = Phone(app, monkeypatch)
    replies = phone.send(RISK, DUE + timedelta(hours=1))
    assert replies[0] == texts.crisis_signposting() and replies[1:] == [texts.duration_question()]
    db.session.refresh(check_in)
    assert check_in.change == "much_better"  # the answer in it is still taken
    alert = db.session.scalars(select(SafeguardingAlert)).one()
    assert alert.client_id == check_in.client_id and alert.status == "open" and alert.service_id is not None
    message = db.session.scalars(select(InboundMessage)).one()
    assert message.risk_flagged and alert.inbound_message_id == message.id
    assert sink.messages == []  # not sent inside the request
    _alert_email_checked(sink, alert, "safe@example.org")


def test_risk_from_an_unknown_number_alerts_the_platform_contact(app, providers, monkeypatch):
    _, sink = providers
    open_check_in()
    stranger = Phone(app, monkeypatch, OTHER_PHONE)
    assert stranger.send("I want to die", DUE + timedelta(hours=1)) == [texts.crisis_signposting()]
    alert = db.session.scalars(select(SafeguardingAlert)).one()
    assert alert.client_id is None and alert.service_id is None
    _alert_email_checked(sink, alert, "platform-safe@example.org")


def test_risk_from_an_opted_out_client_still_gets_signposting(app, providers, monkeypatch):
    _, sink = providers
    open_check_in()
    phone = Phone(app, monkeypatch)
    phone.send("STOP", DUE + timedelta(minutes=30))
    assert phone.send("going to kill myself", DUE + timedelta(hours=1)) == [texts.crisis_signposting()]
    alert = db.session.scalars(select(SafeguardingAlert)).one()
    _alert_email_checked(sink, alert, "safe@example.org")
    assert db.session.scalars(select(Client)).one().id == alert.client_id
