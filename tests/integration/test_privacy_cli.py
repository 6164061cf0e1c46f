"""`flask privacy erase | erase-due | withdraw | export | rotate-keys` through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from app.cli import privacy as privacy_cli
from app.extensions import db
from app.models import AuditEvent, CheckIn, Client, Episode, Release, User
from app.security.fields import field_security
from app.services import dispatch
from app.services.privacy import lifecycle as privacy
from tests.conftest import make_app
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.cohorts import seed_cohort
from tests.factories.privacy import reply
from tests.fakes import fixtures

fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink
providers = fixtures.providers

PHONE = "+447400200001"
EMAIL = "export.person@example.org"
DISCHARGE = "2026-03-02"
DUE_4 = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def audits(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def summary(runner, *extra: str) -> dict:
    result = runner.invoke(args=["stats", "summary", "--as-of", "2026-09-30", "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# -- erase --------------------------------------------------------------------------------------------------


def test_erase_command_erases_stops_contact_and_explains_bad_input(app, runner):
    make_service()
    run_import(csv_bytes([row(client_ref="C1", phone=PHONE, email=EMAIL)]))
    result = runner.invoke(
        args=["privacy", "erase", "--service", "TYNE", "--client-ref", "C1", "--now", "2026-11-21T10:00:00Z"]
    )
    assert result.exit_code == 0, result.output
    assert "contact details erased" in result.output and "contact stopped" in result.output
    client = db.session.scalars(select(Client)).one()
    assert client.phone_enc is None and client.email_enc is None
    assert client.contact_erased_at == datetime(2026, 11, 21, 10, tzinfo=UTC)
    assert db.session.scalars(select(Episode.contact_stopped_reason)).one() == privacy.STOP_ERASED
    (event,) = audits("privacy.erase")
    assert (
        event.actor.startswith("cli:") and PHONE[-9:] not in (event.detail or "") and EMAIL not in (event.detail or "")
    )
    again = runner.invoke(args=["privacy", "erase", "--service", "TYNE", "--client-ref", "C1"])
    assert again.exit_code == 0 and "already erased" in again.output
    unknown_service = runner.invoke(args=["privacy", "erase", "--service", "NOPE", "--client-ref", "C1"])
    assert unknown_service.exit_code == 1 and "'NOPE' does not exist" in unknown_service.output
    unknown_client = runner.invoke(args=["privacy", "erase", "--service", "TYNE", "--client-ref", "C9"])
    assert unknown_client.exit_code == 1 and "no client with client_ref 'C9'" in unknown_client.output
    bad_time = runner.invoke(args=["privacy", "erase", "--service", "TYNE", "--client-ref", "C1", "--now", "soon"])
    assert bad_time.exit_code == 2 and "ISO 8601" in bad_time.output
    assert "Traceback" not in unknown_client.output + unknown_service.output + bad_time.output


def test_erase_due_command(app, runner):
    make_service(plan="4")
    run_import(csv_bytes([row(client_ref="C1", discharge_date=DISCHARGE)]), now=datetime(2026, 3, 10, tzinfo=UTC))
    item = db.session.scalars(select(CheckIn)).one()
    item.status, item.first_sent_at, item.closed_at = "closed", DUE_4, DUE_4 + timedelta(days=14)
    db.session.commit()
    early = runner.invoke(args=["privacy", "erase-due", "--now", "2026-07-01T00:00:00Z"])
    assert early.exit_code == 0 and early.output.strip() == "erased=0"
    due = runner.invoke(args=["privacy", "erase-due", "--now", "2026-07-13T09:00:00Z"])
    assert due.exit_code == 0 and due.output.strip() == "erased=1"


# -- withdraw -----------------------------------------------------------------------------------------------


def test_withdraw_takes_answers_out_of_future_figures_and_leaves_releases_alone(app, runner):
    seed_cohort()  # R1 durably recovered, R2 unchanged, R3 no response, R4 without consent
    release = Release(
        created_by="cli:test",
        as_of=date(2026, 9, 30),
        scope_kind="all",
        methodology=1,
        software_version="test",
        sha256="0" * 64,
        payload='{"frozen":true}',
        title="before the withdrawal",
    )
    db.session.add(release)
    db.session.commit()
    frozen = (release.id, release.payload, release.sha256, release.as_of, release.title)
    before = summary(runner)
    assert before["cohort"]["consented"] == 3 and before["outcomes"]["durably_recovered"] == 1

    result = runner.invoke(args=["privacy", "withdraw", "--service", "TYNE", "--client-ref", "R1"])
    assert result.exit_code == 0, result.output
    assert "1 episode(s)" in result.output
    after = summary(runner)
    assert after["cohort"] == {**before["cohort"], "consented": 2, "eligible": 2}
    assert after["cohort"]["episodes"] == before["cohort"]["episodes"] == 4  # still counted as an episode
    assert after["outcomes"]["durably_recovered"] == 0 and after["change_distribution"]["much_better"] == 0
    assert after["durable_recovery"]["itt"]["denominator"] == 2
    assert after["attrition"] == before["attrition"] and after["service_reported"] == before["service_reported"]
    db.session.expire_all()
    kept = db.session.get(Release, frozen[0])
    assert kept is not None and (kept.id, kept.payload, kept.sha256, kept.as_of, kept.title) == frozen
    assert db.session.scalar(select(func.count()).select_from(Release)) == 1

    episode = db.session.scalars(select(Episode).join(Client).where(Client.client_ref == "R1")).one()
    assert episode.answers_withdrawn_at is not None and episode.contact_stopped_reason == privacy.STOP_ANSWERS_WITHDRAWN
    statuses = set(db.session.scalars(select(CheckIn.status).where(CheckIn.episode_id == episode.id)))
    assert "scheduled" not in statuses
    assert len(audits("privacy.withdraw")) == 1
    repeat = runner.invoke(args=["privacy", "withdraw", "--service", "TYNE", "--client-ref", "R1"])
    assert repeat.exit_code == 0 and "already withdrawn" in repeat.output


def test_withdraw_one_episode_by_discharge_date(app, runner):
    make_service()
    run_import(
        csv_bytes(
            [row(client_ref="C1", discharge_date="2026-03-01"), row(client_ref="C1", discharge_date="2026-06-01")]
        )
    )
    result = runner.invoke(
        args=["privacy", "withdraw", "--service", "TYNE", "--client-ref", "C1", "--discharge-date", "2026-06-01"]
    )
    assert result.exit_code == 0, result.output
    withdrawn = dict(db.session.execute(select(Episode.discharge_date, Episode.answers_withdrawn_at)).all())
    assert withdrawn[date(2026, 6, 1)] is not None and withdrawn[date(2026, 3, 1)] is None
    missing = runner.invoke(
        args=["privacy", "withdraw", "--service", "TYNE", "--client-ref", "C1", "--discharge-date", "2026-07-01"]
    )
    assert missing.exit_code == 1 and "no episode discharged on 2026-07-01" in missing.output
    bad = runner.invoke(
        args=["privacy", "withdraw", "--service", "TYNE", "--client-ref", "C1", "--discharge-date", "1/7/26"]
    )
    assert bad.exit_code == 2 and "not a date" in bad.output


# -- export -------------------------------------------------------------------------------------------------


def test_export_gives_everything_held_to_a_private_file_and_is_audited(app, runner, providers, tmp_path):
    make_service(plan="4,8")
    run_import(
        csv_bytes([row(client_ref="C1", discharge_date=DISCHARGE, phone=PHONE, email=EMAIL, age_band="46-55")]),
        now=datetime(2026, 3, 10, tzinfo=UTC),
    )
    assert dispatch.tick(DUE_4)["sent"] == 1
    reply(PHONE, "a little better, 3 weeks and no", DUE_4 + timedelta(hours=1))
    reply(PHONE, "STOP", DUE_4 + timedelta(hours=2))
    out = tmp_path / "sar.json"
    out.write_text("old")
    os.chmod(out, 0o644)
    result = runner.invoke(args=["privacy", "export", "--service", "TYNE", "--client-ref", "C1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert PHONE not in result.output and EMAIL not in result.output  # only in the file
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads(out.read_text())
    assert data["client_ref"] == "C1" and data["service"]["code"] == "TYNE"
    assert data["contact"]["phone"] == PHONE and data["contact"]["email"] == EMAIL and data["contact"]["opted_out_now"]
    assert [event["kind"] for event in data["opt_events"]] == ["opt_out", "opt_out"]  # the phone and the email
    (episode,) = data["episodes"]
    assert episode["discharge_date"] == DISCHARGE and episode["treatment_sessions"] == 8
    assert episode["problem_descriptor"] == "F41.1" and episode["follow_up_plan_weeks"] == [4, 8]
    assert episode["case_mix"] == {"age_band": "46-55", "sex": None, "imd_decile": None}
    first = episode["check_ins"][0]
    assert first["weeks"] == 4 and first["answers"]["change"] == "a_little_better"
    assert first["answers"]["usual_self"] == "no" and first["answers"]["duration_start"] == "2026-03-09"
    assert [m["body"] for m in data["inbound_messages"]] == ["a little better, 3 weeks and no", "STOP"]
    assert data["outbound_messages"][0]["purpose"] == "first" and data["outbound_messages"][0]["status"] == "accepted"
    (event,) = audits("privacy.export")
    assert event.subject == f"client:{db.session.scalars(select(Client.id)).one()}"
    assert PHONE[-9:] not in (event.detail or "") and json.loads(event.detail or "{}")["to"] == "file"

    printed = runner.invoke(args=["privacy", "export", "--service", "TYNE", "--client-ref", "C1"])
    assert printed.exit_code == 0 and json.loads(printed.output)["contact"]["phone"] == PHONE
    assert len(audits("privacy.export")) == 2

    runner.invoke(args=["privacy", "erase", "--service", "TYNE", "--client-ref", "C1"])
    erased = json.loads(runner.invoke(args=["privacy", "export", "--service", "TYNE", "--client-ref", "C1"]).output)
    assert erased["contact"]["phone"] is None and erased["contact"]["email"] is None and erased["contact"]["erased_at"]
    assert len(erased["opt_events"]) == 2  # the suppression list keeps the opt-out history
    assert erased["episodes"][0]["check_ins"][0]["answers"]["change"] == "a_little_better"

    unknown = runner.invoke(args=["privacy", "export", "--service", "TYNE", "--client-ref", "NOPE"])
    assert unknown.exit_code == 1 and "'NOPE'" in unknown.output
    nowhere = runner.invoke(
        args=["privacy", "export", "--service", "TYNE", "--client-ref", "C1", "--out", str(tmp_path / "no" / "x.json")]
    )
    assert nowhere.exit_code == 2 and "does not exist" in nowhere.output


# -- key rotation -------------------------------------------------------------------------------------------


def _contacts() -> list[tuple[str | None, str | None]]:
    security = field_security()
    rows = db.session.execute(select(Client.phone_enc, Client.email_enc).order_by(Client.id)).all()
    return [(security.decrypt(p) if p else None, security.decrypt(e) if e else None) for p, e in rows]


def _with_keys(db_url: str, keys: str):
    return make_app(db_url, FIELD_ENCRYPTION_KEYS=keys)


def _invoke(app_with_keys, *args: str):
    """Run a command in that app (a command uses the app context already pushed, so push this one)."""
    with app_with_keys.app_context():
        try:
            return app_with_keys.test_cli_runner().invoke(args=list(args))
        finally:
            db.session.remove()
            db.engine.dispose()


def _seed_for_rotation() -> list[tuple[str | None, str | None]]:
    make_service()
    rows = [row(client_ref=f"K{i}", phone=f"+4474003000{i:02d}", email=f"key{i}@example.org") for i in range(5)]
    rows.append(row(client_ref="K9", phone="", email="mail.only@example.org"))
    run_import(csv_bytes(rows))
    db.session.add(
        User(
            email="evaluator@example.org",
            password_hash="x",
            role="evaluator",
            totp_secret_enc=field_security().encrypt("JBSWY3DPEHPK3PXP"),
        )
    )
    db.session.commit()
    return _contacts()


def test_rotate_keys_in_resumable_batches_then_the_old_key_can_go(app, db_url):
    old = app.config["FIELD_ENCRYPTION_KEYS"]
    new = Fernet.generate_key().decode()
    originals = _seed_for_rotation()
    rotating = _with_keys(db_url, f"{new},{old}")
    first = _invoke(rotating, "privacy", "rotate-keys", "--batch-size", "2", "--max-batches", "1")
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "checked=4 rotated=4 already_current=0 (stopped early: run again to finish)"
    rest = _invoke(rotating, "privacy", "rotate-keys", "--batch-size", "2")
    assert rest.exit_code == 0, rest.output
    # The 4 values of the first batch are skipped; the other 8 (K2-K4, K9 and the TOTP secret) are rotated.
    assert rest.output.strip() == "checked=12 rotated=8 already_current=4"
    again = _invoke(rotating, "privacy", "rotate-keys")
    assert again.output.strip() == "checked=12 rotated=0 already_current=12"

    only_new = _with_keys(db_url, new)
    with only_new.app_context():
        assert _contacts() == originals
        secret = db.session.scalars(select(User.totp_secret_enc)).one()
        assert field_security().decrypt(secret) == "JBSWY3DPEHPK3PXP"
        db.session.remove()
        db.engine.dispose()
    with rotating.app_context():
        assert len(audits("privacy.rotate_keys")) == 3
        db.session.remove()
        db.engine.dispose()


def test_rotation_killed_midway_keeps_finished_batches_and_resumes(app, db_url):
    old = app.config["FIELD_ENCRYPTION_KEYS"]
    new = Fernet.generate_key().decode()
    originals = _seed_for_rotation()
    rotating = _with_keys(db_url, f"{new},{old}")

    def killed(rows: int) -> None:
        raise KeyboardInterrupt  # as if the operator pressed Ctrl-C after the first batch

    with rotating.app_context():
        with pytest.raises(KeyboardInterrupt):
            privacy.rotate_keys(actor="test", now=datetime.now(UTC), batch_size=3, progress=killed)
        db.session.rollback()
        encrypted = db.session.execute(select(Client.phone_enc, Client.email_enc).order_by(Client.id)).all()
        security = field_security()
        current = [security.is_current(value) for pair in encrypted for value in pair if value]
        assert current == [True] * 6 + [False] * 5  # the first batch (3 clients) was committed
        result = privacy.rotate_keys(actor="test", now=datetime.now(UTC), batch_size=3)
        assert (result.rotated, result.current, result.complete) == (6, 6, True)
        db.session.remove()
        db.engine.dispose()
    only_new = _with_keys(db_url, new)
    with only_new.app_context():
        assert _contacts() == originals
        db.session.remove()
        db.engine.dispose()


def test_rotation_with_a_missing_key_fails_clearly(app, db_url, runner):
    _seed_for_rotation()
    stranger = _with_keys(db_url, Fernet.generate_key().decode())
    result = _invoke(stranger, "privacy", "rotate-keys")
    assert result.exit_code == 1 and "cannot be decrypted with any key" in result.output
    assert "Traceback" not in result.output


def test_progress_bar_only_on_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    with privacy_cli._progress_bar(10) as progress:
        assert progress is not None
        progress(10)
    assert "re-encrypting" in screen.getvalue()
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with privacy_cli._progress_bar(10) as progress:
        assert progress is None
