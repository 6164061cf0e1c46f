"""SQLite runs in write-ahead-log mode (app/database.py): a reader never keeps the webhook's write waiting.

In the default rollback-journal mode a commit waits until every reader has finished: beside a stream of
dashboard reads, the webhook's one-row writes waited seconds (bench/dashboard_fresh.py)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from app.extensions import db

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # PostgreSQL's readers never block a writer


def test_the_database_file_is_in_wal_mode_with_normal_sync(app, backend):
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_a_reader_in_the_middle_of_a_read_does_not_hold_up_a_writer(app, backend):
    db.session.execute(text("SELECT count(*) FROM audit_event")).scalar()  # the app has connected
    db.session.commit()
    path = db.engine.url.database
    reader = sqlite3.connect(path, isolation_level=None)
    writer = sqlite3.connect(path, timeout=0.2)  # a webhook that would rather not wait
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM audit_event").fetchall()  # a dashboard read, still open
        writer.execute(
            "INSERT INTO audit_event (at, actor, action) VALUES ('2026-11-20 12:00:00.000000', 'probe', 'probe')"
        )
        writer.commit()  # in rollback-journal mode: "database is locked" after 0.2 s
        # the reader still sees its snapshot, then the new row once it reads afresh
        assert reader.execute("SELECT count(*) FROM audit_event WHERE actor = 'probe'").fetchone() == (0,)
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM audit_event WHERE actor = 'probe'").fetchone() == (1,)
    finally:
        reader.close()
        writer.close()
