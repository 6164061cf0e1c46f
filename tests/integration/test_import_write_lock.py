"""Importing a discharge list holds SQLite's write lock only for the short write phase (issue 14), all or nothing."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, func, select, text

from app.extensions import db
from app.models import AuditEvent, CheckIn, Client, Episode, Submission
from app.services.intake.importing import import_discharge_list
from tests.factories import NOW, TODAY, csv_bytes, make_service, row, run_import


def table_counts() -> dict[str, int]:
    return {
        model.__name__: int(db.session.scalar(select(func.count()).select_from(model)) or 0)
        for model in (Client, Episode, CheckIn, Submission, AuditEvent)
    }


def temporary_tables() -> list[str]:
    if db.engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_temp_master WHERE type = 'table'"
    else:
        query = "SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relkind = 'r'"
    return list(db.session.scalars(text(query)))


def a_list(count: int) -> bytes:
    return csv_bytes(
        row(client_ref=f"C{number:04d}", discharge_date=f"2026-10-{1 + number % 28:02d}") for number in range(count)
    )


def test_others_write_while_the_list_is_staged_and_the_lock_is_taken_only_to_copy_it_in(app, backend):
    """A webhook elsewhere stores its message while the import stages its rows (the long part): the
    lock is free until the copy. Before, the import took it at its first insert, so this write waited."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    make_service()
    path = db.engine.url.database
    probes: list[str] = []

    def progress(rows: int) -> None:
        if probes:
            return  # the first report: episodes are being staged
        other = sqlite3.connect(path, timeout=0.2)  # a webhook that would rather not wait
        try:
            other.execute(
                "INSERT INTO audit_event (at, actor, action) VALUES ('2026-11-20 12:00:00.000000', 'probe', 'probe')"
            )
            other.commit()
            probes.append("written")
        except sqlite3.OperationalError as error:
            probes.append(str(error))
        finally:
            other.close()

    result = import_discharge_list(
        "TYNE", a_list(50), filename="list.csv", actor="test", now=NOW, today=TODAY, progress=progress
    )
    assert probes == ["written"]
    assert result.created == 50
    counts = table_counts()
    assert (counts["Client"], counts["Episode"], counts["CheckIn"]) == (50, 50, 250)
    assert db.session.scalar(select(func.count()).where(AuditEvent.actor == "probe")) == 1
    # The write phase's roomy page cache is given back, and the staging tables are gone.
    assert db.session.execute(text("PRAGMA main.cache_size")).scalar_one() == -2000
    assert temporary_tables() == []


def test_a_failure_in_the_write_phase_leaves_nothing_written(app):
    make_service()
    run_import(a_list(3))
    before = table_counts()
    existing = db.session.execute(select(CheckIn.id, CheckIn.due_at, CheckIn.status).order_by(CheckIn.id)).all()
    changed = [row(client_ref="C0000", discharge_date="2026-10-01", phq9_last="3")]  # an update, besides new rows
    data = csv_bytes([*changed, *(row(client_ref=f"N{number:04d}") for number in range(20))])

    def fail_at_the_check_ins(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO check_in"):
            raise RuntimeError("disk full while copying the check-ins in")

    event.listen(db.engine, "before_cursor_execute", fail_at_the_check_ins)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            run_import(data)
    finally:
        event.remove(db.engine, "before_cursor_execute", fail_at_the_check_ins)
    db.session.expire_all()
    assert table_counts() == before  # no client, episode, check-in, submission or audit event of the failed list
    assert db.session.execute(select(CheckIn.id, CheckIn.due_at, CheckIn.status).order_by(CheckIn.id)).all() == existing
    assert temporary_tables() == []
    # The same list then goes in whole.
    result = run_import(data)
    assert result.summary() == "created=20 updated=1 unchanged=0"
    assert table_counts()["CheckIn"] == before["CheckIn"] + 20 * 5
