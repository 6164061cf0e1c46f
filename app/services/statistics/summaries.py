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

This module is the public face (`from app.services.statistics.summaries import ...`): the summary API, its options,
`case_mix_tally` (the case-mix cells `stats compare` fits, SPEC 8.1, through either reader) and the reference
reader. The rest lives beside it and is re-exported here:

- `statistics_scope`: `EpisodeFilters` and the scope as SQLAlchemy conditions (both readers);
- `statistics_bulk`: `bulk_plan`, `bulk_summary_builder` and the worker processes;
- `statistics_reader`: `RangeReader`, the bulk reader of one id range (numpy);
- `statistics_sql`: `BulkPlan` and the bulk reader's statements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Literal, TypedDict, Unpack, cast
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from app.domain.comparison.cells import CaseMixTally
from app.domain.disclosure import publish
from app.domain.outcomes import Answer, Category, CheckInFacts, EpisodeFacts, classify_episode
from app.domain.statistics import SummaryBuilder
from app.domain.survival import Curve
from app.extensions import db
from app.models import Area, CheckIn, CheckInStatus, Client, ContactPoint, Episode, OptEvent, Service
from app.services import audit
from app.services.statistics.as_of import refuse_future_as_of
from app.services.statistics.bulk import PARALLEL_MIN, TASK_SPAN, bulk_plan, bulk_summary_builder, day_start_utc
from app.services.statistics.reader import BULK_CHUNK, RangeReader
from app.services.statistics.scope import NO_FILTERS, EpisodeFilters, _scope_name, descriptors_in_group
from app.services.statistics.scope import _scope_filters as _scope_filters  # re-exported for the equivalence test
from app.services.statistics.sql import BulkPlan

__all__ = [
    "BULK_CHUNK",
    "CHUNK",
    "NO_FILTERS",
    "PARALLEL_MIN",
    "TASK_SPAN",
    "BulkPlan",
    "EpisodeFilters",
    "OptKind",
    "RangeReader",
    "SummaryOptions",
    "bulk_plan",
    "bulk_summary_builder",
    "case_mix_tally",
    "day_start_utc",
    "descriptors_in_group",
    "episode_categories",
    "episode_facts",
    "finish_summary",
    "identified_episode_facts",
    "summary",
    "summary_and_curve",
]

OptKind = Literal["opt_out", "resume"]
CHUNK = 20_000


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
) -> tuple[dict[str, Any], Curve]:
    """`summary` and, beside it, the steps of the wellness Kaplan-Meier curve with its numbers at risk
    (empty without `with_curve`)."""
    unknown = sorted(options.keys() - SummaryOptions.__optional_keys__)
    if unknown:
        raise TypeError(f"summary_and_curve() got an unexpected keyword argument {unknown[0]!r}")
    service_code, area_code, workers = options.get("service_code"), options.get("area_code"), options.get("workers")
    filters = EpisodeFilters(options.get("problem_group"), options.get("discharged_from"), options.get("discharged_to"))
    now = options.get("now")
    if now is not None:  # a request from an edge (CLI, API): never for a day after today
        refuse_future_as_of(as_of, now)
    # BULK_CHUNK is read here, at call time, so that setting this module's BULK_CHUNK (tests do) reaches the reader
    builder = bulk_summary_builder(as_of, service_code, area_code, workers, filters=filters, chunk=BULK_CHUNK)
    if builder is None:
        builder = SummaryBuilder(as_of)
        for facts in episode_facts(as_of, _scope_filters(service_code, area_code, filters)):
            builder.add(facts)
    result = builder.result()
    curve = builder.wellness_curve() if with_curve else Curve()
    return finish_summary(result, as_of, options), curve


