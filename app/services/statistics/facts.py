"""Outcome facts in the database (SPEC 8.5): the dashboard adds up kept tallies instead of re-reading
every check-in, in every web worker and process alike.

The invariant: `OutcomeTotal` holds, per cell, the sum of the `OutcomeFact` tallies of the episodes in
that cell, and a fact is each episode's `episode_tally` as of `OutcomeState.as_of`, except for the
episodes queued in `OutcomeStale` (the database's triggers queue every episode a change touches, in
the change's own transaction) and those whose `valid_until` has come (`next_change`: a window closing,
a check-in falling due). Those are "pending": `fold` recomputes them and moves the totals by the
difference, in one short transaction; a view reads the totals and recomputes the pending ones on the
fly (without writing), so its figures equal a full `stats summary` at every moment
(tests/integration/test_outcome_facts.py).

- `rebuild`: every episode's fact from scratch (`flask stats facts rebuild`), in id chunks.
- `fold`: the pending episodes, a batch at a time (the scheduler, every few seconds; `flask stats facts fold`).
- `advance`: move the facts' day on (the scheduler, at midnight); the episodes it moves become pending.
- `keep_up`: all three as the scheduler needs them, every few seconds.
- `live_summary_and_curve`: a dashboard view's figures from the facts, or None when they cannot serve it
  (not built, an as-of before the facts' day, or too many pending: then the full computation serves).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final, Unpack

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.domain.outcomes import next_change, problem_group
from app.domain.statistics import SummaryBuilder, episode_tally
from app.domain.survival import Curve
from app.extensions import db
from app.models import Area, Episode, OutcomeFact, OutcomeStale, OutcomeState, OutcomeTotal, Service
from app.services.statistics import summaries
from app.services.statistics.as_of import refuse_future_as_of, today_in_service_zone
from app.services.statistics.summaries import CHUNK, SummaryOptions, identified_episode_facts

log = logging.getLogger("stillwell.statistics.facts")

#: Pending episodes one fold recomputes in one transaction (short: webhooks wait for it on SQLite).
FOLD_BATCH: Final = 500
#: A view recomputes at most this many pending episodes on the fly; beyond, the full computation serves it.
LIVE_PENDING_MAX: Final = 5_000
#: A view retries this many times when a fold lands while it reads, then lets the full computation serve.
READ_ATTEMPTS: Final = 3
_STATE_ID: Final = 1


@dataclass(frozen=True)
class Fresh:
    """One episode's fact as computed now: where it is counted, its tally and until when it holds."""

    episode_id: int
    service_id: int
    problem_group: str
    discharge_date: date
    tally: dict[str, int]
    valid_until: date | None


@dataclass(frozen=True)
class Status:
    """What `flask stats facts status` prints."""

    as_of: date | None
    version: int | None
    facts: int
    stale: int
    expired: int
    cells: int


def cells_of(fact: Fresh) -> tuple[str, str, str, str]:
    """The four cells an episode is counted in: its problem group, with its discharge month, with its
    discharge day (all services' views), and with its service (a service's or an area's views)."""
    group, discharged = fact.problem_group, fact.discharge_date
    return group, f"{group}:{discharged:%Y-%m}", f"{group}:{discharged.isoformat()}", f"{group}@{fact.service_id}"


def state() -> OutcomeState | None:
    """The facts' day and version, or None before they are built."""
    return db.session.get(OutcomeState, _STATE_ID, populate_existing=True)


def status(as_of: date | None = None) -> Status:
    """How many facts there are and how many are pending (as of `as_of`, default the facts' own day)."""
    current = state()
    day = as_of or (current.as_of if current else None)
    expired = 0
    if day is not None:
        expired = db.session.scalar(select(func.count()).where(OutcomeFact.valid_until <= day)) or 0
    return Status(
        as_of=current.as_of if current else None,
        version=current.version if current else None,
        facts=db.session.scalar(select(func.count()).select_from(OutcomeFact)) or 0,
        stale=db.session.scalar(select(func.count(func.distinct(OutcomeStale.episode_id)))) or 0,
        expired=expired,
        cells=db.session.scalar(select(func.count(func.distinct(OutcomeTotal.cell)))) or 0,
    )


def _fresh(conditions: list[Any], as_of: date) -> Iterator[Fresh]:
    for episode_id, service_id, facts in identified_episode_facts(conditions):
        yield Fresh(
            episode_id,
            service_id,
            problem_group(facts.problem_descriptor),
            facts.discharge_date,
            episode_tally(facts, as_of),
            next_change(facts, as_of),
        )


