"""How long wellness lasts: Kaplan-Meier with delayed entry (SPEC section 4).

Product-limit estimate (Kaplan and Meier 1958) over subjects at risk at time u when
entry < u <= time, with events counted before censorings at the same time; pointwise 95%
intervals on the log(-log S) scale from Greenwood's (1926) variance.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

#: SPEC fixes the normal quantile for every 95% interval.
Z95: Final = 1.959964
#: still_well is reported at 26 and 52 weeks, in days.
STILL_WELL_DAYS: Final = {"26": 182, "52": 364}
# S is a product of floats: treat S within this of 0.5 as 0.5 when finding the median.
_MEDIAN_TOLERANCE: Final = 1e-12
#: `risk_table` counts on every day between the first and the last time when they are at most this far
#: apart (a few hundred thousand days at most in practice), else on the distinct times only.
_DENSE_SPAN_LIMIT: Final = 4_000_000


@dataclass(frozen=True, slots=True)
class KaplanMeier:
    """A fitted product-limit curve: one row per distinct event time."""

    n: int  # subjects kept (entry before time)
    events: int
    max_time: int | None  # largest observed time (event or censoring); None when n == 0
    times: tuple[int, ...]  # distinct event times, increasing
    at_risk: tuple[int, ...]
    deaths: tuple[int, ...]
    survival: tuple[float, ...]  # S just after each event time
    greenwood: tuple[float, ...]  # running sum of d / (n (n - d)); inf once S reaches 0

    def estimate_at(self, time: float) -> float | None:
        """S(time), or None when time is beyond the largest observed time (or no subjects)."""
        if self.max_time is None or time > self.max_time:
            return None
        i = _last_at_or_before(self.times, time)
        return 1.0 if i < 0 else self.survival[i]

    def ci95_at(self, time: float) -> tuple[float, float] | None:
        """Log-log 95% interval for S(time); None when S is 0 or 1 or out of range."""
        estimate = self.estimate_at(time)
        if estimate is None or estimate <= 0.0 or estimate >= 1.0:
            return None
        variance = self.greenwood[_last_at_or_before(self.times, time)]
        se = math.sqrt(variance) / abs(math.log(estimate))
        return (estimate ** math.exp(Z95 * se), estimate ** math.exp(-Z95 * se))

    def median(self) -> int | None:
        """The smallest time with S <= 0.5, or None when S never gets there."""
        for time, s in zip(self.times, self.survival, strict=True):
            if s <= 0.5 + _MEDIAN_TOLERANCE:
                return time
        return None


def _last_at_or_before(times: Sequence[int], time: float) -> int:
    """Index of the last event time <= time, or -1."""
    return bisect.bisect_right(times, time) - 1


def kaplan_meier(entry: Sequence[int], time: Sequence[int], event: Sequence[bool | int]) -> KaplanMeier:
    """Fit S(u) with delayed entry; subjects whose entry is not before their time are left out."""
    entry_a = np.asarray(entry, dtype=np.int64)
    time_a = np.asarray(time, dtype=np.int64)
    event_a = np.asarray(event, dtype=np.int64)
    if not entry_a.shape == time_a.shape == event_a.shape:
        raise ValueError("entry, time and event must have the same length")
    keep = entry_a < time_a
    entry_a, time_a, event_a = entry_a[keep], time_a[keep], event_a[keep]
    n = int(time_a.size)
    events = int(event_a.sum())
    if events == 0:
        return KaplanMeier(n, 0, int(time_a.max()) if n else None, (), (), (), (), ())
    surv_times, at_risk, deaths = risk_table(entry_a, time_a, event_a)
    survival = np.cumprod(1.0 - deaths / at_risk)
    with np.errstate(divide="ignore"):
        terms = np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), np.inf)
    return KaplanMeier(
        n=n,
        events=events,
        max_time=int(time_a.max()),
        times=tuple(surv_times.tolist()),
        at_risk=tuple(int(x) for x in at_risk),
        deaths=tuple(int(x) for x in deaths),
        survival=tuple(float(s) for s in survival),
        greenwood=tuple(float(v) for v in np.cumsum(terms)),
    )


def risk_table(
    entry: NDArray[np.int64], time: NDArray[np.int64], event: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Distinct event times, subjects at risk just before each (entry < u <= time) and events at each.

    The counts statsmodels' `SurvfuncRight(time, event, entry=entry)` gives as surv_times, n_risk and
    n_events (its `_calc_survfunc_right`, without the standard errors it also computes): both events
    and censorings at u are in the risk set at u, so events come before censorings.
    """
    if not time.size:
        empty = np.zeros(0, dtype=np.float64)
        return np.zeros(0, dtype=np.int64), empty, empty
    low = int(min(time.min(), entry.min()))
    span = int(max(time.max(), entry.max())) - low + 1
    if span <= _DENSE_SPAN_LIMIT:
        # Times are days: count on every day of the span (no sort of a national view's million spells).
        grid = np.arange(low, low + span, dtype=np.int64)
        time_at, entry_at = time - low, entry - low
    else:
        grid, ranks = np.unique(np.concatenate((time, entry)), return_inverse=True)
        time_at, entry_at = ranks[: len(time)], ranks[len(time) :]
    size = len(grid)
    deaths = np.bincount(time_at, weights=event, minlength=size)
    leaving = np.bincount(time_at, minlength=size)
    entered = np.bincount(entry_at, minlength=size)
    at_risk = (np.cumsum(entered) - entered) - (np.cumsum(leaving) - leaving)
    kept = np.flatnonzero(deaths > 0)
    return grid[kept], at_risk[kept].astype(np.float64), np.asarray(deaths[kept], dtype=np.float64)


