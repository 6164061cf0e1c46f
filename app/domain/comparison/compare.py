"""The `stats compare` object (SPEC section 8.1) from each service's figures, and its published form.

`comparison` assembles the evaluators' object; `published_comparison` applies SPEC section 4's
disclosure control to it. Choices SPEC leaves open, made here:

- `expected` and the figures resting on it (`observed_expected`, `adjusted_rate`, `adjusted_ci95`)
  are null when the service has no expected figure or it is 0 (no eligible episode), and its
  `adjusted_position` is then "too_few" (nothing to judge), as under MIN_ELIGIBLE eligible;
- `gap` = observed rate - service-reported rate, null when either rate is null;
- `adjusted_rate` = (O/E) x target rate and its interval (Garwood on O, divided by E, times the
  target rate) are not clipped to 1: they are a ratio times a rate, and clipping would hide a
  service doing better than its case mix predicts;
- the funnel curves run from MIN_ELIGIBLE to the largest service's eligible episodes, the O/E
  curve from 1 expected recovery to the largest expected figure of a judged service;
- the overdispersion of O/E is estimated from the judged services (MIN_ELIGIBLE eligible or more)
  that have a positive expected figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from app.domain.comparison.funnel import (
    LEVELS,
    MIN_ELIGIBLE,
    Limits,
    Overdispersion,
    funnel_curve,
    garwood_interval,
    limits,
    overdispersion,
    position,
    ratio_funnel_curve,
    ratio_limits,
    ratio_overdispersion,
)
from app.domain.disclosure import (
    ROUNDING_BASE,
    SUPPRESSED,
    is_small,
    publish_rate,
    whole_percent,
)
from app.domain.statistics import wilson_rate

METHODOLOGY_VERSION: Final = 2
MEASURE: Final = "durable_recovery_itt"
#: Decimal places of published O/E figures (ratios around 1, as precise as whole percentages).
RATIO_DECIMALS: Final = 2
#: Decimal places of the published overdispersion phi and tau2.
PHI_DECIMALS: Final = 2
TAU2_DECIMALS: Final = 4

#: The keys of a service's entry that say where it stands: published only with its counts.
POSITION_KEYS: Final = (
    "limits",
    "position",
    "expected",
    "observed_expected",
    "adjusted_rate",
    "adjusted_ci95",
    "adjusted_position",
    "adjusted_limits",
)


@dataclass(frozen=True)
class ServiceFigures:
    """One service's counts as of the date: eligible episodes and the durably recovered among them,
    expected recoveries from the case-mix model (None without one), and the service-reported
    recovery's denominator (finished at caseness) and numerator."""

    service: str
    eligible: int
    durably_recovered: int
    expected: float | None
    at_caseness: int
    reported_recovered: int


def _as_lists(lims: Limits | None) -> dict[str, list[float]] | None:
    return None if lims is None else {level: [float(lo), float(hi)] for level, (lo, hi) in lims.items()}


def _rate_value(rate: Mapping[str, Any]) -> float | None:
    value = rate["rate"]
    return None if value is None else float(value)


def _service_entry(
    figures: ServiceFigures, p0: float | None, od: Overdispersion, ratio_od: Overdispersion
) -> dict[str, Any]:
    """One service's entry; p0 is the target rate (None when no service has an eligible episode)."""
    observed = wilson_rate(figures.durably_recovered, figures.eligible)
    lims = limits(figures.eligible, p0, od) if figures.eligible >= MIN_ELIGIBLE and p0 is not None else None
    reported = wilson_rate(figures.reported_recovered, figures.at_caseness)
    expected = figures.expected if figures.expected else None  # None or 0: no expected figure
    ratio = adjusted_rate = adjusted_ci95 = ratio_lims = None
    if expected is not None:
        ratio = figures.durably_recovered / expected
        if p0 is not None:
            low, high = garwood_interval(figures.durably_recovered)
            adjusted_rate = ratio * p0
            adjusted_ci95 = [low / expected * p0, high / expected * p0]
        if figures.eligible >= MIN_ELIGIBLE:
            ratio_lims = ratio_limits(expected, ratio_od)
    observed_rate, reported_rate = _rate_value(observed), _rate_value(reported)
    return {
        "service": figures.service,
        "observed": observed,
        "limits": _as_lists(lims),
        "position": position(observed_rate, figures.eligible, lims),
        "expected": None if expected is None else float(expected),
        "observed_expected": ratio,
        "adjusted_rate": adjusted_rate,
        "adjusted_ci95": adjusted_ci95,
        "service_reported_recovery": reported,
        "adjusted_position": position(ratio, figures.eligible, ratio_lims),
        "adjusted_limits": _as_lists(ratio_lims),
        "gap": None if observed_rate is None or reported_rate is None else observed_rate - reported_rate,
    }


