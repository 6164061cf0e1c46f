"""The case-mix regression of SPEC section 8.1 (methodology version 2): expected recoveries per service.

One logistic regression over every eligible episode in scope of durably recovered (1) or not (0) on
the covariates of `CaseMixKey` except the service (indirect standardisation: the service is what is
being compared, so it is left out of the model). The fit runs on the cells, each a binomial count of
episodes with the same covariates: the likelihood is the patient-level one, so the coefficients and
fitted probabilities are those of the regression over one row per episode, at a fraction of the cost.

The design (column names are the `terms` of `CaseMixFit`):
- `intercept`;
- `problem_group[anxiety]`, `problem_group[other]` (reference depression);
- `sessions_band[0]`, `sessions_band[1]`, `sessions_band[7+]` (reference 2-6);
- `intensity[high]`, `intensity[stepped]`, `intensity[missing]` (reference low);
- `phq9_first` (0 when missing) and `phq9_first_missing`; `gad7_first` and `gad7_first_missing` likewise;
- `age_band[16-17]` ... `age_band[66+]`, `age_band[missing]` (reference 26-35);
- `sex[male]`, `sex[other]`, `sex[unknown]` (reference female; not given counts as unknown);
- `imd_decile` (1-10, continuous: one slope for the deprivation gradient rather than nine dummies,
  which small areas cannot support; 0 when missing) and `imd_decile_missing`.

A categorical variable whose reference level appears in no episode takes its first level seen as
reference; a level seen in no episode gets no column; then any column that adds nothing to the span
of those before it (a constant, a dummy that duplicates another) is dropped, so the design has full
rank. Expected recoveries of service j: expected_j = sum of p-hat over its eligible episodes. With an
intercept, the maximum-likelihood fit makes the sum of expected over services equal the observed total.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from app.domain.comparison.cells import AGE_BANDS, CELL_COUNTS, SEXES, CaseMixKey

FloatArray = npt.NDArray[np.float64]

_ELIGIBLE: Final = CELL_COUNTS.index("eligible")
_RECOVERED: Final = CELL_COUNTS.index("durably_recovered")

#: Categorical covariates: (name, levels in the order of their columns, preferred reference level).
_MISSING: Final = "missing"
PROBLEM_GROUPS: Final = ("depression", "anxiety", "other")
SESSIONS_BANDS: Final = ("0", "1", "2-6", "7+")
INTENSITIES: Final = ("low", "high", "stepped", _MISSING)
AGE_LEVELS: Final = (*AGE_BANDS, _MISSING)

#: Relative size under which a column's part outside the span of the columns before it counts as none.
_RANK_TOLERANCE: Final = 1e-9
#: Newton-Raphson on the log-likelihood (the Hessian is columns x columns: quick whatever the number of
#: cells, where iteratively reweighted least squares factorises the whole design at every step).
_MAX_ITERATIONS: Final = 100
_TOLERANCE: Final = 1e-10  # largest change of any coefficient at the last step
_BOUNDARY: Final = 1e-8  # a fitted probability this close to 0 or 1 says the data separate


@dataclass(frozen=True)
class CaseMixFit:
    """The fitted case-mix model and each service's observed and expected durable recoveries."""

    episodes: int  # eligible episodes in the fit
    recovered: int  # of those, durably recovered
    terms: tuple[str, ...]  # design column names
    params: tuple[float, ...]  # coefficient of each term (log odds)
    converged: bool
    method: str  # "logistic", or "constant" when no model can be fitted (no episodes, all or none recovered)
    expected: dict[str, float]  # service code -> sum of fitted probabilities over its eligible episodes
    observed: dict[str, int]  # service code -> durably recovered

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary: counts, method, convergence, and the coefficient of each term."""
        return {
            "episodes": self.episodes,
            "recovered": self.recovered,
            "method": self.method,
            "converged": self.converged,
            "terms": [
                {"term": term, "coefficient": param if math.isfinite(param) else None}
                for term, param in zip(self.terms, self.params, strict=True)
            ],
        }


def fit_case_mix(cells: Mapping[CaseMixKey, Sequence[int]]) -> CaseMixFit:
    """Fit the case-mix logistic regression on `cells` (counts in CELL_COUNTS order; eligible 0 ignored)."""
    keys = [key for key, counts in cells.items() if counts[_ELIGIBLE] > 0]
    trials = np.array([cells[key][_ELIGIBLE] for key in keys], dtype=np.float64)
    successes = np.array([cells[key][_RECOVERED] for key in keys], dtype=np.float64)
    bad = (successes < 0) | (successes > trials)
    if bad.any():
        key = keys[int(np.flatnonzero(bad)[0])]
        raise ValueError(f"case-mix cell {key}: durably recovered must lie between 0 and the eligible episodes")
    services = sorted({key.service for key in keys})
    service_index = {code: i for i, code in enumerate(services)}
    by_service = np.array([service_index[key.service] for key in keys], dtype=np.intp)
    observed_by_service = np.bincount(by_service, weights=successes, minlength=len(services))
    observed = {code: int(np.rint(observed_by_service[i])) for i, code in enumerate(services)}
    episodes, recovered = int(trials.sum()), int(successes.sum())

    def per_service(expected_per_cell: FloatArray) -> dict[str, float]:
        totals = np.bincount(by_service, weights=expected_per_cell, minlength=len(services))
        return {code: float(totals[i]) for i, code in enumerate(services)}

    def constant(converged: bool) -> CaseMixFit:
        rate = recovered / episodes if episodes else 0.0
        return CaseMixFit(episodes, recovered, (), (), converged, "constant", per_service(trials * rate), observed)

    if recovered in (0, episodes):  # also no episodes at all: every p-hat is the observed rate, exactly
        return constant(converged=True)
    terms, design = design_matrix(keys)
    start = np.zeros(len(terms))
    start[0] = math.log(recovered / (episodes - recovered))  # the intercept-only fit
    fitted = _fit(design, successes, trials, start, method="newton") or _fit(
        design, successes, trials, None, method="irls"
    )
    if fitted is None:
        return constant(converged=False)
    params, probability, converged = fitted
    return CaseMixFit(
        episodes=episodes,
        recovered=recovered,
        terms=terms,
        params=tuple(float(p) for p in params),
        converged=converged,
        method="logistic",
        expected=per_service(probability * trials),
        observed=observed,
    )


def _fit(
    design: FloatArray, successes: FloatArray, trials: FloatArray, start: FloatArray | None, *, method: str
) -> tuple[FloatArray, FloatArray, bool] | None:
    """Coefficients, fitted probabilities and convergence of the binomial GLM; None if it gave no finite answer.

    Newton-Raphson first (quick: its Hessian is columns x columns); when it gives no finite answer (it can
    run off to NaN under perfect separation), iteratively reweighted least squares, which keeps the fitted
    probabilities inside (0, 1) as the coefficients run off. A fit that hit the iteration limit, or whose
    fitted probabilities reach 0 or 1 (separation), is reported as not converged; its expected figures stand.
    """
    endog = np.column_stack([successes, trials - successes])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = sm.GLM(endog, design, family=sm.families.Binomial())
            if method == "newton":
                result = model.fit(
                    start_params=start, method="newton", maxiter=_MAX_ITERATIONS, tol=_TOLERANCE, disp=False
                )
                converged = bool(result.mle_retvals.get("converged", False))
            else:
                result = model.fit(maxiter=_MAX_ITERATIONS, tol=_TOLERANCE)
                converged = bool(result.converged)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError, OverflowError):
            return None
    params = np.asarray(result.params, dtype=np.float64)
    probability = np.asarray(result.fittedvalues, dtype=np.float64)
    if not (np.isfinite(params).all() and np.isfinite(probability).all()):
        return None
    separated = any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
    # Under (quasi-)separation Newton may also stop at a finite point far out, where the likelihood is flat:
    # fitted probabilities within _BOUNDARY of 0 or 1 (log odds beyond about 18) are no real estimate.
    separated = separated or bool(((probability < _BOUNDARY) | (probability > 1 - _BOUNDARY)).any())
    return params, probability, converged and not separated


def design_matrix(keys: Sequence[CaseMixKey]) -> tuple[tuple[str, ...], FloatArray]:
    """The design columns of the cells `keys` (names and a cells x columns matrix), of full rank."""
    columns: list[tuple[str, FloatArray]] = [("intercept", np.ones(len(keys)))]
    fields = list(zip(*keys, strict=True)) if keys else [()] * len(CaseMixKey._fields)
    field = dict(zip(CaseMixKey._fields, fields, strict=True))
    columns += _dummies("problem_group", field["problem_group"], PROBLEM_GROUPS, "depression")
    columns += _dummies("sessions_band", field["sessions_band"], SESSIONS_BANDS, "2-6")
    columns += _dummies("intensity", [_MISSING if v is None else v for v in field["intensity"]], INTENSITIES, "low")
    columns += _score("phq9_first", field["phq9_first"], 0, 27)
    columns += _score("gad7_first", field["gad7_first"], 0, 21)
    columns += _dummies("age_band", [_MISSING if v is None else v for v in field["age_band"]], AGE_LEVELS, "26-35")
    columns += _dummies("sex", ["unknown" if v is None else v for v in field["sex"]], SEXES, "female")
    columns += _score("imd_decile", field["imd_decile"], 1, 10)
    kept = _independent([column for _, column in columns])
    names = tuple(columns[i][0] for i in kept)
    return names, np.column_stack([columns[i][1] for i in kept])


def _dummies(name: str, values: Sequence[Any], levels: Sequence[str], reference: str) -> list[tuple[str, FloatArray]]:
    """One 0/1 column per level seen, except the reference (the first level seen if `reference` is not)."""
    index = {level: i for i, level in enumerate(levels)}
    try:
        codes = np.array([index[value] for value in values], dtype=np.intp)
    except KeyError as error:
        raise ValueError(f"case-mix {name} {error.args[0]!r} is not one of {', '.join(levels)}") from None
    seen = np.bincount(codes, minlength=len(levels)) > 0
    base = index[reference] if seen[index[reference]] else int(np.argmax(seen))
    return [
        (f"{name}[{level}]", (codes == i).astype(np.float64)) for i, level in enumerate(levels) if seen[i] and i != base
    ]


def _score(name: str, values: Sequence[int | None], low: int, high: int) -> list[tuple[str, FloatArray]]:
    """The score as a number (0 when missing) and a 0/1 column saying it is missing."""
    for value in values:
        if value is not None and not low <= value <= high:
            raise ValueError(f"case-mix {name} {value!r} is outside {low}-{high}")
    missing = np.array([value is None for value in values], dtype=np.float64)
    score = np.array([0 if value is None else value for value in values], dtype=np.float64)
    return [(name, score), (f"{name}_missing", missing)]


def _independent(columns: Sequence[FloatArray]) -> list[int]:
    """Indices of the columns kept, in order: each kept one adds to the span of those kept before it.

    Greedy Cholesky on the Gram matrix (columns x columns, cheap whatever the number of cells): a column's
    squared distance to the span of the kept columns is its diagonal once their parts are taken out.
    """
    matrix = np.column_stack(columns)
    gram = matrix.T @ matrix
    kept: list[int] = []
    factor = np.zeros((0, 0))
    for j in range(len(columns)):
        norm = gram[j, j]
        if norm <= 0:
            continue
        if kept:
            cross = np.linalg.solve(factor, gram[kept, j])  # lower-triangular factor of the kept Gram
            residual = norm - float(cross @ cross)
        else:
            cross, residual = np.zeros(0), norm
        if residual <= _RANK_TOLERANCE * norm:
            continue
        size = len(kept)
        grown = np.zeros((size + 1, size + 1))
        grown[:size, :size] = factor
        grown[size, :size] = cross
        grown[size, size] = math.sqrt(residual)
        factor = grown
        kept.append(j)
    return kept
