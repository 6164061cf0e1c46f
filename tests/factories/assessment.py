"""A cohort for the telephone assessment: clients who answered (or not) their 4-week check-in, with or
without consent to a call. Answers are written onto the check-ins directly (the conversation has its own
tests); every reply word is unique so a page showing one is caught."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client, Episode
from app.services import contact
from tests.factories import csv_bytes, make_service, row, run_import

IMPORTED = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
DISCHARGE = "2026-09-07"
ANSWERED_AT = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)
AS_OF = date(2026, 11, 20)
#: client_ref -> (consent_to_call, change, usual self, duration start): None change = never answered. The
#: references say nothing of the outcome (a page showing them must not be taken for a leak).
CLIENTS: dict[str, tuple[str, str | None, str | None, date | None]] = {
    "A-0001": ("yes", "much_better", "yes", date(2026, 7, 1)),  # durably recovered
    "A-0002": ("yes", "a_little_better", "no", None),  # improved
    "A-0003": ("yes", "same", "no", None),  # unchanged
    "A-0004": ("yes", "much_worse", "no", None),  # worse
    "A-0005": ("no", "much_better", "yes", date(2026, 7, 1)),  # did not agree to a call
    "A-0006": ("yes", None, None, None),  # never answered
    "A-0007": ("yes", "same", "no", None),  # opted out afterwards
    "A-0008": ("yes", "same", "no", None),  # the service stopped contact
}
#: The clients who may be drawn into a sample.
CALLABLE = ("A-0001", "A-0002", "A-0003", "A-0004")


def assessment_cohort(service: str = "TYNE") -> None:
    """Import CLIENTS into `service` (created with a one check-in plan), answer, opt out and stop as listed."""
    make_service(service, plan="4")
    rows = [
        row(
            client_ref=ref,
            phone=f"07400 1{index:05d}",
            email=f"{ref.lower()}@example.org",
            discharge_date=DISCHARGE,
            consent_to_call=agreed,
        )
        for index, (ref, (agreed, *_)) in enumerate(CLIENTS.items())
    ]
    run_import(csv_bytes(rows, columns=[*rows[0]]), service=service, now=IMPORTED)
    for ref, (_, change, usual_self, since) in CLIENTS.items():
        check_in = db.session.scalars(
            select(CheckIn).join(Client, Client.id == CheckIn.client_id).where(Client.client_ref == ref)
        ).one()
        check_in.first_sent_at = check_in.due_at
        check_in.status = CheckInStatus.CLOSED.value
        check_in.closed_at = check_in.due_at + timedelta(days=14)
        check_in.close_reason = "window" if change else "no_answer"
        if change:
            check_in.change, check_in.change_at = change, ANSWERED_AT
            check_in.usual_self, check_in.usual_self_at = usual_self, ANSWERED_AT + timedelta(minutes=2)
            if since:
                check_in.duration_start, check_in.duration_at = since, ANSWERED_AT + timedelta(minutes=1)
    db.session.commit()
    opted = db.session.scalars(select(Client).where(Client.client_ref == "A-0007")).one()
    assert opted.phone_hash
    contact.opt_out(opted.phone_hash, "sms", ANSWERED_AT + timedelta(days=20))
    stopped = db.session.scalars(
        select(Episode).join(Client, Client.id == Episode.client_id).where(Client.client_ref == "A-0008")
    ).one()
    contact.stop_contact([stopped.id], "withdrawn", ANSWERED_AT + timedelta(days=20))
    db.session.commit()
