"""The agreement figures every dashboard view computes read the few sampled calls, never the episodes at large.

At 1,000,000 episodes one join of calls, samples and episodes took 8 s a view on SQLite: the assessment
tables were newer than the planner's statistics, so it started from every episode discharged by A
(bench/README.md). These tests give SQLite the statistics of that database and look at the plan of every
query the figures run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text

from app.extensions import db
from app.services import statistics
from tests.factories.agreement import CALLS, seed_agreement
from tests.factories.cohorts import AS_OF

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # the plans are SQLite's; the figures are tested on both

#: sqlite_stat1 as ANALYZE left it on the 1,000,000-episode bench database, before the assessment tables existed.
NATIONAL_STATISTICS = [
    ("episode", "ix_episode_discharge_date", "1000000 562"),
    ("episode", "ix_episode_service_id", "1000000 5000"),
    ("episode", "ix_episode_client_id", "1000000 1"),
    ("service", "ix_service_area_id", "200 5"),
    ("area", None, "40"),
]


def _believe_the_nation() -> None:
    db.session.execute(text("ANALYZE sqlite_schema"))  # creates sqlite_stat1
    db.session.execute(text("DELETE FROM sqlite_stat1"))
    for table, index, stat in NATIONAL_STATISTICS:
        db.session.execute(
            text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (:t, :i, :s)"), {"t": table, "i": index, "s": stat}
        )
    db.session.commit()
    db.session.execute(text("ANALYZE sqlite_schema"))  # reloads the statistics into the planner


def _plans(run: Any) -> Iterator[tuple[str, list[str]]]:
    """Each SELECT `run` executes, with SQLite's query plan for it."""
    seen: list[tuple[str, Any]] = []

    def capture(connection, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            seen.append((statement, parameters))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    connection = db.session.connection().connection.driver_connection
    for statement, parameters in seen:
        rows = connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
        yield statement, [row[-1] for row in rows]


def _reads_episodes_at_large(plan: list[str]) -> bool:
    """A step that walks the episode table or its date index rather than finding episodes by id."""
    return any(
        step.startswith(("SCAN episode", "SEARCH episode USING INDEX ix_episode_discharge_date")) for step in plan
    )


def test_the_agreement_finds_its_episodes_by_id_when_the_planner_believes_in_a_million(app, backend):
    seed_agreement()
    _believe_the_nation()
    results: list[dict[str, Any]] = []
    itt = {"numerator": 10, "denominator": 15}
    plans = list(_plans(lambda: results.append(statistics.agreement(AS_OF, itt=itt))))
    assert results[0]["calls"] == CALLS  # the same figures, read the cheap way
    episode_reads = [(statement, plan) for statement, plan in plans if "episode" in statement]
    assert episode_reads, "the agreement reads the sampled episodes"
    for statement, plan in episode_reads:
        assert not _reads_episodes_at_large(plan), f"{plan}\n{statement}"


def test_the_statistics_trick_reproduces_the_slow_plan(app, backend):
    """The test above can fail: with these statistics, the one join that was slow is planned from the episodes."""
    seed_agreement()
    _believe_the_nation()
    join = (
        "SELECT assessment_call.id FROM assessment_call"
        " JOIN assessment_sample ON assessment_sample.id = assessment_call.sample_id"
        " JOIN episode ON episode.id = assessment_call.episode_id"
        " JOIN service ON service.id = episode.service_id"
        " WHERE assessment_sample.as_of <= '2026-10-31' AND episode.discharge_date <= '2026-10-31'"
    )
    plan = [row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {join}"))]
    assert _reads_episodes_at_large(plan), plan
