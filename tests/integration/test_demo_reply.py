"""`flask demo reply`: one inbound SMS through the same service function as the webhook."""

from __future__ import annotations

from sqlalchemy import select

from app.domain import texts
from app.extensions import db
from app.models import CheckIn, InboundMessage
from tests.factories.sms import open_check_in
from tests.fakes import fixtures

fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink
providers = fixtures.providers


def test_demo_reply_prints_the_next_question(app, providers, runner):
    check_in = open_check_in()
    result = runner.invoke(args=["demo", "reply", "--phone", "07400 123456", "--at", "2026-10-05T11:00:00", "2"])
    assert result.exit_code == 0, result.output
    assert result.output == texts.duration_question() + "\n"
    result = runner.invoke(
        args=["demo", "reply", "--phone", "+447400123456", "--at", "2026-10-05T11:05:00+00:00", "3 weeks"]
    )
    assert result.output == texts.usual_self_question() + "\n"
    db.session.expire_all()
    check_in = db.session.get(CheckIn, check_in.id)
    assert check_in.change == "a_little_better" and check_in.change_at.isoformat() == "2026-10-05T11:00:00+00:00"
    sids = db.session.scalars(select(InboundMessage.provider_id)).all()
    assert len(sids) == 2 and all(sid.startswith("SMdemo") and len(sid) == 38 for sid in sids)


def test_demo_reply_prints_each_reply_on_its_own_line(app, providers, runner):
    open_check_in()
    result = runner.invoke(
        args=["demo", "reply", "--phone", "07400123456", "--at", "2026-10-05T11:00:00", "much better, I want to die"]
    )
    assert result.exit_code == 0
    assert result.output == f"{texts.crisis_signposting()}\n{texts.duration_question()}\n"


def test_demo_reply_refuses_a_bad_number_or_time(app, runner):
    result = runner.invoke(args=["demo", "reply", "--phone", "12345", "hello"])
    assert result.exit_code == 1 and "not a valid phone number" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(args=["demo", "reply", "--phone", "07400123456", "--at", "yesterday", "hello"])
    assert result.exit_code != 0 and "ISO 8601" in result.output
    assert db.session.scalars(select(InboundMessage)).all() == []


def test_demo_reply_says_why_a_drama_number_is_refused(app, runner):
    result = runner.invoke(args=["demo", "reply", "--phone", "07700 900001", "hello"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "is in the range Ofcom reserves for TV and radio drama, so it cannot reach anyone" in result.output
    assert "try 07700110042" in result.output
    assert db.session.scalars(select(InboundMessage)).all() == []
