"""Agreement between the texts and the blind telephone assessor (SPEC 8.4): hand-worked tables,
statsmodels' Cohen's kappa, edge cases, the bootstrap's seed and the disclosure-controlled form."""

from __future__ import annotations

import math
from datetime import date

import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from app.domain.agreement import (
    Table,
    agreement,
    assessor_durably_recovered,
    kappa,
    kappa_words,
    pairs_for_interval,
    publish_agreement,
    rogan_gladen,
    tabulate,
)
from app.domain.statistics import wilson_rate


def pairs_of(a: int, b: int, c: int, d: int) -> list[tuple[bool, bool]]:
    """(text, assessor) pairs making the table a (both), b (text only), c (assessor only), d (neither)."""
    return [(True, True)] * a + [(True, False)] * b + [(False, True)] * c + [(False, False)] * d


# --- the assessor's classification -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "since", "expected"),
    [
        # anxiety: 8 weeks = 56 days; 2026-10-01 - 56 days = 2026-08-06
        ("anxiety", date(2026, 8, 6), True),
        ("anxiety", date(2026, 8, 7), False),
        # depression and other: 4 calendar months before 2026-10-01 is 2026-06-01
        ("depression", date(2026, 6, 1), True),
        ("depression", date(2026, 6, 2), False),
        ("other", date(2026, 6, 1), True),
        ("other", date(2026, 8, 6), False),  # 8 weeks is enough for anxiety only
    ],
)
def test_assessor_thresholds_are_section_4s(group: str, since: date, expected: bool) -> None:
    assert assessor_durably_recovered(group, date(2026, 10, 1), "no", since, "yes") is expected  # type: ignore[arg-type]


def test_four_calendar_months_end_on_a_shorter_months_last_day() -> None:
    # 2026-10-31 minus 4 months: 2026-06-31 does not exist, so 2026-06-30
    assert assessor_durably_recovered("depression", date(2026, 10, 31), "no", date(2026, 6, 30), "mostly")
    assert not assessor_durably_recovered("depression", date(2026, 10, 31), "no", date(2026, 7, 1), "mostly")


@pytest.mark.parametrize(
    ("criteria", "usual_self"),
    [("partly", "yes"), ("yes", "yes"), (None, "yes"), ("no", "no"), ("no", None), ("no", "unsure")],
)
def test_not_recovered_unless_criteria_no_and_usual_self(criteria: str | None, usual_self: str | None) -> None:
    assert not assessor_durably_recovered("anxiety", date(2026, 10, 1), criteria, date(2025, 1, 1), usual_self)


def test_a_missing_since_date_is_not_yet_long_enough() -> None:
    assert not assessor_durably_recovered("anxiety", date(2026, 10, 1), "no", None, "yes")


# --- hand-worked tables ------------------------------------------------------------------------------


def test_hand_worked_table() -> None:
    # a=40 b=10 c=5 d=45, n=100.
    # agreement (40+45)/100 = 0.85; text recovered 50/100, assessor recovered 45/100;
    # chance agreement 0.5*0.45 + 0.5*0.55 = 0.5; kappa = (0.85-0.5)/(1-0.5) = 0.7.
    # Se = 40/45 = 8/9, Sp = 45/55 = 9/11; with p = 300/1000:
    # (3/10 + 9/11 - 1) / (8/9 + 9/11 - 1) = (13/110) / (70/99) = 117/700.
    result = agreement(pairs_of(40, 10, 5, 45), 300, 1000)
    assert result["pairs"] == 100
    assert result["table"] == {"both_recovered": 40, "text_only": 10, "assessor_only": 5, "neither": 45}
    assert result["percent_agreement"] == wilson_rate(85, 100)
    assert result["kappa"]["estimate"] == pytest.approx(0.7)
    assert result["sensitivity"] == wilson_rate(40, 45)
    assert result["specificity"] == wilson_rate(45, 55)
    assert result["itt_durable_recovery"] == wilson_rate(300, 1000)
    corrected = result["corrected_itt_durable_recovery"]
    assert corrected["estimate"] == pytest.approx(117 / 700)
    low, high = corrected["ci95"]
    assert low < 117 / 700 < high
    assert corrected["resamples"] == 2000 and corrected["seed"] == 1


def test_hand_worked_kappa_interval() -> None:
    # The same table: p_ii = 0.40, 0.45; rows 0.5, 0.5; columns 0.45, 0.55; kappa 0.7, chance 0.5.
    # A = 0.40 (1 - 0.95*0.3)^2 + 0.45 (1 - 1.05*0.3)^2 = 0.40*0.511225 + 0.45*0.469225 = 0.41564125
    # B = 0.3^2 [0.10 (0.45+0.5)^2 + 0.05 (0.55+0.5)^2] = 0.09 * (0.09025 + 0.055125) = 0.01308375
    # C = (0.7 - 0.5*0.3)^2 = 0.3025;  Var = (A + B - C) / (0.5^2 * 100) = 0.126225 / 25 = 0.005049
    se = math.sqrt(0.005049)
    low, high = kappa(Table(40, 10, 5, 45))["ci95"]
    assert low == pytest.approx(0.7 - 1.959964 * se)
    assert high == pytest.approx(0.7 + 1.959964 * se)


