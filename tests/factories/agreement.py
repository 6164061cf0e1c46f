"""A completed telephone-assessment sample beside the releasable cohort (SPEC 8.4). Synthetic data only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Final

from sqlalchemy import select

from app.extensions import db
from app.models import AssessmentCall, AssessmentSample, CallStatus, Client, Episode
from tests.factories.cohorts import AS_OF, seed_releasable

INTERVIEWED: Final = date(2026, 10, 15)
#: The 2x2 table of `seed_agreement` for all services: a, b, c, d.
TABLE: Final = {"both_recovered": 8, "text_only": 1, "assessor_only": 1, "neither": 1}
CALLS: Final = {"sampled": 15, "reached": 11, "declined": 1, "not_reached": 1, "to_call": 2, "answers_withdrawn": 0}


def episode_of(ref: str) -> Episode:
    return db.session.scalars(select(Episode).join(Client).where(Client.client_ref == ref)).one()


def add_call(
    sample: AssessmentSample,
    ref: str,
    status: CallStatus,
    *,
    recovered: bool | None = None,
    interview_date: date = INTERVIEWED,
    text_category: str = "durably_recovered",
) -> AssessmentCall:
    """A call of `ref`'s episode; reached calls record an interview, recovered by the assessor or not."""
    call = AssessmentCall(sample=sample, episode_id=episode_of(ref).id, text_category=text_category, status=status)
    if status == CallStatus.REACHED:
        call.interview_date = interview_date
        call.global_change = "much_better" if recovered else "same"
        call.still_meets_criteria = "no" if recovered else "partly"
        call.criteria_since = date(2026, 4, 1)
        call.usual_self = "yes" if recovered else "mostly"
        call.recorded_at = datetime.combine(interview_date, datetime.min.time(), tzinfo=UTC)
    db.session.add(call)
    return call


def seed_agreement() -> AssessmentSample:
    """TYNE's 12 (10 durably recovered by text) and MERSEY's 3 (none), and a sample of 15 calls as of AS_OF.

    Reached by AS_OF: T00-T07 recovered by the assessor too (a = 8), T08 not (b = 1); M0 recovered by the
    assessor only (c = 1), M1 by neither (d = 1). T09 declined, T11 not reached, M2 still to call, and T10
    interviewed after AS_OF (still to call as of AS_OF).
    """
    seed_releasable()
    sample = AssessmentSample(created_by="test", as_of=AS_OF, size=15, seed=1)
    db.session.add(sample)
    for i in range(8):
        add_call(sample, f"T{i:02d}", CallStatus.REACHED, recovered=True)
    add_call(sample, "T08", CallStatus.REACHED, recovered=False)
    add_call(sample, "T09", CallStatus.DECLINED)
    add_call(sample, "T10", CallStatus.REACHED, recovered=True, interview_date=date(2026, 11, 5))
    add_call(sample, "T11", CallStatus.NOT_REACHED, text_category="no_response")
    add_call(sample, "M0", CallStatus.REACHED, recovered=True, text_category="unchanged")
    add_call(sample, "M1", CallStatus.REACHED, recovered=False, text_category="unchanged")
    add_call(sample, "M2", CallStatus.TO_CALL, text_category="unchanged")
    db.session.commit()
    return sample
