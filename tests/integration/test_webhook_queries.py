"""The inbound SMS webhook stays cheap (SPEC section 7: p95 under 25 ms at 300 requests/s on two cores).

A regression guard, not a timing test: it counts the SQL statements one signed request sends to the database,
hooks of the whole app included (a `before_request` hook that queried the database for every request would
show here), and checks that the fast paths of the webhook (its TwiML writer, the signature check that stops at
the first match, the number taken as it comes) give exactly what the slower general ones give.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from app.domain import texts
from app.domain.conversation import ConversationState
from app.domain.phones import normalise_phone, sender_number
from app.extensions import db
from app.models import CheckIn, InboundMessage
from app.services import dispatch
from app.services.conversation import inbound
from app.web import webhooks
from tests.factories.sms import (
    DUE,
    OTHER_PHONE,
    SMS_PATH,
    Phone,
    new_sid,
    open_check_in,
    post_signed,
    replies_of,
    sms_params,
)
from tests.fakes import fixtures

fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink
providers = fixtures.providers

#: Statements one inbound SMS may send: PostgreSQL takes the sender's advisory lock first, then both read
#: everything in one statement (two when nothing is open), INSERT the message and UPDATE the check-in.
BOUND = {"postgresql": 4, "sqlite": 3}


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement sent to the database inside the block: through the engine on SQLite; on PostgreSQL
    at psycopg's cursor, which also sees what the webhook sends in pipelines outside SQLAlchemy."""
    sent: list[str] = []
    if db.engine.dialect.name == "postgresql":
        with _psycopg_statements(sent):
            yield sent
        return

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@contextmanager
def _psycopg_statements(sent: list[str], pipelines: list[int] | None = None) -> Iterator[None]:
    """Record psycopg's statements (and, when asked, count its pipelines) inside the block."""
    original_execute, original_pipeline = psycopg.Cursor.execute, psycopg.Connection.pipeline

    def execute(self, query, params=None, **kwargs):
        sent.append(query if isinstance(query, str) else str(query))
        return original_execute(self, query, params, **kwargs)

    def pipeline(self):
        if pipelines is not None:
            pipelines.append(1)
        return original_pipeline(self)

    psycopg.Cursor.execute, psycopg.Connection.pipeline = execute, pipeline
    try:
        yield
    finally:
        psycopg.Cursor.execute, psycopg.Connection.pipeline = original_execute, original_pipeline


def send_counted(phone: Phone, body: str, at, *, sid: str | None = None) -> tuple[list[str], list[str]]:
    with statements() as sent:
        replies = phone.send(body, at, sid=sid)
    return replies, sent


def bound() -> int:
    return BOUND[db.engine.dialect.name]


def test_a_whole_conversation_stays_within_the_statement_bound(app, providers, monkeypatch):
    check_in = open_check_in()
    phone = Phone(app, monkeypatch)
    at = DUE + timedelta(hours=1)
    conversation = [
        ("hmm not sure", [texts.reask("change")]),
        ("a little better", [texts.duration_question()]),
        ("3 weeks", [texts.usual_self_question()]),
        ("mostly", [texts.thank_you("Tyne Wellbeing")]),
        ("thanks", []),
    ]
    for n, (body, expected) in enumerate(conversation):
        replies, sent = send_counted(phone, body, at + timedelta(minutes=n))
        assert replies == expected
        assert len(sent) <= bound(), sent
        # The message is stored once, with its replies, and no statement reads the session's user.
        assert not any("FROM user" in statement or '"user"' in statement for statement in sent)
    db.session.refresh(check_in)
    assert (check_in.change, check_in.usual_self) == ("a_little_better", "mostly")
    assert check_in.duration_start is not None
    state = ConversationState.from_dict(json.loads(check_in.conversation))
    assert state.question == "done"
    assert db.session.scalar(select(InboundMessage.reply_text).where(InboundMessage.body == "thanks")) == "[]"


