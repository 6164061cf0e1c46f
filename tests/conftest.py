"""Fixtures: an app on a fresh database per test, on SQLite and on a real PostgreSQL server.

`make test` always provides PostgreSQL (TEST_POSTGRES_URL; scripts/test.sh starts one when unset)
and sets REQUIRE_POSTGRES=1, so PostgreSQL cases can never be silently skipped there.
"""

from __future__ import annotations

import logging
import os
import re
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


@pytest.fixture(autouse=True)
def _light_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2id for the many accounts tests create (the production parameters cost ~0.1-1 s a hash).

    Still argon2id, verified by the same code; tests marked `real_password_hashing` keep the real one."""
    from argon2 import PasswordHasher

    if request.node.get_closest_marker("real_password_hashing"):
        return
    monkeypatch.setattr("app.security.passwords._hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


# Every log record written during the whole run is scanned for phone numbers and email addresses in
# clear (SPEC section 7: never log one). Masked forms ("+44******3456", "p***@example.org") pass.
CONTACT_IN_CLEAR = re.compile(
    r"(?<![\d*])(?:\+?44\s?7\d{3}|07\d{3})\s?\d{3}\s?\d{3}(?!\d)"  # UK mobiles, E.164 or national
    r"|(?<![*\w.+-])[\w.+-]*[\w+-]@[\w-]+(?:\.[\w-]+)+"  # an address whose mailbox is not masked
)


class ContactLeakWatch(logging.Handler):
    """Collects log records that show a phone number or an email address in clear."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a record that cannot be formatted writes nothing either
            return
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        if CONTACT_IN_CLEAR.search(text):
            self.leaks.append(f"{record.name} {record.levelname}: {text[:300]}")


_WATCH = ContactLeakWatch()


def pytest_configure(config: pytest.Config) -> None:
    # Hooked into every logger's dispatch, not added as a root handler: `flask db upgrade` in a test
    # runs Alembic's fileConfig, which replaces the root handlers.
    call_handlers = logging.Logger.callHandlers

    def call_handlers_and_watch(self: logging.Logger, record: logging.LogRecord) -> None:
        _WATCH.handle(record)
        call_handlers(self, record)

    logging.Logger.callHandlers = call_handlers_and_watch  # type: ignore[method-assign]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _WATCH.leaks:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"contact details in clear in {len(_WATCH.leaks)} log record(s):", red=True)
            for leak in _WATCH.leaks[:20]:
                reporter.write_line("  " + leak)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