@pytest.mark.parametrize("cells", [(40, 10, 5, 45), (12, 3, 0, 30), (7, 9, 11, 2), (1, 0, 2, 50), (20, 20, 20, 20)])
def test_kappa_is_statsmodels(cells: tuple[int, int, int, int]) -> None:
    a, b, c, d = cells
    expected = cohens_kappa([[a, b], [c, d]])
    got = kappa(Table(*cells))
    assert got["estimate"] == pytest.approx(expected.kappa, abs=1e-12)
    # statsmodels uses norm.ppf(0.975) = 1.95996398...; SPEC's z is 1.959964
    assert got["ci95"][0] == pytest.approx(max(expected.kappa_low, -1), abs=1e-7)
    assert got["ci95"][1] == pytest.approx(min(expected.kappa_upp, 1), abs=1e-7)


def test_rogan_gladen_clips_and_refuses_chance() -> None:
    assert rogan_gladen(0.05, 8 / 9, 9 / 11) == 0.0  # 0.05 + 9/11 - 1 < 0
    assert rogan_gladen(0.99, 0.9, 0.9) == 1.0  # (0.99 + 0.9 - 1) / 0.8 > 1
    assert rogan_gladen(0.3, 0.5, 0.5) is None  # Se + Sp - 1 = 0
    assert rogan_gladen(0.3, 0.4, 0.5) is None


# --- edge cases --------------------------------------------------------------------------------------


def test_all_agree() -> None:
    # a=10 d=10: agreement 1, kappa 1 with a zero-width interval (A = 1, B = 0, C = 1), Se = Sp = 1,
    # so the corrected figure is p itself and every resample is defined.
    result = agreement(pairs_of(10, 0, 0, 10), 30, 100)
    assert result["percent_agreement"]["rate"] == 1
    assert result["kappa"] == {"estimate": 1.0, "ci95": [1.0, 1.0]}
    assert result["sensitivity"]["rate"] == 1 and result["specificity"]["rate"] == 1
    corrected = result["corrected_itt_durable_recovery"]
    assert corrected["estimate"] == pytest.approx(0.3)
    assert corrected["undefined_resamples"] == 0
    assert corrected["ci95"][0] < 0.3 < corrected["ci95"][1]


def test_no_pairs_gives_nulls() -> None:
    result = agreement([], 0, 0)
    assert result["pairs"] == 0
    assert result["percent_agreement"]["rate"] is None
    assert result["kappa"] == {"estimate": None, "ci95": None}
    assert result["sensitivity"]["ci95"] is None and result["specificity"]["ci95"] is None
    assert result["corrected_itt_durable_recovery"]["estimate"] is None
    assert result["corrected_itt_durable_recovery"]["ci95"] is None
    assert publish_agreement(result)["pairs"] == 0


def test_one_cell_only_kappa_undefined_specificity_undefined() -> None:
    result = agreement(pairs_of(10, 0, 0, 0), 30, 100)
    assert result["kappa"] == {"estimate": None, "ci95": None}  # chance agreement is 1
    assert result["specificity"]["rate"] is None  # no assessor-not-recovered pairs
    assert result["corrected_itt_durable_recovery"]["estimate"] is None


def test_se_plus_sp_at_most_one_gives_no_corrected_figure() -> None:
    # a=b=c=d=5: Se = 5/10, Sp = 5/10, Se + Sp - 1 = 0; kappa = (0.5 - 0.5) / 0.5 = 0.
    result = agreement(pairs_of(5, 5, 5, 5), 30, 100)
    assert result["kappa"]["estimate"] == pytest.approx(0.0)
    assert result["corrected_itt_durable_recovery"] == {
        "estimate": None,
        "ci95": None,
        "resamples": 0,
        "undefined_resamples": 0,
        "seed": 1,
    }


def test_zero_cells_count_resamples_left_out() -> None:
    # c = 0 and a = 1: a resample drawing no a makes Se* undefined, often enough to be counted.
    result = agreement(pairs_of(1, 2, 0, 30), 10, 100, resamples=500)
    corrected = result["corrected_itt_durable_recovery"]
    assert corrected["estimate"] is not None
    assert 0 < corrected["undefined_resamples"] < 500


def test_no_itt_denominator_gives_no_corrected_figure() -> None:
    result = agreement(pairs_of(40, 10, 5, 45), 0, 0)
    assert result["corrected_itt_durable_recovery"]["estimate"] is None


