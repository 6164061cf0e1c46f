"""Drawing a sample for the telephone assessment (`flask assessment sample`, SPEC 8.4).

Who can be drawn, as of the sample's date A: an eligible episode (SPEC 4 categories 1-8) with at least one
answered check-in (so categories 1-5: durably recovered, relapsed, improved, unchanged, worse), whose client
agreed to a call, has a phone number still held, has not opted out, and whose contact has not been stopped
nor answers withdrawn; and no client already in an earlier sample (a person is called once).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, select

from app.domain import assessment as rules
from app.domain.outcomes import ANSWERED, CATEGORIES
from app.extensions import db
from app.models import AssessmentCall, AssessmentSample, CallStatus, Client, Episode, Service
from app.services import audit, contact
from app.services.errors import ServiceError
from app.services.organisation import get_service


class SampleRefused(ServiceError):
    """A sample that cannot be drawn as asked."""


@dataclass(frozen=True)
class Stratum:
    """One stratum of a draw: a service and a texted outcome category, how many could be drawn, how many were."""

    service_code: str
    category: str
    eligible: int
    drawn: int


@dataclass(frozen=True)
class DrawnSample:
    """What `draw_sample` stored: the sample's id and seed, and its strata."""

    sample_id: int
    as_of: date
    size: int
    seed: int
    service_code: str | None
    strata: list[Stratum] = field(default_factory=list)

    @property
    def drawn(self) -> int:
        return sum(stratum.drawn for stratum in self.strata)

    @property
    def eligible(self) -> int:
        return sum(stratum.eligible for stratum in self.strata)

    def as_dict(self) -> dict[str, object]:
        return {
            "sample_id": self.sample_id,
            "as_of": self.as_of.isoformat(),
            "size": self.size,
            "seed": self.seed,
            "service": self.service_code,
            "eligible": self.eligible,
            "drawn": self.drawn,
            "strata": [
                {"service": s.service_code, "category": s.category, "eligible": s.eligible, "drawn": s.drawn}
                for s in self.strata
            ],
        }


def draw_sample(
    as_of: date,
    size: int,
    *,
    seed: int | None,
    service_code: str | None,
    actor: str,
    now: datetime,
    progress: Callable[[str], None] | None = None,
) -> DrawnSample:
    """Draw and store a stratified random sample of the episodes that may be called (see the module)."""
    from app.services import statistics  # numpy and friends load only when a sample is drawn

    statistics.refuse_future_as_of(as_of, now)
    if size < 1:
        raise SampleRefused(f"the sample size must be at least 1, not {size}")
    if seed is not None and not 0 <= seed <= rules.SEED_MAX:
        raise SampleRefused(f"the seed must be a whole number from 0 to {rules.SEED_MAX}, not {seed}")
    service = get_service(service_code) if service_code else None
    chosen_seed = seed if seed is not None else rules.fresh_seed()
    if progress:
        progress(f"reading the episodes that may be called as of {as_of.isoformat()}...")
    strata = _strata(as_of, service)
    codes = dict(db.session.execute(select(Service.id, Service.code)).all())
    order = sorted(strata, key=lambda key: (codes[key[0]], CATEGORIES.index(key[1])))
    if not order:
        raise SampleRefused(
            f"no episode may be called as of {as_of.isoformat()}"
            + (f" in service {service_code}" if service_code else "")
            + ": none has consent to a call, an answered check-in and a phone number held, outside earlier samples"
        )
    drawn = rules.draw(strata, size, chosen_seed, order, group=lambda key: key[1])  # every category
    sample = AssessmentSample(
        created_at=now,
        created_by=actor,
        as_of=as_of,
        size=size,
        seed=chosen_seed,
        service_id=service.id if service else None,
    )
    db.session.add(sample)
    db.session.flush()
    category_of = {episode_id: key[1] for key, ids in drawn.items() for episode_id in ids}
    for episode_id in rules.call_order(drawn, chosen_seed):  # blinding: ids and list order hide the strata
        db.session.add(
            AssessmentCall(
                sample_id=sample.id,
                episode_id=episode_id,
                text_category=category_of[episode_id],
                status=CallStatus.TO_CALL.value,
                attempts=0,
            )
        )
        db.session.flush()  # one at a time, so the ids follow the random order
    result = DrawnSample(
        sample.id,
        as_of,
        size,
        chosen_seed,
        service_code,
        [Stratum(codes[key[0]], key[1], len(strata[key]), len(drawn.get(key, []))) for key in order],
    )
    audit.record(
        actor,
        "assessment.sample",
        now,
        subject=f"assessment_sample:{sample.id}",
        as_of=as_of.isoformat(),
        size=size,
        seed=chosen_seed,
        service=service_code,
        eligible=result.eligible,
        drawn=result.drawn,
    )
    db.session.commit()
    return result


def _strata(as_of: date, service: Service | None) -> dict[tuple[int, str], list[int]]:
    """(service id, texted category) -> the ids of the episodes that may be drawn, ascending."""
    from app.services import statistics

    earlier = select(Episode.client_id).join(AssessmentCall, AssessmentCall.episode_id == Episode.id)
    conditions: list[ColumnElement[bool]] = [
        Episode.consent.is_(True),
        Episode.consent_to_call.is_(True),
        Episode.contact_stopped_at.is_(None),
        Episode.answers_withdrawn_at.is_(None),
        Episode.client_id.in_(
            select(Client.id).where(Client.contact_erased_at.is_(None), Client.phone_enc.is_not(None))
        ),
        Episode.client_id.not_in(earlier),
    ]
    if service is not None:
        conditions.append(Episode.service_id == service.id)
    clients = dict(
        db.session.execute(
            select(Episode.id, Episode.client_id).where(Episode.discharge_date <= as_of, *conditions)
        ).all()
    )
    opted_out = contact.opted_out_clients(clients.values())
    strata: dict[tuple[int, str], list[int]] = {}
    seen_clients: set[int] = set()
    for episode_id, service_id, category in statistics.episode_categories(as_of, conditions):
        client_id = clients[episode_id]
        if category not in ANSWERED or client_id in opted_out or client_id in seen_clients:
            continue
        seen_clients.add(client_id)  # in id order: a client's first episode that may be drawn stands for them
        strata.setdefault((service_id, category), []).append(episode_id)
    return strata
