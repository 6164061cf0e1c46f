"""Rates with Wilson intervals, service-reported figures, effect sizes and the summary builder.

`SummaryBuilder` streams episodes into counters, so a million episodes need no more memory
than their Kaplan-Meier subjects; `summarise` is the same for an iterable.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Final, TypeVar

import numpy as np

from app.domain.comparison.cells import CELL_COUNTS, CaseMixKey, CaseMixTally
from app.domain.outcomes import (
    CATEGORIES,
    CHANGES,
    DISORDERS,
    ELIGIBLE,
    PROBLEM_GROUPS,
    SESSIONS_BANDS,
    EpisodeFacts,
    disorder,
    evaluate_raw,
    problem_group,
    sessions_band,
)
from app.domain.survival import Curve, KaplanMeier, kaplan_meier, wellness_curve, wellness_of

METHODOLOGY_VERSION: Final = 1
K = TypeVar("K")

# NHS Talking Therapies caseness and reliable-change thresholds (PHQ-9, GAD-7).
PHQ9_CASENESS: Final = 10
GAD7_CASENESS: Final = 8
PHQ9_RELIABLE_CHANGE: Final = 6
GAD7_RELIABLE_CHANGE: Final = 4


#: The normal quantile statsmodels' Wilson interval uses for SPEC's z = 1.959964: it takes alpha
#: (2 * sf(z)) and turns it back into isf(alpha / 2), one unit in the last place below z.
#: tests/unit/test_statistics_speed_paths.py checks both against scipy and statsmodels.
WILSON_Z: Final = 1.9599639999999998
_WILSON_Z2: Final = WILSON_Z**2


@cache
def _ndtr() -> Any:
    """scipy's standard normal distribution function (scipy.stats' norm.cdf), imported on first use."""
    from scipy.special import ndtr

    return ndtr


def load_libraries() -> None:
    """Import what effect sizes need (scipy.special, well under a second), ahead of their first use."""
    _ndtr()


def wilson_interval(numerator: int, denominator: int) -> tuple[float, float]:
    """The Wilson 95% interval of numerator/denominator (denominator > 0), float for float what
    statsmodels' `proportion_confint(method="wilson")` gives for alpha = 2 * sf(1.959964)."""
    q = numerator / denominator
    denom = 1 + _WILSON_Z2 / denominator
    center = (q + _WILSON_Z2 / (2 * denominator)) / denom
    dist = WILSON_Z * math.sqrt(q * (1.0 - q) / denominator + _WILSON_Z2 / (4.0 * (denominator * denominator)))
    dist /= denom
    return min(max(center - dist, 0.0), 1.0), min(max(center + dist, 0.0), 1.0)


def wilson_rate(numerator: int, denominator: int) -> dict[str, Any]:
    """A RATE object: the proportion with its Wilson 95% interval (Wilson 1927), no correction."""
    if denominator < 0 or not 0 <= numerator <= max(denominator, 0):
        raise ValueError(f"not a proportion: {numerator}/{denominator}")
    if denominator == 0:
        return {"numerator": numerator, "denominator": 0, "rate": None, "ci95": None}
    low, high = wilson_interval(numerator, denominator)
    return {
        "numerator": numerator,
        "denominator": denominator,
        "rate": numerator / denominator,
        "ci95": [low, high],
    }


@dataclass(frozen=True, slots=True)
class ServiceReported:
    """How a service would itself report one episode (simplified NHS Talking Therapies KPIs)."""

    finished: bool
    missing_scores: bool
    at_caseness: bool
    recovered: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool


_NOT_FINISHED: Final = ServiceReported(False, False, False, False, False, False, False)
_MISSING: Final = ServiceReported(False, True, False, False, False, False, False)


def service_reported(ep: EpisodeFacts) -> ServiceReported:
    """Finished = 2+ sessions and all four scores; the rest applies to finished episodes."""
    if ep.treatment_sessions < 2:
        return _NOT_FINISHED
    pf, pl, gf, gl = ep.phq9_first, ep.phq9_last, ep.gad7_first, ep.gad7_last
    if pf is None or pl is None or gf is None or gl is None:
        return _MISSING
    caseness, recovered, improved, deteriorated = _score_flags(pf, pl, gf, gl)
    return ServiceReported(True, False, caseness, recovered, improved, deteriorated, recovered and improved)