def test_tabulate() -> None:
    assert tabulate([(True, True), (True, False), (False, True), (False, False), (True, True)]) == Table(2, 1, 1, 1)


# --- the bootstrap -----------------------------------------------------------------------------------


def test_bootstrap_same_seed_same_interval_other_seed_other() -> None:
    pairs = pairs_of(30, 6, 5, 40)
    first = agreement(pairs, 200, 600, seed=7)["corrected_itt_durable_recovery"]
    again = agreement(pairs, 200, 600, seed=7)["corrected_itt_durable_recovery"]
    other = agreement(pairs, 200, 600, seed=8)["corrected_itt_durable_recovery"]
    assert first == again
    assert first["ci95"] != other["ci95"]
    assert first["estimate"] == other["estimate"]
    assert agreement(pairs, 200, 600, seed=7, resamples=300)["corrected_itt_durable_recovery"]["resamples"] == 300


def test_resamples_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1 resample"):
        agreement(pairs_of(1, 1, 1, 1), 1, 2, resamples=0)


def test_sample_size_by_delta_method_matches_the_bootstrap() -> None:
    # Se 0.85, Sp 0.9, true recovery 0.4, 1,000 eligible: the delta method asks for n pairs for +/- 10 points.
    n = pairs_for_interval(0.85, 0.9, 0.4, 1000, 0.10)
    assert n is not None and 60 < n < 120
    a = round(n * 0.4 * 0.85)
    c = round(n * 0.4) - a
    d = round(n * 0.6 * 0.9)
    b = n - a - c - d
    p = 0.4 * 0.85 + 0.6 * 0.1  # 0.4
    ci = agreement(pairs_of(a, b, c, d), round(1000 * p), 1000, resamples=4000, seed=3)
    low, high = ci["corrected_itt_durable_recovery"]["ci95"]
    assert 0.08 < (high - low) / 2 < 0.13
    # half the width: far more than four times, as the ITT rate over 1,000 takes much of the budget
    assert pairs_for_interval(0.85, 0.9, 0.4, 1000, 0.05) > 4 * n
    assert pairs_for_interval(0.5, 0.5, 0.4, 1000, 0.10) is None
    assert pairs_for_interval(0.85, 0.9, 0.4, 10, 0.10) is None  # the ITT rate alone is wider than that


# --- disclosure control ------------------------------------------------------------------------------


def test_published_form_rounds_and_suppresses() -> None:
    result = agreement(pairs_of(40, 10, 5, 45), 300, 1000)
    result["calls"] = {"sampled": 130, "reached": 100, "declined": 12, "not_reached": 6, "to_call": 12}
    published = publish_agreement(result)
    assert published["pairs"] == 100
    assert published["table"] == {"both_recovered": 40, "text_only": 10, "assessor_only": "*", "neither": 45}
    assert published["percent_agreement"]["rate"] == 85
    assert published["sensitivity"]["rate"] == 89  # 40/45 = 88.9%
    assert published["specificity"]["rate"] == 82  # 45/55 = 81.8%
    assert published["kappa"]["estimate"] == 0.7
    assert published["corrected_itt_durable_recovery"]["estimate"] == 17  # 117/700 = 16.7%
    assert published["calls"] == {"sampled": 130, "reached": 100, "declined": 10, "not_reached": "*", "to_call": 10}


def test_published_small_cells_suppress_their_rates_not_kappa() -> None:
    published = publish_agreement(agreement(pairs_of(20, 3, 2, 25), 300, 1000))
    assert published["table"]["text_only"] == "*" and published["table"]["assessor_only"] == "*"
    assert published["sensitivity"]["rate"] == 91  # 20/22: both counts 8 or more
    assert isinstance(published["kappa"]["estimate"], float)


def test_published_few_pairs_suppress_kappa_and_corrected() -> None:
    published = publish_agreement(agreement(pairs_of(3, 1, 1, 2), 300, 1000))
    assert published["pairs"] == "*"
    assert published["kappa"] == {"estimate": "*", "ci95": "*"}
    assert published["corrected_itt_durable_recovery"]["estimate"] == "*"
    assert published["corrected_itt_durable_recovery"]["ci95"] == "*"
    assert published["percent_agreement"]["rate"] == "*"


def test_published_corrected_suppressed_with_a_suppressed_itt() -> None:
    published = publish_agreement(agreement(pairs_of(40, 10, 5, 45), 3, 20))
    assert published["itt_durable_recovery"]["rate"] == "*"
    assert published["corrected_itt_durable_recovery"]["estimate"] == "*"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (-0.2, "poor"),
        (0.0, "slight"),
        (0.2, "slight"),
        (0.21, "fair"),
        (0.5, "moderate"),
        (0.7, "substantial"),
        (0.805, "almost perfect"),
        (1.0, "almost perfect"),
    ],
)
def test_kappa_in_words(value: float, words: str) -> None:
    assert kappa_words(value) == words