def test_a_redelivery_only_locks_and_reads(app, providers, monkeypatch):
    open_check_in()
    phone = Phone(app, monkeypatch)
    sid = new_sid()
    first, _ = send_counted(phone, "2", DUE + timedelta(hours=1), sid=sid)
    again, sent = send_counted(phone, "2", DUE + timedelta(hours=2), sid=sid)
    assert first == again == [texts.duration_question()]
    assert len(sent) == bound() - 2, sent  # lock (PostgreSQL) and the one read; nothing written
    assert not any(statement.lstrip().upper().startswith(("INSERT", "UPDATE")) for statement in sent)


@pytest.mark.parametrize("backend", ["postgres"])  # pipelines are PostgreSQL's (psycopg)
def test_postgresql_sends_each_message_in_at_most_two_round_trips(app, providers, monkeypatch, backend):
    """The lock and the read go in one pipeline, the message, the check-in and the commit in another: two
    round trips for a message that answers an open check-in; three when nothing is open (the second read)."""
    open_check_in()
    phone = Phone(app, monkeypatch)
    at = DUE + timedelta(hours=1)
    for n, body in enumerate(["2", "3 weeks", "mostly"]):
        sent: list[str] = []
        pipelines: list[int] = []
        with _psycopg_statements(sent, pipelines):
            replies = phone.send(body, at + timedelta(minutes=n))
        assert replies
        assert len(pipelines) == 2, sent
        assert len(sent) == BOUND["postgresql"], sent  # every statement inside the two pipelines
    dispatch.tick(DUE + timedelta(days=14))  # closes the window
    sent, pipelines = [], []
    with _psycopg_statements(sent, pipelines):
        assert Phone(app, monkeypatch).send("hello", DUE + timedelta(days=15)) == [texts.closed("November")]
    assert len(pipelines) == 2 and len(sent) == BOUND["postgresql"], sent  # lock, read, read again, insert
    db.session.expire_all()
    assert db.session.scalar(select(InboundMessage.reply_text).where(InboundMessage.body == "hello")) is not None


def test_a_message_stored_meanwhile_by_another_process_is_answered_as_stored(app, providers, monkeypatch):
    """The MessageSid's unique index is the last guard: if another process stores the same message after this
    one read (the lock makes that nearly impossible), the insert fails, nothing of this attempt is kept, and
    the reply is the one stored. Exercised on both paths: pipelined on PostgreSQL, SQLAlchemy on SQLite."""
    check_in = open_check_in()
    phone = Phone(app, monkeypatch)
    sid = new_sid()
    stored_replies = ["stored by the other process"]
    finders = {name: getattr(inbound, name) for name in ("_find_sender", "_find_sender_pipelined")}

    def store_meanwhile(name):
        def find(connection, sender_hash, message_sid, now):
            sender = finders[name](connection, sender_hash, message_sid, now)
            with db.engine.connect() as other:  # another connection, committed at once
                other.execute(
                    InboundMessage.__table__.insert().values(
                        provider_id=message_sid,
                        channel="sms",
                        body="2",
                        risk_flagged=False,
                        reply_text=json.dumps(stored_replies),
                        received_at=now,
                    )
                )
                other.commit()
            return sender

        return find

    for name in finders:
        monkeypatch.setattr(inbound, name, store_meanwhile(name))
    assert phone.send("2", DUE + timedelta(hours=1), sid=sid) == stored_replies
    monkeypatch.undo()
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1
    db.session.refresh(check_in)
    assert check_in.change is None and check_in.last_inbound_at is None  # this attempt wrote nothing


def test_no_open_check_in_and_unknown_senders_stay_within_the_bound(app, providers, monkeypatch):
    open_check_in()
    dispatch.tick(DUE + timedelta(days=14))  # the response window closes
    later = DUE + timedelta(days=15)
    replies, sent = send_counted(Phone(app, monkeypatch), "hello", later)
    assert replies == [texts.closed("November")]
    assert len(sent) <= bound(), sent
    replies, sent = send_counted(Phone(app, monkeypatch, OTHER_PHONE), "hi", later)
    assert replies == [texts.unknown_sender()]
    assert len(sent) <= bound(), sent