def _score_flags(pf: int, pl: int, gf: int, gl: int) -> tuple[bool, bool, bool, bool]:
    """(at caseness, recovered, reliably improved, reliably deteriorated) from the four scores."""
    caseness = pf >= PHQ9_CASENESS or gf >= GAD7_CASENESS
    recovered = caseness and pl < PHQ9_CASENESS and gl < GAD7_CASENESS
    deteriorated = pl - pf >= PHQ9_RELIABLE_CHANGE or gl - gf >= GAD7_RELIABLE_CHANGE
    fell = pf - pl >= PHQ9_RELIABLE_CHANGE or gf - gl >= GAD7_RELIABLE_CHANGE
    return caseness, recovered, fell and not deteriorated, deteriorated


def effect_size_from_sums(n: int, sum_first: int, sumsq_first: int, sum_last: int, sumsq_last: int) -> dict[str, Any]:
    """n, means, Cohen's d with pooled SD sqrt((SD1^2 + SD2^2) / 2), and U3 = Phi(d)."""
    if n == 0:
        return {"n": 0, "mean_first": None, "mean_last": None, "d": None, "u3": None}
    mean_first, mean_last = sum_first / n, sum_last / n
    d = u3 = None
    if n >= 2:
        # Sample variances from integer sums, exactly: (n sum x^2 - (sum x)^2) / (n (n - 1)).
        var_first = (n * sumsq_first - sum_first * sum_first) / (n * (n - 1))
        var_last = (n * sumsq_last - sum_last * sum_last) / (n * (n - 1))
        pooled = math.sqrt((var_first + var_last) / 2)
        if pooled > 0:
            d = (mean_first - mean_last) / pooled
            u3 = float(_ndtr()(d))
    return {"n": n, "mean_first": mean_first, "mean_last": mean_last, "d": d, "u3": u3}


def effect_size(first: Iterable[int], last: Iterable[int]) -> dict[str, Any]:
    """Effect size of paired first and last scores (see `effect_size_from_sums`)."""
    pairs = list(zip(first, last, strict=True))
    return effect_size_from_sums(
        len(pairs),
        sum(f for f, _ in pairs),
        sum(f * f for f, _ in pairs),
        sum(x for _, x in pairs),
        sum(x * x for _, x in pairs),
    )


# Block counters: [episodes, eligible, one per category 1-8].
_EPISODES, _ELIGIBLE = 0, 1
_N_CATEGORIES = len(ELIGIBLE)
_NOT_CONSENTED = len(CATEGORIES)  # a tally "category" for episodes never classified
_PENDING = len(CATEGORIES) - 1
#: The tally "category" of episodes without consent (categories are indexes into CATEGORIES).
NOT_CONSENTED: Final = _NOT_CONSENTED
#: The breakdowns episodes are counted by, in the order of `SummaryBuilder.add_counts`'s tables:
#: problem group, disorder, sessions band, service code, area code, discharge month (year * 100 + month).
BREAKDOWNS: Final = ("problem_group", "disorder", "sessions_band", "service", "area", "discharge_month")
#: Episodes per (breakdown value, category index or NOT_CONSENTED), one table per breakdown.
Tally = dict[tuple[Any, int], int]


def _block_for(table: dict[K, list[int]], key: K) -> list[int]:
    """The counters of one breakdown entry, created on first use."""
    block = table.get(key)
    if block is None:
        block = table[key] = [0] * (2 + _N_CATEGORIES)
    return block


