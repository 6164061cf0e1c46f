"""Fixtures: an app on a fresh database per test, on SQLite and on a real PostgreSQL server.

`make test` always provides PostgreSQL (TEST_POSTGRES_URL; scripts/test.sh starts one when unset)
and sets REQUIRE_POSTGRES=1, so PostgreSQL cases can never be silently skipped there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import text

from app import create_app
from app.extensions import db
from config import TestingConfig, database_url
from tests.fakes.fixtures import fake_twilio, smtp_sink  # noqa: F401  (fixtures for every test)

BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail("TEST_POSTGRES_URL is not set but PostgreSQL is required (run `make test`)")
        pytest.skip("no PostgreSQL: set TEST_POSTGRES_URL or run `make test`")
    return database_url(url)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return str(request.getfixturevalue("postgres_url"))


def make_app(db_url: str, **overrides: object) -> Flask:
    return create_app(TestingConfig, overrides={"SQLALCHEMY_DATABASE_URI": db_url, **overrides})


def reset_schema(app: Flask) -> None:
    """A clean schema: PostgreSQL is shared by the whole run, so drop whatever a test left behind."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        db.create_all()


@pytest.fixture
def app(db_url: str) -> Iterator[Flask]:
    application = make_app(db_url)
    reset_schema(application)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