def test_a_refused_signature_touches_no_table(app, providers):
    client = app.test_client()
    with statements() as sent:
        response = client.post(SMS_PATH, data=sms_params("1"), headers={"X-Twilio-Signature": "bad"})
    assert response.status_code == 403
    assert sent == []


@pytest.mark.parametrize("backend", ["postgres"])  # concurrent web processes need PostgreSQL (SPEC 6)
def test_messages_of_one_sender_are_handled_one_at_a_time(app, providers, monkeypatch, backend):
    """Two unclear answers arriving together: the second sees the first's state (a hint, then the link or
    the options again), never the same re-ask twice. SQLite has one writer but reads outside it, so this is
    PostgreSQL's advisory lock at work."""
    check_in = open_check_in()
    monkeypatch.setattr(webhooks, "utcnow", lambda: DUE + timedelta(hours=1))
    token = app.config["TWILIO_AUTH_TOKEN"]
    results: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def deliver(body: str) -> None:
        try:
            with app.app_context():
                client = app.test_client()
                barrier.wait()
                results.append(replies_of(post_signed(client, SMS_PATH, sms_params(body), token=token)))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=deliver, args=(body,)) for body in ("hmm not sure", "maybe")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == 2 and results[0] != results[1]
    db.session.expire_all()
    state = ConversationState.from_dict(json.loads(db.session.get(CheckIn, check_in.id).conversation))
    assert state.change_given_up  # two unclear change answers, each counted


# -- the fast paths give exactly what the general ones give ------------------------------------------------

ALL_TEXTS = [
    texts.crisis_signposting(),
    texts.duration_question(),
    texts.usual_self_question(),
    texts.unknown_sender(),
    texts.closed("March"),
    "x & y < z > \"quoted\" 'apostrophe'",
    "two\nlines\r\nand a £ sign",
    "  spaced  ",
]


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_twiml_is_written_as_the_twilio_package_writes_it(count: int) -> None:
    replies = ALL_TEXTS[:count] if count < 3 else ALL_TEXTS
    response = MessagingResponse()
    for reply in replies:
        response.message(reply)
    assert webhooks.twiml(replies) == str(response)


@settings(max_examples=200, deadline=None)
@given(replies=st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"))), max_size=3))
def test_twiml_matches_for_any_text(replies: list[str]) -> None:
    response = MessagingResponse()
    for reply in replies:
        response.message(reply)
    assert webhooks.twiml(replies) == str(response)


URLS = [
    "https://stillwell.example.org/webhooks/twilio/sms",
    "https://stillwell.example.org:443/webhooks/twilio/sms",
    "http://127.0.0.1:8000/webhooks/twilio/sms?x=1&y=two",
    "https://stillwell.example.org/webhooks/twilio/status",
]


@pytest.mark.parametrize("signed", URLS)
@pytest.mark.parametrize("checked", URLS)
def test_the_signature_check_agrees_with_request_validator(signed: str, checked: str) -> None:
    from werkzeug.datastructures import ImmutableMultiDict

    token = "an-auth-token"
    form = ImmutableMultiDict([("From", "+447400123456"), ("Body", "a & b"), ("Body", "again"), ("NumMedia", "0")])
    validator = RequestValidator(token)
    for signature in (
        validator.compute_signature(signed, form),
        "",
        "nonsense",
        validator.compute_signature(signed, {}),
    ):
        assert webhooks.signature_is_valid(token, checked, form, signature) == validator.validate(
            checked, form, signature
        )


@settings(max_examples=300, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_a_uk_mobile_in_e164_is_hashed_as_phonenumbers_would_normalise_it(digits: str) -> None:
    number = "+447" + digits
    assert sender_number(number) == ((normalise_phone(number) or (number.strip(),))[0])


@pytest.mark.parametrize(
    "number",
    [
        "+447400123456",
        " +447400123456",
        "07400 123456",
        "+4407400123456",
        "+447400１23456",
        "+44740012345",
        "+4474001234567",
        "+447400123456\n",
        "12345",
        "",
        "+33612345678",
        "+447000000000",
    ],
)
def test_other_numbers_still_go_through_phonenumbers(number: str) -> None:
    assert sender_number(number) == ((normalise_phone(number) or (number.strip(),))[0])