def _fact_row(fresh: Fresh) -> dict[str, Any]:
    return {
        "episode_id": fresh.episode_id,
        "service_id": fresh.service_id,
        "problem_group": fresh.problem_group,
        "discharge_date": fresh.discharge_date,
        "tally": json.dumps(fresh.tally, separators=(",", ":"), sort_keys=True),
        "valid_until": fresh.valid_until,
    }


def rebuild(as_of: date, now: datetime, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Every episode's fact as of `as_of` and the totals, from scratch; returns the episodes counted.

    In id chunks, each its own transaction: views use the full computation until the last one (the state
    row is written last). A change during the rebuild queues its episode, as always, for the next fold.
    """
    db.session.execute(delete(OutcomeState))
    db.session.execute(delete(OutcomeStale))
    db.session.execute(delete(OutcomeTotal))
    db.session.execute(delete(OutcomeFact))
    db.session.commit()
    low, high = db.session.execute(select(func.min(Episode.id), func.max(Episode.id))).one()
    totals: dict[str, Counter[str]] = {}
    counted = 0
    if low is not None:
        span = high - low + 1
        for start in range(low, high + 1, CHUNK):
            rows = []
            for fresh in _fresh([Episode.id >= start, Episode.id < start + CHUNK], as_of):
                rows.append(_fact_row(fresh))
                for cell in cells_of(fresh):
                    totals.setdefault(cell, Counter()).update(fresh.tally)
            if rows:
                db.session.execute(insert(OutcomeFact.__table__), rows)
            db.session.commit()
            counted += len(rows)
            if progress is not None:
                progress(min(start + CHUNK, high + 1) - low, span)
    cells = [{"cell": cell, "key": key, "n": n} for cell, tally in totals.items() for key, n in tally.items() if n]
    for start in range(0, len(cells), 10_000):
        db.session.execute(insert(OutcomeTotal.__table__), cells[start : start + 10_000])
    db.session.add(OutcomeState(id=_STATE_ID, as_of=as_of, version=1, built_at=now))
    db.session.commit()
    log.info("outcome facts rebuilt as of %s: %d episodes, %d cells", as_of, counted, len(totals))
    return counted


def advance(as_of: date) -> bool:
    """Move the facts' day on to `as_of` (never back); the episodes whose `valid_until` has come are then
    pending, for the next folds. Returns whether it moved."""
    moved = db.session.execute(
        update(OutcomeState)
        .where(OutcomeState.id == _STATE_ID, OutcomeState.as_of < as_of)
        .values(as_of=as_of, version=OutcomeState.version + 1)
    ).rowcount
    db.session.commit()
    return bool(moved)


def fold(limit: int = FOLD_BATCH) -> int:
    """Recompute up to `limit` pending episodes and move the totals by the difference, in one
    transaction; returns how many (0: nothing pending, or the facts are not built)."""
    # The state row first: it serialises folds (a row lock on PostgreSQL, the write lock on SQLite), so
    # that no two move the same totals, and tells views that read meanwhile to read again.
    bumped = db.session.execute(
        update(OutcomeState).where(OutcomeState.id == _STATE_ID).values(version=OutcomeState.version + 1)
    ).rowcount
    if not bumped:
        db.session.rollback()
        return 0
    as_of = db.session.scalar(select(OutcomeState.as_of).where(OutcomeState.id == _STATE_ID))
    assert as_of is not None
    first = select(OutcomeStale.id).order_by(OutcomeStale.id).limit(limit).scalar_subquery()
    claimed = db.session.scalars(
        delete(OutcomeStale).where(OutcomeStale.id.in_(first)).returning(OutcomeStale.episode_id)
    ).all()
    ids = set(claimed)
    if len(ids) < limit:
        expired = select(OutcomeFact.episode_id).where(OutcomeFact.valid_until <= as_of).limit(limit - len(ids))
        ids.update(db.session.scalars(expired))
    if not ids:
        db.session.rollback()
        return 0
    old = _facts_of(ids)
    fresh = {f.episode_id: f for f in _fresh_of(ids, as_of)}
    moves: dict[tuple[str, str], int] = {}
    for sign, facts in ((-1, old.values()), (1, fresh.values())):  # out with the old, in with the new
        for fact in facts:
            for cell in cells_of(fact):
                for key, n in fact.tally.items():
                    moves[(cell, key)] = moves.get((cell, key), 0) + sign * n
    _move_totals(moves)
    db.session.execute(delete(OutcomeFact).where(OutcomeFact.episode_id.in_(ids)))
    if fresh:
        db.session.execute(insert(OutcomeFact.__table__), [_fact_row(item) for item in fresh.values()])
    db.session.commit()
    return len(ids)


def fold_all(*, progress: Callable[[int], None] | None = None) -> int:
    """Fold until nothing is pending; returns how many episodes were recomputed."""
    total = 0
    while True:
        done = fold()
        if not done:
            return total
        total += done
        if progress is not None:
            progress(done)


def _fresh_of(ids: Iterable[int], as_of: date) -> Iterator[Fresh]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), 900):  # under SQLite's bound-parameter limit
        yield from _fresh([Episode.id.in_(ordered[start : start + 900])], as_of)


def _facts_of(ids: Iterable[int]) -> dict[int, Fresh]:
    ordered = sorted(ids)
    found: dict[int, Fresh] = {}
    for start in range(0, len(ordered), 900):
        query = select(
            OutcomeFact.episode_id,
            OutcomeFact.service_id,
            OutcomeFact.problem_group,
            OutcomeFact.discharge_date,
            OutcomeFact.tally,
            OutcomeFact.valid_until,
        ).where(OutcomeFact.episode_id.in_(ordered[start : start + 900]))
        for row in db.session.execute(query):
            found[row[0]] = Fresh(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])
    return found


def _move_totals(moves: dict[tuple[str, str], int]) -> None:
    """Add each difference to its cell's count (creating it), in a fixed order (no deadlock between two
    writers on PostgreSQL), then drop the counts that reached 0."""
    rows = [{"cell": cell, "key": key, "n": n} for (cell, key), n in sorted(moves.items()) if n]
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = maker(OutcomeTotal)
    statement = statement.on_conflict_do_update(
        index_elements=[OutcomeTotal.cell, OutcomeTotal.key], set_={"n": OutcomeTotal.n + statement.excluded.n}
    )
    for start in range(0, len(rows), 5_000):
        db.session.execute(statement, rows[start : start + 5_000])
    cells = sorted({row["cell"] for row in rows})
    for start in range(0, len(cells), 900):
        db.session.execute(
            delete(OutcomeTotal).where(OutcomeTotal.cell.in_(cells[start : start + 900]), OutcomeTotal.n == 0)
        )


# Reading: a dashboard view, or `stats summary`.


def summary(as_of: date, **options: Unpack[SummaryOptions]) -> dict[str, Any]:
    """What `summaries.summary` returns (the same figures, audited and published alike), from the outcome
    facts when they can serve it, else from the full computation: `flask stats summary` and the API."""
    if options.get("now") is not None:
        refuse_future_as_of(as_of, options["now"])  # type: ignore[arg-type]
    live = live_summary_and_curve(
        as_of,
        service_code=options.get("service_code"),
        area_code=options.get("area_code"),
        problem_group=options.get("problem_group"),
        discharged_from=options.get("discharged_from"),
        discharged_to=options.get("discharged_to"),
    )
    if live is None:
        return summaries.summary(as_of, **options)
    return summaries.finish_summary(live[0], as_of, options)


@dataclass(frozen=True)
class Scope:
    """What a view counts: services (None: all), a problem group, a discharge period (ends included)."""

    service_ids: frozenset[int] | None
    problem_group: str | None
    discharged_from: date | None
    discharged_to: date | None

    def holds(self, fact: Fresh) -> bool:
        """Whether this episode's fact is in the view."""
        return (
            (self.service_ids is None or fact.service_id in self.service_ids)
            and (self.problem_group is None or fact.problem_group == self.problem_group)
            and (self.discharged_from is None or fact.discharge_date >= self.discharged_from)
            and (self.discharged_to is None or fact.discharge_date <= self.discharged_to)
        )


