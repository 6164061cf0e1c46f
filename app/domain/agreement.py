"""Agreement between the texted outcomes and a blind telephone assessor (SPEC section 8.4).

The assessor classifies each client they reach with section 4's thresholds; the texts classify the same
episode as durably recovered or not. From the pairs: the 2x2 table, percent agreement, Cohen's kappa
(asymptotic interval of Fleiss, Cohen & Everitt 1969), the sensitivity and specificity of the texts
against the assessor as the reference, and the intention-to-treat durable recovery corrected for that
misclassification (Rogan & Gladen 1978) with a seeded bootstrap percentile interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np

from app.domain.disclosure import SUPPRESSED, is_small, publish_count, publish_rate, whole_percent
from app.domain.outcomes import WELLNESS, ProblemGroup, recovery_cutoff
from app.domain.statistics import wilson_rate

#: The normal quantile of a two-sided 95% interval (SPEC section 4's z).
Z95: Final = 1.959964
DEFAULT_RESAMPLES: Final = 2000
DEFAULT_SEED: Final = 1


def assessor_durably_recovered(
    problem_group: ProblemGroup,
    interview_date: date,
    still_meets_criteria: str | None,
    criteria_since: date | None,
    usual_self: str | None,
) -> bool:
    """The assessor's classification with section 4's thresholds: the presenting problem no longer meets
    criteria ("no"; "partly" is not recovered), usual self is yes or mostly, and that has lasted the
    threshold (8 weeks for anxiety, 4 calendar months otherwise) by the interview date.

    A missing since-date counts as since the interview date: not yet long enough.
    """
    if still_meets_criteria != "no" or not WELLNESS.get(usual_self or ""):
        return False
    since = criteria_since if criteria_since is not None else interview_date
    return since <= recovery_cutoff(interview_date, problem_group)


@dataclass(frozen=True, slots=True)
class Table:
    """Text-based (rows) against assessor (columns) durable recovery."""

    both_recovered: int = 0  # a: texts and assessor say durably recovered
    text_only: int = 0  # b: texts say recovered, the assessor does not
    assessor_only: int = 0  # c: the assessor says recovered, the texts do not
    neither: int = 0  # d

    @property
    def pairs(self) -> int:
        return self.both_recovered + self.text_only + self.assessor_only + self.neither

    def as_dict(self) -> dict[str, int]:
        return {
            "both_recovered": self.both_recovered,
            "text_only": self.text_only,
            "assessor_only": self.assessor_only,
            "neither": self.neither,
        }


def tabulate(pairs: Iterable[tuple[bool, bool]]) -> Table:
    """The 2x2 table of (text-based, assessor) durable recovery pairs."""
    a = b = c = d = 0
    for text, assessor in pairs:
        if text and assessor:
            a += 1
        elif text:
            b += 1
        elif assessor:
            c += 1
        else:
            d += 1
    return Table(a, b, c, d)


def kappa_estimate(a: float, b: float, c: float, d: float) -> float | None:
    """Cohen's kappa of a 2x2 table; None when there are no pairs or chance agreement is total."""
    n = a + b + c + d
    if n == 0:
        return None
    observed = (a + d) / n
    row1, col1 = (a + b) / n, (a + c) / n
    expected = row1 * col1 + (1 - row1) * (1 - col1)
    if expected >= 1:
        return None
    return (observed - expected) / (1 - expected)


def kappa(table: Table) -> dict[str, Any]:
    """Cohen's kappa with its asymptotic 95% interval (Fleiss, Cohen & Everitt 1969, the variance
    statsmodels' `cohens_kappa` reports as `std_kappa`); nulls when kappa is undefined."""
    estimate = kappa_estimate(table.both_recovered, table.text_only, table.assessor_only, table.neither)
    if estimate is None:
        return {"estimate": None, "ci95": None}
    n = table.pairs
    cells = ((table.both_recovered, table.text_only), (table.assessor_only, table.neither))
    p = [[cell / n for cell in row] for row in cells]
    rows = [p[0][0] + p[0][1], p[1][0] + p[1][1]]
    cols = [p[0][0] + p[1][0], p[0][1] + p[1][1]]
    expected = rows[0] * cols[0] + rows[1] * cols[1]
    term_a = sum(p[i][i] * (1 - (rows[i] + cols[i]) * (1 - estimate)) ** 2 for i in range(2))
    term_b = (1 - estimate) ** 2 * sum(p[i][j] * (cols[i] + rows[j]) ** 2 for i in range(2) for j in range(2) if i != j)
    term_c = (estimate - expected * (1 - estimate)) ** 2
    variance = max((term_a + term_b - term_c) / ((1 - expected) ** 2 * n), 0.0)
    half = Z95 * math.sqrt(variance)
    return {"estimate": estimate, "ci95": [max(estimate - half, -1.0), min(estimate + half, 1.0)]}


