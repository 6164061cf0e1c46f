"""Durable-recovery statistics from the database: every episode in scope through the pure methodology.

Two readers, giving identical summaries (tests/integration/test_stats_equivalence.py):

- `episode_facts`, the reference: Core selects in id ranges turned into `EpisodeFacts` (dates
  local to each service) for `SummaryBuilder.add`.
- the bulk reader (`summary` uses it): no ORM object and no dataclass per row. SQL compares each
  check-in's instants with the first instant of A + 1 (and of A - 13) in its service's time zone,
  one time zone at a time, packing the results into one integer per check-in; Python reads plain
  DBAPI tuples, turns the change answer's instant into a local day number through (zone, UTC
  hour) caches, and runs the methodology on arrays of day numbers
  (`evaluate_answered`, numpy). Large scopes are split into id ranges over worker processes
  (forked; not inside a web request) whose partial builders are merged. A time zone whose local
  date is not monotonic around the cut-offs (never for Europe/London) falls back to the
  reference reader.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import re
import sqlite3
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import repeat
from operator import itemgetter
from typing import Any, Final, Literal, TypedDict, Unpack, cast
from zoneinfo import ZoneInfo

import numpy as np
from flask import has_request_context
from numpy.typing import NDArray
from sqlalchemy import create_engine, func, or_, select
from sqlalchemy.pool import NullPool

from app.domain.disclosure import publish
from app.domain.outcomes import (
    CHANGES,
    PROBLEM_GROUPS,
    SESSIONS_BANDS,
    WELLNESS,
    Answer,
    AnsweredArrays,
    CheckInFacts,
    EpisodeFacts,
    evaluate_answered,
    problem_group,
    sessions_band,
    unanswered_category,
)
from app.domain.statistics import (
    BREAKDOWNS,
    GAD7_CASENESS,
    GAD7_RELIABLE_CHANGE,
    NOT_CONSENTED,
    PHQ9_CASENESS,
    PHQ9_RELIABLE_CHANGE,
    SummaryBuilder,
    load_libraries,
)
from app.domain.survival import CurvePoint
from app.extensions import db
from app.models import Area, CheckIn, CheckInStatus, Client, ContactPoint, Episode, OptEvent, Service
from app.services import audit
from app.services.organisation import get_area, get_service

OptKind = Literal["opt_out", "resume"]
CHUNK = 20_000
#: Episodes per query of the bulk reader, and per task of a worker process.
BULK_CHUNK: Final = 25_000
TASK_SPAN: Final = 50_000  # small enough that the workers finish together
#: Scopes spanning fewer episode ids than this are read in this process.
PARALLEL_MIN: Final = 200_000


@dataclass(frozen=True)
class EpisodeFilters:
    """Narrowing a scope beyond service and area: a problem group and a discharge period (inclusive)."""

    problem_group: str | None = None  # "depression", "anxiety" or "other"
    discharged_from: date | None = None
    discharged_to: date | None = None

    def __post_init__(self) -> None:
        if self.problem_group is not None and self.problem_group not in PROBLEM_GROUPS:
            expected = ", ".join(PROBLEM_GROUPS)
            raise ValueError(f"unknown problem group {self.problem_group!r} (expected one of {expected})")
        if self.discharged_from and self.discharged_to and self.discharged_from > self.discharged_to:
            raise ValueError("the discharge period starts after it ends")

    def audit_detail(self) -> dict[str, str]:
        """The filters set, for the audit log."""
        detail = {
            "problem_group": self.problem_group,
            "discharged_from": self.discharged_from,
            "discharged_to": self.discharged_to,
        }
        return {key: str(value) for key, value in detail.items() if value is not None}


NO_FILTERS: Final = EpisodeFilters()


class SummaryOptions(TypedDict, total=False):
    """What `summary` and `summary_and_curve` take beside the date, each optional (None, or False, by default).

    `service_code` or `area_code` narrow the scope (default: every service); `problem_group`, `discharged_from`
    and `discharged_to` narrow the episodes in it further (`EpisodeFilters`). `published`: disclosure-controlled
    figures. `actor` and `now`, both given: the request is audited. `workers`: processes reading id ranges in
    parallel (default: the CPUs available, for scopes spanning PARALLEL_MIN episode ids or more in a database
    file or server; 1 reads in-process).
    """

    service_code: str | None
    area_code: str | None
    problem_group: str | None
    discharged_from: date | None
    discharged_to: date | None
    published: bool
    actor: str | None
    now: datetime | None
    workers: int | None


def summary(as_of: date, **options: Unpack[SummaryOptions]) -> dict[str, Any]:
    """The SPEC section 5 summary for a scope as of a date; with `published`, disclosure-controlled.

    The options (scope, filters, auditing, workers) are those of `SummaryOptions`.
    """
    result, _ = summary_and_curve(as_of, with_curve=False, **options)
    return result


def summary_and_curve(
    as_of: date, *, with_curve: bool = True, **options: Unpack[SummaryOptions]
) -> tuple[dict[str, Any], list[CurvePoint]]:
    """`summary` and, beside it, the steps of the wellness Kaplan-Meier curve (empty without `with_curve`)."""
    unknown = sorted(options.keys() - SummaryOptions.__optional_keys__)
    if unknown:
        raise TypeError(f"summary_and_curve() got an unexpected keyword argument {unknown[0]!r}")
    service_code, area_code, workers = options.get("service_code"), options.get("area_code"), options.get("workers")
    filters = EpisodeFilters(options.get("problem_group"), options.get("discharged_from"), options.get("discharged_to"))
    published, actor, now = options.get("published", False), options.get("actor"), options.get("now")
    builder = bulk_summary_builder(as_of, service_code, area_code, workers, filters=filters)
    if builder is None:
        builder = SummaryBuilder(as_of)
        for facts in episode_facts(as_of, _scope_filters(service_code, area_code, filters)):
            builder.add(facts)
    result = builder.result()
    curve = builder.wellness_curve() if with_curve else []
    if actor is not None and now is not None:
        audit.record(
            actor,
            "stats.summary",
            now,
            subject=_scope_name(service_code, area_code),
            as_of=as_of.isoformat(),
            published=published,
            **filters.audit_detail(),
        )
        db.session.commit()
    return (publish(result) if published else result), curve


def _scope_name(service_code: str | None, area_code: str | None) -> str:
    if service_code:
        return f"service:{service_code}"
    if area_code:
        return f"area:{area_code}"
    return "all"


def _scope_filters(service_code: str | None, area_code: str | None, filters: EpisodeFilters = NO_FILTERS) -> list[Any]:
    scope: list[Any] = []
    if service_code:
        scope.append(Episode.service_id == get_service(service_code).id)
    if area_code:
        scope.append(Service.area_id == get_area(area_code).id)
    if filters.problem_group is not None:
        scope.append(Episode.problem_descriptor.in_(descriptors_in_group(filters.problem_group)))
    if filters.discharged_from is not None:
        scope.append(Episode.discharge_date >= filters.discharged_from)
    if filters.discharged_to is not None:
        scope.append(Episode.discharge_date <= filters.discharged_to)
    return scope


def descriptors_in_group(group: str) -> tuple[str, ...]:
    """Every problem descriptor stored (as submitted) that falls in a problem group, sorted."""
    stored = db.session.scalars(select(Episode.problem_descriptor).distinct())
    return tuple(sorted(d for d in stored if d is not None and problem_group(d) == group))


def episode_facts(as_of: date, scope: list[Any]) -> Iterator[EpisodeFacts]:
    """Every episode in scope discharged on or before `as_of`, with its check-ins, in id order."""
    base = (
        select(
            Episode.id,
            Episode.client_id,
            Service.code,
            Area.code,
            Service.timezone,
            Episode.referral_date,
            Episode.discharge_date,
            Episode.treatment_sessions,
            Episode.problem_descriptor,
            Episode.consent & Episode.answers_withdrawn_at.is_(None),
            Episode.assessment_date,
            Episode.first_treatment_date,
            Episode.phq9_first,
            Episode.phq9_last,
            Episode.gad7_first,
            Episode.gad7_last,
        )
        .join(Service, Service.id == Episode.service_id)
        .join(Area, Area.id == Service.area_id)
        .where(Episode.discharge_date <= as_of, *scope)
    )
    bounds = db.session.execute(
        select(func.min(Episode.id), func.max(Episode.id))
        .join(Service, Service.id == Episode.service_id)
        .where(Episode.discharge_date <= as_of, *scope)
    ).one()
    if bounds[0] is None:
        return
    zones: dict[str, ZoneInfo] = {}
    for low in range(bounds[0], bounds[1] + 1, CHUNK):
        high = low + CHUNK
        episodes = db.session.execute(base.where(Episode.id >= low, Episode.id < high).order_by(Episode.id)).all()
        if not episodes:
            continue
        check_ins = _check_ins_by_episode(low, high)
        opt_events = _opt_events_by_client({row[1] for row in episodes})
        for row in episodes:
            zone = zones.setdefault(row[4], ZoneInfo(row[4]))
            yield EpisodeFacts(
                service_code=row[2],
                area_code=row[3],
                referral_date=row[5],
                discharge_date=row[6],
                treatment_sessions=row[7],
                problem_descriptor=row[8],
                consented=row[9],
                assessment_date=row[10],
                first_treatment_date=row[11],
                phq9_first=row[12],
                phq9_last=row[13],
                gad7_first=row[14],
                gad7_last=row[15],
                opt_events=tuple((_local(at, zone), cast(OptKind, kind)) for at, kind in opt_events.get(row[1], ())),
                check_ins=tuple(_check_in_facts(values, zone) for values in check_ins.get(row[0], ())),
            )


_CHECK_IN_COLUMNS = (
    CheckIn.episode_id,
    CheckIn.offset_weeks,
    CheckIn.due_at,
    CheckIn.status,
    CheckIn.first_sent_at,
    CheckIn.closed_at,
    CheckIn.close_reason,
    CheckIn.change,
    CheckIn.change_at,
    CheckIn.duration_start,
    CheckIn.duration_at,
    CheckIn.usual_self,
    CheckIn.usual_self_at,
)


def _check_ins_by_episode(low: int, high: int) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    query = select(*_CHECK_IN_COLUMNS).where(CheckIn.episode_id >= low, CheckIn.episode_id < high)
    for values in db.session.execute(query):
        grouped[values[0]].append(values)
    return grouped


def _opt_events_by_client(client_ids: set[int]) -> dict[int, list[tuple[datetime, str]]]:
    """Opt-outs and resumes of each client's contact points (phone and email), oldest first."""
    query = (
        select(Client.id, OptEvent.at, OptEvent.kind)
        .join(
            ContactPoint,
            or_(ContactPoint.contact_hash == Client.phone_hash, ContactPoint.contact_hash == Client.email_hash),
        )
        .join(OptEvent, OptEvent.contact_point_id == ContactPoint.id)
        .where(Client.id.in_(client_ids))
        .order_by(OptEvent.at, OptEvent.id)
    )
    grouped: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for client_id, at, kind in db.session.execute(query):
        grouped[client_id].append((at, kind))
    return grouped