def live_summary_and_curve(
    as_of: date,
    *,
    service_code: str | None = None,
    area_code: str | None = None,
    problem_group: str | None = None,
    discharged_from: date | None = None,
    discharged_to: date | None = None,
) -> tuple[dict[str, Any], Curve] | None:
    """The summary (unsuppressed) and wellness curve of a view from the outcome facts, equal to
    `summary_and_curve` with the same arguments; None when the facts cannot serve it."""
    services = _service_ids(service_code, area_code)
    scope = Scope(services, problem_group, discharged_from, discharged_to)
    for _ in range(READ_ATTEMPTS):
        before = state()
        if before is None or as_of < before.as_of:
            return None
        tally = _read(as_of, scope, before.as_of)
        after = state()
        if tally is not None and after is not None and after.version == before.version:
            builder = SummaryBuilder(as_of)
            builder.add_tally(tally)
            return builder.result(), builder.wellness_curve()
        if tally is None:
            return None
    return None


def _service_ids(service_code: str | None, area_code: str | None) -> frozenset[int] | None:
    if service_code is None and area_code is None:
        return None
    query = select(Service.id).join(Area, Area.id == Service.area_id)
    if service_code is not None:
        query = query.where(Service.code == service_code)
    if area_code is not None:
        query = query.where(Area.code == area_code)
    return frozenset(db.session.scalars(query))