def rogan_gladen(p: float, sensitivity: float, specificity: float) -> float | None:
    """(p + Sp - 1) / (Se + Sp - 1) clipped to [0, 1]; None when Se + Sp - 1 <= 0 (the texts would be no
    better than chance, and the correction is undefined)."""
    youden = sensitivity + specificity - 1
    if youden <= 0:
        return None
    return min(max((p + specificity - 1) / youden, 0.0), 1.0)


def _bootstrap(
    table: Table, itt_numerator: int, itt_denominator: int, resamples: int, seed: int
) -> tuple[list[float] | None, int]:
    """The percentile 95% interval of the corrected figure and the number of resamples left out."""
    rng = np.random.default_rng(seed)
    n = table.pairs
    cells = np.array([table.both_recovered, table.text_only, table.assessor_only, table.neither], dtype=float)
    # Drawing n pairs with replacement is a multinomial draw of the four cells with the observed shares.
    drawn = rng.multinomial(n, cells / n, size=resamples)
    p_star = rng.binomial(itt_denominator, itt_numerator / itt_denominator, size=resamples) / itt_denominator
    a, b, c, d = (drawn[:, i].astype(float) for i in range(4))
    with np.errstate(divide="ignore", invalid="ignore"):
        se = a / (a + c)
        sp = d / (b + d)
        youden = se + sp - 1
        corrected = np.clip((p_star + sp - 1) / youden, 0.0, 1.0)
    defined = np.isfinite(youden) & (youden > 0)
    undefined = int(resamples - defined.sum())
    if not defined.any():
        return None, undefined
    low, high = np.percentile(corrected[defined], [2.5, 97.5])
    return [float(low), float(high)], undefined


def agreement(
    pairs: Iterable[tuple[bool, bool]],
    itt_numerator: int,
    itt_denominator: int,
    *,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
) -> dict[str, Any]:
    """Every agreement figure of SPEC 8.4 from (text-based, assessor) durable-recovery pairs and the scope's
    ITT durable recovery (durably recovered / eligible), JSON-ready; nulls where a figure is undefined."""
    if resamples < 1:
        raise ValueError(f"the bootstrap needs at least 1 resample (got {resamples})")
    table = tabulate(pairs)
    a, b, c, d = table.both_recovered, table.text_only, table.assessor_only, table.neither
    n = table.pairs
    sensitivity, specificity = wilson_rate(a, a + c), wilson_rate(d, b + d)
    itt = wilson_rate(itt_numerator, itt_denominator)
    estimate: float | None = None
    ci95: list[float] | None = None
    undefined = 0
    if sensitivity["rate"] is not None and specificity["rate"] is not None and itt["rate"] is not None:
        estimate = rogan_gladen(itt["rate"], sensitivity["rate"], specificity["rate"])
        if estimate is not None:
            ci95, undefined = _bootstrap(table, itt_numerator, itt_denominator, resamples, seed)
    return {
        "pairs": n,
        "table": table.as_dict(),
        "percent_agreement": wilson_rate(a + d, n),
        "kappa": kappa(table),
        "sensitivity": sensitivity,
        "specificity": specificity,
        "itt_durable_recovery": itt,
        "corrected_itt_durable_recovery": {
            "estimate": estimate,
            "ci95": ci95,
            "resamples": resamples if estimate is not None else 0,
            "undefined_resamples": undefined,
            "seed": seed,
        },
    }


