"""Pure-statistics builders: the summary's shape, and random cohorts of episode facts for volume tests."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from app.domain.outcomes import CHANGES, DISORDERS, ELIGIBLE, Answer, CheckInFacts, EpisodeFacts

D = date.fromisoformat

RATE_KEYS = {"numerator", "denominator", "rate", "ci95"}
BLOCK_KEYS = {"episodes", "eligible", "outcomes", "durable_recovery", "response"}
#: The summary's breakdowns, a BLOCK per entry.
BREAKDOWN_KEYS = ("by_problem_group", "by_disorder", "by_sessions", "by_service", "by_area", "by_discharge_month")


def assert_shape(summary: dict[str, Any]) -> None:
    assert set(summary) == {
        "methodology",
        "as_of",
        "cohort",
        "outcomes",
        "durable_recovery",
        "response",
        "change_distribution",
        "follow_up_points",
        "by_problem_group",
        "by_disorder",
        "by_sessions",
        "by_service",
        "by_area",
        "by_discharge_month",
        "wellness",
        "service_reported",
        "effect_sizes",
        "attrition",
    }
    assert summary["methodology"] == 1
    assert set(summary["cohort"]) == {"episodes", "consented", "eligible", "pending"}
    assert list(summary["outcomes"]) == list(ELIGIBLE)
    assert set(summary["durable_recovery"]) == {"itt", "available_case"}
    assert set(summary["response"]) == RATE_KEYS
    assert list(summary["change_distribution"]) == list(CHANGES)
    for point in summary["follow_up_points"]:
        assert set(point) == {"weeks", "closed", "answered", "recovered", "itt", "available_case"}
    assert list(summary["by_problem_group"]) == ["depression", "anxiety", "other"]
    assert list(summary["by_disorder"]) == list(DISORDERS)
    assert list(summary["by_sessions"]) == ["0", "1", "2-6", "7+"]
    for key in BREAKDOWN_KEYS:
        for block in summary[key].values():
            assert set(block) == BLOCK_KEYS
            assert list(block["outcomes"]) == list(ELIGIBLE)
    assert set(summary["wellness"]) == {"n", "events", "median_weeks", "still_well"}
    assert set(summary["wellness"]["still_well"]) == {"26", "52"}
    assert set(summary["service_reported"]) == {
        "finished",
        "missing_scores",
        "at_caseness",
        "recovery",
        "reliable_improvement",
        "reliable_recovery",
        "reliable_deterioration",
    }
    for measures in summary["effect_sizes"].values():
        assert set(measures) == {"phq9", "gad7"}
        for e in measures.values():
            assert set(e) == {"n", "mean_first", "mean_last", "d", "u3"}
    assert list(summary["attrition"]) == ["referred", "assessed", "entered_treatment", "finished_course", "seven_plus"]
    json.dumps(summary, allow_nan=False)


def random_cohort(seed: int, size: int) -> list[EpisodeFacts]:
    """A cohort of plausible episodes, for tests that need volume rather than edge cases."""
    import random

    rng = random.Random(seed)
    cohort = []
    for _ in range(size):
        discharge = D("2026-01-01") + timedelta(days=rng.randrange(300))
        items = []
        for weeks in (4, 8, 18, 26, 52):
            due = discharge + timedelta(weeks=weeks)
            t = due + timedelta(days=rng.randrange(5))
            if rng.random() < 0.7:
                items.append(
                    CheckInFacts(
                        weeks,
                        due,
                        first_sent_on=due,
                        change=Answer(rng.choice(CHANGES), t),
                        usual_self=Answer(rng.choice(["yes", "mostly", "no"]), t) if rng.random() < 0.9 else None,
                        duration_start=Answer(t - timedelta(days=rng.randrange(250)), t)
                        if rng.random() < 0.8
                        else None,
                    )
                )
            else:
                items.append(CheckInFacts(weeks, due, first_sent_on=due, unreachable=rng.random() < 0.1))
        cohort.append(
            EpisodeFacts(
                rng.choice(["S1", "S2"]),
                "A1",
                discharge - timedelta(days=120),
                discharge,
                rng.randrange(10),
                rng.choice(["F32", "F41.1", "none", "f40.1", "F43.1", "F41.2"]),
                rng.random() < 0.9,
                phq9_first=rng.randrange(28),
                phq9_last=rng.randrange(28),
                gad7_first=rng.randrange(22),
                gad7_last=rng.randrange(22),
                check_ins=tuple(items),
            )
        )
    return cohort


def varied_episode(rng: Any, as_of: date) -> EpisodeFacts:
    """One episode with everything that moves its figures: consent or not, discharged before or after A,
    missing scores, opt-outs and resumes, check-ins skipped, withdrawn, unreachable, closed by an opt-out,
    sent or not, answered before or after A (dates local, within a year of A)."""
    discharge = as_of - timedelta(days=rng.randint(-20, 400))
    referral = discharge - timedelta(days=rng.randint(10, 200))
    check_ins = []
    for weeks in sorted(rng.sample((2, 4, 8, 12, 18, 26, 39, 52), rng.randint(0, 5))):
        due = discharge + timedelta(weeks=weeks)
        sent = due + timedelta(days=rng.choice((0, 0, 1, 3))) if rng.random() < 0.8 else None
        answered = sent is not None and rng.random() < 0.6
        t = (sent or due) + timedelta(days=rng.choice((0, 1, 5, 13, 14, 15)))
        check_ins.append(
            CheckInFacts(
                offset_weeks=weeks,
                due_on=due,
                skipped=rng.random() < 0.05,
                first_sent_on=sent,
                withdrawn_on=due + timedelta(days=rng.randint(0, 20)) if not sent and rng.random() < 0.3 else None,
                unreachable=sent is None and rng.random() < 0.2,
                closed_by_opt_out_on=t if not answered and rng.random() < 0.1 else None,
                change=Answer(rng.choice(CHANGES), t) if answered else None,
                usual_self=Answer(rng.choice(("yes", "mostly", "no", "unsure")), t + timedelta(days=rng.choice((0, 2))))
                if answered and rng.random() < 0.9
                else None,
                duration_start=Answer(t - timedelta(days=rng.choice((0, 30, 56, 57, 121, 200))), t)
                if answered and rng.random() < 0.7
                else None,
            )
        )
    opt_events: list[tuple[date, Any]] = []
    day = discharge
    for kind in ("opt_out", "resume", "opt_out")[: rng.choice((0, 0, 0, 1, 2, 3))]:
        day += timedelta(days=rng.randint(1, 120))
        opt_events.append((day, kind))
    scores = [rng.randrange(28), rng.randrange(28), rng.randrange(22), rng.randrange(22)]
    if rng.random() < 0.1:
        scores[rng.randrange(4)] = None
    return EpisodeFacts(
        service_code=rng.choice(("S1", "S2", "S3")),
        area_code=rng.choice(("A1", "A2")),
        referral_date=referral,
        discharge_date=discharge,
        treatment_sessions=rng.choice((0, 1, 2, 5, 9)),
        problem_descriptor=rng.choice(("F32.1", "f41.1", "F41.2", "F42", "none", "F45.2", "F43.1", " f40.1")),
        consented=rng.random() < 0.85,
        assessment_date=referral + timedelta(days=5) if rng.random() < 0.9 else None,
        phq9_first=scores[0],
        phq9_last=scores[1],
        gad7_first=scores[2],
        gad7_last=scores[3],
        opt_events=tuple(opt_events),
        check_ins=tuple(check_ins),
    )
