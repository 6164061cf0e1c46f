"""Migrations build the same schema as the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from tests.conftest import make_app


def test_upgrade_matches_models_and_downgrades(db_url):
    app = make_app(db_url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], differences
        assert "check_in" in inspect(db.engine).get_table_names()
        _release_is_frozen()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def _release_is_frozen() -> None:
    """The migrated database refuses to change or delete a release, as one built from the models does."""
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO release (created_at, created_by, as_of, scope_kind, methodology, software_version, "
                "sha256, payload) VALUES ('2026-11-01 00:00:00', 'test', '2026-10-31', 'all', 1, 'v', 'x', '{}')"
            )
        )
    for statement in ("UPDATE release SET title = 'renamed'", "DELETE FROM release"):
        with pytest.raises(IntegrityError, match="frozen"), db.engine.begin() as connection:
            connection.execute(text(statement))
