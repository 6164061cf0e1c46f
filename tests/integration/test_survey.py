"""The web survey `/s/<token>` with the Flask test client, on SQLite and PostgreSQL. Synthetic data only."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CheckIn, CheckInStatus, InboundMessage, OutboundMessage
from app.models.message import SafeguardingAlert
from app.services import dispatch
from app.services.conversation import inbound
from app.services.conversation import survey as surveys
from app.services.dispatch.sending import new_survey_token
from tests.factories import csv_bytes, make_service, row, run_import
from tests.fakes import fixtures

fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink

# Discharged Monday 2026-09-07 (referred 2026-01-05): the 4-week check-in is first sent 2026-10-05 09:00 UTC.
DISCHARGE = date(2026, 9, 7)
REFERRAL = date(2026, 1, 5)
FIRST_SENT = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
LATER = FIRST_SENT + timedelta(days=1)  # 2026-10-06 10:00 UTC
PHONE = "+447400123456"
VALID = {"change": "a_little_better", "duration_number": "3", "duration_unit": "weeks", "usual_self": "mostly"}


class Clock:
    """The instant the survey views see (they read the clock at the edge)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    current = Clock(LATER)
    monkeypatch.setattr("app.web.survey.utcnow", current)
    return current


@pytest.fixture
def opened(app, fake_twilio, smtp_sink, clock):
    """An open check-in (first sent by SMS through a dispatch tick) and a working survey token for it."""
    app.config.update(fake_twilio.config(), **smtp_sink.config(), SEND_RATE_PER_SECOND=500)
    make_service(plan="4,8")
    run_import(csv_bytes([row(discharge_date=DISCHARGE.isoformat())]), now=datetime(2026, 9, 30, 12, tzinfo=UTC))
    assert dispatch.tick(FIRST_SENT)["sent"] == 1
    token, token_hash = new_survey_token()
    check_in = check_in_at(4)
    check_in.survey_token_hash = token_hash
    db.session.commit()
    return token


def check_in_at(offset: int) -> CheckIn:
    db.session.expire_all()
    return db.session.scalars(select(CheckIn).where(CheckIn.offset_weeks == offset)).one()


def web_messages() -> list[InboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(InboundMessage).where(InboundMessage.channel == "web")))


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_get_shows_the_form_and_never_spends_the_link(app, opened):
    client = app.test_client()
    for _ in range(2):
        response = client.get(f"/s/{opened}")
        assert response.status_code == 200
        text = page_text(response)
        assert "Compared with when you first went, how are you now?" in text
        assert '<html lang="en-GB">' in text and "<script" not in text
        assert "Much better" in text and "As long as I can remember" in text and "Since I finished" in text
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert check_in_at(4).survey_submitted_at is None
    assert web_messages() == []
    assert client.post(f"/s/{opened}", data=VALID).status_code == 200  # still answerable after two views


def test_valid_submission_stores_the_answers_and_spends_the_link(app, opened, clock):
    client = app.test_client()
    response = client.post(f"/s/{opened}", data={**VALID, "comment": "Feeling steadier lately."})
    assert response.status_code == 200
    text = page_text(response)
    assert "<h1>Thank you</h1>" in text and "If you need help now" not in text
    check_in = check_in_at(4)
    assert (check_in.change, check_in.usual_self) == ("a_little_better", "mostly")
    assert check_in.duration_start == date(2026, 9, 15)  # 21 days before 2026-10-06
    assert check_in.change_at == check_in.duration_at == check_in.usual_self_at == LATER
    assert check_in.last_inbound_at == LATER and check_in.survey_submitted_at == LATER
    assert check_in.status == CheckInStatus.OPEN
    assert json.loads(check_in.conversation)["question"] == "done"
    (message,) = web_messages()
    assert message.check_in_id == check_in.id and message.client_id == check_in.client_id
    assert message.risk_flagged is False and message.received_at == LATER
    assert json.loads(message.body) == {**VALID, "duration_kind": "", "comment": "Feeling steadier lately."}
    # Used: a second view or a second submission gets the kind "already answered" page and changes nothing.
    clock.now = LATER + timedelta(minutes=5)
    again = client.post(f"/s/{opened}", data={**VALID, "change": "much_worse"})
    assert again.status_code == 410 and "You have already answered" in page_text(again)
    assert client.get(f"/s/{opened}").status_code == 410
    assert check_in_at(4).change == "a_little_better"
    assert len(web_messages()) == 1


def test_a_later_reminder_is_not_sent_after_a_web_answer(app, opened):
    app.test_client().post(f"/s/{opened}", data={"change": "same"})
    assert dispatch.tick(FIRST_SENT + timedelta(hours=80))["reminders"] == 0