#: Landis & Koch (1977): the words for ranges of kappa, lower bound first.
KAPPA_WORDS: Final = (
    (0.81, "almost perfect"),
    (0.61, "substantial"),
    (0.41, "moderate"),
    (0.21, "fair"),
    (0.0, "slight"),
)


def kappa_words(value: float) -> str:
    """Landis & Koch's words for a kappa: below 0 "poor" (less than chance), then slight to almost perfect."""
    rounded = two_places(value)
    return next((words for low, words in KAPPA_WORDS if rounded >= low), "poor")


def two_places(value: float) -> float:
    """A kappa as published: two decimal places, halves rounded up (as `whole_percent` does for rates)."""
    return math.floor(100 * value + 0.5) / 100


def publish_agreement(figures: dict[str, Any]) -> dict[str, Any]:
    """The agreement figures with section 4's disclosure control: counts 1-7 "*", others rounded to 5;
    rates resting on 1-7 people "*"; kappa (to two places) and the corrected figure (whole percentages)
    "*" when there are 1-7 pairs, the corrected figure also when the ITT rate it corrects is "*"."""
    small = is_small(figures["pairs"])
    itt = publish_rate(figures["itt_durable_recovery"])
    published: dict[str, Any] = {
        "pairs": publish_count(figures["pairs"]),
        "table": {key: publish_count(n) for key, n in figures["table"].items()},
        "percent_agreement": publish_rate(figures["percent_agreement"]),
        "sensitivity": publish_rate(figures["sensitivity"]),
        "specificity": publish_rate(figures["specificity"]),
        "itt_durable_recovery": itt,
    }
    kappa_figure = figures["kappa"]
    if small:
        published["kappa"] = {"estimate": SUPPRESSED, "ci95": SUPPRESSED}
    elif kappa_figure["estimate"] is None:
        published["kappa"] = {"estimate": None, "ci95": None}
    else:
        low, high = kappa_figure["ci95"]
        published["kappa"] = {
            "estimate": two_places(kappa_figure["estimate"]),
            "ci95": [two_places(low), two_places(high)],
        }
    corrected = dict(figures["corrected_itt_durable_recovery"])
    if small or itt["rate"] == SUPPRESSED:
        corrected |= {"estimate": SUPPRESSED, "ci95": SUPPRESSED}
    else:
        if corrected["estimate"] is not None:
            corrected["estimate"] = whole_percent(corrected["estimate"])
        if corrected["ci95"] is not None:
            corrected["ci95"] = [whole_percent(corrected["ci95"][0]), whole_percent(corrected["ci95"][1])]
    published["corrected_itt_durable_recovery"] = corrected
    if "calls" in figures:
        published["calls"] = {key: publish_count(n) for key, n in figures["calls"].items()}
    return published


def pairs_for_interval(
    sensitivity: float, specificity: float, recovery: float, itt_denominator: int, half_width: float
) -> int | None:
    """About how many pairs give the corrected figure a 95% interval of +/- `half_width`, by the delta
    method. With J = Se + Sp - 1, pi = the true recovery (the corrected figure) and p = pi Se + (1 - pi)(1 - Sp)
    the observed ITT rate over `itt_denominator` eligible episodes,
    Var(pi^) ~ [Var(p) + pi^2 Var(Se) + (1 - pi)^2 Var(Sp)] / J^2, Var(p) = p(1 - p) / denominator,
    Var(Se) = Se(1 - Se) / (pairs pi), Var(Sp) = Sp(1 - Sp) / (pairs (1 - pi)) (a self-weighting sample:
    a share pi of the pairs is recovered by the assessor). None when no number of pairs is enough."""
    youden = sensitivity + specificity - 1
    if youden <= 0 or not 0 < recovery < 1 or itt_denominator < 1 or half_width <= 0:
        return None
    observed = recovery * sensitivity + (1 - recovery) * (1 - specificity)
    allowed = (half_width / Z95) ** 2 * youden**2 - observed * (1 - observed) / itt_denominator
    if allowed <= 0:
        return None
    per_pair = recovery * sensitivity * (1 - sensitivity) + (1 - recovery) * specificity * (1 - specificity)
    return math.ceil(per_pair / allowed)
