"""Rates, Kaplan-Meier, service-reported figures, effect sizes and the summary (SPEC 4 and 5)."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import date
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, norm

from app.domain.disclosure import publish
from app.domain.outcomes import (
    CHANGES,
    DISORDERS,
    ELIGIBLE,
    Answer,
    CheckInFacts,
    EpisodeFacts,
    assess_episode,
    classify_episode,
    disorder,
    problem_group,
    sessions_band,
)
from app.domain.statistics import (
    SummaryBuilder,
    effect_size,
    service_reported,
    summarise,
    wilson_rate,
)
from app.domain.survival import kaplan_meier, wellness_summary
from tests.factories.statistics import BREAKDOWN_KEYS, assert_shape, random_cohort

D = date.fromisoformat
Z = 1.959964
A = D("2027-01-31")

# Wilson intervals


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def test_wilson_agrees_with_scipy_over_many_counts() -> None:
    cases = [(k, n) for n in range(1, 61) for k in range(n + 1)]
    cases += [(0, 1000), (1, 1000), (500, 1000), (999, 1000), (12345, 67890), (7, 1_000_000)]
    for k, n in cases:
        rate = wilson_rate(k, n)
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert rate["numerator"] == k and rate["denominator"] == n
        assert rate["rate"] == pytest.approx(k / n, abs=1e-15)
        # scipy uses z = 1.95996398..., SPEC fixes 1.959964: they agree to well within 1e-7.
        assert rate["ci95"] == pytest.approx([ci.low, ci.high], abs=1e-7), (k, n)
        assert rate["ci95"] == pytest.approx(list(wilson_by_hand(k, n)), abs=1e-12), (k, n)


def test_wilson_example() -> None:
    rate = wilson_rate(8, 13)
    assert rate["ci95"] == pytest.approx([0.35523, 0.82290], abs=1e-5)  # worked on paper
    assert isinstance(rate["ci95"][0], float)


def test_wilson_with_no_denominator_is_null() -> None:
    assert wilson_rate(0, 0) == {"numerator": 0, "denominator": 0, "rate": None, "ci95": None}


@pytest.mark.parametrize(("k", "n"), [(-1, 5), (6, 5), (1, 0)])
def test_wilson_refuses_non_proportions(k: int, n: int) -> None:
    with pytest.raises(ValueError, match="not a proportion"):
        wilson_rate(k, n)


# Kaplan-Meier

# (entry, time, event): ties at 10 (an event and a censoring) and at 20 (two events, a
# censoring); D enters at 12, after the first event; G and I are left out (entry not before time).
SUBJECTS = [
    (0, 10, 1),  # A
    (0, 10, 0),  # B: censored at 10, still at risk at 10 (events before censorings)
    (5, 20, 1),  # C
    (12, 20, 1),  # D: delayed entry
    (0, 30, 0),  # E
    (25, 40, 1),  # F: enters after everyone else has left but E
    (15, 15, 1),  # G: entry == time, left out
    (3, 20, 0),  # H
    (16, 12, 1),  # I: entry > time, left out
]


def columns(subjects: list[tuple[int, int, int]], scale: int = 1) -> tuple[list[int], list[int], list[int]]:
    return (
        [e * scale for e, _, _ in subjects],
        [t * scale for _, t, _ in subjects],
        [x for _, _, x in subjects],
    )


def brute_force_km(subjects: list[tuple[int, int, int]]) -> list[tuple[int, int, int, float, float]]:
    """(time, at risk, events, S, Greenwood sum) straight from the definitions."""
    kept = [s for s in subjects if s[0] < s[1]]
    rows = []
    s, g = 1.0, 0.0
    for u in sorted({t for _, t, x in kept if x}):
        n = sum(1 for e, t, _ in kept if e < u <= t)
        d = sum(1 for _, t, x in kept if t == u and x)
        s *= 1 - d / n
        g = g + d / (n * (n - d)) if n > d else math.inf
        rows.append((u, n, d, s, g))
    return rows


def test_kaplan_meier_by_hand() -> None:
    km = kaplan_meier(*columns(SUBJECTS))
    # At 10: A, B, C, E, H at risk (D enters at 12): S = 4/5. Censorings first would give 3/4.
    # At 20: C, D, E, H at risk, C and D fail: S = 0.8 * 2/4 = 0.4.  At 40: F alone: S = 0.
    assert km.n == 7 and km.events == 4 and km.max_time == 40
    assert km.times == (10, 20, 40)
    assert km.at_risk == (5, 4, 1)
    assert km.deaths == (1, 2, 1)
    assert km.survival == pytest.approx((0.8, 0.4, 0.0))
    # Greenwood: 1/(5*4) = 0.05, then + 2/(4*2) = 0.30.
    assert km.greenwood[:2] == pytest.approx((0.05, 0.30))
    assert [(u, n, d) for u, n, d, _, _ in brute_force_km(SUBJECTS)] == list(
        zip(km.times, km.at_risk, km.deaths, strict=True)
    )


def test_kaplan_meier_estimates_and_log_log_intervals() -> None:
    km = kaplan_meier(*columns(SUBJECTS))
    assert km.estimate_at(5) == 1.0 and km.ci95_at(5) is None
    assert km.estimate_at(10) == pytest.approx(0.8)
    assert km.estimate_at(25) == pytest.approx(0.4)
    # S^exp(+-z * sqrt(0.3) / |ln 0.4|)
    assert km.ci95_at(25) == pytest.approx((0.0519757, 0.7528158), abs=1e-7)
    assert km.ci95_at(10) == pytest.approx((0.2038093, 0.9691798), abs=1e-7)
    assert km.estimate_at(40) == 0.0 and km.ci95_at(40) is None
    assert km.estimate_at(41) is None and km.ci95_at(41) is None  # beyond the largest time
    assert km.median() == 20


def test_kaplan_meier_with_no_subjects_or_no_events() -> None:
    empty = kaplan_meier([], [], [])
    assert (empty.n, empty.events, empty.estimate_at(1), empty.median()) == (0, 0, None, None)
    censored = kaplan_meier([0, 5], [10, 20], [0, 0])
    assert censored.estimate_at(20) == 1.0 and censored.ci95_at(20) is None
    assert censored.estimate_at(21) is None and censored.median() is None
    only_left_out = kaplan_meier([10], [10], [1])
    assert only_left_out.n == 0 and only_left_out.events == 0


@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 40), st.integers(0, 1)),
        max_size=40,
    )
)
def test_kaplan_meier_matches_the_definitions(subjects: list[tuple[int, int, int]]) -> None:
    km = kaplan_meier(*columns(subjects))
    rows = brute_force_km(subjects)
    assert list(km.times) == [r[0] for r in rows]
    assert list(km.at_risk) == [r[1] for r in rows]
    assert list(km.deaths) == [r[2] for r in rows]
    assert list(km.survival) == pytest.approx([r[3] for r in rows], abs=1e-12)
    assert list(km.greenwood) == pytest.approx([r[4] for r in rows], abs=1e-12)


def test_wellness_summary() -> None:
    wellness = wellness_summary(*columns(SUBJECTS, scale=10))  # events at 100, 200 and 400 days
    assert wellness["n"] == 7 and wellness["events"] == 4
    assert wellness["median_weeks"] == pytest.approx(200 / 7)
    assert wellness["still_well"]["26"]["estimate"] == pytest.approx(0.8)  # S(182)
    assert wellness["still_well"]["26"]["ci95"] == pytest.approx([0.2038093, 0.9691798], abs=1e-7)
    assert wellness["still_well"]["52"]["estimate"] == pytest.approx(0.4)  # S(364)
    assert wellness["still_well"]["52"]["ci95"] == pytest.approx([0.0519757, 0.7528158], abs=1e-7)
    json.dumps(wellness)


def test_wellness_summary_beyond_the_largest_time_and_at_one() -> None:
    wellness = wellness_summary([0, 0, 0, 0], [200, 300, 363, 363], [0, 1, 0, 0])
    assert wellness["still_well"]["26"] == {"estimate": 1.0, "ci95": None}  # no event by 182
    assert wellness["still_well"]["52"] == {"estimate": None, "ci95": None}  # 364 > 363
    assert wellness["median_weeks"] is None  # S = 2/3 after the only event
    halved = wellness_summary([0, 0], [300, 363], [1, 0])
    assert halved["median_weeks"] == pytest.approx(300 / 7)  # S = 1/2 at 300: S <= 0.5


# Service-reported figures and effect sizes


def scored(
    sessions: int, phq: tuple[int | None, int | None], gad: tuple[int | None, int | None], **facts: Any
) -> EpisodeFacts:
    values: dict[str, Any] = {
        "service_code": "SVC",
        "area_code": "AREA",
        "referral_date": D("2026-01-05"),
        "discharge_date": D("2026-06-01"),
        "treatment_sessions": sessions,
        "problem_descriptor": "F32",
        "consented": False,
        "phq9_first": phq[0],
        "phq9_last": phq[1],
        "gad7_first": gad[0],
        "gad7_last": gad[1],
    }
    values.update(facts)
    return EpisodeFacts(**values)


@pytest.mark.parametrize(
    ("sessions", "phq", "gad", "expected"),
    [
        # finished, missing, caseness, recovered, improved, deteriorated, reliable recovery
        (1, (20, 5), (15, 3), (False, False, False, False, False, False, False)),
        (2, (20, 5), (15, None), (False, True, False, False, False, False, False)),
        (2, (10, 9), (5, 7), (True, False, True, True, False, False, False)),
        (2, (9, 9), (8, 7), (True, False, True, True, False, False, False)),
        (2, (9, 3), (7, 7), (True, False, False, False, True, False, False)),  # not at caseness
        (2, (15, 9), (9, 8), (True, False, True, False, True, False, False)),  # GAD-7 8: not below 8
        (7, (15, 9), (9, 6), (True, False, True, True, True, False, True)),
        (3, (20, 10), (10, 14), (True, False, True, False, False, True, False)),  # falls and rises
        (3, (5, 10), (3, 3), (True, False, False, False, False, False, False)),  # rise of 5
        (3, (5, 11), (3, 3), (True, False, False, False, False, True, False)),  # rise of 6
        (3, (12, 12), (3, 7), (True, False, True, False, False, True, False)),  # GAD-7 rise of 4
    ],
)
def test_service_reported(
    sessions: int,
    phq: tuple[int, int],
    gad: tuple[int, int | None],
    expected: tuple[bool, ...],
) -> None:
    r = service_reported(scored(sessions, phq, gad))
    got = (
        r.finished,
        r.missing_scores,
        r.at_caseness,
        r.recovered,
        r.reliable_improvement,
        r.reliable_deterioration,
        r.reliable_recovery,
    )
    assert got == expected


def test_effect_size_by_hand() -> None:
    # Means 12 and 6, both SDs 2: d = 3, U3 = Phi(3).
    e = effect_size([10, 12, 14], [4, 6, 8])
    assert e == {"n": 3, "mean_first": 12.0, "mean_last": 6.0, "d": 3.0, "u3": pytest.approx(0.9986501)}


def test_effect_size_against_numpy() -> None:
    rng = np.random.default_rng(7)
    first = rng.integers(0, 28, size=200)
    last = rng.integers(0, 28, size=200)
    e = effect_size(first.tolist(), last.tolist())
    pooled = math.sqrt((first.var(ddof=1) + last.var(ddof=1)) / 2)
    d = (first.mean() - last.mean()) / pooled
    assert e["d"] == pytest.approx(d, rel=1e-12)
    assert e["u3"] == pytest.approx(norm.cdf(d), rel=1e-12)


def test_effect_size_is_null_for_one_pair_or_no_spread() -> None:
    assert effect_size([10], [5]) == {"n": 1, "mean_first": 10.0, "mean_last": 5.0, "d": None, "u3": None}
    assert effect_size([10, 10], [5, 5])["d"] is None


# The summary


def check_in(offset: int, due: date, **facts: Any) -> CheckInFacts:
    return CheckInFacts(offset_weeks=offset, due_on=due, **facts)


def ep(
    *check_ins: CheckInFacts,
    discharge: str = "2026-06-01",
    descriptor: str = "F32",
    sessions: int = 8,
    consented: bool = True,
    service: str = "S1",
    area: str = "A1",
    **facts: Any,
) -> EpisodeFacts:
    return EpisodeFacts(
        service_code=service,
        area_code=area,
        referral_date=D("2026-01-05"),
        discharge_date=D(discharge),
        treatment_sessions=sessions,
        problem_descriptor=descriptor,
        consented=consented,
        check_ins=check_ins,
        **facts,
    )


def well(offset: int, t: str, start: str, change: str = "much_better") -> CheckInFacts:
    on = D(t)
    return check_in(
        offset,
        on,
        first_sent_on=on,
        change=Answer(change, on),
        usual_self=Answer("yes", on),
        duration_start=Answer(D(start), on),
    )


def test_empty_summary_has_every_always_present_key() -> None:
    summary = summarise([], A)
    assert_shape(summary)
    assert summary["as_of"] == "2027-01-31"
    assert summary["by_service"] == summary["by_area"] == summary["by_discharge_month"] == {}
    assert summary["follow_up_points"] == [] and summary["effect_sizes"] == {}
    assert summary["durable_recovery"]["itt"] == {"numerator": 0, "denominator": 0, "rate": None, "ci95": None}
    assert summary["by_sessions"]["7+"]["episodes"] == 0
    assert list(summary["by_disorder"]) == list(DISORDERS)  # all twelve, even with no episodes
    assert all(block["episodes"] == block["eligible"] == 0 for block in summary["by_disorder"].values())
    assert summary["wellness"] == {
        "n": 0,
        "events": 0,
        "median_weeks": None,
        "still_well": {"26": {"estimate": None, "ci95": None}, "52": {"estimate": None, "ci95": None}},
    }


def test_summary_by_hand() -> None:
    episodes = [
        # durably recovered at 26 weeks, depression, 8 sessions; the 52-week check-in not due
        ep(
            well(4, "2026-06-29", "2026-06-01"),
            well(26, "2026-11-30", "2026-06-15"),
            check_in(52, D("2027-05-31")),
            descriptor="F32.1",
            phq9_first=18,
            phq9_last=6,
            gad7_first=12,
            gad7_last=5,
            assessment_date=D("2026-01-20"),
        ),
        # answered once, "same", not well; anxiety; 1 session
        ep(
            check_in(4, D("2026-07-06"), first_sent_on=D("2026-07-06"), change=Answer("same", D("2026-07-07"))),
            check_in(8, D("2026-08-03"), skipped=True),
            discharge="2026-06-08",
            descriptor="f411",
            sessions=1,
            service="S2",
        ),
        # no response: sent and closed; other; 0 sessions
        ep(
            check_in(4, D("2026-07-06"), first_sent_on=D("2026-07-06")),
            discharge="2026-06-08",
            descriptor="none",
            sessions=0,
        ),
        # pending: every check-in skipped
        ep(
            check_in(4, D("2026-07-06"), skipped=True),
            check_in(18, D("2026-10-12"), skipped=True),
            discharge="2026-06-08",
        ),
        # no consent: in cohort.episodes, attrition, service-reported and the breakdowns' episodes, nothing else
        ep(
            check_in(99, D("2026-07-06")),
            consented=False,
            sessions=3,
            phq9_first=12,
            phq9_last=12,
            gad7_first=9,
            gad7_last=3,
        ),
        # discharged after A: out of scope everywhere
        ep(
            well(4, "2027-02-28", "2027-02-01"),
            discharge="2027-02-01",
            sessions=9,
            phq9_first=20,
            phq9_last=2,
            gad7_first=20,
            gad7_last=2,
        ),
    ]
    summary = summarise(episodes, A)
    assert_shape(summary)
    assert summary["cohort"] == {"episodes": 5, "consented": 4, "eligible": 3, "pending": 1}
    assert summary["outcomes"] == {
        "durably_recovered": 1,
        "relapsed": 0,
        "improved": 0,
        "unchanged": 1,
        "worse": 0,
        "opted_out": 0,
        "unreachable": 0,
        "no_response": 1,
    }
    assert summary["durable_recovery"]["itt"] == wilson_rate(1, 3)
    assert summary["durable_recovery"]["available_case"] == wilson_rate(1, 2)
    assert summary["response"] == wilson_rate(2, 3)
    assert summary["change_distribution"] == {
        "much_better": 1,
        "a_little_better": 0,
        "same": 1,
        "a_little_worse": 0,
        "much_worse": 0,
    }
    points = {p["weeks"]: p for p in summary["follow_up_points"]}
    assert list(points) == [4, 8, 18, 26, 52]  # 99 belongs to a non-consented episode
    assert {w: (p["closed"], p["answered"], p["recovered"]) for w, p in points.items()} == {
        4: (3, 2, 0),
        8: (0, 0, 0),
        18: (0, 0, 0),
        26: (1, 1, 1),
        52: (0, 0, 0),
    }
    assert points[26]["itt"] == wilson_rate(1, 1) and points[4]["available_case"] == wilson_rate(0, 2)
    groups = summary["by_problem_group"]
    # A breakdown's episodes count every episode, consented or not (SPEC section 5): depression has
    # episodes 1, 4 and the one without consent, eligible only episode 1.
    assert (groups["depression"]["episodes"], groups["depression"]["eligible"]) == (3, 1)
    assert groups["anxiety"]["outcomes"]["unchanged"] == 1
    assert groups["other"]["outcomes"]["no_response"] == 1
    # by_disorder: every disorder present; F32 and F32.1 are depression, f411 generalised anxiety
    disorders = summary["by_disorder"]
    assert {k: (v["episodes"], v["eligible"]) for k, v in disorders.items() if v["episodes"]} == {
        "depression": (3, 1),
        "generalised_anxiety": (1, 1),
        "other": (1, 1),
    }
    assert disorders["depression"]["outcomes"]["durably_recovered"] == 1
    assert disorders["depression"]["durable_recovery"]["itt"] == wilson_rate(1, 1)
    assert disorders["generalised_anxiety"]["outcomes"]["unchanged"] == 1
    assert disorders["ptsd"] == disorders["panic"] == summarise([], A)["by_disorder"]["ptsd"]
    assert disorders["ptsd"]["durable_recovery"]["itt"]["rate"] is None
    assert {k: v["episodes"] for k, v in summary["by_sessions"].items()} == {"0": 1, "1": 1, "2-6": 1, "7+": 2}
    assert summary["by_sessions"]["2-6"]["eligible"] == 0
    assert list(summary["by_service"]) == ["S1", "S2"] and list(summary["by_area"]) == ["A1"]
    assert summary["by_service"]["S2"]["response"] == wilson_rate(1, 1)
    assert list(summary["by_discharge_month"]) == ["2026-06"]
    assert summary["attrition"] == {
        "referred": 5,
        "assessed": 1,
        "entered_treatment": 4,
        "finished_course": 3,
        "seven_plus": 2,
    }
    reported = summary["service_reported"]
    assert (reported["finished"], reported["missing_scores"], reported["at_caseness"]) == (2, 1, 2)
    assert reported["recovery"] == wilson_rate(1, 2)
    assert reported["reliable_improvement"] == wilson_rate(2, 2)  # 18->6 and GAD-7 9->3
    assert reported["reliable_recovery"] == wilson_rate(1, 2)
    assert reported["reliable_deterioration"] == wilson_rate(0, 2)
    assert list(summary["effect_sizes"]) == ["F32", "F32.1"]  # as submitted, upper case
    assert summary["effect_sizes"]["F32.1"]["phq9"] == {
        "n": 1,
        "mean_first": 18.0,
        "mean_last": 6.0,
        "d": None,
        "u3": None,
    }
    # The recovered episode: origin 2026-06-01, entry 28 days, censored at 182 days.
    assert (summary["wellness"]["n"], summary["wellness"]["events"]) == (1, 0)
    assert summary["wellness"]["still_well"]["26"] == {"estimate": 1.0, "ci95": None}


def test_effect_size_keys_are_upper_cased_as_submitted() -> None:
    scores: dict[str, Any] = {"phq9_first": 10, "phq9_last": 5, "gad7_first": 9, "gad7_last": 4}
    summary = summarise(
        [ep(descriptor="f411", **scores), ep(descriptor="F41.1", **scores), ep(descriptor=" F411 ", **scores)], A
    )
    assert {k: v["phq9"]["n"] for k, v in summary["effect_sizes"].items()} == {"F41.1": 1, "F411": 2}


def test_discharged_on_as_of_is_in_scope() -> None:
    assert summarise([ep(discharge="2027-01-31")], A)["cohort"]["episodes"] == 1
    assert summarise([ep(discharge="2027-02-01")], A)["cohort"]["episodes"] == 0


def test_merged_builders_equal_one_builder() -> None:
    episodes = [e for seed in range(3) for e in random_cohort(seed, 40)]
    whole = summarise(episodes, A)
    left, right = SummaryBuilder(A), SummaryBuilder(A)
    for i, e in enumerate(episodes):
        (left if i % 2 else right).add(e)
    left.merge(right)
    assert left.result() == whole
    with pytest.raises(ValueError, match="cannot merge"):
        left.merge(SummaryBuilder(D("2027-02-01")))


# Random cohorts: summarise never raises, and matches the per-episode functions

DATES = st.dates(D("2025-06-01"), D("2027-06-30"))
#: Problem descriptors of the random cohorts: every disorder, in the spellings submitted.
DESCRIPTORS = (
    "F32",
    "f33.1",
    "f41.1",
    "F41.2",
    "F410",
    "F40.0",
    "f40.1",
    "F40.2",
    "F42",
    "F43.1",
    "f432",
    "F45.2",
    "F45.0",
    "none",
    "F50",
)
MAYBE_DATE = st.none() | DATES


@st.composite
def check_ins(draw: st.DrawFn, offset: int) -> CheckInFacts:
    return CheckInFacts(
        offset_weeks=offset,
        due_on=draw(DATES),
        skipped=draw(st.booleans()),
        first_sent_on=draw(MAYBE_DATE),
        withdrawn_on=draw(MAYBE_DATE),
        unreachable=draw(st.booleans()),
        closed_by_opt_out_on=draw(MAYBE_DATE),
        change=draw(st.none() | st.builds(Answer, st.sampled_from(CHANGES), DATES)),
        duration_start=draw(st.none() | st.builds(Answer, DATES, DATES)),
        usual_self=draw(st.none() | st.builds(Answer, st.sampled_from(["yes", "mostly", "no"]), DATES)),
    )


@st.composite
def episodes(draw: st.DrawFn) -> EpisodeFacts:
    offsets = draw(st.lists(st.integers(1, 60), unique=True, max_size=5))
    score = st.none() | st.integers(0, 21)
    return EpisodeFacts(
        service_code=draw(st.sampled_from(["S1", "S2", "S3"])),
        area_code=draw(st.sampled_from(["A1", "A2"])),
        referral_date=draw(DATES),
        discharge_date=draw(DATES),
        treatment_sessions=draw(st.integers(0, 12)),
        problem_descriptor=draw(st.sampled_from(DESCRIPTORS)),
        consented=draw(st.booleans()),
        assessment_date=draw(MAYBE_DATE),
        phq9_first=draw(score),
        phq9_last=draw(score),
        gad7_first=draw(score),
        gad7_last=draw(score),
        opt_events=tuple(draw(st.lists(st.tuples(DATES, st.sampled_from(["opt_out", "resume"])), max_size=3))),
        check_ins=tuple(draw(check_ins(offset)) for offset in offsets),
    )


def reference(cohort: list[EpisodeFacts], as_of: date) -> dict[str, Any]:
    """The figures rebuilt naively from the per-episode functions."""
    scope = [e for e in cohort if e.discharge_date <= as_of]
    outcomes = []
    for e in scope:
        if e.consented:
            o = assess_episode(e, as_of)
            assert o is not None
            outcomes.append((e, o))
    categories = Counter(o.category for _, o in outcomes)
    points: dict[int, list[int]] = {c.offset_weeks: [0, 0, 0] for e, _ in outcomes for c in e.check_ins}
    spells = []
    for _, o in outcomes:
        for f in o.follow_ups:
            points[f.offset_weeks][0] += f.closed
            points[f.offset_weeks][1] += f.answered
            points[f.offset_weeks][2] += f.recovered
        if o.wellness_spell is not None:
            spells.append(o.wellness_spell)
    by_group = {
        g: Counter(o.category for e, o in outcomes if problem_group(e.problem_descriptor) == g)
        for g in ("depression", "anxiety", "other")
    }
    by_disorder = {
        d: Counter(o.category for e, o in outcomes if disorder(e.problem_descriptor) == d) for d in DISORDERS
    }
    return {
        "episodes": len(scope),
        "categories": categories,
        "changes": Counter(o.last_change for _, o in outcomes if o.last_change),
        "points": points,
        "by_group": by_group,
        "by_disorder": by_disorder,
        "by_disorder_episodes": Counter(disorder(e.problem_descriptor) for e in scope),
        "by_band": Counter(sessions_band(e.treatment_sessions) for e in scope),
        "spells": spells,
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(episodes(), max_size=12), DATES)
def test_summarise_on_random_cohorts(cohort: list[EpisodeFacts], as_of: date) -> None:
    summary = summarise(cohort, as_of)
    assert_shape(summary)
    json.dumps(publish(summary), allow_nan=False)
    cohort_counts, outcomes = summary["cohort"], summary["outcomes"]
    assert sum(outcomes.values()) == cohort_counts["eligible"]
    assert cohort_counts["eligible"] + cohort_counts["pending"] == cohort_counts["consented"]
    assert cohort_counts["consented"] <= cohort_counts["episodes"]
    for key in BREAKDOWN_KEYS:
        assert sum(block["episodes"] for block in summary[key].values()) == cohort_counts["episodes"]
        assert sum(block["eligible"] for block in summary[key].values()) == cohort_counts["eligible"]

    expected = reference(cohort, as_of)
    assert cohort_counts["episodes"] == expected["episodes"]
    assert outcomes == {c: expected["categories"][c] for c in ELIGIBLE}
    assert cohort_counts["pending"] == expected["categories"]["pending"]
    assert summary["change_distribution"] == {c: expected["changes"][c] for c in CHANGES}
    assert {p["weeks"]: [p["closed"], p["answered"], p["recovered"]] for p in summary["follow_up_points"]} == expected[
        "points"
    ]
    for group, block in summary["by_problem_group"].items():
        assert block["outcomes"] == {c: expected["by_group"][group][c] for c in ELIGIBLE}
    for name, block in summary["by_disorder"].items():
        assert block["outcomes"] == {c: expected["by_disorder"][name][c] for c in ELIGIBLE}
        assert block["episodes"] == expected["by_disorder_episodes"][name]
    assert {k: v["episodes"] for k, v in summary["by_sessions"].items()} == {
        b: expected["by_band"][b] for b in ("0", "1", "2-6", "7+")
    }
    kept = [s for s in expected["spells"] if s.entry < s.time]
    assert summary["wellness"]["n"] == len(kept)
    assert summary["wellness"]["events"] == sum(s.event for s in kept)
    for e in cohort:
        if e.consented and e.discharge_date <= as_of:
            assert classify_episode(e, as_of) in (*ELIGIBLE, "pending")


def test_numbers_at_risk_leave_out_a_follow_up_that_ends_before_day_0() -> None:
    """Spells whose entry and end are both negative (records re-dated after the answers) are at risk on no
    day from 0 on; before, counting them raised on the negative end."""
    from app.domain.survival import at_risk_by_day

    assert at_risk_by_day([-72, 0], [-28, 3]) == (1, 1, 1)
    assert at_risk_by_day([-72], [-28]) == ()
    assert at_risk_by_day([-5, 1], [0, 3]) == (0, 1, 1)
