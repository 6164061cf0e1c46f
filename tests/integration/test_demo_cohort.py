"""The demo cohort is built for comparing services (SPEC 8.1): a truly better, a truly worse and a severe service."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from statistics import mean

from sqlalchemy import select

from app.extensions import db
from app.models import Episode, Service
from app.services.demo import people, simulation
from app.services.demo import seeding as demo
from app.services.statistics import summaries as statistics

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


def test_the_demo_has_ten_services_one_better_one_worse_and_one_with_a_severe_case_mix():
    codes = [service.code for service in demo.SERVICES]
    assert len(codes) == len(set(codes)) >= 10  # overdispersion is judged from ten services on
    assert codes[:3] == ["TYNE", "WEAR", "AVON"]  # the README's and the tests' demo clients
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
    assert all(severe > mean(scores) + 7 for scores in first_scores.values())  # PHQ-9 +6, GAD-7 +4

    simulation.simulate(until=NOW, actor="test", now=NOW)
    figures = statistics.summary(NOW.date())
    pooled = figures["durable_recovery"]["itt"]["rate"]
    rate = {code: block["durable_recovery"]["itt"]["rate"] for code, block in figures["by_service"].items()}
    assert all(block["eligible"] >= 25 for block in figures["by_service"].values())
    # Outcomes come from the simulated replies through the real reply handling; the effects are that strong.
    assert rate[demo.TRULY_BETTER] > pooled + 0.12
    assert rate[demo.TRULY_WORSE] < pooled - 0.1
