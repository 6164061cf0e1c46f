"""The demo's telephone assessment: `demo seed` makes an assessor and consent to calls, and a simulation
that reaches today draws one sample, records most of its calls and leaves a few for the demo assessor to
make (SPEC 8.4); the evaluator's dashboard shows the agreement figures."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AssessmentCall, AssessmentSample, Episode, Role, User
from app.services.demo import assessing, simulation
from app.services.demo import seeding as demo
from app.services.statistics import dashboard
from tests.web.sign_in import light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_the_demo_seeds_an_assessor_and_a_sample_with_calls_left_to_make(app):
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
    assert statuses.get("reached", 0) > sum(statuses.values()) / 2
    assert statuses["to_call"] == report.assessment_to_call == assessing.OPEN_CALLS
    calls = db.session.scalars(select(AssessmentCall).order_by(AssessmentCall.id)).all()
    open_calls = [call for call in calls if call.status == "to_call"]
    assert open_calls == calls[-assessing.OPEN_CALLS :]  # the last in (random) call order: deterministic
    assessor = db.session.scalar(select(User.id).where(User.email == "assessor@example.org"))
    tried = [call for call in open_calls if call.attempts]
    assert [(call.attempts, call.assessor_id) for call in tried] == [(1, assessor)] * assessing.TRIED_ONCE
    assert tried[0].next_try_at is not None and tried[0].next_try_at <= NOW  # due again now
    assert tried[1].next_try_at is not None and tried[1].next_try_at > NOW  # tomorrow
    untouched = [call for call in open_calls if not call.attempts]
    assert len(untouched) == 6 and all(call.assessor_id is None and call.next_try_at is None for call in untouched)
    interviews = db.session.scalars(select(AssessmentCall).where(AssessmentCall.status == "reached")).all()
    assert all(call.interview_date and call.global_change and call.usual_self for call in interviews)
    assert all(call.criteria_since for call in interviews if call.still_meets_criteria != "yes")
    again = simulation.simulate(until=NOW, actor="test", now=NOW)
    assert again.nothing_to_do and db.session.scalar(select(func.count()).select_from(AssessmentSample)) == 1

    # The evaluator's dashboard shows the agreement figures, and the calls still to make beside them.
    dashboard.clear_cache()
    client = app.test_client()
    sign_in(client, make_user(Role.EVALUATOR, "demo.check@example.org"))
    page = client.get(f"/evaluate?as_of={NOW.date().isoformat()}").get_data(as_text=True)
    panel = " ".join(re.sub(r"<[^>]+>", " ", page.split('<h2 id="agreement">')[1].split("<h2 ")[0]).split())
    assert re.search(r"Percent agreement \d+ \d+ \d+\.\d%", panel), panel
    assert "Cohen's kappa" in panel
    reached, declined, lost = (statuses.get(key, 0) for key in ("reached", "declined", "not_reached"))
    assert f"{reached} interviewed, {declined} declined, {lost} not reached, 8 still to call" in panel, panel
