"""The demo's telephone assessment: `demo seed` makes an assessor and consent to calls, and a simulation
that reaches today draws one sample and records its calls (SPEC 8.4)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import AssessmentCall, AssessmentSample, Episode, Role, User
from app.services.demo import seeding as demo
from app.services.demo import simulation

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_the_demo_seeds_an_assessor_and_a_completed_sample(app):
    accounts = demo.seed(actor="test", now=NOW, today=NOW.date(), clients_per_service=20)
    assert [a.email for a in accounts if a.role == Role.ASSESSOR.value] == ["assessor@example.org"]
    assert db.session.scalar(select(User.role).where(User.email == "assessor@example.org")) == "assessor"
    consenting = db.session.scalar(select(func.count()).select_from(Episode).where(Episode.consent.is_(True)))
    calling = db.session.scalar(select(func.count()).select_from(Episode).where(Episode.consent_to_call.is_(True)))
    assert consenting and 0.2 < calling / consenting < 0.45
    assert not db.session.scalar(
        select(func.count()).select_from(Episode).where(Episode.consent.is_(False), Episode.consent_to_call.is_(True))
    )
    report = simulation.simulate(until=NOW, actor="test", now=NOW)
    sample = db.session.scalars(select(AssessmentSample)).one()
    assert sample.seed == 2026
    statuses = dict(
        db.session.execute(select(AssessmentCall.status, func.count()).group_by(AssessmentCall.status)).all()
    )
    assert statuses.get("reached", 0) == report.assessment_interviews > 0
    assert statuses.get("reached", 0) > sum(statuses.values()) / 2 and "to_call" not in statuses
    interviews = db.session.scalars(select(AssessmentCall).where(AssessmentCall.status == "reached")).all()
    assert all(call.interview_date and call.global_change and call.usual_self for call in interviews)
    assert all(call.criteria_since for call in interviews if call.still_meets_criteria != "yes")
    again = simulation.simulate(until=NOW, actor="test", now=NOW)
    assert again.nothing_to_do and db.session.scalar(select(func.count()).select_from(AssessmentSample)) == 1
