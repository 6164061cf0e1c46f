"""Pooled connections are pinged only after standing idle (app/database.py), and a dead one is replaced.

SQLAlchemy's `pool_pre_ping` would cost every request a round trip; instead a connection unused for
`DB_PING_AFTER_IDLE_SECONDS` is pinged at checkout. These tests kill the server side of a pooled connection
(as a database restart or a dropped TCP connection would) and check what the next checkout gets.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from app.database import ping_idle_connections
from tests.conftest import make_app

pytestmark = pytest.mark.parametrize("backend", ["postgres"])  # only a server can drop a connection


def _pooled_backend_pid(engine) -> int:
    """Use a connection once and give it back to the pool; returns its server process id."""
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, pid: int) -> None:
    killer = create_engine(url, poolclass=NullPool)
    with killer.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    killer.dispose()


def test_an_idle_connection_that_died_is_replaced_before_use(db_url, backend):
    engine = create_engine(db_url, pool_size=1, max_overflow=0)
    ping_idle_connections(engine, idle_seconds=0)  # every connection counts as idle
    first = _pooled_backend_pid(engine)
    _terminate(db_url, first)
    with engine.connect() as connection:  # the ping finds it dead: a new connection, no error
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != first
    engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(db_url, backend):
    """The other side of the trade: within the idle time no ping is sent, so a connection that died in that
    moment fails its statement once (and the pool then replaces it)."""
    engine = create_engine(db_url, pool_size=1, max_overflow=0)
    ping_idle_connections(engine, idle_seconds=3600)
    first = _pooled_backend_pid(engine)
    _terminate(db_url, first)
    with pytest.raises(DBAPIError), engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != first
    engine.dispose()


def test_the_app_pings_after_the_configured_idle_time(db_url, backend):
    app = make_app(db_url, DB_PING_AFTER_IDLE_SECONDS=0)
    with app.app_context():
        from app.extensions import db

        first = _pooled_backend_pid(db.engine)
        _terminate(db_url, first)
        assert db.session.execute(text("SELECT pg_backend_pid()")).scalar_one() != first
        db.session.remove()
        db.engine.dispose()