@pytest.mark.parametrize("token", ["not-a-real-token", "x" * 200, new_survey_token()[0]])
def test_unknown_link_gets_a_kind_page(app, opened, token):
    response = app.test_client().get(f"/s/{token}")
    assert response.status_code == 404
    text = page_text(response)
    assert "We do not recognise this link" in text and "Samaritans on 116 123" in text
    assert app.test_client().post(f"/s/{token}", data=VALID).status_code == 404


def test_link_expires_with_the_response_window(app, opened, clock):
    client = app.test_client()
    clock.now = FIRST_SENT + timedelta(days=14) - timedelta(seconds=1)
    assert client.get(f"/s/{opened}").status_code == 200
    clock.now = FIRST_SENT + timedelta(days=14)  # not yet closed by a tick: the window decides
    response = client.get(f"/s/{opened}")
    assert response.status_code == 410 and "This link has closed" in page_text(response)
    assert client.post(f"/s/{opened}", data=VALID).status_code == 410
    assert check_in_at(4).change is None and check_in_at(4).survey_submitted_at is None


def test_link_of_a_closed_check_in_has_expired(app, opened):
    check_in = check_in_at(4)
    check_in.status, check_in.close_reason = CheckInStatus.CLOSED.value, "opt_out"
    db.session.commit()
    response = app.test_client().post(f"/s/{opened}", data=VALID)
    assert response.status_code == 410 and "This link has closed" in page_text(response)
    assert check_in_at(4).change is None


def test_csrf_token_is_required_when_enabled(app, opened):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    refused = client.post(f"/s/{opened}", data=VALID)
    assert refused.status_code == 400
    text = page_text(refused)
    assert "timed out" in text and 'value="a_little_better" checked' in text  # what was typed is kept
    assert check_in_at(4).survey_submitted_at is None
    form = client.get(f"/s/{opened}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert csrf is not None
    taken = client.post(f"/s/{opened}", data={**VALID, "csrf_token": csrf.group(1)})
    assert taken.status_code == 200 and "Thank you" in page_text(taken)
    assert check_in_at(4).change == "a_little_better"


def test_answers_given_by_sms_are_shown_and_never_overwritten(app, opened):
    sms_at = FIRST_SENT + timedelta(hours=2)
    inbound.handle_inbound_sms("SM" + "1" * 32, PHONE, "3", sms_at)  # change: the same
    client = app.test_client()
    text = page_text(client.get(f"/s/{opened}"))
    assert "You already told us by text: <strong>The same</strong>" in text
    assert 'name="change"' not in text
    response = client.post(f"/s/{opened}", data={**VALID, "change": "much_better"})
    assert response.status_code == 200
    check_in = check_in_at(4)
    assert check_in.change == "same" and check_in.change_at == sms_at
    assert check_in.duration_start == date(2026, 9, 15) and check_in.usual_self == "mostly"
    state = json.loads(check_in.conversation)
    assert state["question"] == "done" and state["answered"] == ["change", "duration", "usual_self"]


def test_web_answers_move_the_sms_conversation_on(app, opened):
    app.test_client().post(f"/s/{opened}", data={"change": "much_better"})
    state = json.loads(check_in_at(4).conversation)
    assert state["question"] == "duration" and state["answered"] == ["change"]
    replies = inbound.handle_inbound_sms("SM" + "2" * 32, PHONE, "2 months", LATER + timedelta(hours=1))
    check_in = check_in_at(4)
    assert check_in.change == "much_better" and check_in.duration_start == date(2026, 8, 6)
    assert replies and "usual self" in replies[-1]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"duration_number": "1", "duration_unit": "days"}, date(2026, 10, 5)),
        ({"duration_number": "3", "duration_unit": "weeks", "duration_kind": "length"}, date(2026, 9, 15)),
        ({"duration_number": "2", "duration_unit": "months"}, date(2026, 8, 6)),
        ({"duration_number": "8", "duration_unit": "months"}, date(2026, 2, 6)),
        ({"duration_number": "1", "duration_unit": "years"}, REFERRAL),  # clamped to the referral date
        ({"duration_number": "999", "duration_unit": "years"}, REFERRAL),
        ({"duration_kind": "finished"}, DISCHARGE),
        ({"duration_kind": "always"}, REFERRAL),
        ({"duration_kind": "unsure"}, None),
        ({}, None),
    ],
)
def test_durations_become_start_dates_like_sms_replies(app, opened, clock, fields, expected):
    clock.now = datetime(2026, 10, 5, 23, 30, tzinfo=UTC)  # 00:30 on 6 October in London: the local date counts
    response = app.test_client().post(f"/s/{opened}", data={"change": "same", **fields})
    assert response.status_code == 200 and "Thank you" in page_text(response)
    check_in = check_in_at(4)
    assert check_in.duration_start == expected
    assert check_in.duration_at == (clock.now if expected else None)


