"""The demo cohort is built for comparing services (SPEC 8.1): a truly better, a truly worse and a severe service."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from statistics import mean

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Episode, Service
from app.services import statistics as comparing
from app.services.demo import people, simulation
from app.services.demo import seeding as demo
from app.services.statistics import summaries as statistics
from tests.conftest import make_app, reset_schema

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
AVERAGE = people.AVERAGE_CASE_MIX


def test_the_chance_of_lasting_recovery_follows_case_mix_and_service():
    severe = people.CaseMix(phq9_first=24, gad7_first=19)
    mild = people.CaseMix(phq9_first=7, gad7_first=5)
    assert people.recovery_chance(severe) < people.recovery_chance(AVERAGE) < people.recovery_chance(mild)
    assert 0.2 < people.recovery_chance(AVERAGE) < 0.25
    assert people.recovery_chance(people.CaseMix(15, 12, sessions=0)) < people.recovery_chance(AVERAGE)
    assert people.recovery_chance(people.CaseMix(15, 12, problem_descriptor="none")) < people.recovery_chance(AVERAGE)
    assert people.recovery_chance(people.CaseMix(None, None)) == people.recovery_chance(AVERAGE)
    better = demo.SERVICE_BY_CODE[demo.TRULY_BETTER].recovery_effect
    worse = demo.SERVICE_BY_CODE[demo.TRULY_WORSE].recovery_effect
    assert people.recovery_chance(AVERAGE, better) > 0.7 and people.recovery_chance(AVERAGE, worse) < 0.05


def test_each_persons_course_is_drawn_with_that_chance():
    def courses(case_mix: people.CaseMix, effect: float) -> dict[str, float]:
        drawn = [
            people.person_for(random.Random(f"t:{n}"), date(2025, 1, 1), date(2025, 6, 1), case_mix, effect).course
            for n in range(3000)
        ]
        return {course: drawn.count(course) / len(drawn) for course in set(drawn)}

    average = courses(AVERAGE, 0.0)
    assert abs(average["recovered"] - 0.22) < 0.03 and abs(average["relapsing"] - 0.22) < 0.03
    assert abs(average["worsening"] - 0.12) < 0.03
    worse = courses(AVERAGE, demo.SERVICE_BY_CODE[demo.TRULY_WORSE].recovery_effect)
    assert worse["recovered"] < 0.05 and worse["relapsing"] < 0.06  # relapsing needs a recovery first
    severe = courses(people.CaseMix(phq9_first=24, gad7_first=19), 0.0)
    assert severe["recovered"] < average["recovered"] - 0.08


def test_the_demo_has_twenty_services_one_better_one_worse_and_one_with_a_severe_case_mix():
    codes = [service.code for service in demo.SERVICES]
    # Overdispersion is judged from ten services on, but twenty keep the winsorising clips (10th and 90th
    # percentiles) at ordinary services, not at the severe one (see test_the_full_demo_...).
    assert len(codes) == len(set(codes)) == 20
    assert all(len(code) == 4 and code.isupper() for code in codes)
    assert codes[:3] == ["TYNE", "WEAR", "AVON"]  # the README's and the tests' demo clients
    assert {service.area for service in demo.SERVICES} == {code for code, _ in demo.AREAS}
    by_code = demo.SERVICE_BY_CODE
    assert by_code[demo.TRULY_BETTER].recovery_effect > 1 and by_code[demo.TRULY_BETTER].severity == 0
    assert by_code[demo.TRULY_WORSE].recovery_effect < -1 and by_code[demo.TRULY_WORSE].severity == 0
    assert by_code[demo.SEVERE_CASE_MIX].recovery_effect == 0 and by_code[demo.SEVERE_CASE_MIX].severity > 0
    special = {demo.TRULY_BETTER, demo.TRULY_WORSE, demo.SEVERE_CASE_MIX}
    assert all(s.recovery_effect == 0 and s.severity == 0 for s in demo.SERVICES if s.code not in special)


def test_the_seeded_and_simulated_demo_shows_the_differences(app):
    demo.seed(actor="test", now=NOW, today=NOW.date(), clients_per_service=40)
    first_scores: dict[str, list[float]] = {}
    for code, phq9, gad7 in db.session.execute(
        select(Service.code, Episode.phq9_first, Episode.gad7_first).join(Service, Service.id == Episode.service_id)
    ):
        first_scores.setdefault(code, []).append(phq9 + gad7)
    severe = mean(first_scores.pop(demo.SEVERE_CASE_MIX))
    assert all(severe > mean(scores) + 10 for scores in first_scores.values())  # PHQ-9 +10, GAD-7 +7 (capped)

    simulation.simulate(until=NOW, actor="test", now=NOW)
    figures = statistics.summary(NOW.date())
    pooled = figures["durable_recovery"]["itt"]["rate"]
    rate = {code: block["durable_recovery"]["itt"]["rate"] for code, block in figures["by_service"].items()}
    assert all(block["eligible"] >= 25 for block in figures["by_service"].values())
    # Outcomes come from the simulated replies through the real reply handling; the effects are that strong.
    assert rate[demo.TRULY_BETTER] > pooled + 0.12
    assert rate[demo.TRULY_WORSE] < pooled - 0.1


@pytest.fixture
def full_demo(tmp_path: Path) -> Iterator[Flask]:
    """The demo as `make run` seeds and simulates it (default sizes and seeds), on SQLite."""
    application = make_app(f"sqlite:///{tmp_path / 'demo.db'}")
    reset_schema(application)
    with application.app_context():
        demo.seed(actor="test", now=NOW, today=NOW.date())
        simulation.simulate(until=NOW, actor="test", now=NOW)
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.mark.slow  # the whole demo: some 4,000 clients and a year of replies (about a minute)
def test_the_full_demo_shows_better_worse_and_a_case_mix_that_only_looks_worse(full_demo):
    result = comparing.compare(NOW.date())
    by_code = {entry["service"]: entry for entry in result["services"]}
    assert len(by_code) == len(demo.SERVICES)
    positions = {code: (by_code[code]["position"], by_code[code]["adjusted_position"]) for code in by_code}
    # Truly better and truly worse: outside the 99.8% limits before and after adjusting for case mix.
    assert positions[demo.TRULY_BETTER] == ("above_99.8", "above_99.8")
    assert positions[demo.TRULY_WORSE] == ("below_99.8", "below_99.8")
    # Severe cases only: below the 99.8% limits raw, inside them once adjusted.
    assert positions[demo.SEVERE_CASE_MIX] == ("below_99.8", "within")
    # The three planted differences do not make the services look overdispersed: plain binomial limits,
    # so the severe service cannot widen them around itself (as it did with ten services).
    assert result["overdispersion"]["services"] == 20 and not result["overdispersion"]["adjusted"]
    assert not result["adjusted_overdispersion"]["adjusted"]
    # Every ordinary service is within the 99.8% limits, raw and adjusted.
    ordinary = set(by_code) - {demo.TRULY_BETTER, demo.TRULY_WORSE, demo.SEVERE_CASE_MIX}
    assert all(not p.endswith("99.8") for code in ordinary for p in positions[code]), positions
