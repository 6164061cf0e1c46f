"""`stats agreement`: the texts beside the blind telephone assessor, as of a date (SPEC 8.4).

The pairs are the calls reached with an interview on or before A whose episode is in scope. The text
side is the episode's section 4 category as of A (the reference reader `stats summary` falls back on:
`identified_episode_facts` through `classify_episode`); the assessor side is
`assessor_durably_recovered`. The corrected figure corrects the scope's ITT durable recovery from the
same summary `stats summary` prints. The pure arithmetic is `app.domain.agreement`.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Final, TypedDict, Unpack

from sqlalchemy import select

from app.domain.agreement import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    assessor_durably_recovered,
    pairs_for_interval,
    publish_agreement,
)
from app.domain.agreement import agreement as agreement_figures
from app.domain.outcomes import classify_episode, problem_group
from app.extensions import db
from app.models import AssessmentCall, AssessmentSample, CallStatus, Episode, Service
from app.services import audit
from app.services.statistics import facts
from app.services.statistics.as_of import refuse_future_as_of
from app.services.statistics.scope import EpisodeFilters, _scope_filters, _scope_name
from app.services.statistics.summaries import identified_episode_facts

__all__ = ["AgreementOptions", "agreement", "call_counts", "sample_size_guidance"]

#: The `calls` object: every sampled call in scope, by what became of it as of A.
CALL_KEYS = ("sampled", "reached", "declined", "not_reached", "to_call", "answers_withdrawn")


class AgreementOptions(TypedDict, total=False):
    """What `agreement` takes beside the date, each optional.

    `service_code` or `area_code` narrow the scope, and `problem_group`, `discharged_from` and `discharged_to`
    the episodes in it (as the dashboard's filters); `seed` and `resamples` set the bootstrap; `itt`: the
    scope's ITT durable-recovery RATE when the caller has the summary already (a release does), else it
    is read as `stats summary` reads it; `published`: disclosure-controlled; `actor` and `now`, both
    given: the request is audited, and `now` refuses an as-of after today.
    """

    service_code: str | None
    area_code: str | None
    problem_group: str | None
    discharged_from: date | None
    discharged_to: date | None
    seed: int
    resamples: int
    itt: dict[str, Any] | None
    published: bool
    actor: str | None
    now: datetime | None


#: Episode ids per `IN (...)` when the sampled episodes are read by id.
EPISODE_CHUNK: Final = 500


def _in_chunks(ids: list[int]) -> Iterator[list[int]]:
    """`ids` a chunk at a time (`EPISODE_CHUNK`), so no `IN (...)` outgrows a database's bound parameters."""
    for start in range(0, len(ids), EPISODE_CHUNK):
        yield ids[start : start + EPISODE_CHUNK]


def _calls_in_scope(as_of: date, scope: list[Any], group: str | None) -> list[AssessmentCall]:
    """The calls of samples drawn as of A or earlier whose episode is in scope, in id order.

    Two small queries rather than one join: the calls first (a few thousand at most), then their episodes
    by id. In one join a planner may start from the million episodes (SQLite does when the assessment
    tables are newer than its statistics: 8 s a dashboard view at 1,000,000 episodes, bench/README.md).
    The problem group is matched here, on the few sampled episodes, rather than as SQL over every stored
    descriptor."""
    calls = list(
        db.session.scalars(
            select(AssessmentCall)
            .join(AssessmentSample, AssessmentSample.id == AssessmentCall.sample_id)
            .where(AssessmentSample.as_of <= as_of)
            .order_by(AssessmentCall.id)
        )
    )
    ids = sorted({call.episode_id for call in calls})
    in_scope: set[int] = set()
    for chunk in _in_chunks(ids):
        query = (
            select(Episode.id, Episode.problem_descriptor)
            .join(Service, Service.id == Episode.service_id)
            .where(Episode.id.in_(chunk), Episode.discharge_date <= as_of, *scope)
        )
        in_scope.update(
            episode_id
            for episode_id, descriptor in db.session.execute(query)
            if group is None or problem_group(descriptor) == group
        )
    return [call for call in calls if call.episode_id in in_scope]


def _interviewed(call: AssessmentCall, as_of: date) -> bool:
    return call.status == CallStatus.REACHED and call.interview_date is not None and call.interview_date <= as_of


def call_counts(calls: list[AssessmentCall], as_of: date, withdrawn: int) -> dict[str, int]:
    """How many calls were sampled and what became of them by A: reached (interviewed on or before A),
    declined, not reached, still to call (an interview after A counts here), and the reached whose
    answers were withdrawn since (left out of the pairs)."""
    by_status = Counter(call.status for call in calls if not _interviewed(call, as_of))
    reached = sum(_interviewed(call, as_of) for call in calls)
    declined, not_reached = by_status[CallStatus.DECLINED], by_status[CallStatus.NOT_REACHED]
    return {
        "sampled": len(calls),
        "reached": reached,
        "declined": declined,
        "not_reached": not_reached,
        "to_call": len(calls) - reached - declined - not_reached,
        "answers_withdrawn": withdrawn,
    }


def _pairs(calls: list[AssessmentCall], as_of: date) -> tuple[list[tuple[bool, bool]], int]:
    """(text-based, assessor) durable recovery of each interview by A, and how many were left out because
    the episode has no consented answers as of A (withdrawn since the sample was drawn)."""
    interviews = {call.episode_id: call for call in calls if _interviewed(call, as_of)}
    if not interviews:
        return [], 0
    pairs: list[tuple[bool, bool]] = []
    withdrawn = 0
    read = (identified_episode_facts([Episode.id.in_(chunk)]) for chunk in _in_chunks(sorted(interviews)))
    for episode_id, _, episode in itertools.chain.from_iterable(read):
        category = classify_episode(episode, as_of)
        if category is None:
            withdrawn += 1
            continue
        call = interviews[episode_id]
        assessor = assessor_durably_recovered(
            problem_group(episode.problem_descriptor),
            call.interview_date,  # type: ignore[arg-type]  # set: _interviewed
            call.still_meets_criteria,
            call.criteria_since,
            call.usual_self,
        )
        pairs.append((category == "durably_recovered", assessor))
    return pairs, withdrawn


def agreement(as_of: date, **options: Unpack[AgreementOptions]) -> dict[str, Any]:
    """SPEC 8.4's agreement figures for a scope as of a date, with the `calls` behind the pairs."""
    unknown = sorted(options.keys() - AgreementOptions.__optional_keys__)
    if unknown:
        raise TypeError(f"agreement() got an unexpected keyword argument {unknown[0]!r}")
    service_code, area_code, now = options.get("service_code"), options.get("area_code"), options.get("now")
    if now is not None:
        refuse_future_as_of(as_of, now)
    filters = EpisodeFilters(options.get("problem_group"), options.get("discharged_from"), options.get("discharged_to"))
    dates = EpisodeFilters(None, filters.discharged_from, filters.discharged_to)
    scope = _scope_filters(service_code, area_code, dates)  # NotFound for an unknown service or area
    calls = _calls_in_scope(as_of, scope, filters.problem_group)
    pairs, withdrawn = _pairs(calls, as_of)
    itt = options.get("itt")
    if itt is None:
        summary = facts.summary(
            as_of,
            service_code=service_code,
            area_code=area_code,
            problem_group=filters.problem_group,
            discharged_from=filters.discharged_from,
            discharged_to=filters.discharged_to,
        )
        itt = summary["durable_recovery"]["itt"]
    result = agreement_figures(
        pairs,
        itt["numerator"],
        itt["denominator"],
        seed=options.get("seed", DEFAULT_SEED),
        resamples=options.get("resamples", DEFAULT_RESAMPLES),
    )
    result = {"as_of": as_of.isoformat(), **result, "calls": call_counts(calls, as_of, withdrawn)}
    published, actor = options.get("published", False), options.get("actor")
    if actor is not None and now is not None:
        audit.record(
            actor,
            "stats.agreement",
            now,
            subject=_scope_name(service_code, area_code),
            as_of=as_of.isoformat(),
            published=published,
            **filters.audit_detail(),
        )
        db.session.commit()
    if not published:
        return result
    return {"as_of": result["as_of"], **publish_agreement(result)}


#: The dashboard's worked example of how many pairs a useful interval needs.
EXAMPLE: Final = {"sensitivity": 0.85, "specificity": 0.9, "recovery": 0.4, "eligible": 1000}


def sample_size_guidance(figures: dict[str, Any]) -> dict[str, Any]:
    """How many pairs give the corrected figure a 95% interval of +/- 10 (and 5) percentage points: for the
    worked example (EXAMPLE), and for this scope's own sensitivity, specificity, corrected rate and eligible
    episodes when they allow it (None otherwise). Delta method (`pairs_for_interval`)."""
    example = {
        f"pairs_{points}": pairs_for_interval(
            EXAMPLE["sensitivity"], EXAMPLE["specificity"], EXAMPLE["recovery"], int(EXAMPLE["eligible"]), points / 100
        )
        for points in (10, 5)
    }
    scope: dict[str, Any] | None = None
    sensitivity, specificity = figures["sensitivity"]["rate"], figures["specificity"]["rate"]
    corrected = figures["corrected_itt_durable_recovery"]["estimate"]
    eligible = figures["itt_durable_recovery"]["denominator"]
    if sensitivity is not None and specificity is not None and corrected is not None:
        scope = {
            f"pairs_{points}": pairs_for_interval(sensitivity, specificity, corrected, eligible, points / 100)
            for points in (10, 5)
        }
    return {**EXAMPLE, **example, "scope": scope}