class SummaryBuilder:
    """Streams episodes into the `stats summary` object as of A (SPEC section 5).

    Per episode it counts one entry per breakdown, keyed by the breakdown's value and the category,
    keeps a Kaplan-Meier subject in compact arrays, and running sums; `result` folds them.
    With `case_mix`, it also tallies each episode's case-mix cell (`case_mix()`, for `stats compare`);
    without it (the summary, the dashboard) that costs nothing.
    """

    def __init__(self, as_of: date, *, case_mix: bool = False) -> None:
        self.as_of = as_of
        self._case_mix: CaseMixTally | None = {} if case_mix else None
        # per breakdown (BREAKDOWNS): (value, category) -> episodes
        self._tally: tuple[Tally, ...] = tuple({} for _ in BREAKDOWNS)
        self._assessed = 0
        self._changes = [0] * len(CHANGES)
        self._follow_ups: dict[int, list[int]] = {}  # weeks -> [closed, answered, recovered]
        self._entry = array("i")
        self._time = array("i")
        self._event = array("b")
        # finished, missing_scores, at_caseness, recovered, improved, deteriorated, reliable rec.
        self._reported = [0] * 7
        self._effects: dict[str, list[int]] = {}  # descriptor -> n, PHQ-9 sums, GAD-7 sums
        self._fitted: tuple[int, KaplanMeier] | None = None  # (subjects when fitted, the fit)

    def add(self, ep: EpisodeFacts) -> None:
        """Count one episode; episodes discharged after A are out of scope and ignored."""
        discharged = ep.discharge_date
        as_of = self.as_of
        if discharged > as_of:
            return
        if ep.assessment_date is not None:
            self._assessed += 1
        sessions = ep.treatment_sessions
        if sessions >= 2:
            self._add_finished(ep)
        if ep.consented:
            category, last_change, _answered, follow_ups, spell = evaluate_raw(ep, as_of)
            if last_change >= 0:
                self._changes[last_change] += 1
            points = self._follow_ups
            for check_in in ep.check_ins:  # every offset of the plans in scope gets a point
                if check_in.offset_weeks not in points:
                    points[check_in.offset_weeks] = [0, 0, 0]
            for weeks, closed, item in follow_ups:
                counts = points[weeks]
                if closed:
                    counts[0] += 1
                if item is not None:  # answered
                    counts[1] += 1
                    if item[6]:  # recovered at this check-in
                        counts[2] += 1
            if spell is not None and spell[0] < spell[1]:
                self._entry.append(spell[0])
                self._time.append(spell[1])
                self._event.append(spell[2])
        else:
            category = _NOT_CONSENTED
        values = breakdown_values(ep)
        for table, value in zip(self._tally, values, strict=True):
            key = (value, category)
            table[key] = table.get(key, 0) + 1
        if self._case_mix is not None:
            group, band = values[BREAKDOWNS.index("problem_group")], values[BREAKDOWNS.index("sessions_band")]
            self._add_cell(ep, str(group), str(band), category)

    def _add_cell(self, ep: EpisodeFacts, group: str, band: str, category: int) -> None:
        """Count the episode in its case-mix cell: eligible and durably recovered (consented episodes),
        finished at caseness and recovered as services report it (every episode, consented or not)."""
        tally = self._case_mix
        assert tally is not None
        key = CaseMixKey(
            ep.service_code, group, band, ep.intensity, ep.phq9_first, ep.gad7_first, ep.age_band, ep.sex, ep.imd_decile
        )
        counts = tally.get(key)
        if counts is None:
            counts = tally[key] = [0] * len(CELL_COUNTS)
        if category < _N_CATEGORIES:
            counts[0] += 1
            if category == 0:  # durably recovered
                counts[1] += 1
        reported = service_reported(ep)
        if reported.at_caseness:
            counts[2] += 1
            if reported.recovered:
                counts[3] += 1

    def case_mix(self) -> CaseMixTally:
        """Every episode's case-mix cell with its counts in CELL_COUNTS order (a builder made with `case_mix`)."""
        if self._case_mix is None:
            raise ValueError("this summary builder keeps no case-mix tally: make it with case_mix=True")
        return self._case_mix

    def add_case_mix(self, tally: Mapping[CaseMixKey, Sequence[int]]) -> None:
        """Add cells counted elsewhere (the database's bulk reader), as `add` would have counted them."""
        if self._case_mix is None:
            raise ValueError("this summary builder keeps no case-mix tally: make it with case_mix=True")
        _add_cells(self._case_mix, tally)

    def _add_finished(self, ep: EpisodeFacts) -> None:
        """Service-reported figures and effect-size sums for an episode with 2+ sessions."""
        flags, sums = _finished_counts(ep)
        _add_into(self._reported, list(flags))
        if sums is not None:
            _add_into(self._effects.setdefault(ep.problem_descriptor.strip().upper(), [0] * 9), list(sums))

    def add_tally(self, tally: Mapping[str, int]) -> None:
        """Add episodes counted as `episode_tally` counts them (a sum of their tallies, as the database's
        outcome facts keep it), exactly as `add` would have counted those episodes (SPEC 8.5)."""
        points = self._follow_ups
        entries: dict[int, int] = {}  # entry day -> subjects
        ends: dict[tuple[int, int], int] = {}  # (time, event) -> subjects
        for key, n in tally.items():
            if n == 0:
                continue
            kind, _, rest = key.partition("|")
            if n < 0 and kind != "e":  # an effect-size sum may be negative (a score stored below 0)
                raise ValueError(f"a tally counts episodes: {key!r} is {n}")
            if kind == "a":
                self._assessed += n
            elif kind == "c":
                self._changes[int(rest)] += n
            elif kind == "r":
                self._reported[int(rest)] += n
            elif kind == "e":
                descriptor, position = rest.rsplit("|", 1)
                self._effects.setdefault(descriptor, [0] * 9)[int(position)] += n
            elif kind == "p":
                weeks, what = rest.split("|")
                counts = points.setdefault(int(weeks), [0, 0, 0])
                if what != "n":
                    counts[_POINT_COUNTS.index(what)] += n
            elif kind == "ke":
                entries[int(rest)] = entries.get(int(rest), 0) + n
            elif kind == "kt":
                time, event = rest.split("|")
                end = (int(time), int(event))
                ends[end] = ends.get(end, 0) + n
            elif kind.startswith("b"):
                breakdown = int(kind[1:])
                value, category = rest.rsplit("|", 1)
                table = self._tally[breakdown]
                item = (int(value) if breakdown == _MONTH_BREAKDOWN else value, int(category))
                table[item] = table.get(item, 0) + n
            else:
                raise ValueError(f"unknown tally key {key!r}")
        subjects, ended = sum(entries.values()), sum(ends.values())
        if subjects != ended:
            raise ValueError(f"a tally with {subjects} spell entries has {ended} spell ends")
        if not subjects:
            return
        # Kaplan-Meier with delayed entry depends on the entries and on the (time, event) pairs, not on
        # which entry goes with which end: pairing both in sorted order keeps every entry before its end.
        # Expanded with numpy (a national view has close to a million subjects).
        days = sorted(entries)
        pairs = sorted(ends)
        entry = np.repeat(np.array(days, dtype=np.int32), [entries[d] for d in days])
        counts = [ends[p] for p in pairs]
        ends_at = np.repeat(np.array([t for t, _ in pairs], dtype=np.int32), counts)
        events = np.repeat(np.array([e for _, e in pairs], dtype=np.int8), counts)
        self._entry.frombytes(entry.astype(_ARRAY_INT).tobytes())
        self._time.frombytes(ends_at.astype(_ARRAY_INT).tobytes())
        self._event.frombytes(events.tobytes())

    def add_counts(
        self,
        tally: Sequence[Mapping[tuple[Any, int], int]],
        changes: Sequence[int],
        follow_ups: Mapping[int, Sequence[int]],
        spells: tuple[Iterable[int], Iterable[int], Iterable[int]],
    ) -> None:
        """Add episodes counted elsewhere (the database's bulk reader), as `add` would have counted them.

        `tally`: one table per breakdown (BREAKDOWNS), episodes by (value, category index or
        NOT_CONSENTED); `changes`: L's change counts in CHANGES order; `follow_ups`:
        [closed, answered, recovered] per offset; `spells`: Kaplan-Meier entries, times and events
        of the subjects with entry < time. Service-reported figures go to `add_service_reported`.
        """
        _add_tally(self._tally, tally)
        _add_into(self._changes, list(changes))
        for weeks, counts in follow_ups.items():
            _add_into(self._follow_ups.setdefault(weeks, [0, 0, 0]), list(counts))
        entry, time, event = spells
        self._entry.extend(entry)
        self._time.extend(time)
        self._event.extend(event)

    def add_service_reported(self, descriptor: str, assessed: int, counts: Sequence[int], sums: Sequence[int]) -> None:
        """Add the service-reported figures of episodes with one problem descriptor, counted elsewhere.

        `counts`: finished, missing_scores, at_caseness, recovered, reliably improved, reliably
        deteriorated, reliably recovered; `sums`: n, then sum and sum of squares of PHQ-9 first,
        PHQ-9 last, GAD-7 first and GAD-7 last over finished episodes (n = finished).
        """
        self._assessed += assessed
        _add_into(self._reported, list(counts))
        if sums[0]:
            key = descriptor.strip().upper()
            _add_into(self._effects.setdefault(key, [0] * 9), list(sums))

    def merge(self, other: SummaryBuilder) -> None:
        """Add another builder's episodes (same A), so partitions can be built in parallel."""
        if other.as_of != self.as_of:
            raise ValueError(f"cannot merge a summary as of {other.as_of} into one as of {self.as_of}")
        if (self._case_mix is None) != (other._case_mix is None):
            raise ValueError("cannot merge a summary builder with a case-mix tally and one without")
        _add_tally(self._tally, other._tally)
        self._assessed += other._assessed
        _add_into(self._changes, other._changes)
        _add_into(self._reported, other._reported)
        for weeks, counts in other._follow_ups.items():
            _add_into(self._follow_ups.setdefault(weeks, [0, 0, 0]), counts)
        for descriptor, sums in other._effects.items():
            _add_into(self._effects.setdefault(descriptor, [0] * 9), sums)
        self._entry.extend(other._entry)
        self._time.extend(other._time)
        self._event.extend(other._event)
        if self._case_mix is not None and other._case_mix is not None:
            _add_cells(self._case_mix, other._case_mix)

    def _kaplan_meier(self) -> KaplanMeier:
        """The wellness curve fitted to the subjects so far: fitted once for `result` and `wellness_curve`.

        Subjects are only ever appended, so their number says whether the fit is still the right one."""
        subjects = len(self._entry)
        if self._fitted is None or self._fitted[0] != subjects:
            self._fitted = (subjects, kaplan_meier(self._entry, self._time, self._event))
        return self._fitted[1]

    def wellness_curve(self) -> Curve:
        """The steps of the wellness Kaplan-Meier curve behind `result()["wellness"]`."""
        return wellness_curve(self._entry, self._time, self._event, fitted=self._kaplan_meier())

    def result(self) -> dict[str, Any]:
        """The summary object, exactly the shape of SPEC section 5 (json.dumps-able)."""
        outcomes = [0] * (len(CATEGORIES) + 1)
        bands: dict[str, int] = dict.fromkeys(SESSIONS_BANDS, 0)
        groups: dict[str, list[int]] = {g: [0] * (2 + _N_CATEGORIES) for g in PROBLEM_GROUPS}
        disorders: dict[str, list[int]] = {d: [0] * (2 + _N_CATEGORIES) for d in DISORDERS}
        by_band: dict[str, list[int]] = {b: [0] * (2 + _N_CATEGORIES) for b in SESSIONS_BANDS}
        services: dict[str, list[int]] = {}
        areas: dict[str, list[int]] = {}
        months: dict[int, list[int]] = {}
        by_group, by_disorder, by_sessions, by_service, by_area, by_month = self._tally
        for (band, category), n in by_sessions.items():
            outcomes[category] += n
            bands[band] += n
        # A block's episodes are every episode of its group, consented or not (SPEC section 5), so the
        # groups of one breakdown add up to cohort.episodes; only consented ones can be eligible.
        for table, blocks in ((by_group, groups), (by_disorder, disorders), (by_sessions, by_band)):
            for (value, category), n in table.items():
                _count_block(blocks[value], category, n)
        for table, named in ((by_service, services), (by_area, areas), (by_month, months)):
            for (value, category), n in table.items():
                _count_block(_block_for(named, value), category, n)
        episodes = sum(outcomes)
        eligible = sum(outcomes[:_N_CATEGORIES])
        answered = sum(outcomes[:5])
        durable = outcomes[0]
        finished, missing, caseness, recovered, improved, deteriorated, reliable = self._reported
        return {
            "methodology": METHODOLOGY_VERSION,
            "as_of": self.as_of.isoformat(),
            "cohort": {
                "episodes": episodes,
                "consented": eligible + outcomes[_PENDING],
                "eligible": eligible,
                "pending": outcomes[_PENDING],
            },
            "outcomes": dict(zip(ELIGIBLE, outcomes[:_N_CATEGORIES], strict=True)),
            "durable_recovery": {
                "itt": wilson_rate(durable, eligible),
                "available_case": wilson_rate(durable, answered),
            },
            "response": wilson_rate(answered, eligible),
            "change_distribution": dict(zip(CHANGES, self._changes, strict=True)),
            "follow_up_points": [
                {
                    "weeks": weeks,
                    "closed": closed,
                    "answered": answered_here,
                    "recovered": recovered_here,
                    "itt": wilson_rate(recovered_here, closed),
                    "available_case": wilson_rate(recovered_here, answered_here),
                }
                for weeks, (closed, answered_here, recovered_here) in sorted(self._follow_ups.items())
            ],
            "by_problem_group": {k: _block(v) for k, v in groups.items()},
            "by_disorder": {k: _block(v) for k, v in disorders.items()},
            "by_sessions": {k: _block(v) for k, v in by_band.items()},
            "by_service": {k: _block(v) for k, v in sorted(services.items())},
            "by_area": {k: _block(v) for k, v in sorted(areas.items())},
            "by_discharge_month": {f"{k // 100:04d}-{k % 100:02d}": _block(v) for k, v in sorted(months.items())},
            "wellness": wellness_of(self._kaplan_meier()),
            "service_reported": {
                "finished": finished,
                "missing_scores": missing,
                "at_caseness": caseness,
                "recovery": wilson_rate(recovered, caseness),
                "reliable_improvement": wilson_rate(improved, finished),
                "reliable_recovery": wilson_rate(reliable, caseness),
                "reliable_deterioration": wilson_rate(deteriorated, finished),
            },
            "effect_sizes": {
                key: {
                    "phq9": effect_size_from_sums(*s[0:5]),
                    "gad7": effect_size_from_sums(s[0], *s[5:9]),
                }
                for key, s in sorted(self._effects.items())
            },
            "attrition": {
                "referred": episodes,
                "assessed": self._assessed,
                "entered_treatment": episodes - bands["0"],
                "finished_course": bands["2-6"] + bands["7+"],
                "seven_plus": bands["7+"],
            },
        }


