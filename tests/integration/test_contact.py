"""contact/: one behaviour for opting out and for stopping contact, whichever path it comes by (SPEC section 2)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client, ContactPoint, Episode, OutboundMessage
from app.services import contact, privacy
from app.services.conversation import handle_inbound_sms
from app.services.dispatch import tick
from app.services.intake import import_discharge_list, withdraw_episode
from tests.factories import csv_bytes, make_service, row

# Discharged Monday 2026-09-07: the 4-week check-in is due 2026-10-05 10:00 BST, the 8-week 2026-11-02 10:00 GMT.
DISCHARGE = "2026-09-07"
DUE = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
DUE_8 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
IMPORTED = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
PHONE = "+447400123456"


@pytest.fixture
def providers(app, fake_twilio, smtp_sink):
    app.config.update(fake_twilio.config(), **smtp_sink.config(), SEND_RATE_PER_SECOND=500)
    return fake_twilio, smtp_sink


def import_client(**overrides: str) -> None:
    make_service(plan="4,8")
    import_discharge_list(
        "TYNE",
        csv_bytes([row(discharge_date=DISCHARGE, **overrides)]),
        filename="list.csv",
        actor="test",
        now=IMPORTED,
        today=IMPORTED.date(),
    )


def check_ins() -> dict[int, tuple[str, str | None]]:
    db.session.expire_all()
    return {c.offset_weeks: (c.status, c.close_reason) for c in db.session.scalars(select(CheckIn))}


def opted_out_points() -> set[str]:
    return set(db.session.scalars(select(ContactPoint.kind).where(ContactPoint.opted_out_at.is_not(None))))


def test_twilio_21610_at_send_time_opts_out_every_channel_and_tries_no_other(app, providers):
    twilio, sink = providers
    import_client(preferred_channel="sms")
    twilio.fail_for_number(PHONE, code=21610)
    summary = tick(DUE)
    assert summary["sent"] == 0
    assert opted_out_points() == {"phone", "email"}  # the email address too, as a status callback does
    assert sink.messages == []  # no fallback to email after an opt-out
    assert check_ins()[4] == (CheckInStatus.WITHDRAWN, "contact_stopped")
    assert [m.channel for m in db.session.scalars(select(OutboundMessage))] == ["sms"]


@pytest.mark.parametrize("kind", ["phone", "email"])
def test_opting_out_by_either_point_opts_out_both_and_resume_restores_both(app, providers, kind):
    import_client()
    client = db.session.scalars(select(Client)).one()
    contact_hash = client.phone_hash if kind == "phone" else client.email_hash
    assert contact_hash is not None
    assert contact.opt_out(contact_hash, "test", DUE, kind=kind) == [client.id]
    db.session.commit()
    assert opted_out_points() == {"phone", "email"}
    contact.resume(contact_hash, "test", DUE + timedelta(days=1), kind=kind)
    db.session.commit()
    assert opted_out_points() == set()


def _erase(now: datetime) -> None:
    privacy.erase_on_request("TYNE", "C0001", actor="test", now=now)


def _wrong_number(now: datetime) -> None:
    handle_inbound_sms("SM" + secrets.token_hex(16), PHONE, "Sorry, wrong number", now)


def _withdraw(now: datetime) -> None:
    withdraw_episode("TYNE", "C0001", date.fromisoformat(DISCHARGE), actor="test", now=now)


@pytest.mark.parametrize(
    ("stop", "reason"),
    [(_erase, "erased_on_request"), (_wrong_number, "wrong_number"), (_withdraw, "withdrawn_by_service")],
    ids=["privacy erasure", "wrong-number reply", "intake withdrawal"],
)
def test_every_stop_contact_path_closes_the_open_check_in_and_withdraws_the_rest(
    app, providers, stop: Callable[[datetime], None], reason: str
):
    twilio, _ = providers
    import_client(email="")
    assert tick(DUE)["sent"] == 1
    assert check_ins()[4] == (CheckInStatus.OPEN, None)
    stop(DUE + timedelta(hours=1))
    assert check_ins() == {4: (CheckInStatus.CLOSED, reason), 8: (CheckInStatus.WITHDRAWN, reason)}
    episode = db.session.scalars(select(Episode)).one()
    assert episode.contact_stopped_reason == reason and episode.contact_stopped_at == DUE + timedelta(hours=1)
    sent = len(twilio.messages)
    assert tick(DUE_8)["sent"] == 0
    assert len(twilio.messages) == sent