def wellness_summary(entry: Sequence[int], time: Sequence[int], event: Sequence[bool | int]) -> dict[str, Any]:
    """The `wellness` object of `stats summary`: n, events, median_weeks and still_well."""
    return wellness_of(kaplan_meier(entry, time, event))


def wellness_of(km: KaplanMeier) -> dict[str, Any]:
    """The `wellness` object of `stats summary` from a fitted curve."""
    median = km.median()
    still_well: dict[str, dict[str, Any]] = {}
    for key, days in STILL_WELL_DAYS.items():
        ci = km.ci95_at(days)
        still_well[key] = {"estimate": km.estimate_at(days), "ci95": list(ci) if ci else None}
    return {
        "n": km.n,
        "events": km.events,
        "median_weeks": median / 7 if median is not None else None,
        "still_well": still_well,
    }


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """One step of the Kaplan-Meier curve: from `days` on, S is `survival` (until the next step)."""

    days: int
    survival: float
    ci95: tuple[float, float] | None  # log-log 95% interval; None when S is 0 or 1
    at_risk: int | None  # subjects at risk just before `days`; None for the start and the end of follow-up
    events: int

    @property
    def weeks(self) -> float:
        """The step's time in weeks."""
        return self.days / 7


def curve_points(km: KaplanMeier) -> list[CurvePoint]:
    """The steps of a fitted curve for drawing: (0, 1), one per event time, and the end of follow-up.

    Empty when there are no subjects. The last point (when follow-up outlasts the last event)
    carries the final S forward to the largest observed time, so a step plot ends where data ends.
    """
    if km.max_time is None:
        return []
    points = [CurvePoint(0, 1.0, None, None, 0)]
    for i, days in enumerate(km.times):
        points.append(CurvePoint(days, km.survival[i], km.ci95_at(days), km.at_risk[i], km.deaths[i]))
    if km.max_time > points[-1].days:
        last = points[-1]
        points.append(CurvePoint(km.max_time, last.survival, last.ci95, None, 0))
    return points


#: A curve is drawn only while at least this many people are at risk: beyond, a step rests on so few
#: people that it falls towards 0% on one or two endings.
MIN_AT_RISK: Final = 10


class Curve(list[CurvePoint]):
    """The steps of a Kaplan-Meier curve and, beside them, how many are at risk on each day of follow-up.

    `at_risk_by_day[d]`: subjects under follow-up just after day d (entry <= d < time), the people
    an ending between day d and d + 1 would be counted against; 0 beyond the last day.
    """

    def __init__(self, points: Iterable[CurvePoint] = (), at_risk_by_day: Sequence[int] = ()) -> None:
        super().__init__(points)
        self.at_risk_by_day: tuple[int, ...] = tuple(at_risk_by_day)

    def at_risk(self, day: int) -> int:
        """Subjects at risk just after `day` (for the "numbers at risk" row under the chart)."""
        return self.at_risk_by_day[day] if 0 <= day < len(self.at_risk_by_day) else 0

    def drawable_until(self, minimum: int = MIN_AT_RISK) -> int | None:
        """The last day up to which `minimum` or more are at risk (None when never so many)."""
        last = None
        for day, n in enumerate(self.at_risk_by_day):
            if n >= minimum:
                last = day + 1
        return last

    def drawn(self, minimum: int = MIN_AT_RISK) -> list[CurvePoint]:
        """The steps up to `drawable_until`, the last one carried forward to it; empty when never so many."""
        until = self.drawable_until(minimum)
        if until is None:
            return []
        kept = [point for point in self if point.days <= until]
        if kept and kept[-1].days < until:
            last = kept[-1]
            kept.append(CurvePoint(until, last.survival, last.ci95, None, 0))
        return kept


def at_risk_by_day(entry: Sequence[int], time: Sequence[int]) -> tuple[int, ...]:
    """Subjects under follow-up just after each day from 0 to the last (entry <= d < time), entry < time only.

    A subject whose follow-up ends on or before day 0 (records that put a spell's end before its start's
    reference, as a re-dated discharge can) is at risk on no such day."""
    entry_a = np.asarray(entry, dtype=np.int64)
    time_a = np.asarray(time, dtype=np.int64)
    keep = (entry_a < time_a) & (time_a > 0)
    entry_a, time_a = np.maximum(entry_a[keep], 0), time_a[keep]
    if not time_a.size:
        return ()
    last = int(time_a.max())
    change = np.bincount(entry_a, minlength=last + 1) - np.bincount(time_a, minlength=last + 1)
    return tuple(int(n) for n in np.cumsum(change)[:last])


def wellness_curve(
    entry: Sequence[int], time: Sequence[int], event: Sequence[bool | int], *, fitted: KaplanMeier | None = None
) -> Curve:
    """The steps of the wellness Kaplan-Meier curve (the same fit as `wellness_summary`), with the numbers at risk.

    `fitted`: the curve already fitted to these subjects (`kaplan_meier(entry, time, event)`), not fitted again."""
    km = fitted if fitted is not None else kaplan_meier(entry, time, event)
    return Curve(curve_points(km), at_risk_by_day(entry, time))
