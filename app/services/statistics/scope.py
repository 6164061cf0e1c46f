"""The scope of a statistics request: service, area and `EpisodeFilters`, as SQLAlchemy conditions.

Split from `app.services.statistics.summaries` (which re-exports these names) because both readers need it: the
reference reader (`episode_facts`, in the facade) takes `_scope_filters`, and the bulk plan
(`app.services.statistics.bulk.bulk_plan`) turns the same filters into SQL parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from sqlalchemy import select

from app.domain.outcomes import PROBLEM_GROUPS, problem_group
from app.extensions import db
from app.models import Episode, Service
from app.services.organisation import get_area, get_service


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
