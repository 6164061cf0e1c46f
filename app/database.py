"""Database connections: check a pooled connection before use only when it has been idle a while.

SQLAlchemy's `pool_pre_ping` pings on every checkout: one more round trip per request, which under a steady
load (the webhook, SPEC section 7) is a sixth of the database work for nothing, since a connection used a
moment ago is alive. A connection idle for longer than `DB_PING_AFTER_IDLE_SECONDS` (a database restart or a
firewall may have dropped it meanwhile) is pinged with the dialect's own `do_ping` first; a dead one is
discarded and the pool connects afresh (SQLAlchemy's "pessimistic disconnect handling", custom form).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

log = logging.getLogger("stillwell.database")

#: Where the pool keeps when a connection was last given back.
_RETURNED_AT: Final = "stillwell_returned_at"


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection at checkout when it has not been used for `idle_seconds` (0: every time)."""

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return  # new, or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure of the ping means the connection cannot be trusted
            log.warning(
                "a pooled database connection idle for %.0f s is gone (%s); reconnecting",
                time.monotonic() - returned_at,
                type(error).__name__,
            )
            alive = False
        if not alive:
            raise exc.DisconnectionError("stale pooled connection")  # the pool retries with a new one


def write_ahead_log(engine: Engine) -> None:
    """SQLite: put the database file in write-ahead-log mode (`PRAGMA journal_mode=WAL`, which stays with
    the file) with `synchronous=NORMAL` on each connection.

    In SQLite's default rollback-journal mode a writer must wait until every reader has finished, so a
    stream of dashboard reads kept the webhook's one-row writes waiting for seconds (bench/dashboard_fresh.py:
    webhook p95 1.8 s beside the views at 100,000 episodes). With the log, readers never block the writer
    and the writer never blocks readers; NORMAL stays safe in WAL mode (a power cut may lose the last
    commits, never corrupt the file). A database in memory keeps its own mode."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _wal(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            (mode,) = cursor.execute("PRAGMA journal_mode").fetchone()
            if mode not in ("wal", "memory"):
                (mode,) = cursor.execute("PRAGMA journal_mode=WAL").fetchone()
            if mode == "wal":
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()