def _read(as_of: date, scope: Scope, facts_as_of: date) -> Counter[str] | None:
    """The view's tally: the kept counts, with the pending episodes recomputed as of `as_of`."""
    queued = select(OutcomeStale.episode_id).distinct().limit(LIVE_PENDING_MAX + 1)
    pending = set(db.session.scalars(queued))
    if len(pending) <= LIVE_PENDING_MAX:
        expired = select(OutcomeFact.episode_id).where(OutcomeFact.valid_until <= as_of)
        pending.update(db.session.scalars(expired.limit(LIVE_PENDING_MAX + 1 - len(pending))))
    if len(pending) > LIVE_PENDING_MAX:
        return None
    if scope.service_ids is None or (scope.discharged_from is None and scope.discharged_to is None):
        tally = _read_cells(_cells(scope, as_of))
        for fact in _facts_of(pending).values():
            if scope.holds(fact):
                tally.subtract(fact.tally)
    else:  # a service's or an area's episodes discharged in a period: their facts one by one
        tally = _read_facts(scope, pending)
    for fresh in _fresh_of(pending, as_of):
        if scope.holds(fresh):
            tally.update(fresh.tally)
    return tally


def _read_cells(cells: list[str]) -> Counter[str]:
    tally: Counter[str] = Counter()
    for start in range(0, len(cells), 900):
        query = (
            select(OutcomeTotal.key, func.sum(OutcomeTotal.n))
            .where(OutcomeTotal.cell.in_(cells[start : start + 900]))
            .group_by(OutcomeTotal.key)
        )
        for key, n in db.session.execute(query):
            tally[key] += int(n)
    return tally


def _read_facts(scope: Scope, leave_out: set[int]) -> Counter[str]:
    assert scope.service_ids is not None
    tally: Counter[str] = Counter()
    if not scope.service_ids:
        return tally
    query = select(OutcomeFact.episode_id, OutcomeFact.tally).where(OutcomeFact.service_id.in_(scope.service_ids))
    if scope.problem_group is not None:
        query = query.where(OutcomeFact.problem_group == scope.problem_group)
    if scope.discharged_from is not None:
        query = query.where(OutcomeFact.discharge_date >= scope.discharged_from)
    if scope.discharged_to is not None:
        query = query.where(OutcomeFact.discharge_date <= scope.discharged_to)
    for episode_id, text in db.session.execute(query):
        if episode_id not in leave_out:
            tally.update(json.loads(text))
    return tally


def _cells(scope: Scope, as_of: date) -> list[str]:
    """The cells that hold exactly the view's episodes: a problem group's whole cell, or its months and
    days within the discharge period, or (some services, no period) those services' cells."""
    groups = [scope.problem_group] if scope.problem_group else ["depression", "anxiety", "other"]
    if scope.service_ids is not None:  # no discharge period (see `_read`): the services' own cells
        return [f"{group}@{service}" for service in sorted(scope.service_ids) for group in groups]
    if scope.discharged_from is None and scope.discharged_to is None:
        return groups
    first = scope.discharged_from or db.session.scalar(select(func.min(OutcomeFact.discharge_date)))
    last = min(scope.discharged_to or as_of, as_of)
    if first is None or first > last:
        return []
    cells: list[str] = []
    month = first.replace(day=1)
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        if first <= month and following - timedelta(days=1) <= last:
            cells.extend(f"{group}:{month:%Y-%m}" for group in groups)
        else:
            day = max(month, first)
            while day < following and day <= last:
                cells.extend(f"{group}:{day.isoformat()}" for group in groups)
                day += timedelta(days=1)
        month = following
    return cells


@dataclass(frozen=True)
class KeptUp:
    """What one `keep_up` did."""

    rebuilt: int
    advanced: bool
    folded: int
    pending: int


def keep_up(now: datetime, *, budget_seconds: float = 20.0) -> KeptUp:
    """The scheduler's job: build the facts if they are not, move their day on to today in London, and
    fold what is pending for up to `budget_seconds` (the rest waits for the next run)."""
    import time

    today = today_in_service_zone(now)
    if state() is None:
        rebuilt = rebuild(today, now)
        return KeptUp(rebuilt, False, 0, status().stale)
    advanced = advance(today)
    folded = 0
    deadline = time.monotonic() + budget_seconds
    while time.monotonic() < deadline:
        done = fold()
        if not done:
            break
        folded += done
    current = status()
    return KeptUp(0, advanced, folded, current.stale + current.expired)
