"""No phone number or email in clear in the logs, the command output or the database, after the whole lifecycle.

Representative flows run through the real app: a discharge list imported by the CLI (and a refused one),
dispatch ticks against the fake Twilio and the SMTP sink (a permanent failure with fallback to email, a lost
response reconciled against Twilio's message list, reminders, a safeguarding email), signed inbound SMS
(answers, STOP, START, HELP, a risk message, a wrong number, an unknown sender), a web survey, a
subject-access export to a file (the one place contact details may appear: its file is not scanned), and
erasure. Every log record of every logger (SQLAlchemy's echo aside) is captured at DEBUG and scanned, with
everything the commands printed and a full dump of the database (SQLite: iterdump and the raw file;
PostgreSQL: pg_dump), for every synthetic phone number (E.164, national, digits only) and email used.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CheckIn, Client
from tests.factories import csv_bytes, make_service, row
from tests.factories.privacy import database_dump
from tests.factories.sms import Phone
from tests.fakes import fixtures

fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink
providers = fixtures.providers

DUE_4 = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # discharged Monday 2 March 2026; 10:00 BST
DUE_4_LATER = datetime(2026, 3, 31, 9, 0, tzinfo=UTC)  # discharged a day later
DUE_8 = datetime(2026, 4, 27, 9, 0, tzinfo=UTC)

PHONES = {
    "P1": "+447400500001",  # answers by SMS, then a risk message
    "P2": "+447400500002",  # STOP, START, HELP; then asks for erasure
    "P3": "+447400500003",  # texts refused (21211): email instead, answered on the web
    "P4": "+447400500004",  # the response to the first text is lost: reconciled; then "wrong number"
}
EMAILS = {"P1": "p.one@example.org", "P3": "p.three@example.org", "P5": "p.five@example.org"}
UNKNOWN = "+447400500099"
REFUSED_PHONE = "07400 5000"  # too short: the intake error must not echo it
REFUSED_EMAIL = "p.refused@example"


def needles() -> list[str]:
    """Every form in which a synthetic contact detail could appear in clear."""
    found: list[str] = []
    for number in [*PHONES.values(), UNKNOWN]:
        national = "0" + number[3:]
        found += [number, number[1:], national, f"{national[:5]} {national[5:]}", number[-9:]]
    found.append(re.sub(r"\D", "", REFUSED_PHONE))
    for email in [*EMAILS.values(), REFUSED_EMAIL]:
        found += [email, email.split("@")[0]]
    return [needle.lower() for needle in found]


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [needle for needle in needles() if needle in lowered]


#: Loggers left out: SQLAlchemy's statement echo (off in every configuration) and the test SMTP server's own log.
UNWATCHED = ("sqlalchemy", "mail.log", "aiosmtpd")


@pytest.fixture
def every_log_record(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Logging as with the root logger and Stillwell's loggers at DEBUG: what an operator chasing a problem turns on.

    A logger whose level the app sets itself keeps it (that is how the app keeps a chatty library quiet);
    every other logger inherits DEBUG from the root. Levels are restored afterwards.
    """
    quiet = {name: logging.getLogger(name).level for name in UNWATCHED}
    for name in UNWATCHED:
        logging.getLogger(name).setLevel(logging.WARNING)
    caplog.set_level(logging.DEBUG, logger="stillwell")
    caplog.set_level(logging.DEBUG)  # last: it also sets the capturing handler's level
    try:
        yield caplog
    finally:
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


