"""A client's whole follow-up through the real app: dispatch opens each check-in at its due time, the client
answers by signed webhook requests, and the answers reach the published methodology (`statistics.summary`).

The client (anxiety, F41.1: recovery needs 8 weeks well) is discharged Monday 7 September 2026 under the plan
4, 8, 18 weeks: a little better but not well at 4 weeks, much better and mostly well at 8 weeks (too soon to
count as recovered), and much better and completely well at 18 weeks, the spell having lasted since October:
durably recovered.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.domain import texts
from app.extensions import db
from app.models import CheckIn, CheckInStatus
from app.services import dispatch
from app.services.statistics import summaries as statistics
from tests.factories.sms import DUE, DUE_8, Phone, open_check_in
from tests.fakes import fixtures

fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink
providers = fixtures.providers

DUE_18 = datetime(2027, 1, 11, 10, 0, tzinfo=UTC)  # Monday, 10:00 GMT


def check_in_at(offset: int) -> CheckIn:
    db.session.expire_all()
    return db.session.scalars(select(CheckIn).where(CheckIn.offset_weeks == offset)).one()


def outcomes(as_of: date) -> dict[str, int]:
    return statistics.summary(as_of)["outcomes"]


def test_a_year_of_follow_up_by_sms_reaches_the_statistics(app, providers, monkeypatch):
    twilio, _ = providers
    open_check_in(plan="4,8,18")
    phone = Phone(app, monkeypatch)
    shortly = timedelta(minutes=20)

    # 4 weeks: a little better, for three weeks, not back to usual self.
    assert phone.send("a little better", DUE + shortly) == [texts.duration_question()]
    assert phone.send("about 3 weeks", DUE + 2 * shortly) == [texts.usual_self_question()]
    assert phone.send("3", DUE + 3 * shortly) == [texts.thank_you("Tyne Wellbeing")]
    first = check_in_at(4)
    assert (first.change, first.duration_start, first.usual_self) == ("a_little_better", date(2026, 9, 14), "no")
    assert phone.send("thanks!", DUE + 4 * shortly) == []  # the conversation is over; stored, not read
    assert outcomes(date(2026, 10, 6))["improved"] == 1

    # 8 weeks: the first check-in closed by its window, the second opened by the same tick.
    assert dispatch.tick(DUE_8)["sent"] == 1
    assert check_in_at(4).status == CheckInStatus.CLOSED and check_in_at(8).status == CheckInStatus.OPEN
    assert phone.send("better", DUE_8 + shortly) == [texts.reask("change")]  # ambiguous: asked again
    assert phone.send("1", DUE_8 + 2 * shortly) == [texts.duration_question()]
    assert phone.send("3", DUE_8 + 3 * shortly) == [texts.duration_clarification("3")]
    assert phone.send("W", DUE_8 + 4 * shortly) == [texts.usual_self_question()]
    assert phone.send("2", DUE_8 + 5 * shortly) == [texts.thank_you("Tyne Wellbeing")]
    second = check_in_at(8)
    assert (second.change, second.duration_start, second.usual_self) == ("much_better", date(2026, 10, 12), "mostly")
    # Well, but only since the last report at the earliest: not yet 8 weeks, so improved, not recovered.
    assert outcomes(date(2026, 11, 3))["improved"] == 1

    # Between check-ins: the "closed" reply, once a day.
    dispatch.tick(DUE_8 + timedelta(days=14))
    assert phone.send("hello", DUE_8 + timedelta(days=15)) == [texts.closed("January")]
    assert phone.send("hello?", DUE_8 + timedelta(days=15, hours=1)) == []

    # 18 weeks: all three answers in one message.
    sent_before = len(twilio.messages)
    assert dispatch.tick(DUE_18)["sent"] == 1 and len(twilio.messages) == sent_before + 1
    assert phone.send("much better, 3 months and yes", DUE_18 + shortly) == [texts.thank_you("Tyne Wellbeing")]
    third = check_in_at(18)
    assert (third.change, third.duration_start, third.usual_self) == ("much_better", date(2026, 10, 11), "yes")
    assert third.change_at == third.duration_at == third.usual_self_at == DUE_18 + shortly

    summary = statistics.summary(date(2027, 1, 12))
    assert summary["outcomes"]["durably_recovered"] == 1
    itt = summary["durable_recovery"]["itt"]
    assert itt["numerator"] == 1 and itt["denominator"] == 1
    assert summary["change_distribution"]["much_better"] == 1
    points = {point["weeks"]: point for point in summary["follow_up_points"]}
    assert points[4]["answered"] == points[8]["answered"] == points[18]["answered"] == 1
    assert points[18]["recovered"] == 1 and points[8]["recovered"] == 0