def test_calendar_months_end_on_the_last_day_of_a_shorter_month():
    survey = surveys.Survey(1, 1, 1, "Tyne", date(2026, 3, 31), date(2025, 9, 1), date(2025, 1, 6), None, None, None)
    assert surveys.start_date(surveys.DurationChoice("length", 1, "months"), survey) == date(2026, 2, 28)


def test_a_start_in_the_future_is_an_error():
    survey = surveys.Survey(1, 1, 1, "Tyne", date(2026, 10, 6), date(2026, 10, 20), REFERRAL, None, None, None)
    with pytest.raises(surveys.DurationError, match="future"):
        surveys.start_date(surveys.DurationChoice("finished"), survey)


@pytest.mark.parametrize(
    ("fields", "anchor", "message"),
    [
        ({"duration_number": "3"}, "duration_kind-length", "Choose days, weeks, months or years"),
        ({"duration_unit": "weeks"}, "duration_kind-length", "Enter how many days"),
        ({"duration_number": "three", "duration_unit": "weeks"}, "duration_number", "Enter a whole number"),
        ({"duration_number": "0", "duration_unit": "weeks"}, "duration_number", "Enter a whole number"),
        ({"duration_kind": "length"}, "duration_kind-length", "Enter a number and choose"),
        (
            {"duration_kind": "always", "duration_number": "3", "duration_unit": "weeks"},
            "duration_kind-length",
            "not both",
        ),
        ({"usual_self": "perhaps"}, "usual_self-yes", "Choose one of the options"),
    ],
)
def test_unclear_durations_and_forged_choices_are_errors(app, opened, fields, anchor, message):
    response = app.test_client().post(f"/s/{opened}", data={"change": "same", **fields})
    assert response.status_code == 200
    text = page_text(response)
    assert "<title>Error: " in text and "There is a problem" in text
    assert f'href="#{anchor}"' in text and message in text
    assert check_in_at(4).survey_submitted_at is None and check_in_at(4).change is None


def test_change_is_required_and_the_error_links_to_it(app, opened):
    response = app.test_client().post(f"/s/{opened}", data={"usual_self": "no", "comment": "busy week"})
    text = page_text(response)
    assert response.status_code == 200 and 'href="#change-much_better"' in text
    assert 'id="change-much_better"' in text and 'aria-describedby="change-hint change-error-1"' in text
    assert 'value="no" checked' in text and "busy week" in text  # what was given is kept
    check_in = check_in_at(4)
    assert check_in.survey_submitted_at is None and check_in.usual_self is None
    (message,) = web_messages()  # stored verbatim even though it was not taken
    assert json.loads(message.body)["comment"] == "busy week"


def test_risk_in_the_comment_raises_an_alert_and_shows_signposting(app, opened):
    response = app.test_client().post(f"/s/{opened}", data={**VALID, "comment": "some days I want to end it all"})
    text = page_text(response)
    assert response.status_code == 200 and "If you need help now" in text and 'href="tel:116123"' in text
    (message,) = web_messages()
    assert message.risk_flagged is True and "end it all" in message.body
    alert = db.session.scalars(select(SafeguardingAlert)).one()
    assert alert.inbound_message_id == message.id and alert.client_id == message.client_id
    email = db.session.get(OutboundMessage, alert.outbound_message_id)
    assert email.purpose == "alert" and "end it all" not in email.body  # a link, never the message
    assert check_in_at(4).change == "a_little_better"  # the answers are still taken


def test_risk_in_an_incomplete_form_is_not_lost(app, opened):
    response = app.test_client().post(f"/s/{opened}", data={"comment": "I have thought about suicide"})
    text = page_text(response)
    assert "If you need help now" in text and "There is a problem" in text
    assert db.session.scalars(select(SafeguardingAlert)).one() is not None
    assert check_in_at(4).survey_submitted_at is None


def test_two_submissions_racing_are_taken_once(app, opened):
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def post(change: str) -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post(f"/s/{opened}", data={"change": change}).status_code)

    threads = [threading.Thread(target=post, args=(change,)) for change in ("much_better", "much_worse")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200, 410]
    check_in = check_in_at(4)
    assert check_in.change in ("much_better", "much_worse") and check_in.survey_submitted_at == LATER
    assert len(web_messages()) == 1