def log_text(records: list[logging.LogRecord]) -> str:
    """Each record as a log handler would write it: the message, its arguments and any traceback."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    return "\n".join(f"{formatter.format(record)} {record.args!r}" for record in records)


def survey_link(sink, email: str) -> str:
    for received in reversed(sink.messages):
        if email in received.rcpt_tos:
            text = received.message.get_body(preferencelist=("plain",)).get_content()
            match = re.search(r"/s/([A-Za-z0-9_\-]+)", text)
            assert match, text
            return match.group(0)
    raise AssertionError("no email to that address")


def test_no_contact_detail_in_clear_in_logs_output_or_database(
    app, runner, providers, every_log_record, monkeypatch, tmp_path: Path, capfd
):
    fake, sink = providers
    outputs: list[str] = []

    def cli(*args: str, code: int = 0) -> str:
        result = runner.invoke(args=list(args))
        assert result.exit_code == code, result.output
        outputs.append(result.output)
        return result.output

    make_service(plan="4,8")
    rows = [
        row(client_ref="P1", discharge_date="2026-03-02", phone=PHONES["P1"], email=EMAILS["P1"]),
        row(client_ref="P2", discharge_date="2026-03-02", phone=PHONES["P2"], email=""),
        row(client_ref="P3", discharge_date="2026-03-02", phone=PHONES["P3"], email=EMAILS["P3"]),
        row(client_ref="P4", discharge_date="2026-03-03", phone=PHONES["P4"], email=""),
        row(client_ref="P5", discharge_date="2026-03-02", phone="", email=EMAILS["P5"]),
    ]
    refused = tmp_path / "refused.csv"
    refused.write_bytes(csv_bytes([row(client_ref="X1", phone=REFUSED_PHONE, email=REFUSED_EMAIL)]))
    cli("intake", "import", str(refused), "--service", "TYNE", "--dry-run", code=1)
    good = tmp_path / "list.csv"
    good.write_bytes(csv_bytes(rows))
    assert "created=5" in cli("intake", "import", str(good), "--service", "TYNE")

    fake.fail_for_number(PHONES["P3"], 21211)
    cli("dispatch", "tick", "--now", DUE_4.isoformat())
    fake.drop_next(1)  # P4's first text reaches Twilio but the answer is lost
    cli("dispatch", "tick", "--now", DUE_4_LATER.isoformat())
    cli("dispatch", "tick", "--now", (DUE_4_LATER + timedelta(minutes=3)).isoformat())  # reconciled

    def text(ref: str, body: str, at: datetime) -> list[str]:
        return Phone(app, monkeypatch, PHONES.get(ref, UNKNOWN)).send(body, at)

    at = DUE_4_LATER + timedelta(hours=1)
    assert text("P1", "much better, 3 months and yes", at)
    text("P2", "STOP", at)
    text("P2", "START", at + timedelta(minutes=5))
    assert text("P2", "HELP", at + timedelta(minutes=10))
    text("P4", "this is the wrong number", at)
    text("UNKNOWN", "hello who is this", at)
    monkeypatch.setattr("app.web.survey.utcnow", lambda: at)
    form = {
        "change": "same",
        "duration_number": "2",
        "duration_unit": "weeks",
        "usual_self": "no",
        "comment": "some days I want to end it all",
    }
    assert app.test_client().post(survey_link(sink, EMAILS["P3"]), data=form).status_code == 200
    text("P1", "I want to die", at + timedelta(hours=1))
    cli("dispatch", "tick", "--now", (DUE_4 + timedelta(days=3, hours=1)).isoformat())  # reminders, alert emails
    cli("dispatch", "tick", "--now", DUE_8.isoformat())
    cli("dispatch", "tick", "--now", (DUE_8 + timedelta(days=15)).isoformat())  # every check-in closed

    export = tmp_path / "subject-access.json"
    cli("privacy", "export", "--service", "TYNE", "--client-ref", "P1", "--out", str(export))
    assert EMAILS["P1"] in export.read_text()  # the export holds them, and is left out of the scan
    cli("privacy", "erase", "--service", "TYNE", "--client-ref", "P2")
    cli("privacy", "erase-due", "--now", (DUE_8 + timedelta(days=200)).isoformat())
    cli("stats", "summary", "--as-of", "2026-06-01")
    db.session.expire_all()
    assert db.session.scalar(select(Client.id).where(Client.phone_enc.is_not(None))) is None
    assert db.session.scalar(select(CheckIn.change).where(CheckIn.change.is_not(None))) is not None

    # The flows really ran and logged (a scan of nothing proves nothing).
    records = every_log_record.records
    loggers = {record.name for record in records}
    assert {"stillwell.dispatch", "stillwell.inbound", "stillwell.privacy"} <= loggers, loggers
    assert len(fake.messages) >= 5 and len(sink.messages) >= 3
    captured = capfd.readouterr()
    scanned = {
        "logs": log_text(records),
        "command output": "\n".join(outputs) + captured.out + captured.err,
        "database dump": database_dump(),
    }
    assert "P1" in scanned["database dump"] and "much_better" in scanned["database dump"]
    for where, content in scanned.items():
        offending = [line[:300] for line in content.splitlines() if leaks(line)]
        assert not offending, f"contact details in clear in the {where}:\n" + "\n".join(offending[:5])
