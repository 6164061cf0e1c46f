"""`flask demo simulate`: a year of follow-up through the real dispatch, conversation and survey code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import CheckIn, CheckInStatus, InboundMessage, OptEvent, OutboundMessage
from app.models.message import ReviewItem, SafeguardingAlert
from app.services.demo import seeding as demo
from app.services.demo import simulation
from app.services.errors import ServiceError
from app.services.organisation import registry as organisation
from app.services.statistics import summaries as statistics
from tests.conftest import make_app, reset_schema

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday, inside the send window
CLIENTS_PER_SERVICE = 25


def seed(clients: int = CLIENTS_PER_SERVICE) -> None:
    demo.seed(actor="test", now=NOW, today=NOW.date(), clients_per_service=clients)


def simulate(until: datetime = NOW, **options: Any) -> simulation.SimulationReport:
    return simulation.simulate(until=until, actor="test", now=NOW, **options)


def count(model: Any, *conditions: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


def first_sends_per_check_in() -> list[int]:
    return list(
        db.session.scalars(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.purpose == "first")
            .group_by(OutboundMessage.check_in_id)
        )
    )


def test_a_simulated_year_gives_real_looking_figures(app):
    seed()
    # Risk messages and wrong numbers are rare (about 1 in 100 and 1 in 170 texts): on this small cohort this
    # seed draws a few of each. The full demo (200 clients per service) has them with any seed.
    report = simulate(seed=6)
    assert not report.nothing_to_do and report.ticks > 100
    assert report.start == db.session.scalars(select(func.min(CheckIn.due_at))).one()
    # Answered check-ins, non-responses, reminders, opt-outs, a safeguarding alert, a wrong number.
    answered = count(CheckIn, CheckIn.change.is_not(None))
    assert answered == report.check_ins_answered > 50
    assert count(CheckIn, CheckIn.status == CheckInStatus.CLOSED, CheckIn.change.is_(None)) > 20
    assert count(CheckIn, CheckIn.duration_start.is_not(None)) > 30
    assert count(CheckIn, CheckIn.usual_self.is_not(None)) > 30
    assert report.reminders == count(OutboundMessage, OutboundMessage.purpose == "reminder") > 0
    assert report.opt_outs == count(OptEvent, OptEvent.kind == "opt_out") >= 1
    assert count(CheckIn, CheckIn.close_reason == "opt_out") >= 1
    assert report.safeguarding_alerts == count(SafeguardingAlert) >= 1
    assert count(OutboundMessage, OutboundMessage.purpose == "alert", OutboundMessage.status == "accepted") >= 1
    assert count(ReviewItem, ReviewItem.kind == "wrong_number") == report.wrong_numbers >= 1
    assert report.texts_received == count(InboundMessage, InboundMessage.channel == "sms") > answered
    assert report.web_answers == count(InboundMessage, InboundMessage.channel == "web") >= 1
    assert count(CheckIn, CheckIn.survey_submitted_at.is_not(None)) >= 1
    # Sometimes unclear first, sometimes several answers in one text: the real conversation sorted them out.
    bodies = db.session.scalars(select(InboundMessage.body).where(InboundMessage.channel == "sms")).all()
    assert any("," in body for body in bodies)
    assert set(bodies) & {"dunno", "not sure", "ok i guess", "better", "hard to say", "so so", "up and down"}
    # Never late, never twice; nothing received after the simulated period or before its check-in was sent.
    assert max(first_sends_per_check_in()) == 1
    assert (
        count(
            CheckIn,
            CheckIn.status.in_((CheckInStatus.SCHEDULED, CheckInStatus.SENDING)),
            CheckIn.due_at < NOW - timedelta(days=15),
        )
        == 0
    )
    assert count(InboundMessage, InboundMessage.received_at > NOW) == 0
    late = (
        select(func.count())
        .select_from(CheckIn)
        .where(CheckIn.change_at.is_not(None), CheckIn.change_at < CheckIn.first_sent_at)
    )
    assert db.session.scalar(late) == 0
    # The figures the dashboard, releases and monthly reports show are there at once.
    figures = statistics.summary(NOW.date())
    assert figures["cohort"]["eligible"] > 50
    assert figures["outcomes"]["durably_recovered"] > 0
    assert figures["outcomes"]["no_response"] > 0
    assert figures["durable_recovery"]["itt"]["numerator"] > 0
    assert 0.3 < figures["response"]["rate"] < 0.95
    assert figures["durable_recovery"]["itt"]["rate"] < 0.5  # a minority recover and stay so
    assert all(point["answered"] > 0 for point in figures["follow_up_points"])


def test_a_second_run_continues_and_never_replays(app):
    seed(clients=10)
    middle, end = NOW - timedelta(days=300), NOW - timedelta(days=200)
    first = simulate(until=middle)
    received = count(InboundMessage)
    assert received > 0 and count(InboundMessage, InboundMessage.received_at > middle) == 0
    again = simulate(until=middle)
    assert again.nothing_to_do and count(InboundMessage) == received
    with pytest.raises(ServiceError, match="already simulated up to"):
        simulate(start=middle - timedelta(days=1))
    rest = simulate(until=end)
    assert rest.start == middle and not rest.nothing_to_do
    assert count(InboundMessage, InboundMessage.received_at <= middle) == received
    assert count(InboundMessage) > received
    assert max(first_sends_per_check_in()) == 1
    assert first.first_sends + rest.first_sends == count(CheckIn, CheckIn.first_sent_at.is_not(None))


def test_an_interrupted_run_is_continued_where_it_stopped(app):
    seed(clients=10)
    seen: list[datetime] = []

    def interrupt(instant: datetime) -> None:
        seen.append(instant)
        if len(seen) == 40:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate(until=NOW - timedelta(days=250), progress=interrupt)
    assert simulation.last_simulated_until() == seen[-1]
    received = count(InboundMessage)
    rest = simulate(until=NOW - timedelta(days=250))
    assert rest.start == seen[-1] and rest.ticks > 0
    assert count(InboundMessage) > received
    assert max(first_sends_per_check_in()) == 1


def test_the_same_seed_gives_the_same_figures(tmp_path: Path):
    until = NOW - timedelta(days=300)

    def run(name: str, seed_value: int) -> tuple[dict[str, Any], dict[str, Any]]:
        application = make_app(f"sqlite:///{tmp_path / name}")
        reset_schema(application)
        with application.app_context():
            seed(clients=10)
            report = simulate(until=until, seed=seed_value).as_dict()
            figures = statistics.summary(until.date())
            db.session.remove()
            db.engine.dispose()
        report.pop("seconds")
        return report, figures

    first, again, other = run("a.db", 7), run("b.db", 7), run("c.db", 8)
    assert first[0]["texts_received"] > 0
    assert first == again
    assert other[0] != first[0]


def test_refuses_real_transports(db_url: str, fake_twilio):
    application = make_app(db_url, **fake_twilio.config())
    reset_schema(application)
    with application.app_context():
        result = application.test_cli_runner().invoke(args=["demo", "simulate", "--until", "2026-11-20T12:00:00"])
        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 1
    assert "SMS_TRANSPORT=console and MAIL_TRANSPORT=console" in result.output
    assert "Traceback" not in result.output


def test_refuses_a_database_that_is_not_the_demo(app, runner):
    organisation.create_area("XX", "Somewhere real", actor="test", now=NOW)
    result = runner.invoke(args=["demo", "simulate", "--until", "2026-11-20T12:00:00"])
    assert result.exit_code == 1 and "does not hold the demo data" in result.output
    assert "Traceback" not in result.output
    skipped = runner.invoke(args=["demo", "simulate", "--if-demo", "--until", "2026-11-20T12:00:00"])
    assert skipped.exit_code == 0 and "nothing simulated" in skipped.output
    forced = runner.invoke(args=["demo", "simulate", "--force", "--until", "2026-11-20T12:00:00"])
    assert forced.exit_code == 0 and "nothing to do" in forced.output


def test_the_command_prints_a_summary(app, runner):
    seed(clients=5)
    result = runner.invoke(args=["demo", "simulate", "--quiet", "--until", "2026-03-01T00:00:00Z"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("demo simulate: ")
    assert "messages sent" in result.output and "check-ins answered" in result.output
    assert "+447" not in result.output and "@example.org" not in result.output
    again = runner.invoke(args=["demo", "simulate", "--until", "2026-03-01T00:00:00Z", "--format", "json"])
    assert again.exit_code == 0 and '"nothing_to_do": true' in again.output
    bad = runner.invoke(args=["demo", "simulate", "--start", "2026-04-01", "--until", "2026-03-01"])
    assert bad.exit_code == 2 and "earlier than --until" in bad.output


def test_synthetic_discharge_list_is_written_through_the_formula_guard():
    import csv
    import io
    import random

    text = demo.synthetic_discharge_csv(random.Random(1), 3, NOW.date(), "=X", service_number=1).decode()
    records = list(csv.reader(io.StringIO(text)))
    assert [record[0] for record in records[1:]] == ["'=X-00001", "'=X-00002", "'=X-00003"]
    assert records[1][1] == "07700 110001" and text.endswith("\r\n")  # the rest as before, CRLF lines