def comparison(
    as_of: date, services: Sequence[ServiceFigures], *, case_mix: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The SPEC 8.1 object: the pooled target RATE, overdispersion, one entry per service sorted by
    code (observed RATE, funnel limits and position, O/E figures and their position, the
    service-reported recovery and the gap to it), the funnel curves, and the case-mix model's
    description as given (or null)."""
    codes = [s.service for s in services]
    if len(set(codes)) != len(codes):
        raise ValueError(f"a service appears more than once: {sorted(c for c in set(codes) if codes.count(c) > 1)}")
    ordered = sorted(services, key=lambda s: s.service)
    target = wilson_rate(sum(s.durably_recovered for s in ordered), sum(s.eligible for s in ordered))
    p0 = _rate_value(target)
    judged = [s for s in ordered if s.eligible >= MIN_ELIGIBLE]
    od = overdispersion([(s.durably_recovered, s.eligible) for s in judged], p0 if p0 is not None else 0.0)
    with_expected = [(s.durably_recovered, float(s.expected)) for s in judged if s.expected]
    ratio_od = ratio_overdispersion(with_expected)
    entries = [_service_entry(s, p0, od, ratio_od) for s in ordered]
    largest_n = max((s.eligible for s in ordered), default=0)
    funnel = funnel_curve(p0, od, largest_n) if p0 is not None else {level: [] for level in LEVELS}
    largest_expected = max((e for _, e in with_expected), default=0.0)
    return {
        "methodology": METHODOLOGY_VERSION,
        "as_of": as_of.isoformat(),
        "measure": MEASURE,
        "target": target,
        "overdispersion": od.as_dict(),
        "services": entries,
        "funnel": funnel,
        "adjusted_overdispersion": ratio_od.as_dict(),
        "adjusted_funnel": ratio_funnel_curve(ratio_od, largest_expected),
        "case_mix": None if case_mix is None else dict(case_mix),
    }


# Publication (SPEC section 4 and the last item of 8.1).


def _percent_pair(pair: Sequence[float] | None) -> list[int] | None:
    return None if pair is None else [whole_percent(pair[0]), whole_percent(pair[1])]


def _ratio(x: float | None) -> float | None:
    return None if x is None else round(x, RATIO_DECIMALS)


def _ratio_pair(pair: Sequence[float] | None) -> list[float] | None:
    return None if pair is None else [round(pair[0], RATIO_DECIMALS), round(pair[1], RATIO_DECIMALS)]


def _limits_map(lims: Mapping[str, Sequence[float]] | None, publish_pair: Any) -> dict[str, Any] | None:
    return None if lims is None else {level: publish_pair(pair) for level, pair in lims.items()}


def _published_expected(expected: float | None) -> int | None:
    """Expected recoveries rounded to the nearest 5 like a count (halves up), never suppressed: it
    is a model's figure, not people, but shown exactly it would give O away beside O/E."""
    if expected is None:
        return None
    return ROUNDING_BASE * math.floor(expected / ROUNDING_BASE + 0.5)


def _published_gap(entry: Mapping[str, Any], observed: Mapping[str, Any], reported: Mapping[str, Any]) -> Any:
    """Whole percentage points of the unrounded gap; "*" when either rate is suppressed."""
    if observed["rate"] == SUPPRESSED or reported["rate"] == SUPPRESSED:
        return SUPPRESSED
    gap = entry["gap"]
    return None if gap is None else whole_percent(gap)


def _published_service(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A service's entry published: its counts as section 4 says; when its counts are suppressed
    (eligible or durably recovered 1-7), everything saying where it stands is "*" too."""
    observed = entry["observed"]
    counts_suppressed = is_small(observed["numerator"]) or is_small(observed["denominator"])
    published_observed = publish_rate(observed)
    published_reported = publish_rate(entry["service_reported_recovery"])
    out: dict[str, Any] = {
        "service": entry["service"],
        "observed": published_observed,
        "limits": _limits_map(entry["limits"], _percent_pair),
        "position": entry["position"],
        "expected": _published_expected(entry["expected"]),
        "observed_expected": _ratio(entry["observed_expected"]),
        "adjusted_rate": None if entry["adjusted_rate"] is None else whole_percent(entry["adjusted_rate"]),
        "adjusted_ci95": _percent_pair(entry["adjusted_ci95"]),
        "service_reported_recovery": published_reported,
        "adjusted_position": entry["adjusted_position"],
        "adjusted_limits": _limits_map(entry["adjusted_limits"], _ratio_pair),
        "gap": _published_gap(entry, published_observed, published_reported),
    }
    if counts_suppressed:
        out |= dict.fromkeys(POSITION_KEYS, SUPPRESSED)
    return out


def _published_overdispersion(od: Mapping[str, Any]) -> dict[str, Any]:
    """The number of services is not people and stays; phi and tau2 are rounded so that they
    cannot be worked back to exact counts."""
    return {
        "services": od["services"],
        "phi": round(od["phi"], PHI_DECIMALS),
        "tau2": round(od["tau2"], TAU2_DECIMALS),
        "adjusted": od["adjusted"],
    }


def _published_curve(curve: Mapping[str, Sequence[Sequence[float]]], x_of: Any, pair_of: Any) -> dict[str, Any]:
    """Each curve's points with x published by x_of and (lo, hi) by pair_of; a point whose published
    x repeats the previous one's is dropped (the first is kept)."""
    out: dict[str, Any] = {}
    for level, points in curve.items():
        kept: list[list[Any]] = []
        for x, low, high in points:
            shown_x = x_of(x)
            if kept and kept[-1][0] == shown_x:
                continue
            kept.append([shown_x, *pair_of((low, high))])
        out[level] = kept
    return out


def _rounded_denominator(n: float) -> int:
    """Funnel denominators rounded to the nearest 5 like counts: the last point is the largest
    service's eligible episodes, which must not be shown exactly."""
    return ROUNDING_BASE * math.floor(n / ROUNDING_BASE + 0.5)


def _rounded_expected(e: float) -> int:
    """O/E funnel expected figures as whole numbers (at least 1)."""
    return max(1, math.floor(e + 0.5))


def published_comparison(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The `stats compare` object with SPEC section 4's disclosure control applied (same keys, new
    dict): counts 1-7 "*", others to the nearest 5; rates and intervals as whole percentages from
    the unrounded counts ("*" when a count is 1-7); O/E figures to 2 decimals; a service's
    positions, limits and O/E figures only with its counts; funnel limits as whole percentages
    (O/E: 2 decimals) at denominators rounded to 5 (expected figures to whole numbers)."""
    return {
        "methodology": obj["methodology"],
        "as_of": obj["as_of"],
        "measure": obj["measure"],
        "target": publish_rate(obj["target"]),
        "overdispersion": _published_overdispersion(obj["overdispersion"]),
        "services": [_published_service(entry) for entry in obj["services"]],
        "funnel": _published_curve(obj["funnel"], _rounded_denominator, _percent_pair),
        "adjusted_overdispersion": _published_overdispersion(obj["adjusted_overdispersion"]),
        "adjusted_funnel": _published_curve(obj["adjusted_funnel"], _rounded_expected, _ratio_pair),
        "case_mix": obj["case_mix"],  # the model's description, published as its author gave it
    }
