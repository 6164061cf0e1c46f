"""Funnel limits, overdispersion and positions (SPEC 8.1): checked against figures worked out here
from scipy's distributions and the formulas written out, never from the module's own helpers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import binom, chi2, poisson

from app.domain.comparison.funnel import (
    LEVELS,
    MIN_ELIGIBLE,
    Z95,
    Z998,
    Overdispersion,
    binomial_limit,
    binomial_limits,
    funnel_curve,
    garwood_interval,
    limits,
    overdispersion,
    poisson_limit,
    position,
    ratio_funnel_curve,
    ratio_limits,
    ratio_overdispersion,
)

TAILS = {"95": (0.025, 0.975), "99.8": (0.001, 0.999)}
NOT_ADJUSTED = Overdispersion(services=0, phi=1.0, tau2=0.0, adjusted=False)


def interpolated(cdf_values: np.ndarray, p: float) -> float:
    """r_P - alpha from the whole table of F(0), F(1), ...: r_P the first r with F(r) >= P."""
    r = int(np.flatnonzero(cdf_values >= p)[0])
    f_r = cdf_values[r]
    f_below = cdf_values[r - 1] if r > 0 else 0.0
    return r - (f_r - p) / (f_r - f_below)


def expected_binomial(n: int, p0: float, p: float) -> float:
    table = binom.cdf(np.arange(n + 1), n, p0)
    return min(max(interpolated(table, p) / n, 0.0), 1.0)


def expected_poisson(e: float, p: float) -> float:
    table = poisson.cdf(np.arange(int(e + 20 * math.sqrt(e) + 50)), e)
    return max(interpolated(table, p), 0.0)


@pytest.mark.parametrize("n", [1, 10, 100, 1000, 10000])
@pytest.mark.parametrize("p0", [0.001, 0.1, 0.5])
@pytest.mark.parametrize("p", [0.001, 0.025, 0.975, 0.999])
def test_binomial_limit_is_spiegelhalters_interpolated_exact_limit(n: int, p0: float, p: float) -> None:
    assert binomial_limit(n, p0, p) == pytest.approx(expected_binomial(n, p0, p), abs=1e-12)


def test_binomial_limits_pair_the_tails_by_level() -> None:
    lims = binomial_limits(100, 0.3)
    assert list(lims) == list(LEVELS)
    for level, (low, high) in TAILS.items():
        assert lims[level] == pytest.approx((expected_binomial(100, 0.3, low), expected_binomial(100, 0.3, high)))
    assert lims["99.8"][0] < lims["95"][0] < 0.3 < lims["95"][1] < lims["99.8"][1]


def test_binomial_limits_a_worked_case_and_clipping() -> None:
    # n = 1, p0 = 0.1: F(0) = 0.9, F(1) = 1. Upper 95%: r = 1, alpha = (1 - 0.975) / 0.1 = 0.25.
    assert binomial_limit(1, 0.1, 0.975) == pytest.approx(0.75)
    # Lower 95%: r = 0, alpha = (0.9 - 0.025) / 0.9, limit = -alpha < 0: clipped to 0.
    assert binomial_limit(1, 0.1, 0.025) == 0.0
    # p0 = 0: every r_P is 0 and alpha = 1 - P > 0: clipped to 0; p0 = 1 never passes 1.
    assert binomial_limits(50, 0.0) == {"95": (0.0, 0.0), "99.8": (0.0, 0.0)}
    assert all(0 <= x <= 1 for pair in binomial_limits(50, 1.0).values() for x in pair)


@pytest.mark.parametrize("bad", [(0, 0.5, 0.025), (10, 1.5, 0.025), (10, 0.5, 0.0), (10, 0.5, 1.0)])
def test_binomial_limit_refuses_what_is_not_a_limit(bad: tuple[int, float, float]) -> None:
    with pytest.raises(ValueError):
        binomial_limit(*bad)


# Overdispersion: 12 services, p0 = 0.3, worked out step by step.
TWELVE = [(10, 100), (15, 100), (20, 100), (25, 100), (28, 100), (30, 100), (32, 100), (35, 100), (40, 100)]
TWELVE += [(45, 100), (50, 200), (110, 200)]


def worked_overdispersion(counts: list[tuple[int, int]], p0: float) -> tuple[float, float]:
    z = [(math.asin(math.sqrt(r / n)) - math.asin(math.sqrt(p0))) * 2 * math.sqrt(n) for r, n in counts]
    s = sorted(z)
    i = len(z)
    # 10th percentile: position (I - 1) * 0.1 = 1.1 between s[1] and s[2]; 90th: 9.9 between s[9] and s[10].
    low = s[1] + 0.1 * (s[2] - s[1])
    high = s[9] + 0.9 * (s[10] - s[9])
    winsorised = [min(max(v, low), high) for v in z]
    phi = sum(v * v for v in winsorised) / i
    w = [4 * n for _, n in counts]
    tau2 = max(0.0, (i * phi - (i - 1)) / (sum(w) - sum(x * x for x in w) / sum(w)))
    return phi, tau2


def test_overdispersion_matches_the_worked_example() -> None:
    phi, tau2 = worked_overdispersion(TWELVE, 0.3)
    assert phi > 1 + 2 * math.sqrt(2 / 12)  # 1.816...: these services are overdispersed
    od = overdispersion(TWELVE, 0.3)
    assert od == Overdispersion(services=12, phi=pytest.approx(phi), tau2=pytest.approx(tau2), adjusted=True)
    assert (od.phi, od.tau2) == pytest.approx((4.8195, 0.009209), abs=1e-4)  # the worked figures, pinned
    assert od.as_dict() == {"services": 12, "phi": od.phi, "tau2": od.tau2, "adjusted": True}


def test_overdispersion_leaves_out_services_too_small_to_judge() -> None:
    with_small = [*TWELVE, (19, 19), (0, 5)]
    assert overdispersion(with_small, 0.3) == overdispersion(TWELVE, 0.3)


def test_fewer_than_ten_services_are_never_adjusted() -> None:
    assert overdispersion(TWELVE[:9], 0.3) == Overdispersion(services=9, phi=1.0, tau2=0.0, adjusted=False)
    assert overdispersion([], 0.3) == Overdispersion(services=0, phi=1.0, tau2=0.0, adjusted=False)


def test_services_spread_as_chance_predicts_are_not_adjusted() -> None:
    # Twelve services all exactly at p0 except two a little off: phi well under the threshold.
    counts = [(30, 100)] * 10 + [(33, 100), (27, 100)]
    od = overdispersion(counts, 0.3)
    assert od.services == 12 and not od.adjusted and od.tau2 == 0.0
    assert od.phi == pytest.approx(worked_overdispersion(counts, 0.3)[0])


def test_adjusted_limits_are_random_effects_on_the_angular_scale() -> None:
    od = Overdispersion(services=12, phi=3.0, tau2=0.01, adjusted=True)
    lims = limits(400, 0.3, od)
    for level, z in (("95", Z95), ("99.8", Z998)):
        spread = z * math.sqrt(1 / 1600 + 0.01)
        centre = math.asin(math.sqrt(0.3))
        assert lims[level] == pytest.approx((math.sin(centre - spread) ** 2, math.sin(centre + spread) ** 2))


def test_adjusted_limits_clip_the_angle_instead_of_folding_back() -> None:
    od = Overdispersion(services=12, phi=3.0, tau2=0.5, adjusted=True)
    assert limits(20, 0.001, od)["99.8"][0] == 0.0
    assert limits(20, 0.999, od)["99.8"][1] == 1.0
    assert all(0 <= x <= 1 for pair in limits(20, 0.5, od).values() for x in pair)


def test_limits_are_exact_binomial_when_not_adjusted() -> None:
    assert limits(250, 0.3, NOT_ADJUSTED) == binomial_limits(250, 0.3)


LIMS = {"95": (0.2, 0.4), "99.8": (0.1, 0.5)}


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (0.3, "within"),
        (0.4, "within"),  # on the 95% limit: inside it
        (0.2, "within"),
        (0.4000001, "above_95"),
        (0.5, "above_95"),  # on the 99.8% limit
        (0.5000001, "above_99.8"),
        (0.1999999, "below_95"),
        (0.1, "below_95"),
        (0.0999999, "below_99.8"),
    ],
)
def test_positions_are_strictly_beyond_a_limit(rate: float, expected: str) -> None:
    assert position(rate, 100, LIMS) == expected


def test_too_few_under_twenty_eligible_or_without_a_figure() -> None:
    assert MIN_ELIGIBLE == 20
    assert position(0.9, 19, LIMS) == "too_few"
    assert position(0.9, 20, LIMS) == "above_99.8"
    assert position(None, 0, None) == "too_few"
    assert position(0.3, 50, None) == "too_few"


def test_a_clear_outlier_above_and_one_below() -> None:
    counts = [(60, 200)] * 8 + [(58, 200), (62, 200), (100, 200), (20, 200)]
    p0 = sum(r for r, _ in counts) / sum(n for _, n in counts)
    od = overdispersion(counts, p0)
    assert not od.adjusted  # winsorising keeps the two outliers from inflating phi
    found = [position(r / n, n, limits(n, p0, od)) for r, n in counts]
    assert found[:10] == ["within"] * 10
    assert found[10:] == ["above_99.8", "below_99.8"]


def test_funnel_curve_runs_from_the_smallest_judged_to_the_largest_denominator() -> None:
    curve = funnel_curve(0.3, NOT_ADJUSTED, 5000)
    assert list(curve) == list(LEVELS)
    ns = [point[0] for point in curve["95"]]
    assert ns[0] == MIN_ELIGIBLE and ns[-1] == 5000
    assert all(isinstance(n, int) for n in ns)
    assert all(a < b for a, b in itertools.pairwise(ns))  # no duplicates
    assert 80 <= len(ns) <= 102
    ratios = [b / a for a, b in itertools.pairwise(ns[60:])]
    assert max(ratios) / min(ratios) < 1.2  # geometric spacing where rounding does not matter
    for level in LEVELS:
        for n, low, high in curve[level][::10]:
            assert (low, high) == binomial_limits(n, 0.3)[level]


def test_funnel_curve_edge_sizes() -> None:
    assert funnel_curve(0.3, NOT_ADJUSTED, 19) == {"95": [], "99.8": []}
    assert [p[0] for p in funnel_curve(0.3, NOT_ADJUSTED, 20)["99.8"]] == [20]
    assert [p[0] for p in funnel_curve(0.3, NOT_ADJUSTED, 25)["95"]] == [20, 21, 22, 23, 24, 25]


@pytest.mark.parametrize("e", [0.5, 1.0, 7.3, 50.0, 1000.0])
@pytest.mark.parametrize("p", [0.001, 0.025, 0.975, 0.999])
def test_poisson_limit_is_the_same_interpolation(e: float, p: float) -> None:
    assert poisson_limit(e, p) == pytest.approx(expected_poisson(e, p), abs=1e-9)


def test_poisson_limit_worked_case() -> None:
    # E = 1: F(0) = e^-1 = 0.3679; lower 95%: r = 0, alpha = (0.3679 - 0.025) / 0.3679 > 0: clipped to 0.
    assert poisson_limit(1.0, 0.025) == 0.0
    # upper 95%: F(2) = 0.9197, F(3) = 0.9810: r = 3, alpha = (0.9810 - 0.975) / (0.9810 - 0.9197).
    f2, f3 = poisson.cdf(2, 1.0), poisson.cdf(3, 1.0)
    assert poisson_limit(1.0, 0.975) == pytest.approx(3 - (f3 - 0.975) / (f3 - f2))


def test_ratio_limits_are_poisson_limits_over_expected() -> None:
    lims = ratio_limits(40.0)
    for level, (low, high) in TAILS.items():
        assert lims[level] == pytest.approx((expected_poisson(40.0, low) / 40, expected_poisson(40.0, high) / 40))
    assert lims["99.8"][0] < lims["95"][0] < 1 < lims["95"][1] < lims["99.8"][1]
    assert ratio_limits(40.0, NOT_ADJUSTED) == lims


def test_adjusted_ratio_limits_on_the_square_root_scale() -> None:
    od = Overdispersion(services=12, phi=3.0, tau2=0.02, adjusted=True)
    lims = ratio_limits(40.0, od)
    for level, z in (("95", Z95), ("99.8", Z998)):
        spread = z * math.sqrt(1 / 160 + 0.02)
        assert lims[level] == pytest.approx(((1 - spread) ** 2, (1 + spread) ** 2))
    # A spread beyond 1 would fold the lower limit back up: it stays at 0.
    assert ratio_limits(0.5, od)["99.8"][0] == 0.0


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_ratio_limits_need_a_positive_expected(bad: float) -> None:
    with pytest.raises(ValueError, match="expected"):
        ratio_limits(bad)


def test_ratio_overdispersion_worked_example() -> None:
    pairs = [(10, 20.0), (14, 20.0), (18, 20.0), (20, 20.0), (22, 20.0), (25, 20.0)]
    pairs += [(30, 30.0), (35, 30.0), (40, 30.0), (20, 30.0), (60, 40.0), (5, 40.0)]
    z = [2 * (math.sqrt(o) - math.sqrt(e)) for o, e in pairs]
    s = sorted(z)
    low, high = s[1] + 0.1 * (s[2] - s[1]), s[9] + 0.9 * (s[10] - s[9])
    phi = sum(min(max(v, low), high) ** 2 for v in z) / 12
    w = [4 * e for _, e in pairs]
    tau2 = (12 * phi - 11) / (sum(w) - sum(x * x for x in w) / sum(w))
    assert phi > 1 + 2 * math.sqrt(2 / 12)
    od = ratio_overdispersion([*pairs, (3, 0.0)])  # no expected figure: left out
    assert od == Overdispersion(services=12, phi=pytest.approx(phi), tau2=pytest.approx(tau2), adjusted=True)


def test_ratio_funnel_curve_runs_from_one_expected_recovery() -> None:
    curve = ratio_funnel_curve(NOT_ADJUSTED, 250.0)
    es = [p[0] for p in curve["95"]]
    assert es[0] == 1.0 and es[-1] == 250.0 and len(es) == 100
    assert all(a < b for a, b in itertools.pairwise(es))
    e, low, high = curve["99.8"][50]
    assert (low, high) == ratio_limits(e)["99.8"]
    assert ratio_funnel_curve(NOT_ADJUSTED, 0.0) == {"95": [], "99.8": []}
    assert [p[0] for p in ratio_funnel_curve(NOT_ADJUSTED, 0.5)["95"]] == [0.5]


@pytest.mark.parametrize("o", [0, 1, 5, 50, 1000])
@pytest.mark.parametrize("level", [0.95, 0.998])
def test_garwood_interval_against_chi_squared(o: int, level: float) -> None:
    a = 1 - level
    low = 0.0 if o == 0 else chi2.ppf(a / 2, 2 * o) / 2
    assert garwood_interval(o, level) == pytest.approx((low, chi2.ppf(1 - a / 2, 2 * o + 2) / 2))


def test_garwood_interval_known_values() -> None:
    assert garwood_interval(0) == pytest.approx((0.0, 3.688879), abs=1e-6)
    assert garwood_interval(10) == pytest.approx((4.795389, 18.390356), abs=1e-6)
    with pytest.raises(ValueError, match="negative"):
        garwood_interval(-1)
