"""The bulk reader's driver: `bulk_plan` for a scope, then its id ranges read in this process or split
over forked worker processes (never inside a web request) whose partial builders are merged.

Split from `app.services.statistics.summaries`, which calls `bulk_summary_builder` and re-exports these names.
The worker entry points (`_start_worker`, `_worker_task`) live here, at module level, so that the pool
can reach them by this module's path.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from flask import has_request_context
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from app.domain.statistics import SummaryBuilder, load_libraries
from app.extensions import db
from app.models import Area, Service
from app.services.organisation import get_area, get_service
from app.services.statistics.reader import BULK_CHUNK, RangeReader
from app.services.statistics.scope import NO_FILTERS, EpisodeFilters, descriptors_in_group
from app.services.statistics.sql import _TIMESTAMP_TEXT, BulkPlan, _bounds_sql

#: Episode ids per task of a worker process.
TASK_SPAN: Final = 50_000  # small enough that the workers finish together
#: Scopes spanning fewer episode ids than this are read in this process.
PARALLEL_MIN: Final = 200_000


def bulk_summary_builder(
    as_of: date,
    service_code: str | None,
    area_code: str | None,
    workers: int | None = None,
    *,
    filters: EpisodeFilters = NO_FILTERS,
    chunk: int = BULK_CHUNK,
    case_mix: bool = False,
) -> SummaryBuilder | None:
    """The summary builder filled by the bulk reader, or None when a time zone needs the reference reader.

    `chunk`: episodes per query of each range reader; `case_mix`: the builder also tallies case-mix cells.
    """
    plan = bulk_plan(as_of, service_code, area_code, filters=filters, case_mix=case_mix)
    if plan is None:
        return None
    with _collector_paused():
        return _bulk_build(plan, workers, chunk)


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


def _bulk_build(plan: BulkPlan, workers: int | None, chunk: int = BULK_CHUNK) -> SummaryBuilder:
    builder = SummaryBuilder(plan.as_of, case_mix=plan.case_mix)
    cursor = _cursor(db.session.connection().connection, plan)
    cursor.execute(*_bounds_sql(plan))
    low, high = cursor.fetchone()
    if low is None:
        return builder
    count = _worker_count(workers, plan, high - low + 1)
    ranges = _ranges(low, high + 1, count)
    if count > 1:
        with multiprocessing.get_context("fork").Pool(count, initializer=_start_worker, initargs=(plan, chunk)) as pool:
            parts = pool.imap_unordered(_worker_task, ranges)
            load_libraries()  # scipy.special for `result`, while the workers read
            for part in parts:
                builder.merge(part)
    else:
        reader = RangeReader(plan, cursor, transaction=True, chunk=chunk)
        for bounds in ranges:
            builder.merge(reader.read(*bounds))
    return builder


def bulk_plan(
    as_of: date,
    service_code: str | None,
    area_code: str | None,
    *,
    filters: EpisodeFilters = NO_FILTERS,
    case_mix: bool = False,
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
        case_mix,
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


def _start_worker(plan: BulkPlan, chunk: int = BULK_CHUNK) -> None:
    global _reader, _connection
    gc.disable()  # see _collector_paused
    _connection = create_engine(plan.url, poolclass=NullPool).raw_connection()
    _reader = RangeReader(plan, _cursor(_connection, plan), chunk=chunk)


def _cursor(connection: Any, plan: BulkPlan) -> Any:
    """A DBAPI cursor for the bulk reader: on PostgreSQL in binary format, so that the integers
    (most of what it reads) are neither written nor parsed as text."""
    return connection.cursor(binary=True) if plan.dialect == "postgresql" else connection.cursor()


def _worker_task(bounds: tuple[int, int]) -> SummaryBuilder:
    assert _reader is not None
    return _reader.read(*bounds)
