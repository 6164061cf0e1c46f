"""`statistics.summary` and `summary_and_curve` take the same options, and refuse any other."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from app.services.statistics import summaries as statistics
from tests.factories.cohorts import seed_cohort

AS_OF = date(2026, 11, 20)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"service_code": "TYNE", "workers": 1},
        {"area_code": "NE", "problem_group": "depression"},
        {"discharged_from": date(2026, 3, 1), "discharged_to": date(2026, 3, 1), "published": True},
    ],
)
def test_both_readers_take_the_same_options(app: Flask, options: dict[str, object]) -> None:
    seed_cohort()
    result, curve = statistics.summary_and_curve(AS_OF, **options)  # type: ignore[arg-type]
    assert result == statistics.summary(AS_OF, **options)  # type: ignore[arg-type]
    assert isinstance(curve, list)
    assert statistics.summary_and_curve(AS_OF, with_curve=False, **options)[1] == []  # type: ignore[arg-type]


def test_the_filters_narrow_and_are_audited(app: Flask) -> None:
    seed_cohort()
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    narrowed = statistics.summary(AS_OF, problem_group="depression", actor="test", now=now)
    assert narrowed["cohort"]["episodes"] == 1
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "stats.summary")).one()
    assert (event.actor, event.subject) == ("test", "all")
    assert json.loads(event.detail or "{}")["problem_group"] == "depression"
    assert statistics.summary(AS_OF, actor="test")["cohort"]["episodes"] == 4  # no time: not audited
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "stats.summary")).all() == [event]


@pytest.mark.parametrize("reader", [statistics.summary, statistics.summary_and_curve])
def test_an_unknown_option_is_refused(app: Flask, reader: object) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'servce_code'"):
        reader(AS_OF, servce_code="TYNE")  # type: ignore[operator]
