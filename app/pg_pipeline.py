"""Core statements run in a psycopg pipeline: several statements, one round trip to PostgreSQL.

The inbound webhook's common path is a handful of small statements (SPEC section 7 gives it p95 under 25 ms at
300 requests/s on two cores shared with the database). Through SQLAlchemy each is its own round trip, and the
waits and Python work between them were most of a request's time. psycopg's pipeline mode sends several
statements before reading any result; PostgreSQL still runs them one after another, each with its own snapshot
in READ COMMITTED, so a lock taken by one statement holds for the statements behind it.

A `Pipelined` statement is compiled once from the same Core statement the SQLite path executes, so both read
and write exactly the same SQL; values go through the column types' own bind and result processors (naive UTC
in the database, aware datetimes in Python). They run on the session's own connection and transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Executable


class Pipelined:
    """A Core statement compiled for psycopg, with the bind and result processors of its types."""

    def __init__(self, statement: Executable, dialect: Dialect, column_keys: Sequence[str] | None = None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
        self.sql: str = compiled.string
        self._compiled = compiled
        self._binds: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.bind_processor(dialect)
            if processor is not None:
                self._binds[name] = processor
        columns = list(getattr(statement, "exported_columns", ()))  # what a SELECT or RETURNING gives back
        self.names: list[str] = [column.key for column in columns]
        self._results: list[Callable[[Any], Any] | None] = [
            column.type.result_processor(dialect, None) for column in columns
        ]

    def params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The statement's parameters for psycopg: every bind (the statement's own literals too), processed."""
        params = self._compiled.construct_params(dict(values))
        for name, processor in self._binds.items():
            if name in params:
                params[name] = processor(params[name])
        return params

    def row(self, raw: Sequence[Any] | None) -> dict[str, Any] | None:
        """A result row as {column key: value}, through the column types' result processors."""
        if raw is None:
            return None
        return {
            name: processor(value) if processor is not None and value is not None else value
            for name, processor, value in zip(self.names, self._results, raw, strict=True)
        }


@functools.lru_cache(maxsize=64)
def pipelined(statement: Executable, dialect: Dialect, column_keys: tuple[str, ...] = ()) -> Pipelined:
    """`Pipelined(statement)`, compiled once per statement, dialect and set of columns written."""
    return Pipelined(statement, dialect, column_keys)


def driver_connection(connection: Connection) -> Any:
    """The psycopg connection under a SQLAlchemy connection, inside the same transaction."""
    return connection.connection.driver_connection


def can_pipeline(connection: Connection) -> bool:
    """Whether this connection is psycopg on a libpq with pipeline mode (PostgreSQL 14's client or later)."""
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":
        return False
    import psycopg

    return bool(psycopg.Pipeline.is_supported())
