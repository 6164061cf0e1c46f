"""Erasure of contact details (SPEC 2 and 7): 90 days after the last check-in closes, and on request.

The cohort is played through the real app: dispatch ticks against the fake Twilio and the SMTP sink,
replies through the inbound SMS service. It has an answered client, an opted-out one, an unreachable one,
non-responders by SMS and by email, and a client without consent; erasing them changes no figure.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.domain import texts
from app.extensions import db
from app.models import AuditEvent, CheckIn, CheckInStatus, Client, ContactPoint, Episode, InboundMessage
from app.services import dispatch
from app.services.errors import NotFound
from app.services.privacy import lifecycle as privacy
from scheduler.jobs import JOBS, erase_contact_details
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.privacy import reply
from tests.fakes import fixtures

fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink
providers = fixtures.providers

IMPORTED = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DISCHARGE = "2026-03-02"  # a Monday
DUE_4 = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # 10:00 BST
DUE_8 = datetime(2026, 4, 27, 9, 0, tzinfo=UTC)
ALL_CLOSED = datetime(2026, 5, 12, 9, 0, tzinfo=UTC)  # the 8-week window (14 days) is over
ERASE_AT = ALL_CLOSED + timedelta(days=90)
AS_OF = "2026-08-20"

# Synthetic contact details (07400 1000xx is a made-up range of UK mobile numbers).
PHONES = {
    "ANSWERS": "+447400100001",
    "STOPS": "+447400100002",
    "FAILS": "+447400100003",
    "SILENT": "+447400100004",
}
EMAILS = {"STOPS": "stops.person@example.org", "MAILED": "mailed.person@example.org"}


def cohort_rows() -> list[dict[str, str]]:
    rows = [
        row(client_ref=ref, discharge_date=DISCHARGE, phone=phone, email=EMAILS.get(ref, ""))
        for ref, phone in PHONES.items()
    ]
    rows.append(row(client_ref="MAILED", discharge_date=DISCHARGE, phone="", email=EMAILS["MAILED"]))
    rows.append(row(client_ref="NOCONSENT", discharge_date=DISCHARGE, consent_to_follow_up="no", phone="", email=""))
    return rows


def play_cohort(fake) -> None:
    """Four weeks and eight weeks of follow-up, up to the moment every check-in has closed."""
    make_service(plan="4,8")
    run_import(csv_bytes(cohort_rows()), now=IMPORTED)
    fake.fail_for_number(PHONES["FAILS"], 21211)  # not a valid number: a permanent failure, no email to fall back on
    first = dispatch.tick(DUE_4)
    assert first["sent"] == 4 and first["failed"] == 2  # the refused text, then no channel left: unreachable
    assert reply(PHONES["ANSWERS"], "much better, 3 months and yes", DUE_4 + timedelta(hours=1)) == [
        texts.thank_you("Tyne Wellbeing")
    ]
    reply(PHONES["STOPS"], "STOP", DUE_4 + timedelta(hours=2))
    second = dispatch.tick(DUE_8)
    assert second["sent"] == 3 and second["withdrawn"] == 1  # the opted-out client is not texted
    reply(PHONES["ANSWERS"], "much better, 4 months and yes", DUE_8 + timedelta(hours=1))
    dispatch.tick(ALL_CLOSED)
    db.session.expire_all()
    open_ones = db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.status.in_(privacy.ACTIVE)))
    assert open_ones == 0


def client(ref: str) -> Client:
    db.session.expire_all()
    return db.session.scalars(select(Client).where(Client.client_ref == ref)).one()


def figures(runner, *extra: str, as_of: str = AS_OF) -> dict:
    result = runner.invoke(args=["stats", "summary", "--as-of", as_of, "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_erasing_everyone_due_changes_no_figure_and_keeps_the_suppression_list(app, runner, providers):
    fake, _ = providers
    play_cohort(fake)
    before, before_published = figures(runner), figures(runner, "--published")
    outcomes = before["outcomes"]
    # The cohort really holds every kind of client whose figures could depend on contact details.
    assert outcomes["durably_recovered"] == 1 and outcomes["opted_out"] == 1 and outcomes["unreachable"] == 1
    assert outcomes["no_response"] == 2 and before["cohort"] == {
        "episodes": 6,
        "consented": 5,
        "eligible": 5,
        "pending": 0,
    }

    assert privacy.erase_due(DUE_8 + timedelta(days=89)) == 0  # not yet: 90 days after the last close
    # The opted-out and the unreachable clients' last check-ins closed on 27 April, when they fell due.
    assert privacy.erase_due(DUE_8 + timedelta(days=90)) == 2
    assert client("STOPS").phone_enc is None and client("FAILS").phone_enc is None
    assert client("SILENT").phone_enc is not None
    assert privacy.erase_due(ERASE_AT, batch_size=2) == 3  # in batches of two
    assert privacy.erase_due(ERASE_AT + timedelta(days=1)) == 0  # idempotent

    assert figures(runner) == before
    assert figures(runner, "--published") == before_published

    for ref in [*PHONES, "MAILED"]:
        erased = client(ref)
        assert erased.phone_enc is None and erased.email_enc is None and erased.contact_erased_at is not None, ref
    # The opted-out client's contact points stay as keyed hashes (the suppression list); no other hash stays.
    stopped = client("STOPS")
    assert stopped.phone_hash and stopped.email_hash
    kept = db.session.scalars(select(ContactPoint.contact_hash).where(ContactPoint.opted_out_at.is_not(None))).all()
    assert set(kept) == {stopped.phone_hash, stopped.email_hash}
    for ref in ("ANSWERS", "FAILS", "SILENT", "MAILED"):
        assert client(ref).phone_hash is None and client(ref).email_hash is None, ref
    # The answers stay, verbatim; the sender's keyed hash stays only on the suppression list.
    bodies = dict(db.session.execute(select(InboundMessage.body, InboundMessage.sender_hash)).all())
    assert bodies["much better, 3 months and yes"] is None and bodies["STOP"] == stopped.phone_hash
    answered = db.session.scalars(select(CheckIn.change).where(CheckIn.client_id == client("ANSWERS").id)).all()
    assert answered == ["much_better", "much_better"]

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.erase")).all()
    assert len(events) == 5 and {event.actor for event in events} == {"scheduler"}
    audit_text = " ".join(f"{event.subject} {event.detail}" for event in events)
    for contact in [*PHONES.values(), *EMAILS.values()]:
        assert contact[-9:] not in audit_text and contact not in audit_text


def test_an_erased_opted_out_number_stays_suppressed_for_new_discharges(app, providers):
    fake, _ = providers
    play_cohort(fake)
    privacy.erase_due(ERASE_AT)
    sent_before = len(fake.messages)
    # The same person discharged again, by the same service and under another reference by another one.
    make_service(code="AVON", area="SW", plan="4")
    later = "2026-09-07"
    run_import(
        csv_bytes([row(client_ref="STOPS", discharge_date=later, phone=PHONES["STOPS"], email="")]),
        now=ERASE_AT + timedelta(days=30),
    )
    run_import(
        csv_bytes([row(client_ref="NEWREF", discharge_date=later, phone=PHONES["STOPS"], email="")]),
        service="AVON",
        now=ERASE_AT + timedelta(days=30),
    )
    summary = dispatch.tick(datetime(2026, 10, 5, 9, 0, tzinfo=UTC))  # both fall due
    assert summary["sent"] == 0 and summary["withdrawn"] == 2
    assert len(fake.messages) == sent_before


def test_clients_still_in_follow_up_are_not_erased(app):
    make_service(plan="4,8")
    run_import(csv_bytes([row(client_ref="WAITING", discharge_date=DISCHARGE)]), now=IMPORTED)
    item = db.session.scalars(select(CheckIn).where(CheckIn.offset_weeks == 4)).one()
    item.status, item.closed_at, item.close_reason = CheckInStatus.SKIPPED.value, DUE_4, "not_sent_in_time"
    db.session.commit()
    # The 8-week check-in is still scheduled: a year later the details are still needed.
    assert privacy.erase_due(DUE_4 + timedelta(days=365)) == 0
    assert client("WAITING").phone_enc is not None
    later = db.session.scalars(select(CheckIn).where(CheckIn.offset_weeks == 8)).one()
    later.status, later.closed_at, later.close_reason = CheckInStatus.WITHDRAWN.value, DUE_8, "contact_stopped"
    db.session.commit()
    # Skipped and withdrawn check-ins count as closed: 90 days after the last of them.
    assert privacy.erase_due(DUE_8 + timedelta(days=89, hours=23)) == 0
    assert privacy.erase_due(DUE_8 + timedelta(days=90)) == 1
    assert client("WAITING").phone_enc is None


def test_erasure_on_request_stops_contact_at_once_and_keeps_figures(app, runner, providers):
    fake, _ = providers
    make_service(plan="4,8")
    run_import(csv_bytes([row(client_ref="ASKS", discharge_date=DISCHARGE, phone=PHONES["ANSWERS"])]), now=IMPORTED)
    assert dispatch.tick(DUE_4)["sent"] == 1
    reply(PHONES["ANSWERS"], "2", DUE_4 + timedelta(hours=1))
    asked_at = DUE_4 + timedelta(days=2)
    # Figures up to the request stay; later ones count the withdrawn 8-week check-in as any stopped contact.
    before = [figures(runner, as_of=day) for day in ("2026-03-31", "2026-04-01")]
    result = privacy.erase_on_request("TYNE", "ASKS", actor="cli:test", now=asked_at)
    assert result.erased and result.withdrawn_check_ins == 1
    assert [figures(runner, as_of=day) for day in ("2026-03-31", "2026-04-01")] == before
    asked = client("ASKS")
    assert asked.phone_enc is None and asked.email_enc is None and asked.phone_hash is None
    episode = db.session.scalars(select(Episode)).one()
    assert episode.contact_stopped_reason == privacy.STOP_ERASED
    statuses = dict(db.session.execute(select(CheckIn.offset_weeks, CheckIn.status)).all())
    assert statuses == {4: CheckInStatus.CLOSED, 8: CheckInStatus.WITHDRAWN}
    assert db.session.scalars(select(CheckIn.change).where(CheckIn.offset_weeks == 4)).one() == "a_little_better"
    # Nothing more is sent, and a text from the old number is now from an unknown sender.
    sent = len(fake.messages)
    assert dispatch.tick(DUE_8)["sent"] == 0 and len(fake.messages) == sent
    assert reply(PHONES["ANSWERS"], "3 weeks", DUE_8 + timedelta(hours=1)) == [texts.unknown_sender()]
    again = privacy.erase_on_request("TYNE", "ASKS", actor="cli:test", now=DUE_8)
    assert not again.erased
    with pytest.raises(NotFound, match="NOPE"):
        privacy.erase_on_request("TYNE", "NOPE", actor="cli:test", now=DUE_8)


def test_the_scheduler_erases_daily_at_three_utc(app):
    job = {job.id: job for job in JOBS}["erase-contact-details"]
    assert job.trigger == "cron" and job.trigger_args == {"hour": 3, "timezone": "UTC"} and job.run_at_start
    make_service(plan="4")
    run_import(csv_bytes([row(client_ref="DONE", discharge_date=DISCHARGE)]), now=IMPORTED)
    item = db.session.scalars(select(CheckIn)).one()
    item.status, item.first_sent_at, item.closed_at = CheckInStatus.CLOSED.value, DUE_4, DUE_4 + timedelta(days=14)
    db.session.commit()
    erase_contact_details(app, DUE_4 + timedelta(days=104))
    assert client("DONE").phone_enc is None and client("DONE").email_enc is None


def test_re_importing_the_same_list_does_not_bring_erased_contact_details_back(app):
    make_service(plan="4")
    data = csv_bytes([row(client_ref="AGAIN", discharge_date=DISCHARGE)])
    run_import(data, now=IMPORTED)
    privacy.erase_on_request("TYNE", "AGAIN", actor="cli:test", now=DUE_4)
    assert run_import(data, now=DUE_4 + timedelta(days=1)).unchanged == 1
    again = client("AGAIN")
    assert again.phone_enc is None and again.email_enc is None
