"""Playing the demo by hand: who to text as (`demo clients`), `demo reply` with notes, and `demo survey-link`.

A new user with only the README and `--help` must find a demo client's number and a web survey link; the
numbers are synthetic and made from the client's reference, so nothing has to print a random real-looking one.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.domain import texts
from app.extensions import db
from app.models import AuditEvent, CheckIn, CheckInStatus, Client
from app.models.message import SafeguardingAlert
from app.security.fields import field_security
from app.services import dispatch
from app.services.conversation.survey import token_hash
from app.services.demo import seeding as demo
from app.services.organisation import registry as organisation

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday, inside the send window


def seed(clients: int = 6) -> None:
    demo.seed(actor="test", now=NOW, today=NOW.date(), clients_per_service=clients)


def first_texted_check_in() -> tuple[CheckIn, datetime]:
    """Send the earliest check-in of a client with a mobile number; returns it (open) and an hour after."""
    check_in = db.session.scalars(
        select(CheckIn)
        .join(Client, Client.id == CheckIn.client_id)
        .where(Client.phone_is_uk_mobile.is_(True), CheckIn.status == CheckInStatus.SCHEDULED)
        .order_by(CheckIn.due_at, CheckIn.id)
    ).first()
    assert check_in is not None
    due = check_in.due_at
    for day in range(8):  # the send window is Monday to Saturday: at most a day late
        dispatch.tick(due + timedelta(days=day))
        db.session.expire_all()
        if db.session.get(CheckIn, check_in.id).status == CheckInStatus.OPEN:
            break
    check_in = db.session.get(CheckIn, check_in.id)
    assert check_in.status == CheckInStatus.OPEN and check_in.first_sent_at is not None
    return check_in, check_in.first_sent_at + timedelta(hours=1)


def phone_of(client_ref: str) -> str:
    client = db.session.scalars(select(Client).where(Client.client_ref == client_ref)).one()
    return field_security().decrypt(client.phone_enc)


def test_demo_numbers_are_made_from_the_client_reference(app):
    assert demo.demo_phone(1, 42) == "07700 110042"
    assert demo.demo_phone(3, 9_999) == "07700 139999"
    assert demo.demo_phone(10, 42) == "07700 100042"  # the tenth service: digit 0
    assert demo.demo_phone(11, 42) == "07701 110042"  # services 11 to 20: the same from 07701
    assert demo.demo_phone(20, 9_999) == "07701 109999"
    assert demo.demo_phone(1, 10_000) is None and demo.demo_phone(0, 1) is None and demo.demo_phone(21, 1) is None
    seed(clients=12)
    with_phones = db.session.scalars(select(Client).where(Client.phone_is_uk_mobile.is_(True))).all()
    assert len(with_phones) > 20
    for client in with_phones:
        service, number = client.client_ref.split("-")
        order = {code: number for number, (code, *_) in enumerate(demo.SERVICES, start=1)}[service]
        expected = f"+44770{(order - 1) // 10}1{order % 10}{int(number):04d}"
        assert field_security().decrypt(client.phone_enc) == expected


def test_the_seed_output_says_how_to_play_a_conversation(app, runner):
    result = runner.invoke(args=["demo", "seed", "--clients-per-service", "2"])
    assert result.exit_code == 0, result.output
    assert "flask --app wsgi demo clients" in result.output
    assert "demo reply --phone 07700110042" in result.output


def test_demo_clients_lists_who_to_text_as_and_is_audited(app, runner):
    seed()
    check_in, later = first_texted_check_in()
    ref = db.session.get(Client, check_in.client_id).client_ref
    result = runner.invoke(args=["demo", "clients", "--open", "--at", later.isoformat()])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if ref in line)
    phone = phone_of(ref)  # stored in E.164, as listed
    assert phone in line and "asking change" in line and "by text" in line
    # Everyone else listed has an open check-in too; the footer says what to do next.
    assert "demo reply --phone <phone>" in result.output and "demo survey-link --client <client>" in result.output
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "demo.clients_listed" in actions

    # The number printed works with `demo reply`, and the listing then shows the next question.
    reply = runner.invoke(args=["demo", "reply", "--phone", phone, "--at", later.isoformat(), "2"])
    assert reply.output == texts.duration_question() + "\n"
    again = runner.invoke(args=["demo", "clients", "--client", ref, "--at", later.isoformat()])
    assert again.exit_code == 0, again.output
    assert f"{ref} (" in again.output and "asking duration" in again.output
    assert re.search(rf"\b{check_in.offset_weeks} weeks\s+due .* open, first sent", again.output)


def test_demo_clients_refuses_a_database_that_is_not_the_demo(app, runner):
    organisation.create_area("X-ICB", "Elsewhere", actor="test", now=NOW)
    result = runner.invoke(args=["demo", "clients"])
    assert result.exit_code == 1 and "does not hold the demo" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(args=["demo", "survey-link", "--client", "TYNE-00001"])
    assert result.exit_code == 1 and "does not hold the demo" in result.output


def test_demo_reply_notes_say_why_nothing_came_back_and_what_was_raised(app, runner):
    seed()
    check_in, later = first_texted_check_in()
    phone = phone_of(db.session.get(Client, check_in.client_id).client_ref)
    at = ["--at", later.isoformat()]
    risky = runner.invoke(args=["demo", "reply", "--notes", "--phone", phone, *at, "2, I want to end it all"])
    assert risky.exit_code == 0, risky.output
    assert risky.stdout == f"{texts.crisis_signposting()}\n{texts.duration_question()}\n"
    alert = db.session.scalars(select(SafeguardingAlert.id)).one()
    assert f"safeguarding alert {alert} raised" in risky.stderr and f"/evaluate/alerts/{alert}" in risky.stderr
    # An unknown number: the one generic reply, then silence explained.
    unknown = ["demo", "reply", "--notes", "--phone", "07400 123456", *at, "hello?"]
    assert runner.invoke(args=unknown).stdout == texts.unknown_sender() + "\n"
    silent = runner.invoke(args=unknown)
    assert silent.stdout == "" and "no reply: no client has this number" in silent.stderr
    # Without --notes (and not on a terminal) only the replies are printed, nothing else.
    plain = runner.invoke(args=["demo", "reply", "--phone", phone, *at, "STOP"])
    assert plain.output == texts.opt_out_confirmation() + "\n"
    opted = runner.invoke(args=["demo", "reply", "--notes", "--phone", phone, *at, "2"])
    assert opted.stdout == "" and "no reply: this number is opted out" in opted.stderr


def test_demo_survey_link_opens_the_open_check_in(app, runner, monkeypatch):
    seed()
    check_in, later = first_texted_check_in()
    ref = db.session.get(Client, check_in.client_id).client_ref
    result = runner.invoke(args=["demo", "survey-link", "--client", ref.lower(), "--at", later.isoformat()])
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    assert re.fullmatch(rf"{re.escape(base)}/s/[A-Za-z0-9_-]{{22}}", link), link
    token = link.rsplit("/", 1)[1]
    db.session.expire_all()
    assert db.session.get(CheckIn, check_in.id).survey_token_hash == token_hash(token)
    assert json.loads(
        db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "demo.survey_link")).one()
    )
    # The page opens (reading never spends the link) and names the service the client used.
    monkeypatch.setattr("app.web.survey.utcnow", lambda: later)
    page = app.test_client().get(f"/s/{token}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Stillwell asks people who used" in body and "independently of the service you saw" not in body

    # A client with nothing open: a clear error naming the next due check-in and how to send it.
    waiting = db.session.scalars(
        select(Client.client_ref)
        .join(CheckIn, CheckIn.client_id == Client.id)
        .where(CheckIn.status == CheckInStatus.SCHEDULED, Client.id != check_in.client_id)
        .order_by(CheckIn.due_at.desc())
    ).first()
    refused = runner.invoke(args=["demo", "survey-link", "--client", waiting, "--at", later.isoformat()])
    assert refused.exit_code == 1 and "has no open check-in" in refused.output
    assert "dispatch tick --now" in refused.output and "Traceback" not in refused.output
    unknown = runner.invoke(args=["demo", "survey-link", "--client", "NOPE-1"])
    assert unknown.exit_code == 1 and "no demo client" in unknown.output