def _local(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def _check_in_facts(values: Any, zone: ZoneInfo) -> CheckInFacts:
    (
        _,
        offset,
        due_at,
        status,
        first_sent_at,
        closed_at,
        close_reason,
        change,
        change_at,
        duration_start,
        duration_at,
        usual_self,
        usual_self_at,
    ) = values
    withdrawn_on = None
    if status == CheckInStatus.WITHDRAWN:
        # A check-in is withdrawn when it falls due while contact is stopped, not before.
        withdrawn_on = _local(max(due_at, closed_at or due_at), zone)
    return CheckInFacts(
        offset_weeks=offset,
        due_on=_local(due_at, zone),
        skipped=status == CheckInStatus.SKIPPED,
        first_sent_on=_local(first_sent_at, zone) if first_sent_at else None,
        withdrawn_on=withdrawn_on,
        unreachable=close_reason == "unreachable",
        closed_by_opt_out_on=_local(closed_at, zone) if close_reason == "opt_out" and closed_at else None,
        change=Answer(change, _local(change_at, zone)) if change and change_at else None,
        duration_start=Answer(duration_start, _local(duration_at, zone)) if duration_start and duration_at else None,
        usual_self=Answer(usual_self, _local(usual_self_at, zone)) if usual_self and usual_self_at else None,
    )


# The bulk reader. Check-in codes computed by SQL (offset * 64 + code): bit 0 skipped (nothing else
# set), 1 answered by A, 2 due by A, 3 unreachable, 4 closed by A (unanswered), 5 withdrawn by A.
_SKIPPED, _ANSWERED, _DUE, _UNREACHABLE, _CLOSED, _WITHDRAWN = 1, 2, 4, 8, 16, 32
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY: Final = _EPOCH.date().toordinal()
#: Consented, and the client has not withdrawn their answers from the figures (flask privacy withdraw).
_CONSENTED: Final = "(e.consent AND e.answers_withdrawn_at IS NULL)"
_TIMESTAMP_TEXT: Final = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores instants in SQLite


@dataclass(frozen=True)
class BulkPlan:
    """What a reader of one id range needs; picklable, for worker processes."""

    url: str
    dialect: str  # sqlite or postgresql
    as_of: date
    service_id: int | None
    area_id: int | None
    zones: tuple[str, ...]
    #: per zone: the first instants (naive UTC text) whose local date is after A and after A - 14
    cuts: tuple[tuple[str, str], ...]
    services: dict[int, tuple[str, str, int]]  # service id -> code, area code, zone index
    shared: bool  # the database can be opened by another process
    #: problem descriptors (as stored) of the problem group asked for; None: every descriptor
    descriptors: tuple[str, ...] | None = None
    discharged_from: date | None = None
    discharged_to: date | None = None


def bulk_summary_builder(
    as_of: date,
    service_code: str | None,
    area_code: str | None,
    workers: int | None = None,
    *,
    filters: EpisodeFilters = NO_FILTERS,
) -> SummaryBuilder | None:
    """The summary builder filled by the bulk reader, or None when a time zone needs the reference reader."""
    plan = bulk_plan(as_of, service_code, area_code, filters=filters)
    if plan is None:
        return None
    with _collector_paused():
        return _bulk_build(plan, workers)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Millions of short-lived row tuples make no reference cycles: the cyclic collector would only
    walk them over and over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _bulk_build(plan: BulkPlan, workers: int | None) -> SummaryBuilder:
    builder = SummaryBuilder(plan.as_of)
    cursor = _cursor(db.session.connection().connection, plan)
    cursor.execute(*_bounds_sql(plan))
    low, high = cursor.fetchone()
    if low is None:
        return builder
    count = _worker_count(workers, plan, high - low + 1)
    ranges = _ranges(low, high + 1, count)
    if count > 1:
        with multiprocessing.get_context("fork").Pool(count, initializer=_start_worker, initargs=(plan,)) as pool:
            parts = pool.imap_unordered(_worker_task, ranges)
            load_libraries()  # scipy.special for `result`, while the workers read
            for part in parts:
                builder.merge(part)
    else:
        reader = RangeReader(plan, cursor, transaction=True)
        for bounds in ranges:
            builder.merge(reader.read(*bounds))
    return builder


def bulk_plan(
    as_of: date, service_code: str | None, area_code: str | None, *, filters: EpisodeFilters = NO_FILTERS
) -> BulkPlan | None:
    """What the bulk reader needs for a scope, or None when a time zone needs the reference reader."""
    service_id = get_service(service_code).id if service_code else None
    area_id = get_area(area_code).id if area_code else None
    query = select(Service.id, Service.code, Area.code, Service.timezone).join(Area, Area.id == Service.area_id)
    if service_id is not None:
        query = query.where(Service.id == service_id)
    if area_id is not None:
        query = query.where(Service.area_id == area_id)
    zones: list[str] = []
    services: dict[int, tuple[str, str, int]] = {}
    for sid, code, area, zone in db.session.execute(query.order_by(Service.id)):
        if zone not in zones:
            zones.append(zone)
        services[sid] = (code, area, zones.index(zone))
    cuts = []
    for name in zones:
        tz = ZoneInfo(name)
        after, window = day_start_utc(as_of + timedelta(days=1), tz), day_start_utc(as_of - timedelta(days=13), tz)
        if after is None or window is None:
            return None
        cuts.append((after.strftime(_TIMESTAMP_TEXT), window.strftime(_TIMESTAMP_TEXT)))
    url = db.engine.url
    shared = url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:")
    descriptors = descriptors_in_group(filters.problem_group) if filters.problem_group is not None else None
    return BulkPlan(
        url.render_as_string(hide_password=False),
        db.engine.dialect.name,
        as_of,
        service_id,
        area_id,
        tuple(zones),
        tuple(cuts),
        services,
        shared,
        descriptors,
        filters.discharged_from,
        filters.discharged_to,
    )


def day_start_utc(day: date, zone: ZoneInfo) -> datetime | None:
    """The first instant (naive UTC) whose local date in `zone` is `day` or later.

    None unless local dates are monotonic around it (checked every 15 minutes over two days
    either side), so that "local date of x <= day - 1" is exactly "x < this instant".
    """
    start = datetime.combine(day, datetime.min.time()).replace(tzinfo=zone).astimezone(UTC)
    step = timedelta(minutes=15)
    for i in range(-192, 193):
        if ((start + i * step).astimezone(zone).date() >= day) != (i >= 0):
            return None
    if (start - timedelta(microseconds=1)).astimezone(zone).date() >= day:
        return None
    return start.replace(tzinfo=None)


def _worker_count(requested: int | None, plan: BulkPlan, span: int) -> int:
    if not plan.shared or has_request_context():  # never fork a web server's worker
        return 1
    if requested is not None:
        return max(1, requested)
    if span < PARALLEL_MIN:
        return 1
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _ranges(low: int, end: int, workers: int) -> list[tuple[int, int]]:
    """Id ranges: one per worker at least three times over (for balance), at most TASK_SPAN ids each."""
    span = end - low
    size = max(1, min(TASK_SPAN, -(-span // (3 * workers)) if workers > 1 else TASK_SPAN))
    return [(start, min(start + size, end)) for start in range(low, end, size)]


_reader: RangeReader | None = None
_connection: Any = None  # the worker's own connection, kept open for its life


def _start_worker(plan: BulkPlan) -> None:
    global _reader, _connection
    gc.disable()  # see _collector_paused
    _connection = create_engine(plan.url, poolclass=NullPool).raw_connection()
    _reader = RangeReader(plan, _cursor(_connection, plan))


def _cursor(connection: Any, plan: BulkPlan) -> Any:
    """A DBAPI cursor for the bulk reader: on PostgreSQL in binary format, so that the integers
    (most of what it reads) are neither written nor parsed as text."""
    return connection.cursor(binary=True) if plan.dialect == "postgresql" else connection.cursor()


def _worker_task(bounds: tuple[int, int]) -> SummaryBuilder:
    assert _reader is not None
    return _reader.read(*bounds)


class _Sql:
    """The bulk reader's statements for one dialect, with :name parameters.

    Only constants of this module and of the domain are formatted into the text (S608 below):
    every value, time zone names included, is a bound parameter. Instants come back as whole
    seconds since 1970 (floored: local dates change only on whole seconds); dates as day numbers
    (PostgreSQL) or as stored text (SQLite, turned into day numbers through a cache).
    """

    def __init__(self, plan: BulkPlan) -> None:
        self.postgres = plan.dialect == "postgresql"
        scope = ""
        if plan.service_id is not None:
            scope += " AND e.service_id = :service_id"
        if plan.area_id is not None:
            scope += " AND s.id = e.service_id AND s.area_id = :area_id"
        self.params: dict[str, Any] = {
            "as_of": self._date(plan.as_of),
            "service_id": plan.service_id,
            "area_id": plan.area_id,
        }
        if plan.descriptors is not None:
            marks = ", ".join(f":d{i}" for i in range(len(plan.descriptors)))
            scope += f" AND e.problem_descriptor IN ({marks})" if marks else " AND 1 = 0"
            self.params |= {f"d{i}": descriptor for i, descriptor in enumerate(plan.descriptors)}
        for name, operator in (("discharged_from", ">="), ("discharged_to", "<=")):
            if getattr(plan, name) is not None:
                scope += f" AND {self.at('e.discharge_date')} {operator} :{name}"
                self.params[name] = self._date(getattr(plan, name))
        self.scope = f"{self.at('e.discharge_date')} <= :as_of{scope}"
        self.join = " CROSS JOIN service s" if plan.area_id is not None else ""  # for the area scope
        # SQLite reads check-ins one time zone at a time, with its cut-offs as parameters
        self.zone_params = [
            {
                "zone": zone,
                **{
                    name: datetime.strptime(cut, _TIMESTAMP_TEXT) if self.postgres else cut
                    for name, cut in zip(("after", "window"), cuts, strict=True)
                },
            }
            for zone, cuts in zip(plan.zones, plan.cuts, strict=True)
        ]
        self.after, self.window = ":after", ":window"
        self.zones = len(plan.zones)
        # per zone: whether it has fewer than half the services in scope (read through their services)
        in_zone = [sum(1 for *_, zone in plan.services.values() if zone == i) for i in range(self.zones)]
        self.zone_few = [2 * count < len(plan.services) for count in in_zone]
        if self.postgres:
            # PostgreSQL reads every time zone's check-ins in one query: each episode's cut-offs come
            # from a join of its service's time zone with the list of (zone, after, window) parameters.
            self.zone_params = [
                {f"{name}{i}": value for i, zone in enumerate(self.zone_params) for name, value in zone.items()}
            ]
            self.after, self.window = "z.after_at", "z.window_at"
            self.zone_few = [False]
        self.epoch = (
            "CAST(floor(EXTRACT(EPOCH FROM {})) AS BIGINT)"
            if self.postgres
            else "unixepoch({})"
            if sqlite3.sqlite_version_info >= (3, 38)
            else "CAST(strftime('%s', {}) AS INTEGER)"
        )

    def _date(self, day: date) -> date | str:
        return day if self.postgres else day.isoformat()

    def prepare(self, text: str, **params: Any) -> tuple[str, dict[str, Any]]:
        if self.postgres:
            text = re.sub(r"(?<![\w:]):([a-z_][a-z0-9_]*)", r"%(\1)s", text.replace("%", "%%"))
        return text, self.params | params

    def at(self, column: str) -> str:
        """A date or instant column for comparing with a parameter. In SQLite, `+` drops the column's
        NUMERIC affinity, which would try to read every stored text as a number first (same result, slower)."""
        return column if self.postgres else f"+{column}"

    def day_number(self, column: str) -> str:
        return f"({column} - DATE '0001-01-01' + 1)" if self.postgres else column

    def episodes(self) -> str:
        """Per episode: id, service, discharge month, referral day, sessions, problem descriptor,
        consent + 2 * assessed, and the four scores packed in bytes (score + 1, 0 when missing; -1
        when a score is outside 0-254 and must be read by `scores`)."""
        month = (
            "CAST(EXTRACT(YEAR FROM e.discharge_date) * 100 + EXTRACT(MONTH FROM e.discharge_date) AS INTEGER)"
            if self.postgres
            else "e.discharge_date"
        )
        scores = ("e.phq9_first", "e.phq9_last", "e.gad7_first", "e.gad7_last")
        usual = " AND ".join(f"({x} IS NULL OR {x} BETWEEN 0 AND 254)" for x in scores)
        # PostgreSQL: in bigint, or a last score from 127 up would overflow integer
        weight = "CAST({} AS BIGINT)" if self.postgres else "{}"
        packed = " + ".join(f"{weight.format(256**i)} * COALESCE({x} + 1, 0)" for i, x in enumerate(scores))
        return (
            f"SELECT e.id, e.service_id, {month}, {self.day_number('e.referral_date')},"  # noqa: S608
            f" e.treatment_sessions, e.problem_descriptor,"
            f" (CASE WHEN {_CONSENTED} THEN 1 ELSE 0 END) + (CASE WHEN e.assessment_date IS NULL THEN 0 ELSE 2 END),"
            f" CASE WHEN {usual} THEN {packed} ELSE -1 END FROM episode e{self.join}"
            f" WHERE e.id >= :low AND e.id < :high AND {self.scope} ORDER BY e.id"
        )

    def scores(self, episodes: int) -> str:
        marks = ", ".join(f":e{i}" for i in range(episodes))
        return f"SELECT id, phq9_first, phq9_last, gad7_first, gad7_last FROM episode WHERE id IN ({marks})"  # noqa: S608

    def check_ins(self, few: bool = False) -> str:
        """Per check-in: episode id, offset * 64 + code, then the answers (used when answered by A):
        the change answer's instant, the change, usual self as of A, the claimed start as of A.

        With `few` (SQLite: a time zone with few of the services), episodes are found through the
        service index rather than by scanning the id range.

        SQLite spends most of this query's time on expressions: text columns come back as they are
        and Python maps them. Rows need no order (`evaluate_answered` sorts): SQLite gives them in
        id order anyway, PostgreSQL is spared a sort (and the query's rows of one chunk come per time zone)."""
        after, window, at = self.after, self.window, self.at
        due = f"{at('c.due_at')} < {after}"
        unreachable = f"(CASE WHEN c.close_reason = 'unreachable' THEN {_UNREACHABLE} ELSE 0 END)"
        withdrawn = (
            f"c.status = '{CheckInStatus.WITHDRAWN.value}' AND (c.closed_at IS NULL OR {at('c.closed_at')} < {after})"
        )
        closed = (
            f"{at('c.first_sent_at')} < {window}"
            f" OR (({withdrawn}) OR c.close_reason = 'unreachable') AND {at('c.due_at')} < {window}"
            f" OR c.close_reason = 'opt_out' AND {at('c.closed_at')} < {after}"
        )
        code = (
            f"CASE WHEN c.status = '{CheckInStatus.SKIPPED.value}' THEN {_SKIPPED}"
            f" WHEN {at('c.change_at')} < {after} AND c.change <> ''"
            f" THEN {_ANSWERED} + (CASE WHEN {due} THEN {_DUE} + {unreachable} ELSE 0 END)"
            f" WHEN {due} THEN {_DUE} + {unreachable} + (CASE WHEN {closed} THEN {_CLOSED}"
            f" WHEN {withdrawn} THEN {_WITHDRAWN} ELSE 0 END) ELSE 0 END"
        )
        # date_part is a double (EXTRACT a slower numeric): exact enough to floor to the second up to 2106
        instant = "CAST(floor(date_part('epoch', c.change_at)) AS BIGINT)" if self.postgres else "c.change_at"
        claimed = f"CASE WHEN {at('c.duration_at')} < {after} THEN {self.day_number('c.duration_start')} END"
        if self.postgres:
            claimed = f"COALESCE({claimed}, -1)"
        if self.postgres:
            values = ", ".join(f"(:zone{i}, :after{i}, :window{i})" for i in range(self.zones)) or "(NULL, NULL, NULL)"
            zone = (  # OFFSET 0: a table of 200-odd services, hashed, rather than a join per check-in
                f" JOIN (SELECT sz.id, v.after_at, v.window_at FROM service sz JOIN (VALUES {values})"  # noqa: S608
                f" AS v(zone, after_at, window_at) ON v.zone = sz.timezone OFFSET 0) AS z ON z.id = e.service_id"
            )
            in_zone = ""
        else:
            zone, in_zone = "", " AND e.service_id IN (SELECT id FROM service WHERE timezone = :zone)"
        first = "episode e"
        if few and not self.postgres:
            first, in_zone = "service sz CROSS JOIN episode e", " AND sz.timezone = :zone AND e.service_id = sz.id"
        return (
            f"SELECT e.id, c.offset_weeks * 64 + {code}, {instant}, c.change,"  # noqa: S608
            f" CASE WHEN {at('c.usual_self_at')} < {after} THEN c.usual_self END,"
            f" {claimed}"
            # CROSS JOIN: SQLite keeps this order (episodes by id, then their check-ins by index)
            f" FROM {first} CROSS JOIN check_in c{self.join}{zone}"
            f" WHERE c.episode_id = e.id AND e.id >= :low AND e.id < :high"
            f" AND c.episode_id >= :low AND c.episode_id < :high{in_zone}"
            f" AND {_CONSENTED} AND {self.scope}{'' if self.postgres or few else ' ORDER BY e.id'}"
        )

    def opt_events(self, episodes: int) -> str:
        """Opt-outs and resumes of the clients of some episodes, oldest first (as `_opt_events_by_client`)."""
        marks = ", ".join(f":e{i}" for i in range(episodes))
        return (
            f"SELECT e.id, {self.epoch.format('o.at')}, o.kind FROM episode e"  # noqa: S608
            " JOIN client cl ON cl.id = e.client_id JOIN contact_point cp"
            " ON (cp.contact_hash = cl.phone_hash OR cp.contact_hash = cl.email_hash)"
            f" JOIN opt_event o ON o.contact_point_id = cp.id WHERE e.id IN ({marks}) ORDER BY o.at, o.id"
        )

    def bounds(self) -> str:
        return f"SELECT min(e.id), max(e.id) FROM episode e{self.join} WHERE {self.scope}"  # noqa: S608


def _bounds_sql(plan: BulkPlan) -> tuple[str, dict[str, Any]]:
    sql = _Sql(plan)
    return sql.prepare(sql.bounds())


class _Partial:
    """Counts of one id range, turned into a SummaryBuilder by `builder`."""

    def __init__(self) -> None:
        self.tally: tuple[dict[tuple[Any, int], int], ...] = tuple({} for _ in BREAKDOWNS)
        self.changes = [0] * len(CHANGES)
        self.points: dict[int, list[int]] = {}
        self.entry, self.time, self.event = array("i"), array("i"), array("b")
        # problem descriptor -> assessed, the 7 service-reported counts, the 9 effect-size sums
        self.reported: dict[str, list[int]] = {}

    def builder(self, as_of: date) -> SummaryBuilder:
        builder = SummaryBuilder(as_of)
        builder.add_counts(self.tally, self.changes, self.points, (self.entry, self.time, self.event))
        for descriptor, figures in self.reported.items():
            builder.add_service_reported(descriptor, figures[0], figures[1:8], figures[8:])
        return builder


class RangeReader:
    """Reads episodes of an id range through one DBAPI cursor into a partial SummaryBuilder."""

    def __init__(self, plan: BulkPlan, cursor: Any, *, transaction: bool = False) -> None:
        self.plan, self.cursor, self.sql = plan, cursor, _Sql(plan)
        self.episode_sql = self.sql.episodes()
        self.check_in_sql = [self.sql.check_ins(few) for few in self.sql.zone_few]
        if self.sql.postgres:
            # Many small range queries: compiling each (JIT) or starting parallel workers costs more
            # than it saves, and the cores are busy with our own workers already.
            scope = "LOCAL " if transaction else ""
            cursor.execute(f"SET {scope}jit = off")
            cursor.execute(f"SET {scope}max_parallel_workers_per_gather = 0")
            # Planned for each chunk's values: a generic plan of the check-ins query (psycopg prepares
            # statements run often) can join the cut-offs per check-in, ten times slower.
            cursor.execute(f"SET {scope}plan_cache_mode = force_custom_plan")
        self.zones = [ZoneInfo(name) for name in plan.zones]
        # per zone: UTC hour (since 1970) -> local day number, or -1 when the hour spans two local dates
        self.hours: list[dict[int, int]] = [{} for _ in plan.zones]
        self.days: dict[str, int] = {}
        self.months: dict[str, int] = {}
        self.stamps: dict[str, int] = {}  # 'YYYY-MM-DD HH' -> UTC hour since 1970 (SQLite)
        top = max(plan.services, default=0) + 1
        self.service_zone = np.zeros(top, dtype=np.int64)
        self.service_area = np.zeros(top, dtype=np.int64)
        self.service_code = [""] * top
        self.area_codes: list[str] = []
        for service_id, (code, area, zone) in plan.services.items():
            if area not in self.area_codes:
                self.area_codes.append(area)
            self.service_zone[service_id] = zone
            self.service_area[service_id] = self.area_codes.index(area)
            self.service_code[service_id] = code
        self.descriptors: list[str] = []
        self.descriptor_index: dict[str, int] = {}
        self.descriptor_group = np.zeros(0, dtype=np.int64)
        self.descriptor_anxious = np.zeros(0, dtype=bool)

    def read(self, low: int, high: int) -> SummaryBuilder:
        part = _Partial()
        for start in range(low, high, BULK_CHUNK):
            bounds = {"low": start, "high": min(start + BULK_CHUNK, high)}
            self.cursor.execute(*self.sql.prepare(self.episode_sql, **bounds))
            episodes = self.cursor.fetchall()
            if episodes:
                check_ins: list[Any] = []
                for zone, statement in zip(self.sql.zone_params, self.check_in_sql, strict=True):
                    self.cursor.execute(*self.sql.prepare(statement, **bounds, **zone))
                    check_ins += self.cursor.fetchall()
                self._chunk(episodes, check_ins, part)
        return part.builder(self.plan.as_of)

    def _chunk(self, episodes: Sequence[Any], check_ins: Sequence[Any], part: _Partial) -> None:
        """Methodology version 1 for one chunk of episodes (ordered by id) and their check-ins."""
        ids, service_ids, discharges, referrals, sessions, descriptors, flags, scores = (
            list(map(itemgetter(i), episodes)) for i in range(8)
        )
        size = len(ids)
        ids_a = np.fromiter(ids, np.int64, size)
        services = np.fromiter(service_ids, np.int64, size)
        zone = self.service_zone[services]
        referral = self._day_numbers(referrals)
        descriptor = np.fromiter(map(self.descriptor_index.get, descriptors, repeat(-1)), np.int64, size)
        for i in np.flatnonzero(descriptor < 0).tolist():
            descriptor[i] = self._descriptor(descriptors[i])
        anxiety = self.descriptor_anxious[descriptor]
        consent_assessed = np.fromiter(flags, np.int64, size)
        category = np.where(consent_assessed & 1, -1, NOT_CONSENTED)
        unanswered = np.full(size, 8)  # pending: nothing due
        if check_ins:
            unanswered = self._check_ins(ids_a, zone, referral, anxiety, check_ins, category, part)
        waiting = np.flatnonzero(category == -1)
        if len(waiting):
            category[waiting] = unanswered[waiting]
            self._opted_out(ids_a, zone, waiting, category)
        treatment = np.fromiter(sessions, np.int64, size)
        if np.any(treatment < 0):
            sessions_band(int(treatment.min()))  # refuses, as the reference does
        month = np.fromiter(
            discharges if self.sql.postgres else map(self.months.get, discharges, repeat(0)), np.int64, size
        )
        for i in np.flatnonzero(month == 0).tolist():
            month[i] = self._month(discharges[i])
        breakdowns = (
            (self.descriptor_group[descriptor], PROBLEM_GROUPS),
            (np.searchsorted(_BAND_STARTS, treatment, side="right") - 1, SESSIONS_BANDS),
            (services, self.service_code),
            (self.service_area[services], self.area_codes),
            (month, None),
        )
        for table, (values, names) in zip(part.tally, breakdowns, strict=True):
            keys, counts = np.unique(values * 16 + category, return_counts=True)
            for key, n in zip(keys.tolist(), counts.tolist(), strict=True):
                value, kind = divmod(key, 16)
                name = value if names is None else names[value]
                table[name, kind] = table.get((name, kind), 0) + n
        self._service_reported(
            ids_a, np.fromiter(scores, np.int64, size), consent_assessed >> 1, descriptor, treatment, part
        )

    def _service_reported(
        self,
        ids: NDArray[np.int64],
        packed: NDArray[np.int64],
        assessed: NDArray[np.int64],
        descriptor: NDArray[np.int64],
        sessions: NDArray[np.int64],
        part: _Partial,
    ) -> None:
        """Assessed episodes, what services would report (simplified NHS Talking Therapies KPIs) and
        effect-size sums, per problem descriptor as submitted."""
        pf, pl, gf, gl = scores = [(packed >> (8 * i) & 255) - 1 for i in range(4)]  # -1: missing
        missing = (pf == -1) | (pl == -1) | (gf == -1) | (gl == -1)
        unusual = np.flatnonzero(packed < 0)  # a score outside 0-254: read as stored
        if len(unusual):
            wanted = ids[unusual].tolist()
            self.cursor.execute(
                *self.sql.prepare(
                    self.sql.scores(len(wanted)), **{f"e{i}": episode for i, episode in enumerate(wanted)}
                )
            )
            raw = {row[0]: row[1:] for row in self.cursor.fetchall()}
            for i, episode in zip(unusual.tolist(), wanted, strict=True):
                values = raw[episode]
                missing[i] = any(value is None for value in values)
                for score, value in zip(scores, values, strict=True):
                    score[i] = 0 if value is None else value
        two_plus = sessions >= 2
        complete = ~missing
        finished = two_plus & complete
        caseness = finished & ((pf >= PHQ9_CASENESS) | (gf >= GAD7_CASENESS))
        recovered = caseness & (pl < PHQ9_CASENESS) & (gl < GAD7_CASENESS)
        deteriorated = finished & ((pl - pf >= PHQ9_RELIABLE_CHANGE) | (gl - gf >= GAD7_RELIABLE_CHANGE))
        fell = (pf - pl >= PHQ9_RELIABLE_CHANGE) | (gf - gl >= GAD7_RELIABLE_CHANGE)
        improved = finished & fell & ~deteriorated
        flags = [finished, two_plus & ~complete, caseness, recovered, improved, deteriorated, recovered & improved]
        powers = [x for score in scores for x in (score, score * score)]
        width = len(self.descriptors)
        columns = [np.bincount(descriptor, weights=assessed, minlength=width)]
        columns += [np.bincount(descriptor, weights=flag, minlength=width) for flag in flags]
        columns += [np.bincount(descriptor[finished], minlength=width)]
        columns += [np.bincount(descriptor[finished], weights=x[finished], minlength=width) for x in powers]
        for index in np.unique(descriptor).tolist():
            figures = part.reported.setdefault(self.descriptors[index], [0] * 17)
            for i, column in enumerate(columns):
                figures[i] += int(column[index])

    def _descriptor(self, text: str) -> int:
        """A number for a problem descriptor as submitted, with its problem group noted."""
        index = self.descriptor_index.get(text)
        if index is None:
            index = self.descriptor_index[text] = len(self.descriptors)
            self.descriptors.append(text)
            group = PROBLEM_GROUPS.index(problem_group(text))
            self.descriptor_group = np.append(self.descriptor_group, group)
            self.descriptor_anxious = np.append(self.descriptor_anxious, PROBLEM_GROUPS[group] == "anxiety")
        return index

    def _check_ins(
        self,
        ids: NDArray[np.int64],
        zone: NDArray[np.int64],
        referral: NDArray[np.int64],
        anxiety: NDArray[np.bool_],
        check_ins: Sequence[Any],
        category: NDArray[np.int64],
        part: _Partial,
    ) -> NDArray[np.int64]:
        """Answered episodes' categories into `category`, the rest into part; the categories 7-9
        (indexes 6-8) that episodes without answers would have."""
        size = len(check_ins)
        row_ep = np.searchsorted(ids, np.fromiter(map(itemgetter(0), check_ins), np.int64, size))
        packed = np.fromiter(map(itemgetter(1), check_ins), np.int64, size)
        code, offset = packed & 63, packed >> 6
        points = part.points
        for weeks in np.unique(offset).tolist():  # every offset of the plans in scope gets a point
            points.setdefault(weeks, [0, 0, 0])
        answered = np.flatnonzero(code & _ANSWERED)
        rows_answered = [check_ins[i] for i in answered.tolist()]
        count = len(rows_answered)
        t = self._local_days(list(map(itemgetter(2), rows_answered)), zone[row_ep[answered]])
        change = np.fromiter(map(_CHANGE_INDEX.get, map(itemgetter(3), rows_answered), repeat(-1)), np.int64, count)
        if np.any(change < 0):
            raise ValueError(f"unknown change answer (expected one of {CHANGES})")
        well = np.fromiter(map(_WELL_CODE.get, map(itemgetter(4), rows_answered), repeat(0)), np.int64, count)
        claimed = self._day_numbers(list(map(itemgetter(5), rows_answered)))
        rows = AnsweredArrays(row_ep[answered], t, offset[answered], change, well, claimed)
        outcome = evaluate_answered(rows, referral, anxiety)
        has = outcome.category >= 0
        category[has] = outcome.category[has]
        _add_into(part.changes, np.bincount(outcome.last_change[has], minlength=len(CHANGES)).tolist())
        part.entry.extend(outcome.entry.tolist())
        part.time.extend(outcome.time.tolist())
        part.event.extend(outcome.event.tolist())
        due = (code & _DUE) != 0
        due_answered = due[answered]
        _count_points(points, offset[answered][due_answered], 0, 1)
        _count_points(points, offset[answered][due_answered & outcome.recovered], 2)
        unanswered_due = due & ((code & _ANSWERED) == 0)
        _count_points(points, offset[unanswered_due & ((code & _CLOSED) != 0)], 0)
        # categories 7-9 for episodes without answers: due check-ins, all unreachable, any non-response
        size = len(ids)
        due_count = np.bincount(row_ep[due], minlength=size)
        reachable = np.bincount(row_ep[due & ((code & _UNREACHABLE) == 0)], minlength=size)
        nonresponse = np.bincount(row_ep[unanswered_due & ((code & (_CLOSED | _WITHDRAWN)) != 0)], minlength=size)
        return np.where((due_count > 0) & (reachable == 0), 6, np.where(nonresponse > 0, 7, 8))

    def _local_days(self, instants: list[Any], zones: NDArray[np.int64]) -> NDArray[np.int64]:
        """Local day numbers of instants, each in its zone: PostgreSQL gives seconds since 1970,
        SQLite the stored text, which a second cache turns into UTC hours."""
        count = len(instants)
        if self.sql.postgres:
            seconds = np.fromiter(instants, np.int64, count)
        else:
            stamps = self.stamps
            hours = np.fromiter(map(stamps.get, map(_HOUR, instants), repeat(-1)), np.int64, count)
            for i in np.flatnonzero(hours < 0).tolist():
                hours[i] = stamps.get(instants[i][:13]) or self._stamp_hour(instants[i])
            seconds = hours * 3600
        hours = seconds // 3600
        result = np.empty(count, dtype=np.int64)
        for zone in np.unique(zones).tolist():
            where = np.flatnonzero(zones == zone)
            unique, inverse = np.unique(hours[where], return_inverse=True)
            cache = self.hours[zone]
            days = np.fromiter(map(cache.get, unique.tolist(), repeat(-2)), np.int64, len(unique))
            for i in np.flatnonzero(days == -2).tolist():
                hour = int(unique[i])
                days[i] = cache[hour] if hour in cache else self._hour_day(hour, zone)
            result[where] = days[inverse]
        for i in np.flatnonzero(result < 0).tolist():  # an hour spanning two local dates: exactly
            exact = instants[i] if self.sql.postgres else _epoch_seconds(instants[i])
            result[i] = self._local_date(exact, int(zones[i])).toordinal()
        return result

    def _stamp_hour(self, text: str) -> int:
        """The UTC hour (since 1970) of an instant stored as text, cached by its first 13 characters."""
        day = self.days.get(text[:10]) or self._day(text[:10])
        hour = self.stamps[text[:13]] = (day - _EPOCH_DAY) * 24 + int(text[11:13])
        return hour

    def _day_numbers(self, values: list[Any], rows: NDArray[np.int64] | None = None) -> NDArray[np.int64]:
        """Day numbers of dates at `rows` (default: all), -1 for none: PostgreSQL gives them, SQLite gives text."""
        if self.sql.postgres:
            found = np.fromiter(values, np.int64, len(values))
            return found if rows is None else found[rows]
        found = np.fromiter(map(self.days.get, values, repeat(-1)), np.int64, len(values))
        result = found if rows is None else found[rows]
        for i in np.flatnonzero(result < 0).tolist():
            text = values[i if rows is None else int(rows[i])]
            if text:
                result[i] = self._day(text)
        return result

    def _opted_out(
        self, ids: NDArray[np.int64], zone: NDArray[np.int64], waiting: NDArray[np.int64], category: NDArray[np.int64]
    ) -> None:
        """Category 6 (index 5) for episodes without answers whose client's latest opt event by A is an opt-out."""
        events: dict[int, list[tuple[int, str]]] = defaultdict(list)
        wanted = ids[waiting].tolist()
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            self.cursor.execute(
                *self.sql.prepare(
                    self.sql.opt_events(len(batch)), **{f"e{i}": episode for i, episode in enumerate(batch)}
                )
            )
            for episode_id, at, kind in self.cursor.fetchall():
                events[episode_id].append((at, kind))  # at: seconds since 1970
        for index in waiting.tolist():
            found = events.get(int(ids[index]))
            if found:
                local = [(self._local_date(at, int(zone[index])), kind) for at, kind in found]
                if unanswered_category(local, self.plan.as_of, 0, False, False) == 5:
                    category[index] = 5

    def _local_date(self, instant: int, zone: int) -> date:
        return datetime.fromtimestamp(instant, self.zones[zone]).date()

    def _hour_day(self, hour: int, zone: int) -> int:
        """The local day number of a UTC hour, -1 when it spans two local dates; caches its whole UTC day."""
        tz, cache = self.zones[zone], self.hours[zone]
        first = hour - hour % 24
        start = datetime.fromtimestamp(first * 3600, UTC)
        number = start.date().toordinal()
        offsets = {(start + timedelta(hours=h)).astimezone(tz).utcoffset() for h in (0, 12, 24)}
        if len(offsets) == 1:  # no clock change that day: arithmetic
            shift = int(next(iter(offsets)).total_seconds())  # type: ignore[union-attr]
            for h in range(24):
                local = h * 3600 + shift
                same = local // 86400 == (local + 3599) // 86400
                cache[first + h] = number + local // 86400 if same else -1
            return cache[hour]
        for h in range(24):
            probes = [(start + timedelta(hours=h, seconds=s)).astimezone(tz) for s in (0, 1800, 3599)]
            same = len({p.date() for p in probes}) == 1 and len({p.utcoffset() for p in probes}) == 1
            cache[first + h] = probes[0].date().toordinal() if same else -1
        return cache[hour]

    def _day(self, text: str) -> int:
        day = self.days[text] = date.fromisoformat(text).toordinal()
        return day

    def _month(self, text: str) -> int:
        month = self.months[text] = int(text[:4]) * 100 + int(text[5:7])
        return month


_HOUR: Final = itemgetter(slice(0, 13))  # 'YYYY-MM-DD HH' of an instant stored as text
_CHANGE_INDEX: Final = {value: i for i, value in enumerate(CHANGES)}
_WELL_CODE: Final = {value: 1 if well else 2 for value, well in WELLNESS.items()}  # else 0: unknown
_BAND_STARTS: Final = (0, 1, 2, 7)  # sessions where the bands "0", "1", "2-6" and "7+" begin


def _epoch_seconds(text: str) -> int:
    """Whole seconds since 1970 (floored) of a naive UTC instant as SQLite stores it."""
    return (datetime.fromisoformat(text).replace(tzinfo=UTC) - _EPOCH) // timedelta(seconds=1)


def _count_points(points: dict[int, list[int]], offsets: NDArray[np.int64], *columns: int) -> None:
    """Add one to the given [closed, answered, recovered] columns of each offset's point per check-in."""
    if len(offsets):
        weeks, counts = np.unique(offsets, return_counts=True)
        for week, count in zip(weeks.tolist(), counts.tolist(), strict=True):
            for column in columns:
                points[week][column] += count


def _add_into(total: list[int], more: list[int]) -> None:
    for i, n in enumerate(more):
        total[i] += n
