"""Migrations build the same schema as the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import ApiToken
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
        _changes_queue_their_episodes()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def _changes_queue_their_episodes() -> None:
    """The migrated database queues an episode for the outcome facts when it is written, as one built from
    the models does (SPEC 8.5), and has every trigger the models create."""
    from app.models.outcome import OUTCOME_TRIGGERS

    stamp = "'2026-11-01 00:00:00'"
    with db.engine.begin() as connection:
        dialect = connection.dialect.name
        connection.execute(text(f"INSERT INTO area (id, code, name, created_at) VALUES (1, 'A', 'A', {stamp})"))
        connection.execute(
            text(
                "INSERT INTO service (id, code, name, area_id, short_name, timezone, send_window, send_days, plan,"
                " sms_links, created_at) VALUES (1, 'S', 'S', 1, 'S', 'Europe/London', '10:00-19:00', 'mon-sat',"
                f" '4', true, {stamp})"
            )
        )
        connection.execute(
            text(
                "INSERT INTO client (id, service_id, client_ref, phone_is_uk_mobile, created_at, updated_at)"
                f" VALUES (1, 1, 'C', false, {stamp}, {stamp})"
            )
        )
        connection.execute(
            text(
                "INSERT INTO episode (id, client_id, service_id, consent, referral_date, discharge_date,"
                " treatment_sessions, problem_descriptor, plan, row_fingerprint, created_at, updated_at)"
                f" VALUES (7, 1, 1, true, '2026-01-01', '2026-02-01', 3, 'F32', '4', 'x', {stamp}, {stamp})"
            )
        )
        assert connection.execute(text("SELECT episode_id FROM outcome_stale")).scalars().all() == [7]
        if dialect == "sqlite":
            query = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'outcome_stale_%'"
        else:
            query = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'outcome_stale_%'"
        wanted = sum(statement.startswith("CREATE TRIGGER") for statement in OUTCOME_TRIGGERS[dialect])
        assert connection.execute(text(query)).scalar() == wanted
        for table in ("outcome_stale", "episode", "client", "service", "area"):
            connection.execute(text(f"DELETE FROM {table}"))


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


def test_tokens_issued_before_expiry_existed_get_90_days_from_creation(db_url):
    app = make_app(db_url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade(revision="3b7e5d1c9f20")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO app_user (id, email, password_hash, role, active, created_at, failed_logins,"
                    " session_epoch) VALUES (1, 'e@example.org', 'x', 'evaluator', true, '2026-01-01 00:00:00', 0, 0)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO api_token (user_id, token_hash, label, created_at, revoked_at) VALUES"
                    " (1, 'live', 'old', '2026-03-01 12:30:00', NULL),"
                    " (1, 'dead', 'gone', '2026-03-01 12:30:00', '2026-03-02 08:00:00')"
                )
            )
        upgrade()
        db.session.remove()
        tokens = {token.token_hash: token for token in db.session.scalars(select(ApiToken))}
        assert tokens["live"].expires_at == datetime(2026, 5, 30, 12, 30, tzinfo=UTC)  # created + 90 days
        assert tokens["live"].revoked_reason is None
        assert tokens["dead"].revoked_reason == "revoked"
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
