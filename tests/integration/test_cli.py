"""The operator commands: clear messages, non-zero exits on bad input, never a traceback."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import Area, AuditEvent, Client, Episode, Service, Submission, User
from app.security.passwords import verify_password
from app.services.demo import SERVICES
from tests.factories import csv_bytes, row


def invoke(runner, *args: str, input: str | None = None):
    result = runner.invoke(args=list(args), input=input)
    assert "Traceback" not in result.output
    return result


def setup_service(runner) -> None:
    assert invoke(runner, "areas", "create", "--code", "NE", "--name", "North East").exit_code == 0
    result = invoke(
        runner,
        "services",
        "create",
        "--code",
        "TYNE",
        "--name",
        "Tyneside service",
        "--area",
        "NE",
        "--short-name",
        "Tyne Wellbeing",
        "--plan",
        "4,8,26",
        "--send-window",
        "09:30-18:00",
        "--send-days",
        "mon-fri",
        "--safeguarding-email",
        "safe@example.org",
        "--sms-links",
    )
    assert result.exit_code == 0, result.output


def test_areas_and_services_create(runner):
    setup_service(runner)
    service = db.session.scalars(select(Service)).one()
    assert (service.code, service.area.code, service.short_name, service.plan) == (
        "TYNE",
        "NE",
        "Tyne Wellbeing",
        "4,8,26",
    )
    assert (service.send_window, service.send_days, service.sms_links) == ("09:30-18:00", "mon,tue,wed,thu,fri", True)
    assert service.timezone == "Europe/London"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 2


def test_service_defaults(runner):
    invoke(runner, "areas", "create", "--code", "NE", "--name", "North East")
    assert invoke(runner, "services", "create", "--code", "WEAR", "--name", "W", "--area", "NE").exit_code == 0
    service = db.session.scalars(select(Service)).one()
    assert (service.plan, service.send_window, service.send_days, service.sms_links) == (
        "4,8,18,26,52",
        "10:00-19:00",
        "mon,tue,wed,thu,fri,sat",
        False,
    )
    assert service.bilingual is False


def test_a_bilingual_service_created_updated_and_listed(runner):
    invoke(runner, "areas", "create", "--code", "WA", "--name", "Wales")
    made = invoke(runner, "services", "create", "--code", "TAFF", "--name", "T", "--area", "WA", "--bilingual")
    assert made.exit_code == 0 and made.output.strip().endswith(", bilingual (Welsh then English)")
    assert db.session.scalars(select(Service)).one().bilingual is True
    assert invoke(runner, "services", "list").output.split("\t")[4] == "cy+en"
    off = invoke(runner, "services", "update", "--code", "TAFF", "--no-bilingual")
    assert off.exit_code == 0 and off.output.strip() == "service TAFF: not bilingual"
    db.session.expire_all()
    assert db.session.scalars(select(Service)).one().bilingual is False
    assert invoke(runner, "services", "list").output.split("\t")[4] == "-"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "service.update")).all()
    assert [event.subject for event in events] == ["service:TAFF"]
    nothing = invoke(runner, "services", "update", "--code", "TAFF")
    assert nothing.exit_code == 2 and "give --bilingual, --no-bilingual or --safeguarding-email" in nothing.output
    missing = invoke(runner, "services", "update", "--code", "NOPE", "--bilingual")
    assert missing.exit_code != 0 and "service 'NOPE' does not exist" in missing.output


def test_a_service_created_without_a_safeguarding_email_gets_one_from_the_cli(runner, caplog):
    caplog.set_level(logging.DEBUG)
    invoke(runner, "areas", "create", "--code", "WA", "--name", "Wales")
    assert invoke(runner, "services", "create", "--code", "TAFF", "--name", "T", "--area", "WA").exit_code == 0
    assert "--safeguarding-email" in invoke(runner, "services", "update", "--help").output

    done = invoke(runner, "services", "update", "--code", "TAFF", "--safeguarding-email", " Alerts.Taff@Example.ORG ")
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "service TAFF: not bilingual, safeguarding alerts to a***@example.org"
    db.session.expire_all()
    service = db.session.scalars(select(Service)).one()
    assert (service.safeguarding_email, service.bilingual) == ("alerts.taff@example.org", False)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "service.update")).one()
    assert (event.subject, event.detail) == ("service:TAFF", '{"safeguarding_email": "set"}')

    # A bad address is refused with a clear message, and nothing is written: not the bilingual flag given
    # with it either. The address is never repeated in clear: not on the terminal, in a log or the audit log.
    for bad in ("alerts.taff@", "not an address", "a@b@example.org"):
        refused = invoke(runner, "services", "update", "--code", "TAFF", "--bilingual", "--safeguarding-email", bad)
        assert refused.exit_code == 1, (bad, refused.output)
        assert "the safeguarding email is not a valid email address" in refused.output
        assert bad not in refused.output
    db.session.expire_all()
    service = db.session.scalars(select(Service)).one()
    assert (service.safeguarding_email, service.bilingual) == ("alerts.taff@example.org", False)
    assert (
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "service.update"))
        == 1
    )

    cleared = invoke(runner, "services", "update", "--code", "TAFF", "--safeguarding-email", "", "--bilingual")
    assert cleared.exit_code == 0, cleared.output
    assert (
        cleared.output.strip()
        == "service TAFF: bilingual (Welsh then English), safeguarding alerts to SAFEGUARDING_EMAIL"
    )
    db.session.expire_all()
    assert db.session.scalars(select(Service)).one().safeguarding_email is None
    details = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "service.update")).all()
    assert details[-1] == '{"bilingual": true, "safeguarding_email": "cleared"}'
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "alerts.taff" not in logged.lower() and "alerts.taff" not in " ".join(details).lower()


def test_bad_admin_input_gets_clear_errors(runner):
    invoke(runner, "areas", "create", "--code", "NE", "--name", "North East")
    cases = [
        (["areas", "create", "--code", "NE", "--name", "Again"], "already exists"),
        (["services", "create", "--code", "S1", "--name", "S", "--area", "XX"], "does not exist"),
        (["services", "create", "--code", "S1", "--name", "S", "--area", "NE", "--plan", "8,4"], "increasing"),
        (
            [
                "services",
                "create",
                "--code",
                "S1",
                "--name",
                "S",
                "--area",
                "NE",
                "--short-name",
                "Tyne Talking Therapies",
            ],
            "talking therapies",
        ),
        (["services", "create", "--code", "S1", "--name", "S", "--area", "NE", "--timezone", "Mars/Base"], "time zone"),
        (
            ["services", "create", "--code", "S1", "--name", "S", "--area", "NE", "--send-window", "19:00-10:00"],
            "start before",
        ),
        (["services", "create", "--code", "S1", "--name", "S", "--area", "NE", "--send-days", "funday"], "not a day"),
    ]
    for args, message in cases:
        result = invoke(runner, *args)
        assert result.exit_code == 1, args
        assert message in result.output.lower(), (args, result.output)
    assert db.session.scalar(select(func.count()).select_from(Service)) == 0
    assert db.session.scalar(select(func.count()).select_from(Area)) == 1


def test_users_create_with_password_from_stdin(runner):
    setup_service(runner)
    result = invoke(
        runner,
        "users",
        "create",
        "--email",
        "Sub@Example.org",
        "--role",
        "service_submitter",
        "--service",
        "TYNE",
        "--password-stdin",
        input="correct horse battery\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User)).one()
    assert user.email == "sub@example.org" and user.role == "service_submitter"
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "correct horse battery")
    assert not verify_password(user.password_hash, "wrong password here")


def test_users_create_refuses_bad_input(runner):
    setup_service(runner)
    cases = [
        (["--email", "a@example.org", "--role", "evaluator"], "short\n", "at least 12"),
        (["--email", "not-an-email", "--role", "evaluator"], "long enough password\n", "not a valid email"),
        (["--email", "a@example.org", "--role", "service_submitter"], "long enough password\n", "--service"),
        (
            ["--email", "a@example.org", "--role", "commissioner", "--service", "TYNE"],
            "long enough password\n",
            "--area",
        ),
        (["--email", "a@example.org", "--role", "admin", "--area", "NE"], "long enough password\n", "neither"),
    ]
    for args, password, message in cases:
        result = invoke(runner, "users", "create", *args, "--password-stdin", input=password)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
    bad_role = invoke(
        runner, "users", "create", "--email", "a@example.org", "--role", "king", "--password-stdin", input="x\n"
    )
    assert bad_role.exit_code == 2
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_intake_import_command(runner, tmp_path: Path):
    setup_service(runner)
    path = tmp_path / "discharges.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_bytes([row(), row(client_ref="C0002")]))  # with a byte-order mark
    dry = invoke(runner, "intake", "import", str(path), "--service", "TYNE", "--dry-run")
    assert dry.exit_code == 0 and dry.output.strip() == "dry run: created=2 updated=0 unchanged=0"
    assert db.session.scalar(select(func.count()).select_from(Episode)) == 0
    first = invoke(runner, "intake", "import", str(path), "--service", "TYNE")
    assert first.exit_code == 0 and first.output.strip() == "created=2 updated=0 unchanged=0"
    again = invoke(runner, "intake", "import", str(path), "--service", "TYNE")
    assert again.output.strip() == "created=0 updated=0 unchanged=2"


def test_intake_import_accepts_an_unsupported_language_with_a_warning(runner, tmp_path: Path):
    setup_service(runner)
    path = tmp_path / "languages.csv"
    rows = [row(client_ref=f"C{n:04d}", language=tag) for n, tag in enumerate(["pl", "cy-GB", "en", "PL", "xx-yy"])]
    path.write_bytes(csv_bytes(rows))
    result = invoke(runner, "intake", "import", str(path), "--service", "TYNE")
    assert result.exit_code == 0
    assert result.stdout.strip() == "created=5 updated=0 unchanged=0"
    assert result.stderr.splitlines() == [
        "warning: rows 2 and 5: language 'pl' is not yet supported; those clients will get English texts",
        "warning: row 6: language 'xx-yy' is not yet supported; that client will get English texts",
    ]
    assert db.session.scalar(select(func.count()).select_from(Episode)) == 5


def test_intake_import_failure_lists_every_problem_on_stderr(runner, tmp_path: Path):
    setup_service(runner)
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([row(referral_date="2026-07-01"), row(client_ref="C0002", treatment_sessions="-1")]))
    result = invoke(runner, "intake", "import", str(path), "--service", "TYNE")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "row 2, column assessment_date: 2026-01-20 is before referral_date 2026-07-01",
        "row 3, column treatment_sessions: -1 is out of range (expected 0 or more)",
    ]
    assert db.session.scalar(select(func.count()).select_from(Client)) == 0


def test_the_command_line_keeps_the_service_history_as_the_page_and_the_api_do(runner, tmp_path: Path):
    """One service call for every edge: a refusal and a dry run from `flask intake import` are in the service's
    submission history and audited, like those sent through /submit or the API."""
    setup_service(runner)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([row(treatment_sessions="-1")]))
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([row()]))
    assert invoke(runner, "intake", "import", str(bad), "--service", "TYNE").exit_code == 1
    assert invoke(runner, "intake", "import", str(bad), "--service", "TYNE", "--dry-run").exit_code == 1
    assert invoke(runner, "intake", "import", str(good), "--service", "TYNE", "--dry-run").exit_code == 0
    assert invoke(runner, "intake", "import", str(good), "--service", "TYNE").exit_code == 0
    history = db.session.execute(select(Submission.filename, Submission.status).order_by(Submission.id)).all()
    assert [tuple(item) for item in history] == [
        ("bad.csv", "rejected"),
        ("bad.csv", "check_failed"),
        ("good.csv", "checked"),
        ("good.csv", "imported"),
    ]
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("intake.%"))).all()
    assert actions == ["intake.rejected", "intake.dry_run", "intake.dry_run", "intake.import"]


def test_intake_import_missing_file_and_unknown_service(runner, tmp_path: Path):
    setup_service(runner)
    missing = invoke(runner, "intake", "import", str(tmp_path / "nope.csv"), "--service", "TYNE")
    assert missing.exit_code == 1 and missing.stderr.startswith("file: cannot read")
    path = tmp_path / "ok.csv"
    path.write_bytes(csv_bytes([row()]))
    unknown = invoke(runner, "intake", "import", str(path), "--service", "NOPE")
    assert unknown.exit_code == 1 and "NOPE" in unknown.stderr and unknown.stderr.startswith("file: ")


def test_intake_withdraw_command(runner, tmp_path: Path):
    setup_service(runner)
    path = tmp_path / "ok.csv"
    path.write_bytes(csv_bytes([row()]))
    invoke(runner, "intake", "import", str(path), "--service", "TYNE")
    result = invoke(
        runner, "intake", "withdraw", "--service", "TYNE", "--client-ref", "C0001", "--discharge-date", "2026-06-01"
    )
    assert result.exit_code == 0 and "3 check-in(s)" in result.output
    again = invoke(
        runner, "intake", "withdraw", "--service", "TYNE", "--client-ref", "C0001", "--discharge-date", "2026-06-01"
    )
    assert again.exit_code == 1 and "already withdrawn" in again.output
    bad_date = invoke(
        runner, "intake", "withdraw", "--service", "TYNE", "--client-ref", "C0001", "--discharge-date", "1/6/26"
    )
    assert bad_date.exit_code == 2 and "not a date" in bad_date.output


def test_demo_seed_fills_an_empty_database_once(runner):
    first = invoke(runner, "demo", "seed", "--if-empty", "--clients-per-service", "12")
    assert first.exit_code == 0, first.output
    assert "passwords are shown only this once" in first.output
    assert db.session.scalar(select(func.count()).select_from(Episode)) == 12 * len(SERVICES) == 240
    assert db.session.scalar(select(func.count()).select_from(User)) == 5  # one per role, the assessor too
    second = invoke(runner, "demo", "seed", "--if-empty")
    assert second.exit_code == 0 and "nothing seeded" in second.output
    refused = invoke(runner, "demo", "seed")
    assert refused.exit_code == 1 and "already has data" in refused.output


def test_every_command_has_help(runner):
    for group in ("areas", "services", "users", "intake", "demo", "stats", "assessment"):
        result = invoke(runner, group, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output