def _count_block(block: list[int], category: int, n: int) -> None:
    block[_EPISODES] += n
    if category < _N_CATEGORIES:
        block[_ELIGIBLE] += n
        block[2 + category] += n


def _add_tally(total: tuple[Tally, ...], more: Sequence[Mapping[tuple[Any, int], int]]) -> None:
    for table, counts in zip(total, more, strict=True):
        for key, n in counts.items():
            table[key] = table.get(key, 0) + n


def _add_cells(total: CaseMixTally, more: Mapping[CaseMixKey, Sequence[int]]) -> None:
    if not total:  # the first part of a bulk read: copied whole
        total.update({key: list(counts) for key, counts in more.items()})
        return
    for key, counts in more.items():
        cell = total.get(key)
        if cell is None:
            total[key] = list(counts)
        else:
            for i, n in enumerate(counts):
                cell[i] += n


def _add_into(total: list[int], more: list[int]) -> None:
    for i, n in enumerate(more):
        total[i] += n


def _block(counts: list[int]) -> dict[str, Any]:
    """A BLOCK: episodes (consented or not), eligible, outcomes, durable recovery (ITT, available case), response."""
    eligible = counts[_ELIGIBLE]
    answered = sum(counts[2:7])
    durable = counts[2]
    return {
        "episodes": counts[_EPISODES],
        "eligible": eligible,
        "outcomes": dict(zip(ELIGIBLE, counts[2:], strict=True)),
        "durable_recovery": {
            "itt": wilson_rate(durable, eligible),
            "available_case": wilson_rate(durable, answered),
        },
        "response": wilson_rate(answered, eligible),
    }


