"""Dispatch ticks against the real twilio package and a fake Twilio, and a real SMTP sink."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client, ContactPoint, Episode, OutboundMessage
from app.services import contact
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.sms import DISCHARGE, DUE, IMPORTED, tick


@pytest.fixture
def providers(app, fake_twilio, smtp_sink):
    app.config.update(fake_twilio.config(), **smtp_sink.config(), SEND_RATE_PER_SECOND=500)
    return fake_twilio, smtp_sink


def import_rows(*rows_: dict[str, str], plan: str = "4,8") -> None:
    make_service(plan=plan)
    run_import(csv_bytes(rows_), now=IMPORTED)


def statuses() -> list[str]:
    return list(db.session.scalars(select(CheckIn.status).order_by(CheckIn.client_id, CheckIn.offset_weeks)))


def test_due_check_in_is_sent_once_by_sms(app, providers):
    twilio, _ = providers
    import_rows(row(discharge_date=DISCHARGE))
    assert tick(DUE - timedelta(minutes=1))["sent"] == 0
    summary = tick(DUE)
    assert summary["claimed"] == 1 and summary["sent"] == 1
    assert len(twilio.messages) == 1
    sent = twilio.messages[0]
    assert sent.to == "+447400123456" and "Tyne Wellbeing" in sent.body and sent.body.rstrip().endswith("opt out.")
    check_in = db.session.scalars(select(CheckIn).where(CheckIn.offset_weeks == 4)).one()
    assert check_in.status == CheckInStatus.OPEN and check_in.first_sent_at == DUE and check_in.channel == "sms"
    message = db.session.scalars(select(OutboundMessage)).one()
    assert message.status == "accepted" and message.provider_id == sent.sid
    assert tick(DUE + timedelta(minutes=1))["sent"] == 0
    assert len(twilio.messages) == 1


def test_nothing_outside_the_send_window_across_clock_changes(app, providers):
    twilio, _ = providers
    assert twilio.messages == []
    # Discharged Mon 2026-03-02: the 4-week check-in is due Mon 2026-03-30, the day after spring forward.
    import_rows(
        row(discharge_date="2026-03-02", referral_date="2025-12-01", assessment_date="", first_treatment_date=""),
        plan="4",
    )
    spring_due = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # 10:00 BST
    assert tick(spring_due - timedelta(seconds=1))["claimed"] == 0
    assert tick(spring_due)["sent"] == 1
    assert len(twilio.messages) == 1


def test_window_closes_at_the_end_and_on_sunday(app, providers):
    twilio, _ = providers
    # Due Saturday 2026-10-24 (discharged Saturday 2026-09-26) at 10:00 BST.
    import_rows(row(discharge_date="2026-09-26"), plan="4")
    saturday_evening = datetime(2026, 10, 24, 18, 0, tzinfo=UTC)  # 19:00 BST: window closed
    assert tick(saturday_evening)["claimed"] == 0
    sunday = datetime(2026, 10, 25, 12, 0, tzinfo=UTC)  # clocks went back; Sunday is closed anyway
    assert tick(sunday)["claimed"] == 0
    monday_early = datetime(2026, 10, 26, 9, 59, tzinfo=UTC)  # 09:59 GMT
    assert tick(monday_early)["claimed"] == 0
    assert tick(datetime(2026, 10, 26, 10, 0, tzinfo=UTC))["sent"] == 1
    assert len(twilio.messages) == 1


def test_late_check_ins_are_skipped_never_sent(app, providers):
    twilio, _ = providers
    import_rows(row(discharge_date=DISCHARGE))
    summary = tick(DUE + timedelta(days=14, minutes=1))
    assert summary["skipped"] == 1 and summary["sent"] == 0
    assert statuses() == [CheckInStatus.SKIPPED, CheckInStatus.SCHEDULED]
    assert twilio.messages == []


def test_one_open_check_in_per_client(app, providers):
    twilio, _ = providers
    # Two discharges of one client whose first check-ins fall due on the same morning.
    import_rows(row(discharge_date=DISCHARGE), row(discharge_date="2026-08-10", referral_date="2026-01-05"), plan="4,8")
    # 2026-08-10 + 8 weeks = 2026-10-05: both due at once.
    summary = tick(DUE)
    assert summary["sent"] == 1 and len(twilio.messages) == 1
    assert db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.status == CheckInStatus.OPEN)) == 1


def test_opted_out_client_is_withdrawn_not_sent(app, providers):
    twilio, _ = providers
    import_rows(row(discharge_date=DISCHARGE))
    client = db.session.scalars(select(Client)).one()
    contact.opt_out(client.phone_hash, "test", DUE - timedelta(days=1))
    db.session.commit()
    summary = tick(DUE)
    assert summary["withdrawn"] == 1 and summary["sent"] == 0
    assert twilio.messages == []


def test_withdrawn_episode_gets_nothing(app, providers):
    from datetime import date

    from app.services.intake.importing import withdraw_episode

    twilio, _ = providers
    import_rows(row(discharge_date=DISCHARGE))
    withdraw_episode("TYNE", "C0001", date(2026, 9, 7), actor="test", now=IMPORTED)
    assert tick(DUE)["sent"] == 0 and twilio.messages == []


def test_permanent_sms_failure_falls_back_to_email(app, providers):
    twilio, sink = providers
    import_rows(row(discharge_date=DISCHARGE))
    twilio.fail_for_number("+447400123456", code=21614)
    summary = tick(DUE)
    assert summary["failed"] == 1 and summary["sent"] == 1
    assert len(sink.messages) == 1
    email = sink.messages[0]
    assert email.rcpt_tos == ("person1@example.org",)
    client = db.session.scalars(select(Client)).one()
    assert client.sms_failed_at == DUE
    failed = db.session.scalars(select(OutboundMessage).where(OutboundMessage.status == "failed")).one()
    assert failed.error_code == "21614" and failed.channel == "sms"
    check_in = db.session.scalars(select(CheckIn).where(CheckIn.offset_weeks == 4)).one()
    assert check_in.channel == "email" and check_in.status == CheckInStatus.OPEN


def test_unsubscribed_recipient_21610_opts_the_number_out(app, providers):
    twilio, _ = providers
    import_rows(row(discharge_date=DISCHARGE, email=""))
    twilio.fail_for_number("+447400123456", code=21610)
    summary = tick(DUE)
    assert summary["failed"] == 1
    point = db.session.scalars(select(ContactPoint)).one()
    assert point.opted_out_at == DUE
    check_in = db.session.scalars(select(CheckIn).where(CheckIn.offset_weeks == 4)).one()
    assert check_in.status == CheckInStatus.WITHDRAWN


def test_no_channel_left_is_unreachable(app, providers):
    twilio, _ = providers
    import_rows(row(discharge_date=DISCHARGE, email=""))
    twilio.fail_for_number("+447400123456", code=21211)
    tick(DUE)
    check_in = db.session.scalars(select(CheckIn).where(CheckIn.offset_weeks == 4)).one()
    assert (check_in.status, check_in.close_reason) == (CheckInStatus.CLOSED, "unreachable")


def test_transient_errors_are_retried_with_backoff(app, providers):
    twilio, _ = providers
    import_rows(row(discharge_date=DISCHARGE))
    twilio.fail_next(1, http_status=503)
    first = tick(DUE)
    assert first["retried"] == 1 and first["sent"] == 0
    assert tick(DUE + timedelta(seconds=30))["claimed"] == 0  # backing off
    second = tick(DUE + timedelta(minutes=2))
    assert second["sent"] == 1
    assert len(twilio.messages) == 1


def test_email_client_gets_an_email_with_links_and_unsubscribe_header(app, providers):
    _, sink = providers
    import_rows(row(discharge_date=DISCHARGE, phone="", preferred_channel="email"))
    assert tick(DUE)["sent"] == 1
    email = sink.messages[0].message
    assert email["List-Unsubscribe"].startswith("<http")
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert "/s/" in text and "116 123" in text and "does not read replies" in text
    for word in ("therapy", "mental", "anxiety", "depression"):
        assert word not in email["Subject"].lower()


def test_reminder_after_72_hours_only_when_nothing_received(app, providers):
    twilio, _ = providers
    import_rows(row(discharge_date=DISCHARGE), row(client_ref="C0002", phone="07400 222333", discharge_date=DISCHARGE))
    tick(DUE)
    answered = db.session.scalars(
        select(CheckIn).join(Client).where(Client.client_ref == "C0002", CheckIn.offset_weeks == 4)
    ).one()
    answered.last_inbound_at = DUE + timedelta(hours=1)
    db.session.commit()
    assert tick(DUE + timedelta(hours=71))["reminders"] == 0
    assert tick(DUE + timedelta(hours=72))["reminders"] == 1  # Thursday 10:00 BST, inside the window
    assert tick(DUE + timedelta(hours=80))["reminders"] == 0
    reminders = [m for m in twilio.messages if m.to == "+447400123456"]
    assert len(reminders) == 2


def test_check_in_closes_14_days_after_first_send(app, providers):
    import_rows(row(discharge_date=DISCHARGE))
    tick(DUE)
    assert tick(DUE + timedelta(days=13, hours=23))["closed"] == 0
    assert tick(DUE + timedelta(days=14))["closed"] == 1
    check_in = db.session.scalars(select(CheckIn).where(CheckIn.offset_weeks == 4)).one()
    assert check_in.status == CheckInStatus.CLOSED


def test_dispatch_tick_command_prints_json(app, providers, runner):
    import json

    import_rows(row(discharge_date=DISCHARGE))
    result = runner.invoke(args=["dispatch", "tick", "--now", "2026-10-05T09:00:00"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(summary) == {"claimed", "sent", "failed", "retried", "reminders", "closed", "skipped", "withdrawn"}
    assert summary["sent"] == 1
    bad = runner.invoke(args=["dispatch", "tick", "--now", "yesterday"])
    assert bad.exit_code == 2 and "ISO 8601" in bad.output
    assert db.session.scalar(select(func.count()).select_from(Episode)) == 1


def test_nothing_is_sent_without_a_safeguarding_contact(app, providers):
    twilio, _ = providers
    make_service(safeguarding_email=None, plan="4")
    run_import(csv_bytes([row(discharge_date=DISCHARGE)]), now=IMPORTED)
    app.config["SAFEGUARDING_EMAIL"] = ""
    assert tick(DUE)["claimed"] == 0 and twilio.messages == []
    app.config["SAFEGUARDING_EMAIL"] = "platform-safeguarding@example.org"
    assert tick(DUE + timedelta(minutes=1))["sent"] == 1


def test_email_of_unknown_fate_is_possibly_sent_and_never_resent(app, providers):
    _, sink = providers
    import_rows(row(discharge_date=DISCHARGE, phone="", preferred_channel="email"))
    sink.drop_after_data()  # the server hangs up after the message was handed over: did it go?
    summary = tick(DUE)
    assert summary["sent"] == 1 and summary["retried"] == 0
    message = db.session.scalars(select(OutboundMessage)).one()
    assert message.status == "possibly_sent"
    check_in = db.session.scalars(select(CheckIn).where(CheckIn.offset_weeks == 4)).one()
    assert check_in.status == CheckInStatus.OPEN
    for minutes in (2, 10, 60):
        tick(DUE + timedelta(minutes=minutes))
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 1


def test_an_sms_of_unknown_fate_whose_number_was_erased_is_possibly_sent_and_never_resent(app, providers):
    twilio, _ = providers
    import_rows(row(discharge_date=DISCHARGE), plan="4")
    twilio.drop_next()  # Twilio may have the message; the answer is lost
    tick(DUE)
    assert db.session.scalars(select(OutboundMessage.status)).one() == "sending"
    client = db.session.scalars(select(Client)).one()
    client.phone_enc = None  # erased on request while the message was in flight
    db.session.commit()
    tick(DUE + timedelta(minutes=5))  # past the reconciliation grace period: nothing to search Twilio by
    assert db.session.scalars(select(OutboundMessage.status)).one() == "possibly_sent"
    tick(DUE + timedelta(minutes=10))
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 1
    assert len(twilio.messages) == 1
