"""The case-mix tally of `SummaryBuilder(case_mix=True)` (SPEC 8.1): each episode in scope counted in its cell,
on a small cohort counted by hand. Synthetic data only."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.domain.comparison.cells import CELL_COUNTS, CaseMixKey
from app.domain.outcomes import Answer, CheckInFacts, EpisodeFacts, classify_episode
from app.domain.statistics import SummaryBuilder, summarise
from tests.factories.statistics import random_cohort

D = date.fromisoformat
A = D("2027-01-31")
DUE = D("2026-07-02")


def answered(change: str, usual_self: str) -> CheckInFacts:
    """A 26-week check-in answered on its due day, wellness claimed since mid-January."""
    return CheckInFacts(
        26,
        DUE,
        first_sent_on=DUE,
        change=Answer(change, DUE),
        usual_self=Answer(usual_self, DUE),
        duration_start=Answer(D("2026-01-15"), DUE),
    )


RECOVERED = answered("much_better", "yes")  # well since 15 January, more than 4 months: durably recovered
IMPROVED = answered("a_little_better", "no")
UNANSWERED = CheckInFacts(26, DUE, first_sent_on=DUE)  # sent long before A, never answered: no response

BASE = EpisodeFacts(
    service_code="S1",
    area_code="A1",
    referral_date=D("2025-12-01"),
    discharge_date=D("2026-01-01"),
    treatment_sessions=8,
    problem_descriptor="F32",
    consented=True,
    phq9_first=18,
    phq9_last=7,
    gad7_first=15,
    gad7_last=6,
    check_ins=(RECOVERED,),
    intensity="high",
    age_band="26-35",
    sex="female",
    imd_decile=4,
)
COHORT = [
    BASE,  # eligible, durably recovered; finished at caseness and recovered as services report it
    replace(BASE, phq9_last=12, check_ins=(IMPROVED,)),  # eligible; at caseness, not recovered (PHQ-9 12)
    replace(BASE, consented=False, check_ins=()),  # never contacted: only the services' own figures count it
    # nothing given, one session (not finished), nothing due yet: its cell, with nothing counted
    replace(BASE, treatment_sessions=1, intensity=None, age_band=None, sex=None, imd_decile=None, check_ins=()),
    # anxiety, 2-6 sessions, no first PHQ-9 (not finished): eligible, not recovered
    replace(BASE, problem_descriptor="F41.1", treatment_sessions=3, phq9_first=None, check_ins=(UNANSWERED,)),
    # below caseness at the first scores, durably recovered
    replace(
        BASE,
        service_code="S2",
        phq9_first=5,
        phq9_last=3,
        gad7_first=4,
        gad7_last=2,
        intensity="low",
        age_band="66+",
        sex="male",
        imd_decile=10,
    ),
    replace(BASE, service_code="S3", discharge_date=D("2027-02-01")),  # discharged after A: out of scope
]
EXPECTED = {
    CaseMixKey("S1", "depression", "7+", "high", 18, 15, "26-35", "female", 4): [2, 1, 3, 2],
    CaseMixKey("S1", "depression", "1", None, 18, 15, None, None, None): [0, 0, 0, 0],
    CaseMixKey("S1", "anxiety", "2-6", "high", None, 15, "26-35", "female", 4): [1, 0, 0, 0],
    CaseMixKey("S2", "depression", "7+", "low", 5, 4, "66+", "male", 10): [1, 1, 0, 0],
}


def tally_of(episodes: list[EpisodeFacts]) -> dict[CaseMixKey, list[int]]:
    builder = SummaryBuilder(A, case_mix=True)
    for ep in episodes:
        builder.add(ep)
    return builder.case_mix()


def test_the_cohort_is_what_its_comments_say() -> None:
    assert [classify_episode(ep, A) for ep in COHORT[:2]] == ["durably_recovered", "improved"]
    assert classify_episode(COHORT[4], A) == "no_response"
    assert classify_episode(COHORT[3], A) == "pending"


def test_each_episode_in_scope_is_counted_in_its_cell() -> None:
    assert CELL_COUNTS == ("eligible", "durably_recovered", "at_caseness", "reported_recovered")
    assert tally_of(COHORT) == EXPECTED


def test_the_cells_add_up_to_the_summarys_figures() -> None:
    """Eligible and durably recovered as the summary counts them; at caseness and recovered as services report."""
    cohort = random_cohort(5, 300)
    tally = tally_of(cohort)
    summary = summarise(cohort, A)
    totals = [sum(counts[i] for counts in tally.values()) for i in range(len(CELL_COUNTS))]
    reported = summary["service_reported"]
    assert totals == [
        summary["cohort"]["eligible"],
        summary["outcomes"]["durably_recovered"],
        reported["at_caseness"],
        reported["recovery"]["numerator"],
    ]
    for service, block in summary["by_service"].items():
        cells = [counts for key, counts in tally.items() if key.service == service]
        assert sum(counts[0] for counts in cells) == block["eligible"]
        assert sum(counts[1] for counts in cells) == block["outcomes"]["durably_recovered"]


def test_merged_builders_tally_what_one_builder_does() -> None:
    cohort = random_cohort(6, 200)
    whole, first, second = (SummaryBuilder(A, case_mix=True) for _ in range(3))
    for number, ep in enumerate(cohort):
        whole.add(ep)
        (first if number % 3 else second).add(ep)
    first.merge(second)
    assert first.case_mix() == whole.case_mix() and first.result() == whole.result()
    counted = SummaryBuilder(A, case_mix=True)
    counted.add_case_mix(second.case_mix())  # cells counted elsewhere (the bulk reader's way in)
    counted.add_case_mix(second.case_mix())
    assert all(counts == [2 * n for n in second.case_mix()[key]] for key, counts in counted.case_mix().items())


def test_the_tally_changes_nothing_else_and_is_kept_only_when_asked() -> None:
    cohort = random_cohort(7, 100)
    plain = SummaryBuilder(A)
    for ep in cohort:
        plain.add(ep)
    assert plain.result() == summarise(cohort, A)
    with pytest.raises(ValueError, match="case_mix=True"):
        plain.case_mix()
    with pytest.raises(ValueError, match="case_mix=True"):
        plain.add_case_mix({})
    with pytest.raises(ValueError, match="case-mix tally and one without"):
        plain.merge(SummaryBuilder(A, case_mix=True))
    keeping = SummaryBuilder(A, case_mix=True)
    for ep in cohort:
        keeping.add(ep)
    assert keeping.result() == plain.result()