def _finished_counts(ep: EpisodeFacts) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """An episode with 2+ sessions as service-reported counts (finished, missing_scores, at_caseness,
    recovered, improved, deteriorated, reliably recovered: 0 or 1 each) and its effect-size sums (n,
    then sum and sum of squares of PHQ-9 first, PHQ-9 last, GAD-7 first, GAD-7 last), None when scores
    are missing."""
    pf, pl, gf, gl = ep.phq9_first, ep.phq9_last, ep.gad7_first, ep.gad7_last
    if pf is None or pl is None or gf is None or gl is None:
        return (0, 1, 0, 0, 0, 0, 0), None
    caseness, recovered, improved, deteriorated = _score_flags(pf, pl, gf, gl)
    reliable = caseness and recovered and improved
    flags = (1, 0, int(caseness), int(caseness and recovered), int(improved), int(deteriorated), int(reliable))
    return flags, (1, pf, pf * pf, pl, pl * pl, gf, gf * gf, gl, gl * gl)


#: numpy's dtype for the `array("i")` the builder keeps its Kaplan-Meier subjects in (C int, usually 32 bits).
_ARRAY_INT: Final = np.dtype(f"i{array('i').itemsize}")


def breakdown_values(ep: EpisodeFacts) -> tuple[str, str, str, str, str, int]:
    """The episode's value in each breakdown, in BREAKDOWNS order."""
    discharged = ep.discharge_date
    return (
        problem_group(ep.problem_descriptor),
        disorder(ep.problem_descriptor),
        sessions_band(ep.treatment_sessions),
        ep.service_code,
        ep.area_code,
        discharged.year * 100 + discharged.month,
    )


