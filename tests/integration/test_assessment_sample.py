"""`flask assessment sample` and the service behind it, on SQLite and PostgreSQL (SPEC 8.4)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AssessmentCall, AssessmentSample, AuditEvent, Client, Episode
from app.services.assessment import SampleRefused, draw_sample
from app.services.errors import NotFound
from app.services.statistics import AsOfAfterToday
from tests.factories.assessment import AS_OF, CALLABLE, assessment_cohort

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def drawn_refs() -> dict[str, str]:
    query = (
        select(Client.client_ref, AssessmentCall.text_category)
        .join(Episode, Episode.id == AssessmentCall.episode_id)
        .join(Client, Client.id == Episode.client_id)
    )
    return dict(db.session.execute(query).all())


def test_a_sample_covers_every_stratum_and_only_clients_who_may_be_called(app):
    assessment_cohort()
    result = draw_sample(AS_OF, 10, seed=7, service_code=None, actor="test", now=NOW)
    assert drawn_refs() == {
        "A-0001": "durably_recovered",
        "A-0002": "improved",
        "A-0003": "unchanged",
        "A-0004": "worse",
    }
    assert set(drawn_refs()) == set(CALLABLE)
    assert (result.drawn, result.eligible, result.seed) == (4, 4, 7)
    assert [(s.service_code, s.category, s.eligible, s.drawn) for s in result.strata] == [
        ("TYNE", "durably_recovered", 1, 1),
        ("TYNE", "improved", 1, 1),
        ("TYNE", "unchanged", 1, 1),
        ("TYNE", "worse", 1, 1),
    ]
    sample = db.session.scalars(select(AssessmentSample)).one()
    assert (sample.seed, sample.size, sample.as_of, sample.created_by) == (7, 10, AS_OF, "test")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "assessment.sample")).one()
    assert json.loads(event.detail or "{}")["drawn"] == 4


def test_an_earlier_sample_s_clients_are_never_drawn_again(app):
    assessment_cohort()
    draw_sample(AS_OF, 2, seed=1, service_code=None, actor="test", now=NOW)
    first = set(drawn_refs())
    second = draw_sample(AS_OF, 10, seed=1, service_code=None, actor="test", now=NOW)
    assert second.drawn == 2 and set(drawn_refs()) == set(CALLABLE) and len(first) == 2
    with pytest.raises(SampleRefused, match="no episode may be called"):
        draw_sample(AS_OF, 1, seed=1, service_code=None, actor="test", now=NOW)


def test_the_same_seed_and_data_give_the_same_sample(app):
    assessment_cohort()
    draws = []
    for _ in range(2):
        draw_sample(AS_OF, 2, seed=12345, service_code=None, actor="test", now=NOW)
        draws.append(drawn_refs())
        db.session.execute(AssessmentCall.__table__.delete())
        db.session.commit()
    assert draws[0] == draws[1] and len(draws[0]) == 2


def test_without_a_seed_a_fresh_one_is_stored(app):
    assessment_cohort()
    result = draw_sample(AS_OF, 1, seed=None, service_code=None, actor="test", now=NOW)
    assert db.session.scalar(select(AssessmentSample.seed)) == result.seed
    assert 0 < result.seed < 2**31


def test_bad_requests_are_refused_and_write_nothing(app):
    assessment_cohort()
    with pytest.raises(AsOfAfterToday, match="is after today"):
        draw_sample(date(2026, 11, 21), 5, seed=1, service_code=None, actor="test", now=NOW)
    with pytest.raises(SampleRefused, match="at least 1"):
        draw_sample(AS_OF, 0, seed=1, service_code=None, actor="test", now=NOW)
    with pytest.raises(NotFound, match="service 'NOPE' does not exist"):
        draw_sample(AS_OF, 5, seed=1, service_code="NOPE", actor="test", now=NOW)
    assert db.session.scalar(select(func.count()).select_from(AssessmentSample)) == 0


def test_the_command_prints_the_strata_and_the_seed(app):
    assessment_cohort()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["assessment", "sample", "--as-of", AS_OF.isoformat(), "--size", "3", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "drew 3 of 4 episodes that may be called (asked for 3)" in result.output and "seed 5" in result.output
    assert "durably recovered" in result.output and "reading the episodes" in result.output
    as_json = runner.invoke(
        args=["assessment", "sample", "--as-of", AS_OF.isoformat(), "--size", "3", "--format", "json"]
    )
    assert json.loads(as_json.stdout)["drawn"] == 1
    refused = runner.invoke(args=["assessment", "sample", "--as-of", "2030-01-01", "--size", "3"])
    assert refused.exit_code == 1 and "after today" in refused.output
    unknown = runner.invoke(
        args=["assessment", "sample", "--as-of", AS_OF.isoformat(), "--size", "3", "--service", "X"]
    )
    assert unknown.exit_code == 1 and "service 'X' does not exist" in unknown.output


def test_the_calls_are_stored_in_a_random_order_that_hides_the_strata(app):
    assessment_cohort()
    draw_sample(AS_OF, 4, seed=2, service_code=None, actor="test", now=NOW)
    categories = list(db.session.scalars(select(AssessmentCall.text_category).order_by(AssessmentCall.id)))
    assert sorted(categories) == ["durably_recovered", "improved", "unchanged", "worse"]
    orders = set()
    for seed in range(1, 8):
        db.session.execute(AssessmentCall.__table__.delete())
        db.session.commit()
        draw_sample(AS_OF, 4, seed=seed, service_code=None, actor="test", now=NOW)
        orders.add(tuple(db.session.scalars(select(AssessmentCall.text_category).order_by(AssessmentCall.id))))
    assert len(orders) > 1  # not the strata's order every time
