"""Releases freeze the published figures with a checkable SHA-256 and never change (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import AuditEvent, Release
from app.models.publication import RELEASE_GUARD, ReleaseImmutable
from app.services.errors import NotFound, ServiceError
from app.services.publication import releases
from tests.factories import csv_bytes, row, run_import
from tests.factories.cohorts import AS_OF, seed_releasable

#: Dropping the guard (app/models/publication.py), as migration 9d41c2f7a0b1's downgrade does.
UNGUARD = {
    "postgresql": ("DROP TRIGGER IF EXISTS release_frozen ON release", "DROP FUNCTION IF EXISTS release_is_frozen()"),
    "sqlite": ("DROP TRIGGER IF EXISTS release_frozen_update", "DROP TRIGGER IF EXISTS release_frozen_delete"),
}

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_release_freezes_published_figures_with_a_verifiable_hash(app):
    seed_releasable()
    release = releases.create_release(AS_OF, "all", None, "user:7", NOW, title="Autumn figures")
    payload = release.payload.encode("utf-8")
    assert release.sha256 == hashlib.sha256(payload).hexdigest()
    document = json.loads(payload)
    # Canonical: sorted keys, "," and ":" separators, UTF-8.
    assert payload == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert document["as_of"] == "2026-10-31"
    assert document["scope"] == {"kind": "all", "code": None}
    assert document["methodology"] == release.methodology == 1
    assert document["software_version"] == release.software_version and release.software_version
    assert document["title"] == "Autumn figures"
    assert document["created_at"] == "2026-11-20T12:00:00Z"
    figures = document["figures"]
    assert figures["cohort"]["episodes"] == 15  # 12 + 3, rounded to 5
    assert figures["outcomes"]["durably_recovered"] == 10
    assert figures["outcomes"]["unchanged"] == "*"  # 3 people: suppressed
    assert figures["by_service"]["MERSEY"]["episodes"] == "*"
    assert figures["durable_recovery"]["itt"]["rate"] == 67  # 10/15 as a whole percentage
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "release.created")).one()
    assert audit.actor == "user:7" and audit.subject == f"release:{release.id}"
    assert releases.verify_release(release.id).ok


def test_release_scope_is_an_area_or_a_service(app):
    seed_releasable()
    area = releases.create_release(AS_OF, "area", "NW", "test", NOW)
    figures = releases.document(area)["figures"]
    assert set(figures["by_area"]) == {"NW"}
    assert figures["cohort"]["episodes"] == "*"
    assert figures["durable_recovery"]["itt"]["rate"] == "*" and figures["durable_recovery"]["itt"]["ci95"] == "*"
    service = releases.create_release(AS_OF, "service", "TYNE", "test", NOW)
    assert set(releases.document(service)["figures"]["by_service"]) == {"TYNE"}
    assert releases.document(service)["title"] == releases.default_title(AS_OF, "service", "TYNE")


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        ("area", "NOPE", "area 'NOPE' does not exist"),
        ("service", "NOPE", "service 'NOPE' does not exist"),
        ("all", "TYNE", "takes no area or service code"),
        ("area", None, "needs its code"),
        ("region", "NE", "scope must be one of"),
    ],
)
def test_bad_scopes_are_refused(app, kind, code, message):
    seed_releasable()
    with pytest.raises(ServiceError, match=message):
        releases.create_release(AS_OF, kind, code, "test", NOW)
    assert db.session.scalar(select(Release)) is None


def test_releases_never_change(app):
    seed_releasable()
    release = releases.create_release(AS_OF, "all", None, "test", NOW)
    frozen = (release.sha256, release.payload)
    # Later answers and discharges change the statistics, never the release.
    run_import(csv_bytes([row(client_ref="LATE", discharge_date="2026-03-02")]), now=NOW)
    again = releases.create_release(AS_OF, "all", None, "test", NOW)
    db.session.expire_all()
    assert (db.session.get(Release, release.id).sha256, db.session.get(Release, release.id).payload) == frozen
    assert again.sha256 != release.sha256
    stored = db.session.get(Release, release.id)
    stored.title = "changed"
    with pytest.raises(ReleaseImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(Release, release.id))
    with pytest.raises(ReleaseImmutable):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Release, release.id).title != "changed"


def test_the_database_refuses_to_change_or_delete_a_release(app):
    """Raw SQL gets past the ORM's guard, not the database's (triggers on release, SQLite and PostgreSQL)."""
    seed_releasable()
    release = releases.create_release(AS_OF, "all", None, "test", NOW)
    frozen = (release.id, release.sha256, release.payload)
    table = Release.__table__
    for statement in (
        update(table).where(table.c.id == release.id).values(payload=release.payload + " "),
        update(table).values(title="renamed"),
        delete(table).where(table.c.id == release.id),
        delete(table),
    ):
        with pytest.raises(IntegrityError, match="frozen"):
            db.session.execute(statement)
        db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(Release, release.id)
    assert (stored.id, stored.sha256, stored.payload) == frozen


def tamper_with_guard_removed(release: Release, payload: str) -> None:
    """What an owner of the database could still do: drop the guard, change a release, put the guard back.
    `flask releases verify` is there for this."""
    dialect = db.engine.dialect.name
    for statement in UNGUARD[dialect]:
        db.session.execute(text(statement))
    db.session.execute(update(Release.__table__).where(Release.__table__.c.id == release.id).values(payload=payload))
    for statement in RELEASE_GUARD[dialect]:
        db.session.execute(text(statement))
    db.session.commit()


def test_verify_detects_a_tampered_payload(app):
    seed_releasable()
    release = releases.create_release(AS_OF, "all", None, "test", NOW)
    tampered = release.payload.replace('"durably_recovered":10', '"durably_recovered":20')
    assert tampered != release.payload
    tamper_with_guard_removed(release, tampered)
    result = releases.verify_release(release.id)
    assert not result.ok and result.stored != result.computed
    with pytest.raises(NotFound):
        releases.verify_release(release.id + 100)


def test_list_is_newest_first_and_paged(app):
    seed_releasable()
    created = [
        releases.create_release(AS_OF, "all", None, "test", datetime(2026, 11, day, tzinfo=UTC)) for day in (1, 3, 2)
    ]
    items, total = releases.list_releases(page=1, per_page=2)
    assert total == 3
    assert [item.id for item in items] == [created[1].id, created[2].id]
    assert [item.id for item in releases.list_releases(page=2, per_page=2)[0]] == [created[0].id]


def test_tidy_rows_flatten_every_figure(app):
    seed_releasable()
    document = releases.document(releases.create_release(AS_OF, "all", None, "test", NOW))
    rows = {(section, key): value for section, key, value in releases.tidy_rows(document)}
    assert rows[("release", "as_of")] == "2026-10-31"
    assert rows[("release", "scope.kind")] == "all" and rows[("release", "scope.code")] == ""
    assert rows[("outcomes", "durably_recovered")] == 10  # numbers stay numbers (the CSV guards only text)
    assert rows[("outcomes", "unchanged")] == "*"
    assert rows[("durable_recovery", "itt.rate")] == 67
    assert ("durable_recovery", "itt.ci95.low") in rows and ("durable_recovery", "itt.ci95.high") in rows
    assert rows[("follow_up_points", "26_weeks.answered")] == 15


def test_software_version_falls_back_without_git(monkeypatch):
    import subprocess

    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    releases.software_version.cache_clear()
    monkeypatch.setattr(subprocess, "run", no_git)
    monkeypatch.setenv("STILLWELL_VERSION", "1.2.3")
    try:
        assert releases.software_version() == "1.2.3"
        releases.software_version.cache_clear()
        monkeypatch.delenv("STILLWELL_VERSION")
        assert releases.software_version() == "unknown"
    finally:
        releases.software_version.cache_clear()


# --- the command line ----------------------------------------------------------------------------


def test_cli_create_list_verify(app, runner):
    seed_releasable()
    result = runner.invoke(args=["releases", "create", "--as-of", "2026-10-31", "--area", "NE", "--title", "NE"])
    assert result.exit_code == 0, result.output
    release = db.session.scalars(select(Release)).one()
    assert f"release {release.id}" in result.output
    assert f"sha256 {release.sha256}" in result.output
    assert f"/published/{release.id}" in result.output
    assert release.scope_kind == "area" and release.scope_code == "NE" and release.created_by.startswith("cli:")
    listed = runner.invoke(args=["releases", "list"])
    assert listed.exit_code == 0 and release.sha256 in listed.output and "area:NE" in listed.output
    verified = runner.invoke(args=["releases", "verify", str(release.id)])
    assert verified.exit_code == 0 and verified.output.startswith("OK")


def test_cli_verify_reports_a_mismatch(app, runner):
    seed_releasable()
    release = releases.create_release(AS_OF, "all", None, "test", NOW)
    tamper_with_guard_removed(release, release.payload + " ")
    result = runner.invoke(args=["releases", "verify", str(release.id)])
    assert result.exit_code == 1
    assert "MISMATCH" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "31/10/2026"], "is not a date such as"),
        (["--as-of", "2026-10-31", "--area", "NE", "--service", "TYNE"], "not both"),
        (["--as-of", "2026-10-31", "--area", "NOPE"], "area 'NOPE' does not exist"),
        (["--as-of", "2026-10-31", "--service", "NOPE"], "service 'NOPE' does not exist"),
        (["--as-of", "0001-01-01"], "between"),
    ],
)
def test_cli_refuses_bad_input_clearly(app, runner, args, message):
    seed_releasable()
    result = runner.invoke(args=["releases", "create", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(Release)) is None


#: 00:30 on 1 June 2026 in London (BST): still 31 May in UTC.
BST_HALF_PAST_MIDNIGHT = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)


def test_a_release_as_of_after_today_in_london_is_refused_and_nothing_is_written(app):
    seed_releasable()
    with pytest.raises(ServiceError, match=r"^as-of date 2026-06-02 is after today \(2026-06-01, Europe/London\)$"):
        releases.create_release(datetime(2026, 6, 2).date(), "all", None, "test", BST_HALF_PAST_MIDNIGHT)
    assert db.session.scalar(select(Release)) is None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "release.created")) is None
    # 1 June is today in London, though not yet in UTC.
    assert releases.create_release(datetime(2026, 6, 1).date(), "all", None, "test", BST_HALF_PAST_MIDNIGHT).id


def test_cli_refuses_an_as_of_after_today_in_london(app, runner, monkeypatch):
    seed_releasable()
    monkeypatch.setattr("app.cli.common.utcnow", lambda: BST_HALF_PAST_MIDNIGHT)
    result = runner.invoke(args=["releases", "create", "--as-of", "2026-06-02"])
    assert result.exit_code == 1
    assert "as-of date 2026-06-02 is after today (2026-06-01, Europe/London)" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(Release)) is None
    assert runner.invoke(args=["releases", "create", "--as-of", "2026-06-01"]).exit_code == 0


def test_cli_verify_unknown_release(app, runner):
    result = runner.invoke(args=["releases", "verify", "99"])
    assert result.exit_code == 1 and "no release has id 99" in result.output


def test_late_arrivals_counts_episodes_in_scope_imported_after_the_release(app):
    seed_releasable()
    north_east = releases.create_release(AS_OF, "area", "NE", "test", NOW)
    everything = releases.create_release(AS_OF, "all", None, "test", NOW)
    assert releases.late_arrivals(north_east) == 0
    frozen = north_east.payload
    later = datetime(2026, 11, 27, 12, tzinfo=UTC)
    late = [row(client_ref=f"L{i}", discharge_date="2026-10-01") for i in range(9)]
    after_as_of = [row(client_ref=f"X{i}", discharge_date="2026-11-05") for i in range(2)]
    run_import(csv_bytes(late + after_as_of), now=later)  # TYNE, area NE
    run_import(
        csv_bytes([row(client_ref=f"N{i}", discharge_date="2026-10-02") for i in range(3)]), service="MERSEY", now=later
    )
    assert releases.episodes_arrived_since(NOW, AS_OF, "area", "NE") == 9  # not the two discharged after the as-of
    assert releases.episodes_arrived_since(NOW, AS_OF, "service", "MERSEY") == 3
    assert releases.episodes_arrived_since(NOW, AS_OF, "all", None) == 12
    assert releases.episodes_arrived_since(later, AS_OF, "all", None) == 0  # made after they arrived
    assert releases.late_arrivals(north_east) == 10  # published counts: rounded to 5
    assert releases.late_arrivals(everything) == 10
    assert releases.get_release(north_east.id).payload == frozen  # the release itself never moves
