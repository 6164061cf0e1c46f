"""Outcome facts: each episode's part of the summary, kept in the database for the dashboard (SPEC 8.5).

- `OutcomeFact`: one row per episode, its tally as of `OutcomeState.as_of` (`app.domain.statistics.
  episode_tally`, JSON) and the first day it can change without a new record (`valid_until`).
- `OutcomeTotal`: the tallies of every episode summed per cell (problem group, and the discharge month
  or day), so that a view of all services adds a few cells instead of reading a million rows.
- `OutcomeStale`: episodes whose facts a change has made out of date, queued by the database itself
  (the triggers below, in the same transaction as the change, whichever code wrote it); the statistics
  package folds them in and empties the queue.
- `OutcomeState`: the one row saying as of which day the facts are, and a version every fold moves.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DDL, BigInteger, Date, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime


class OutcomeFact(db.Model):  # type: ignore[name-defined,misc]
    """An episode's tally as of the facts' day, where it is counted, and until when it holds."""

    __tablename__ = "outcome_fact"

    episode_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    service_id: Mapped[int] = mapped_column(Integer, index=True)
    problem_group: Mapped[str] = mapped_column(String(16))
    discharge_date: Mapped[date] = mapped_column(Date)
    tally: Mapped[str] = mapped_column(Text)  # JSON: key -> count
    valid_until: Mapped[date | None] = mapped_column(Date, index=True)


class OutcomeTotal(db.Model):  # type: ignore[name-defined,misc]
    """The sum of the tallies in one cell: `GROUP`, `GROUP:YYYY-MM` or `GROUP:YYYY-MM-DD` (discharge), or
    `GROUP@SERVICE_ID`."""

    __tablename__ = "outcome_total"

    cell: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)


class OutcomeStale(db.Model):  # type: ignore[name-defined,misc]
    """An episode whose outcome fact a change has made out of date (or that has none yet).

    A queue, not a set: on PostgreSQL an episode may be queued more than once (no unique key, so that two
    transactions queueing the same episodes never wait for each other, nor deadlock); SQLite, with one
    writer at a time, queues it once."""

    __tablename__ = "outcome_stale"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    episode_id: Mapped[int] = mapped_column(Integer, index=True)


class OutcomeState(db.Model):  # type: ignore[name-defined,misc]
    """As of which day the outcome facts are (one row, id 1, once they are built)."""

    __tablename__ = "outcome_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    as_of: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(BigInteger)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)


#: Where a change can move an episode's figures, and the episodes it touches (what `episode_facts` reads).
_CHECK_IN_COLUMNS = (
    "episode_id, offset_weeks, due_at, status, first_sent_at, closed_at, close_reason, change, change_at, "
    "duration_start, duration_at, usual_self, usual_self_at"
)
_OF_CONTACT_POINT = (
    "SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id JOIN contact_point p ON p.contact_hash = "
    "c.phone_hash WHERE p.id = {point} UNION SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id "
    "JOIN contact_point p ON p.contact_hash = c.email_hash WHERE p.id = {point}"
)
_OF_SERVICE = "SELECT e.id FROM episode e WHERE e.service_id = {service}"
_OF_AREA = "SELECT e.id FROM episode e JOIN service s ON s.id = e.service_id WHERE s.area_id = {area}"
_OF_CLIENT = "SELECT e.id FROM episode e WHERE e.client_id = {client}"

_SQLITE_MARK = (
    "INSERT INTO outcome_stale (episode_id) SELECT queued.id FROM ({rows}) AS queued "
    "WHERE NOT EXISTS (SELECT 1 FROM outcome_stale WHERE episode_id = queued.id);"
)


def _sqlite_triggers() -> tuple[str, ...]:
    def trigger(name: str, when: str, body: str) -> str:
        return f"CREATE TRIGGER outcome_stale_{name} AFTER {when} FOR EACH ROW BEGIN {body} END"

    return (
        trigger("episode_insert", "INSERT ON episode", _SQLITE_MARK.format(rows="SELECT NEW.id AS id")),
        trigger("episode_update", "UPDATE ON episode", _SQLITE_MARK.format(rows="SELECT NEW.id AS id")),
        trigger("episode_delete", "DELETE ON episode", _SQLITE_MARK.format(rows="SELECT OLD.id AS id")),
        trigger("check_in_insert", "INSERT ON check_in", _SQLITE_MARK.format(rows="SELECT NEW.episode_id AS id")),
        trigger(
            "check_in_update",
            f"UPDATE OF {_CHECK_IN_COLUMNS} ON check_in",
            _SQLITE_MARK.format(rows="SELECT OLD.episode_id AS id")
            + _SQLITE_MARK.format(rows="SELECT NEW.episode_id AS id"),
        ),
        trigger("check_in_delete", "DELETE ON check_in", _SQLITE_MARK.format(rows="SELECT OLD.episode_id AS id")),
        trigger("opt_event_insert", "INSERT ON opt_event", _SQLITE_MARK.format(rows=_of_point("NEW"))),
        trigger(
            "opt_event_update",
            "UPDATE ON opt_event",
            _SQLITE_MARK.format(rows=_of_point("OLD")) + _SQLITE_MARK.format(rows=_of_point("NEW")),
        ),
        trigger("opt_event_delete", "DELETE ON opt_event", _SQLITE_MARK.format(rows=_of_point("OLD"))),
        trigger(
            "client_update",
            "UPDATE OF phone_hash, email_hash ON client",
            _SQLITE_MARK.format(rows=_OF_CLIENT.format(client="NEW.id")),
        ),
        trigger(
            "contact_point_update",
            "UPDATE OF contact_hash ON contact_point",
            _SQLITE_MARK.format(rows=_of_hash("OLD.contact_hash"))
            + _SQLITE_MARK.format(rows=_of_hash("NEW.contact_hash")),
        ),
        trigger(
            "service_update",
            "UPDATE OF code, area_id, timezone ON service",
            _SQLITE_MARK.format(rows=_OF_SERVICE.format(service="NEW.id")),
        ),
        trigger("area_update", "UPDATE OF code ON area", _SQLITE_MARK.format(rows=_OF_AREA.format(area="NEW.id"))),
    )


def _of_point(row: str) -> str:
    return _OF_CONTACT_POINT.format(point=f"{row}.contact_point_id")


def _of_hash(value: str) -> str:
    """The episodes of clients with this contact hash (`value`: a trigger's OLD or NEW column, not input)."""
    return _OF_HASH.format(value=value)


_OF_HASH = (
    "SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id WHERE c.phone_hash = {value} "
    "UNION SELECT e.id FROM episode e JOIN client c ON c.id = e.client_id WHERE c.email_hash = {value}"
)


_PG_MARK = "INSERT INTO outcome_stale (episode_id) {rows};"


def _postgresql_triggers() -> tuple[str, ...]:
    """Statement-level triggers with transition tables for inserts and deletes (an import inserts many
    rows in one statement); row-level ones for updates of the columns that matter."""

    def function(name: str, body: str) -> str:
        return (
            f"CREATE OR REPLACE FUNCTION outcome_stale_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN NULL; END $$"
        )

    def statement(name: str, table: str, when: str, transition: str) -> str:
        return (
            f"CREATE TRIGGER outcome_stale_{name} AFTER {when} ON {table} REFERENCING {transition} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION outcome_stale_{name}()"
        )

    def row(name: str, table: str, when: str) -> str:
        return (
            f"CREATE TRIGGER outcome_stale_{name} AFTER {when} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION outcome_stale_{name}()"
        )

    mark = _PG_MARK.format
    return (
        function("episode_insert", mark(rows="SELECT id FROM inserted")),
        statement("episode_insert", "episode", "INSERT", "NEW TABLE AS inserted"),
        function("episode_delete", mark(rows="SELECT id FROM deleted")),
        statement("episode_delete", "episode", "DELETE", "OLD TABLE AS deleted"),
        function("episode_update", mark(rows="VALUES (NEW.id)")),
        row("episode_update", "episode", "UPDATE"),
        function("check_in_insert", mark(rows="SELECT DISTINCT episode_id FROM inserted")),
        statement("check_in_insert", "check_in", "INSERT", "NEW TABLE AS inserted"),
        function("check_in_delete", mark(rows="SELECT DISTINCT episode_id FROM deleted")),
        statement("check_in_delete", "check_in", "DELETE", "OLD TABLE AS deleted"),
        function("check_in_update", mark(rows="VALUES (OLD.episode_id), (NEW.episode_id)")),
        row("check_in_update", "check_in", f"UPDATE OF {_CHECK_IN_COLUMNS}"),
        function(
            "opt_event",
            "IF TG_OP <> 'INSERT' THEN "
            + mark(rows=_of_point("OLD"))
            + " END IF; IF TG_OP <> 'DELETE' THEN "
            + mark(rows=_of_point("NEW"))
            + " END IF;",
        ),
        row("opt_event", "opt_event", "INSERT OR UPDATE OR DELETE"),
        function("client_update", mark(rows=_OF_CLIENT.format(client="NEW.id"))),
        row("client_update", "client", "UPDATE OF phone_hash, email_hash"),
        function(
            "contact_point_update",
            mark(rows=_of_hash("OLD.contact_hash")) + " " + mark(rows=_of_hash("NEW.contact_hash")),
        ),
        row("contact_point_update", "contact_point", "UPDATE OF contact_hash"),
        function("service_update", mark(rows=_OF_SERVICE.format(service="NEW.id"))),
        row("service_update", "service", "UPDATE OF code, area_id, timezone"),
        function("area_update", mark(rows=_OF_AREA.format(area="NEW.id"))),
        row("area_update", "area", "UPDATE OF code"),
    )


#: The triggers that queue episodes in `outcome_stale`, per dialect. Created after every table (tests,
#: `db.create_all`) and by migration 5c8d2e4f6a1b (kept identical).
OUTCOME_TRIGGERS: dict[str, tuple[str, ...]] = {
    "postgresql": _postgresql_triggers(),
    "sqlite": _sqlite_triggers(),
}
for _dialect, _statements in OUTCOME_TRIGGERS.items():
    for _statement in _statements:
        event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect=_dialect))
