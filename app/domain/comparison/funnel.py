"""Funnel limits, overdispersion and positions for comparing services (SPEC section 8.1).

Two scales, the same ideas on each:

- the observed rate r/n (durable recovery, intention to treat) around the target p0: exact binomial
  limits (Spiegelhalter 2005, appendix A.1.1), or additive random-effects limits on the angular
  (arcsine square-root) scale when the services are overdispersed;
- the ratio O/E of observed to expected recoveries (indirect standardisation) around 1: exact
  Poisson limits with the same interpolation, or random-effects limits on the square-root scale.

Everything here is pure: counts in, floats out. scipy is imported on first use.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Final

Z95: Final = 1.959964
Z998: Final = 3.090232
LEVELS: Final = ("95", "99.8")
#: A service with fewer eligible episodes than this is "too_few": no limits, no position judged,
#: and it takes no part in the overdispersion estimate.
MIN_ELIGIBLE: Final = 20
#: Overdispersion is estimated only from this many judged services or more (Spiegelhalter 2005).
MIN_SERVICES: Final = 10
#: The funnel curves have about this many points.
CURVE_POINTS: Final = 100
#: The expected recoveries the O/E funnel starts from (or the largest, when smaller).
CURVE_SMALLEST_EXPECTED: Final = 1.0

#: level -> (lower tail P, upper tail P, z for the normal approximations)
_TAILS: Final = {"95": (0.025, 0.975, Z95), "99.8": (0.001, 0.999, Z998)}
#: Positions from the most extreme above to the most extreme below.
POSITIONS: Final = ("above_99.8", "above_95", "within", "below_95", "below_99.8", "too_few")

Limits = dict[str, tuple[float, float]]
Curve = dict[str, list[list[float]]]


@cache
def _stats() -> Any:
    """scipy.stats, imported on first use (it takes a good part of a second)."""
    import scipy.stats

    return scipy.stats


def _clip(x: float, low: float = 0.0, high: float = 1.0) -> float:
    return float(min(max(x, low), high))


def _smallest_reaching(cdf: Any, ppf: Any, p: float) -> int:
    """r_P: the smallest r with F(r) >= P, from scipy's ppf, checked against the cdf itself so
    that rounding inside ppf can never move it by one."""
    r = int(ppf(p))
    while r > 0 and cdf(r - 1) >= p:
        r -= 1
    while cdf(r) < p:
        r += 1
    return r


def _interpolated(cdf: Any, ppf: Any, p: float) -> float:
    """r_P - alpha with alpha = (F(r_P) - P) / (F(r_P) - F(r_P - 1)) (Spiegelhalter 2005, A.1.1)."""
    r = _smallest_reaching(cdf, ppf, p)
    f_r = float(cdf(r))
    f_below = float(cdf(r - 1)) if r > 0 else 0.0
    alpha = (f_r - p) / (f_r - f_below)
    return r - alpha


def _check_probability(p: float) -> None:
    if not 0.0 < p < 1.0:
        raise ValueError(f"a tail probability must lie strictly between 0 and 1 (got {p})")


def binomial_limit(n: int, p0: float, p: float) -> float:
    """The exact binomial limit at tail probability p for a denominator n around the target p0:
    (r_P - alpha) / n clipped to [0, 1], r_P the smallest r with F(r) >= p under Binomial(n, p0)."""
    if n < 1:
        raise ValueError(f"a funnel limit needs a denominator of at least 1 (got {n})")
    if not 0.0 <= p0 <= 1.0:
        raise ValueError(f"the target must be a proportion (got {p0})")
    _check_probability(p)
    binom = _stats().binom
    limit = _interpolated(lambda r: binom.cdf(r, n, p0), lambda q: binom.ppf(q, n, p0), p)
    return _clip(limit / n)


@lru_cache(maxsize=4096)
def _binomial_pairs(n: int, p0: float) -> tuple[tuple[str, tuple[float, float]], ...]:
    """The limits of binomial_limits, remembered: a funnel curve and the services share denominators."""
    return tuple(
        (level, (binomial_limit(n, p0, low), binomial_limit(n, p0, high))) for level, (low, high, _) in _TAILS.items()
    )


def binomial_limits(n: int, p0: float) -> Limits:
    """{"95": (lo, hi), "99.8": (lo, hi)}: exact binomial limits at P = 0.025/0.975 and 0.001/0.999."""
    return dict(_binomial_pairs(n, p0))


@dataclass(frozen=True)
class Overdispersion:
    """The overdispersion of the judged services: phi = sum of z^2 / I (winsorised z-scores) and the
    between-service variance tau2 of the random-effects limits, used when `adjusted`."""

    services: int
    phi: float
    tau2: float
    adjusted: bool

    def as_dict(self) -> dict[str, Any]:
        """The SPEC object: {"services", "phi", "tau2", "adjusted"}."""
        return {"services": self.services, "phi": self.phi, "tau2": self.tau2, "adjusted": self.adjusted}


def _winsorised(z: Sequence[float]) -> list[float]:
    """z with values below its 10th percentile raised to it and above its 90th lowered to it;
    percentiles by linear interpolation between order statistics (numpy's default, Hyndman and
    Fan's type 7): the p-th percentile of sorted z_(0..I-1) sits at position (I - 1) p."""
    import numpy as np

    low, high = (float(v) for v in np.percentile(np.asarray(z, dtype=float), [10, 90]))
    return [min(max(v, low), high) for v in z]


def _from_z_scores(z: Sequence[float], weights: Sequence[float]) -> Overdispersion:
    """phi from winsorised z-scores; tau2 = max(0, (I phi - (I - 1)) / (sum w - sum w^2 / sum w))
    when phi > 1 + 2 sqrt(2 / I), else 0 (no adjustment)."""
    services = len(z)
    if services < MIN_SERVICES:
        return Overdispersion(services=services, phi=1.0, tau2=0.0, adjusted=False)
    phi = sum(v * v for v in _winsorised(z)) / services
    if phi <= 1 + 2 * math.sqrt(2 / services):
        return Overdispersion(services=services, phi=phi, tau2=0.0, adjusted=False)
    total = sum(weights)
    tau2 = max(0.0, (services * phi - (services - 1)) / (total - sum(w * w for w in weights) / total))
    return Overdispersion(services=services, phi=phi, tau2=tau2, adjusted=True)


def overdispersion(counts: Sequence[tuple[int, int]], p0: float) -> Overdispersion:
    """Overdispersion of the services' rates around p0 from their (r_i, n_i): z_i = (asin sqrt(r_i/n_i)
    - asin sqrt(p0)) 2 sqrt(n_i), w_i = 4 n_i. Services with n_i < MIN_ELIGIBLE are left out (they
    are not judged); with fewer than 10 services left, phi = 1 and nothing is adjusted."""
    if not 0.0 <= p0 <= 1.0:
        raise ValueError(f"the target must be a proportion (got {p0})")
    judged = [(r, n) for r, n in counts if n >= MIN_ELIGIBLE]
    for r, n in judged:
        if not 0 <= r <= n:
            raise ValueError(f"not a proportion: {r}/{n}")
    centre = math.asin(math.sqrt(p0))
    z = [(math.asin(math.sqrt(r / n)) - centre) * 2 * math.sqrt(n) for r, n in judged]
    return _from_z_scores(z, [4.0 * n for _, n in judged])


def _random_effects_limits(n: int, p0: float, tau2: float) -> Limits:
    """sin^2(asin sqrt(p0) +- z sqrt(1/(4n) + tau2)), the angle kept within [0, pi/2] so that the
    limits stay in [0, 1] and never fold back."""
    centre = math.asin(math.sqrt(p0))
    spread = math.sqrt(1 / (4 * n) + tau2)
    out: Limits = {}
    for level, (_, _, z) in _TAILS.items():
        low = _clip(centre - z * spread, 0.0, math.pi / 2)
        high = _clip(centre + z * spread, 0.0, math.pi / 2)
        out[level] = (_clip(math.sin(low) ** 2), _clip(math.sin(high) ** 2))
    return out


def limits(n: int, p0: float, od: Overdispersion) -> Limits:
    """The funnel limits of a rate with denominator n around p0: random effects when od.adjusted,
    else exact binomial; all in [0, 1]."""
    if n < 1:
        raise ValueError(f"a funnel limit needs a denominator of at least 1 (got {n})")
    if od.adjusted:
        return _random_effects_limits(n, p0, od.tau2)
    return binomial_limits(n, p0)


def position(observed_rate: float | None, n: int, lims: Mapping[str, Sequence[float]] | None) -> str:
    """Where a service's figure falls: above_99.8, above_95, within, below_95, below_99.8, or too_few
    (under MIN_ELIGIBLE eligible, no figure, or no limits). Outside means strictly beyond a limit:
    a figure exactly on a limit is inside it."""
    if n < MIN_ELIGIBLE or observed_rate is None or lims is None:
        return "too_few"
    low95, high95 = lims["95"]
    low998, high998 = lims["99.8"]
    if observed_rate > high998:
        return "above_99.8"
    if observed_rate > high95:
        return "above_95"
    if observed_rate < low998:
        return "below_99.8"
    if observed_rate < low95:
        return "below_95"
    return "within"


def _integer_grid(smallest: int, largest: int) -> list[int]:
    """About CURVE_POINTS integers spaced geometrically from smallest to largest, both included."""
    import numpy as np

    if largest <= smallest:
        return [largest]
    points = np.geomspace(smallest, largest, CURVE_POINTS)
    return sorted({smallest, largest, *(round(float(x)) for x in points)})


def _curve(points: Sequence[float], limits_at: Any) -> Curve:
    curve: Curve = {level: [] for level in LEVELS}
    for x in points:
        lims = limits_at(x)
        for level in LEVELS:
            low, high = lims[level]
            curve[level].append([x, low, high])
    return curve


def funnel_curve(p0: float, od: Overdispersion, largest_n: int) -> Curve:
    """{"95": [[n, lo, hi], ...], "99.8": [...]}: the limits at about 100 integer denominators
    spaced geometrically from MIN_ELIGIBLE (the smallest denominator judged) to largest_n; empty
    lists when largest_n is under MIN_ELIGIBLE."""
    if largest_n < MIN_ELIGIBLE:
        return {level: [] for level in LEVELS}
    return _curve(_integer_grid(MIN_ELIGIBLE, largest_n), lambda n: limits(n, p0, od))


# O/E: indirect standardisation, exact Poisson limits on the observed count.


def _check_expected(expected: float) -> None:
    if not expected > 0 or math.isinf(expected):
        raise ValueError(f"expected recoveries must be a positive number (got {expected})")


def poisson_limit(expected: float, p: float) -> float:
    """The exact Poisson limit on the observed count at tail probability p: r_P - alpha, r_P the
    smallest r with F(r) >= p under Poisson(expected), alpha interpolated as for the binomial;
    never below 0."""
    _check_expected(expected)
    _check_probability(p)
    poisson = _stats().poisson
    limit = _interpolated(lambda r: poisson.cdf(r, expected), lambda q: poisson.ppf(q, expected), p)
    return max(0.0, float(limit))


def ratio_limits(expected: float, od: Overdispersion | None = None) -> Limits:
    """Limits of O/E around 1 for expected recoveries E: poisson_limit(E, P) / E; with od.adjusted,
    (1 +- z sqrt(1/(4E) + tau2))^2 on the square-root scale (w_i = 4 E_i), the lower one from 0
    when 1 - z sqrt(...) is negative. O/E has no upper bound."""
    _check_expected(expected)
    out: Limits = {}
    if od is not None and od.adjusted:
        spread = math.sqrt(1 / (4 * expected) + od.tau2)
        for level, (_, _, z) in _TAILS.items():
            out[level] = (max(0.0, 1 - z * spread) ** 2, (1 + z * spread) ** 2)
        return out
    for level, (low, high, _) in _TAILS.items():
        out[level] = (poisson_limit(expected, low) / expected, poisson_limit(expected, high) / expected)
    return out


def ratio_overdispersion(pairs: Sequence[tuple[int, float]]) -> Overdispersion:
    """Overdispersion of O/E around 1 from the judged services' (O_i, E_i): z_i = 2 (sqrt(O_i) -
    sqrt(E_i)), w_i = 4 E_i, winsorised and tested as for rates. Pairs without a positive E_i
    (no expected figure) are left out; the caller leaves out services under MIN_ELIGIBLE."""
    kept = [(o, e) for o, e in pairs if e > 0]
    for o, _ in kept:
        if o < 0:
            raise ValueError(f"an observed count cannot be negative (got {o})")
    z = [2 * (math.sqrt(o) - math.sqrt(e)) for o, e in kept]
    return _from_z_scores(z, [4.0 * e for _, e in kept])


def ratio_funnel_curve(od: Overdispersion, largest_expected: float) -> Curve:
    """{"95": [[E, lo, hi], ...], "99.8": [...]} on the O/E scale: about 100 expected values spaced
    geometrically from 1 (or largest_expected when smaller) to largest_expected; empty lists when
    there is no positive expected figure."""
    if not largest_expected > 0:
        return {level: [] for level in LEVELS}
    import numpy as np

    smallest = min(CURVE_SMALLEST_EXPECTED, largest_expected)
    if smallest == largest_expected:
        points = [float(largest_expected)]
    else:
        points = [float(x) for x in np.geomspace(smallest, largest_expected, CURVE_POINTS)]
        points[-1] = float(largest_expected)  # exactly, not geomspace's rounding of it
    return _curve(points, lambda e: ratio_limits(e, od))


def garwood_interval(observed: int, level: float = 0.95) -> tuple[float, float]:
    """The exact (Garwood 1936) Poisson interval on an observed count O: chi2.ppf(a/2, 2O) / 2 (0 when
    O = 0) and chi2.ppf(1 - a/2, 2O + 2) / 2, a = 1 - level."""
    if observed < 0:
        raise ValueError(f"an observed count cannot be negative (got {observed})")
    if not 0.0 < level < 1.0:
        raise ValueError(f"a confidence level must lie strictly between 0 and 1 (got {level})")
    chi2 = _stats().chi2
    a = 1.0 - level
    low = 0.0 if observed == 0 else float(chi2.ppf(a / 2, 2 * observed)) / 2
    high = float(chi2.ppf(1 - a / 2, 2 * observed + 2)) / 2
    return low, high