def finish_summary(result: dict[str, Any], as_of: date, options: SummaryOptions) -> dict[str, Any]:
    """A computed summary as `summary` returns it: the request audited when `actor` and `now` are given,
    disclosure-controlled with `published`."""
    published, actor, now = options.get("published", False), options.get("actor"), options.get("now")
    if actor is not None and now is not None:
        filters = EpisodeFilters(
            options.get("problem_group"), options.get("discharged_from"), options.get("discharged_to")
        )
        audit.record(
            actor,
            "stats.summary",
            now,
            subject=_scope_name(options.get("service_code"), options.get("area_code")),
            as_of=as_of.isoformat(),
            published=published,
            **filters.audit_detail(),
        )
        db.session.commit()
    return publish(result) if published else result


def case_mix_tally(as_of: date, *, area_code: str | None = None, workers: int | None = None) -> CaseMixTally:
    """Every episode in scope as of A (all services, or an area's) counted in its case-mix cell (SPEC 8.1):
    what `stats compare` fits its regression to. The bulk reader when it can, the reference reader otherwise,
    as `summary`; `workers` as in `SummaryOptions`."""
    builder = bulk_summary_builder(as_of, None, area_code, workers, chunk=BULK_CHUNK, case_mix=True)
    if builder is None:
        builder = SummaryBuilder(as_of, case_mix=True)
        for facts in episode_facts(as_of, _scope_filters(None, area_code, NO_FILTERS)):
            builder.add(facts)
    return builder.case_mix()


def episode_facts(as_of: date, scope: list[Any]) -> Iterator[EpisodeFacts]:
    """Every episode in scope discharged on or before `as_of`, with its check-ins, in id order."""
    for _, _, facts in identified_episode_facts([Episode.discharge_date <= as_of, *scope]):
        yield facts


def episode_categories(as_of: date, conditions: list[Any]) -> Iterator[tuple[int, int, Category]]:
    """(episode id, service id, SPEC 4 category as of A) of every consented episode discharged on or before A
    that meets `conditions` (on Episode, Service, Area), in id order: the per-episode reading of the figures."""
    for episode_id, service_id, facts in identified_episode_facts([Episode.discharge_date <= as_of, *conditions]):
        category = classify_episode(facts, as_of)
        if category is not None:
            yield episode_id, service_id, category


def identified_episode_facts(conditions: list[Any]) -> Iterator[tuple[int, int, EpisodeFacts]]:
    """(episode id, service id, facts) of every episode meeting `conditions` (on Episode, Service, Area),
    whatever its discharge date, with its check-ins, in id order."""
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
            Episode.intensity,
            Episode.age_band,
            Episode.sex,
            Episode.imd_decile,
            Episode.service_id,
        )
        .join(Service, Service.id == Episode.service_id)
        .join(Area, Area.id == Service.area_id)
        .where(*conditions)
    )
    bounds = db.session.execute(
        select(func.min(Episode.id), func.max(Episode.id))
        .join(Service, Service.id == Episode.service_id)
        .join(Area, Area.id == Service.area_id)
        .where(*conditions)
    ).one()
    if bounds[0] is None:
        return
    zones: dict[str, ZoneInfo] = {}
    for low in range(bounds[0], bounds[1] + 1, CHUNK):
        high = low + CHUNK
        episodes = db.session.execute(base.where(Episode.id >= low, Episode.id < high).order_by(Episode.id)).all()
        if not episodes:
            continue
        # A few episodes of a wide id range (the outcome facts' pending ones): their own check-ins only.
        few = [row[0] for row in episodes] if len(episodes) < CHUNK // 20 else None
        check_ins = _check_ins_by_episode(low, high, few)
        opt_events = _opt_events_by_client({row[1] for row in episodes})
        for row in episodes:
            zone = zones.setdefault(row[4], ZoneInfo(row[4]))
            facts = EpisodeFacts(
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
                intensity=row[16],
                age_band=row[17],
                sex=row[18],
                imd_decile=row[19],
            )
            yield row[0], row[20], facts


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


def _check_ins_by_episode(low: int, high: int, episode_ids: list[int] | None = None) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    query = select(*_CHECK_IN_COLUMNS).where(CheckIn.episode_id >= low, CheckIn.episode_id < high)
    if episode_ids is not None:
        query = query.where(CheckIn.episode_id.in_(episode_ids))
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
