"""Importing discharge lists on SQLite and PostgreSQL: all or nothing, idempotent, planned check-ins."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, CheckIn, CheckInStatus, Client, Episode, Submission
from app.services.intake.importing import IntakeRejected, withdraw_episode
from tests.factories import NOW, TODAY, csv_bytes, make_service, row, run_import

CASE_MIX = ("age_band", "sex", "imd_decile")


def count(model: type) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def table_counts() -> dict[str, int]:
    return {model.__name__: count(model) for model in (Client, Episode, CheckIn, Submission, AuditEvent)}


def test_import_creates_episodes_and_plans_every_check_in(app):
    make_service()
    result = run_import(csv_bytes([row(), row(client_ref="C0002", discharge_date="2026-10-20")]))
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert result.summary() == "created=2 updated=0 unchanged=0"
    check_ins = db.session.scalars(
        select(CheckIn).join(Episode).join(Client).where(Client.client_ref == "C0001").order_by(CheckIn.offset_weeks)
    ).all()
    assert [c.offset_weeks for c in check_ins] == [4, 8, 18, 26, 52]
    assert all(c.status == CheckInStatus.SCHEDULED for c in check_ins)
    # 2026-06-01 + 4 weeks = 2026-06-29, 10:00 in London in summer time = 09:00 UTC.
    assert check_ins[0].due_at == datetime(2026, 6, 29, 9, 0, tzinfo=UTC)
    # + 26 weeks = 2026-11-30, 10:00 GMT = 10:00 UTC: the clocks went back in between.
    assert check_ins[3].due_at == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert count(Submission) == 1


def test_same_file_twice_changes_nothing(app):
    make_service()
    data = csv_bytes([row(), row(client_ref="C0002")])
    run_import(data)
    before = db.session.execute(select(CheckIn.id, CheckIn.due_at, CheckIn.status).order_by(CheckIn.id)).all()
    result = run_import(data)
    assert result.summary() == "created=0 updated=0 unchanged=2"
    assert db.session.execute(select(CheckIn.id, CheckIn.due_at, CheckIn.status).order_by(CheckIn.id)).all() == before
    assert count(Episode) == 2


def test_changed_row_updates_episode_and_keeps_sent_check_ins(app):
    make_service()
    run_import(csv_bytes([row()]))
    first = db.session.scalars(select(CheckIn).order_by(CheckIn.offset_weeks)).first()
    first.status = CheckInStatus.OPEN.value
    first.first_sent_at = NOW
    db.session.commit()
    sent_id = first.id
    result = run_import(csv_bytes([row(treatment_sessions="9", phone="07400 654321")]), now=NOW + timedelta(days=1))
    assert result.summary() == "created=0 updated=1 unchanged=0"
    episode = db.session.scalars(select(Episode)).one()
    assert episode.treatment_sessions == 9
    offsets = db.session.execute(
        select(CheckIn.offset_weeks, CheckIn.id, CheckIn.status).order_by(CheckIn.offset_weeks)
    ).all()
    assert [o for o, *_ in offsets] == [4, 8, 18, 26, 52]
    assert offsets[0][1] == sent_id and offsets[0][2] == CheckInStatus.OPEN
    assert count(Episode) == 1 and count(Client) == 1


def test_the_case_mix_columns_are_stored_and_a_resubmission_updates_them(app):
    make_service()
    given = row(age_band="18-25", sex="Female", imd_decile="3")
    result = run_import(csv_bytes([given, row(client_ref="C0002", consent_to_follow_up="no", age_band="66+")]))
    assert result.summary() == "created=2 updated=0 unchanged=0"
    stored = {
        ref: rest
        for ref, *rest in db.session.execute(
            select(Client.client_ref, Episode.age_band, Episode.sex, Episode.imd_decile).join(
                Client, Client.id == Episode.client_id
            )
        )
    }
    assert stored == {"C0001": ["18-25", "female", 3], "C0002": ["66+", None, None]}  # kept without consent too
    assert run_import(csv_bytes([given])).summary() == "created=0 updated=0 unchanged=1"
    changed = run_import(csv_bytes([row(age_band="26-35", sex="", imd_decile="10")]), now=NOW + timedelta(days=1))
    assert changed.summary() == "created=0 updated=1 unchanged=0"
    episode = db.session.scalars(select(Episode).join(Client).where(Client.client_ref == "C0001")).one()
    assert (episode.age_band, episode.sex, episode.imd_decile) == ("26-35", None, 10)


def test_a_list_without_the_case_mix_columns_stays_unchanged_when_sent_again(app):
    """Episodes fingerprinted before the columns existed: the same list again changes nothing."""
    make_service()
    old_columns = [name for name in csv_bytes([]).decode().strip().split(",") if name not in CASE_MIX]
    data = csv_bytes([row()], columns=old_columns)
    run_import(data)
    assert run_import(data).summary() == "created=0 updated=0 unchanged=1"
    assert run_import(csv_bytes([row()])).summary() == "created=0 updated=0 unchanged=1"  # the columns, empty
    assert run_import(csv_bytes([row(sex="male")])).summary() == "created=0 updated=1 unchanged=0"


def test_consent_to_call_is_stored_and_a_resubmission_changing_it_updates_the_episode(app):
    make_service()
    result = run_import(
        csv_bytes(
            [
                row(consent_to_call="Yes"),
                row(client_ref="C0002", consent_to_call="no"),
                row(client_ref="C0003", consent_to_follow_up="no", consent_to_call="yes"),
                row(client_ref="C0004"),
            ]
        )
    )
    assert result.summary() == "created=4 updated=0 unchanged=0"
    stored = dict(
        db.session.execute(
            select(Client.client_ref, Episode.consent_to_call).join(Client, Client.id == Episode.client_id)
        ).all()
    )
    assert stored == {"C0001": True, "C0002": False, "C0003": False, "C0004": False}
    assert run_import(csv_bytes([row(consent_to_call="yes")])).summary() == "created=0 updated=0 unchanged=1"
    changed = run_import(csv_bytes([row(consent_to_call="")]), now=NOW + timedelta(days=1))
    assert changed.summary() == "created=0 updated=1 unchanged=0"
    episode = db.session.scalars(select(Episode).join(Client).where(Client.client_ref == "C0001")).one()
    assert episode.consent_to_call is False


def test_a_bad_consent_to_call_refuses_the_file_naming_row_and_column(app):
    make_service()
    with pytest.raises(IntakeRejected) as refused:
        run_import(csv_bytes([row(), row(client_ref="C0002", consent_to_call="y")]))
    assert [str(problem) for problem in refused.value.problems] == [
        "row 3, column consent_to_call: 'y' must be yes or no"
    ]
    assert count(Episode) == 0


def test_a_bad_case_mix_value_refuses_the_file(app):
    make_service()
    with pytest.raises(IntakeRejected) as refused:
        run_import(csv_bytes([row(), row(client_ref="C0002", imd_decile="0", age_band="15")]))
    assert [str(problem) for problem in refused.value.problems] == [
        "row 3, column age_band: '15' is not one of: 16-17, 18-25, 26-35, 36-45, 46-55, 56-65, 66+",
        "row 3, column imd_decile: 0 is out of range (expected between 1 and 10)",
    ]
    assert count(Episode) == 0


def test_consent_changed_to_no_withdraws_unsent_check_ins(app):
    make_service()
    run_import(csv_bytes([row()]))
    run_import(csv_bytes([row(consent_to_follow_up="no")]))
    episode = db.session.scalars(select(Episode)).one()
    assert episode.consent is False and episode.contact_stopped_reason == "consent_no"
    statuses = set(db.session.scalars(select(CheckIn.status)))
    assert CheckInStatus.SCHEDULED not in statuses


def test_rows_without_consent_store_no_contact_and_no_check_ins(app):
    make_service()
    run_import(csv_bytes([row(consent_to_follow_up="no", phone="07400 111222", email="nobody@example.org")]))
    client = db.session.scalars(select(Client)).one()
    assert (client.phone_enc, client.phone_hash, client.email_enc, client.email_hash) == (None, None, None, None)
    assert count(CheckIn) == 0
    assert count(Episode) == 1


def test_deceased_episode_is_never_contacted(app):
    make_service()
    run_import(csv_bytes([row(ending_reason="deceased")]))
    assert set(db.session.scalars(select(CheckIn.status))) == {CheckInStatus.WITHDRAWN}


def test_dry_run_reports_and_writes_nothing(app):
    make_service()
    before = table_counts()
    result = run_import(csv_bytes([row(), row(client_ref="C0002")]), dry_run=True)
    assert result.summary() == "dry run: created=2 updated=0 unchanged=0"
    assert table_counts() == before


def test_bad_file_writes_nothing_and_reports_every_problem(app):
    make_service()
    run_import(csv_bytes([row()]))
    before = table_counts()
    bad = csv_bytes(
        [
            row(client_ref="C0002"),
            row(client_ref="C0003", discharge_date="2030-01-01"),
            row(client_ref="C0004", phq9_first="40"),
            row(client_ref="C0002"),
        ]
    )
    with pytest.raises(IntakeRejected) as rejected:
        run_import(bad)
    lines = [str(problem) for problem in rejected.value.problems]
    assert lines == [
        "row 3, column discharge_date: 2030-01-01 is in the future",
        "row 4, column phq9_first: 40 is out of range (expected between 0 and 27)",
        "row 5, column client_ref: duplicate of row 2 (same client_ref and discharge_date)",
    ]
    assert table_counts() == before


def test_unknown_service_is_refused(app):
    with pytest.raises(IntakeRejected) as rejected:
        run_import(csv_bytes([row()]), service="NOPE")
    assert "NOPE" in str(rejected.value.problems[0])


def test_withdraw_stops_contact(app):
    make_service()
    run_import(csv_bytes([row()]))
    withdrawn = withdraw_episode("TYNE", "C0001", date(2026, 6, 1), actor="test", now=NOW)
    assert withdrawn == 5
    assert set(db.session.scalars(select(CheckIn.status))) == {CheckInStatus.WITHDRAWN}
    # A later re-submission of the same row does not restart contact the service withdrew.
    run_import(csv_bytes([row(treatment_sessions="10")]))
    assert set(db.session.scalars(select(CheckIn.status))) == {CheckInStatus.WITHDRAWN}


def test_contact_details_are_encrypted_and_found_by_keyed_hash(app):
    from app.security.fields import field_security

    make_service()
    run_import(csv_bytes([row()]))
    client = db.session.scalars(select(Client)).one()
    security = field_security()
    assert client.phone_enc and "7400" not in client.phone_enc
    assert security.decrypt(client.phone_enc) == "+447400123456"
    assert security.decrypt(client.email_enc) == "person1@example.org"
    assert client.phone_hash == security.contact_hash("+447400123456")
    assert client.phone_is_uk_mobile and client.preferred_channel == "sms"


def test_plan_of_the_service_is_used(app):
    make_service(plan="2,6")
    run_import(csv_bytes([row()]))
    assert sorted(db.session.scalars(select(CheckIn.offset_weeks))) == [2, 6]
    assert db.session.scalars(select(Episode.plan)).one() == "2,6"


def test_today_is_the_limit_for_discharges(app):
    make_service()
    with pytest.raises(IntakeRejected):
        run_import(csv_bytes([row(discharge_date=(TODAY + timedelta(days=1)).isoformat())]))
    assert run_import(csv_bytes([row(discharge_date=TODAY.isoformat())])).created == 1


def test_a_bulk_import_refreshes_postgresqls_planner_statistics(app, monkeypatch):
    """So the first dispatch tick after a big list plans its claim on real row counts (PostgreSQL only)."""
    from sqlalchemy import text

    make_service()
    monkeypatch.setattr("app.services.intake.importing.BULK_ANALYZE_ROWS", 2)
    analysed = "SELECT reltuples >= 0 FROM pg_class WHERE relname = 'check_in'"  # -1: never analysed
    if db.engine.dialect.name != "postgresql":
        assert run_import(csv_bytes([row(), row(client_ref="C0002")])).created == 2  # nothing to refresh
        return
    run_import(csv_bytes([row()]))  # one row: below the bulk size
    assert db.session.scalar(text(analysed)) is False
    run_import(csv_bytes([row(client_ref="C0002"), row(client_ref="C0003")]))
    assert db.session.scalar(text(analysed)) is True
