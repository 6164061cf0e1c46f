"""Durable-recovery statistics from the database: stream episodes into the pure methodology.

No ORM object per row: episodes and their check-ins are read in id ranges with Core selects,
turned into `EpisodeFacts` (dates local to each service) and fed to `SummaryBuilder`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from app.domain.disclosure import publish
from app.domain.outcomes import Answer, CheckInFacts, EpisodeFacts
from app.domain.statistics import SummaryBuilder
from app.extensions import db
from app.models import Area, CheckIn, CheckInStatus, Client, ContactPoint, Episode, OptEvent, Service
from app.services import audit
from app.services.organisation import get_area, get_service

CHUNK = 20_000


def summary(
    as_of: date,
    *,
    service_code: str | None = None,
    area_code: str | None = None,
    published: bool = False,
    actor: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The SPEC section 5 summary for a scope as of a date; with `published`, disclosure-controlled."""
    scope = _scope_filters(service_code, area_code)
    builder = SummaryBuilder(as_of)
    for facts in episode_facts(as_of, scope):
        builder.add(facts)
    result = builder.result()
    if actor is not None and now is not None:
        audit.record(actor, "stats.summary", now, subject=_scope_name(service_code, area_code),
                     as_of=as_of.isoformat(), published=published)
        db.session.commit()
    return publish(result) if published else result


def _scope_name(service_code: str | None, area_code: str | None) -> str:
    if service_code:
        return f"service:{service_code}"
    if area_code:
        return f"area:{area_code}"
    return "all"


def _scope_filters(service_code: str | None, area_code: str | None) -> list[Any]:
    filters: list[Any] = []
    if service_code:
        filters.append(Episode.service_id == get_service(service_code).id)
    if area_code:
        filters.append(Service.area_id == get_area(area_code).id)
    return filters


def episode_facts(as_of: date, scope: list[Any]) -> Iterator[EpisodeFacts]:
    """Every episode in scope discharged on or before `as_of`, with its check-ins, in id order."""
    base = (
        select(
            Episode.id, Episode.client_id, Service.code, Area.code, Service.timezone, Episode.referral_date,
            Episode.discharge_date, Episode.treatment_sessions, Episode.problem_descriptor, Episode.consent,
            Episode.assessment_date, Episode.first_treatment_date, Episode.phq9_first, Episode.phq9_last,
            Episode.gad7_first, Episode.gad7_last,
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
                opt_events=tuple((_local(at, zone), kind) for at, kind in opt_events.get(row[1], ())),
                check_ins=tuple(_check_in_facts(values, zone) for values in check_ins.get(row[0], ())),
            )


_CHECK_IN_COLUMNS = (
    CheckIn.episode_id, CheckIn.offset_weeks, CheckIn.due_at, CheckIn.status, CheckIn.first_sent_at,
    CheckIn.closed_at, CheckIn.close_reason, CheckIn.change, CheckIn.change_at, CheckIn.duration_start,
    CheckIn.duration_at, CheckIn.usual_self, CheckIn.usual_self_at,
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
        .join(ContactPoint, or_(ContactPoint.contact_hash == Client.phone_hash, ContactPoint.contact_hash == Client.email_hash))
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
    (_, offset, due_at, status, first_sent_at, closed_at, close_reason, change, change_at, duration_start,
     duration_at, usual_self, usual_self_at) = values
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