#: The follow-up point counts of a tally, in `follow_up_points` order: closed, answered, recovered.
_POINT_COUNTS: Final = ("c", "a", "r")
_MONTH_BREAKDOWN: Final = BREAKDOWNS.index("discharge_month")


def episode_tally(ep: EpisodeFacts, as_of: date) -> dict[str, int]:
    """One episode's part of the summary as of A, as named counts: the tallies of several episodes add up
    key by key, and `SummaryBuilder.add_tally` turns a sum back into exactly what `add` counts (SPEC 8.5:
    the outcome facts the database keeps per episode, so the dashboard adds counts instead of re-reading
    every check-in). Empty for an episode discharged after A (out of scope).

    Keys: `a` assessed; `c|i` L's change (index into CHANGES); `r|i` a service-reported count;
    `e|DESCRIPTOR|i` an effect-size sum; `p|WEEKS|n` a check-in at that offset (the point is shown),
    `p|WEEKS|c`, `|a`, `|r` closed, answered, recovered there; `ke|DAYS` a wellness spell's entry and
    `kt|DAYS|EVENT` its end; `bI|VALUE|CATEGORY` the episode in breakdown I of BREAKDOWNS with its
    category index (NOT_CONSENTED without consent).
    """
    tally: dict[str, int] = {}
    discharged = ep.discharge_date
    if discharged > as_of:
        return tally
    if ep.assessment_date is not None:
        tally["a"] = 1
    sessions = ep.treatment_sessions
    if sessions >= 2:
        flags, sums = _finished_counts(ep)
        for index, flag in enumerate(flags):
            if flag:
                tally[f"r|{index}"] = 1
        if sums is not None:
            descriptor = ep.problem_descriptor.strip().upper()
            for index, value in enumerate(sums):
                if value:
                    tally[f"e|{descriptor}|{index}"] = value
    if ep.consented:
        category, last_change, _answered, follow_ups, spell = evaluate_raw(ep, as_of)
        if last_change >= 0:
            tally[f"c|{last_change}"] = 1
        for check_in in ep.check_ins:
            key = f"p|{check_in.offset_weeks}|n"
            tally[key] = tally.get(key, 0) + 1
        for weeks, closed, item in follow_ups:
            marks = ("c" if closed else "") + ("" if item is None else "ar" if item[6] else "a")
            for mark in marks:
                key = f"p|{weeks}|{mark}"
                tally[key] = tally.get(key, 0) + 1
        if spell is not None and spell[0] < spell[1]:
            tally[f"ke|{spell[0]}"] = 1
            tally[f"kt|{spell[1]}|{int(spell[2])}"] = 1
    else:
        category = _NOT_CONSENTED
    for breakdown, named in enumerate(breakdown_values(ep)):
        tally[f"b{breakdown}|{named}|{category}"] = 1
    return tally


def summarise(episodes: Iterable[EpisodeFacts], as_of: date) -> dict[str, Any]:
    """The `stats summary` object for the episodes in scope as of A."""
    builder = SummaryBuilder(as_of)
    for ep in episodes:
        builder.add(ep)
    return builder.result()
