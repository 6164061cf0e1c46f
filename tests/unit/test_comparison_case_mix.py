"""The case-mix regression of SPEC 8.1: the cell fit is the patient-level logistic regression."""

from __future__ import annotations

import json
import math
import time
import warnings

import numpy as np
import pytest
import statsmodels.api as sm

from app.domain.comparison.case_mix import CaseMixFit, design_matrix, fit_case_mix
from app.domain.comparison.cells import AGE_BANDS, SEXES, CaseMixKey

GROUPS = ("depression", "anxiety", "other")
BANDS = ("0", "1", "2-6", "7+")
INTENSITIES = ("low", "high", "stepped", None)


def key(service: str = "S1", **fields: object) -> CaseMixKey:
    base: dict[str, object] = {
        "problem_group": "depression",
        "sessions_band": "2-6",
        "intensity": "low",
        "phq9_first": 15,
        "gad7_first": 12,
        "age_band": None,
        "sex": None,
        "imd_decile": None,
    }
    base.update(fields)
    return CaseMixKey(service, **base)  # type: ignore[arg-type]


def synthetic_cells(seed: int, cells: int = 400) -> dict[CaseMixKey, list[int]]:
    """Random cells whose recovery depends on the covariates (and not on the service)."""
    rng = np.random.default_rng(seed)
    table: dict[CaseMixKey, list[int]] = {}
    for _ in range(cells):
        phq = int(rng.integers(0, 28)) if rng.random() < 0.85 else None
        gad = int(rng.integers(0, 22)) if rng.random() < 0.85 else None
        imd = int(rng.integers(1, 11)) if rng.random() < 0.7 else None
        k = CaseMixKey(
            service=f"S{int(rng.integers(0, 5))}",
            problem_group=GROUPS[int(rng.integers(0, 3))],
            sessions_band=BANDS[int(rng.integers(0, 4))],
            intensity=INTENSITIES[int(rng.integers(0, 4))],
            phq9_first=phq,
            gad7_first=gad,
            age_band=(*AGE_BANDS, None)[int(rng.integers(0, 8))],
            sex=(*SEXES, None)[int(rng.integers(0, 5))],
            imd_decile=imd,
        )
        eta = 0.8 - 0.06 * (phq if phq is not None else 14) - 0.03 * (gad if gad is not None else 10)
        eta += {"depression": 0.0, "anxiety": 0.3, "other": -0.2}[k.problem_group]
        eta += {"0": -1.0, "1": -0.5, "2-6": 0.0, "7+": 0.4}[k.sessions_band]
        eta += 0.04 * (imd if imd is not None else 5)
        n = int(rng.integers(1, 8))
        counts = table.setdefault(k, [0, 0, 0, 0])
        counts[0] += n
        counts[1] += int(rng.binomial(n, 1 / (1 + math.exp(-eta))))
    return table


def patient_level(cells: dict[CaseMixKey, list[int]]) -> tuple[list[CaseMixKey], np.ndarray]:
    """One row per eligible episode: its cell and 1 if durably recovered, else 0."""
    rows: list[CaseMixKey] = []
    outcome: list[int] = []
    for k, (eligible, recovered, *_) in cells.items():
        rows += [k] * eligible
        outcome += [1] * recovered + [0] * (eligible - recovered)
    return rows, np.array(outcome, dtype=float)


def independent_design(rows: list[CaseMixKey]) -> dict[str, np.ndarray]:
    """The design of the docstring, written out by hand per patient (reference levels as documented)."""
    columns: dict[str, np.ndarray] = {"intercept": np.ones(len(rows))}

    def dummy(name: str, values: list[object], levels: tuple[str, ...]) -> None:
        for level in levels:
            columns[f"{name}[{level}]"] = np.array([v == level for v in values], dtype=float)

    dummy("problem_group", [r.problem_group for r in rows], ("anxiety", "other"))
    dummy("sessions_band", [r.sessions_band for r in rows], ("0", "1", "7+"))
    dummy("intensity", [r.intensity or "missing" for r in rows], ("high", "stepped", "missing"))
    for name in ("phq9_first", "gad7_first"):
        values = [getattr(r, name) for r in rows]
        columns[name] = np.array([v or 0 for v in values], dtype=float)
        columns[f"{name}_missing"] = np.array([v is None for v in values], dtype=float)
    ages = (*(b for b in AGE_BANDS if b != "26-35"), "missing")
    dummy("age_band", [r.age_band or "missing" for r in rows], ages)
    dummy("sex", [r.sex or "unknown" for r in rows], ("male", "other", "unknown"))
    columns["imd_decile"] = np.array([r.imd_decile or 0 for r in rows], dtype=float)
    columns["imd_decile_missing"] = np.array([r.imd_decile is None for r in rows], dtype=float)
    return columns


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_cell_fit_is_the_patient_level_logit(seed: int) -> None:
    cells = synthetic_cells(seed)
    cells[key("S9", phq9_first=20)] = [0, 0, 0, 0]  # an empty cell: ignored
    fit = fit_case_mix(cells)
    rows, y = patient_level(cells)
    columns = independent_design(rows)
    assert fit.method == "logistic" and fit.converged
    assert fit.terms == tuple(columns)  # every level seen: every column of the documented design
    x = np.column_stack(list(columns.values()))
    logit = sm.Logit(y, x).fit(method="newton", tol=1e-12, maxiter=100, disp=False)
    np.testing.assert_allclose(fit.params, logit.params, rtol=1e-6, atol=1e-9)
    p = logit.predict(x)
    expected = {s: float(sum(pi for pi, r in zip(p, rows, strict=True) if r.service == s)) for s in fit.expected}
    assert fit.expected.keys() == {r.service for r in rows}  # S9 had no eligible episode
    for service, value in expected.items():
        assert fit.expected[service] == pytest.approx(value, rel=1e-6)
    assert fit.observed == {s: int(sum(yi for yi, r in zip(y, rows, strict=True) if r.service == s)) for s in expected}
    assert (fit.episodes, fit.recovered) == (len(y), int(y.sum()))


@pytest.mark.parametrize("seed", [4, 5])
def test_expected_summed_over_services_is_the_observed_total(seed: int) -> None:
    fit = fit_case_mix(synthetic_cells(seed, cells=300))
    assert sum(fit.expected.values()) == pytest.approx(fit.recovered, rel=1e-9)
    assert sum(fit.observed.values()) == fit.recovered


def test_a_service_treating_more_severe_cases_is_judged_on_its_case_mix() -> None:
    """Service B sees higher PHQ-9 scores, so its raw rate is lower; against its case mix it is as expected."""
    cells: dict[CaseMixKey, list[int]] = {}
    for service, scores in (("A", range(5, 15)), ("B", range(14, 25))):
        for phq in scores:
            n = 200
            p = 1 / (1 + math.exp(-(2.5 - 0.2 * phq)))
            cells[key(service, phq9_first=phq, gad7_first=None)] = [n, round(n * p), 0, 0]
    fit = fit_case_mix(cells)
    raw = {s: fit.observed[s] / sum(c[0] for k, c in cells.items() if k.service == s) for s in ("A", "B")}
    assert raw["B"] < raw["A"] - 0.3
    for s in ("A", "B"):
        assert fit.observed[s] / fit.expected[s] == pytest.approx(1.0, abs=0.01)
    assert fit.terms == ("intercept", "phq9_first")  # nothing else varies: no other column
    assert fit.params[1] == pytest.approx(-0.2, abs=0.01)


def test_no_eligible_episode_gives_the_constant_method_and_nothing_expected() -> None:
    fit = fit_case_mix({key("S1"): [0, 0, 3, 1]})
    assert fit == CaseMixFit(0, 0, (), (), True, "constant", {}, {})
    assert fit_case_mix({}).method == "constant"


@pytest.mark.parametrize(("recovered", "rate"), [(0, 0.0), (1, 1.0)])
def test_all_or_none_recovered_expects_exactly_what_was_observed(recovered: int, rate: float) -> None:
    cells = {key("S1", phq9_first=5): [4, 4 * recovered, 0, 0], key("S2", phq9_first=20): [6, 6 * recovered, 0, 0]}
    fit = fit_case_mix(cells)
    assert (fit.method, fit.terms, fit.episodes, fit.recovered) == ("constant", (), 10, 10 * recovered)
    assert fit.expected == {"S1": 4 * rate, "S2": 6 * rate}
    assert fit.observed == {"S1": 4 * recovered, "S2": 6 * recovered}


def test_perfect_separation_does_not_crash_and_still_gives_expected() -> None:
    """Everyone with PHQ-9 under 10 recovers, nobody above: the MLE runs off to infinity."""
    cells = {
        key("S1", phq9_first=5): [10, 10, 0, 0],
        key("S1", phq9_first=8): [5, 5, 0, 0],
        key("S2", phq9_first=15): [10, 0, 0, 0],
        key("S2", phq9_first=20): [8, 0, 0, 0],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing escapes to the caller
        fit = fit_case_mix(cells)
    assert fit.method in ("logistic", "constant")
    assert not fit.converged or fit.method == "constant"
    assert fit.expected["S1"] == pytest.approx(15, abs=0.01)
    assert fit.expected["S2"] == pytest.approx(0, abs=0.01)
    json.dumps(fit.as_dict(), allow_nan=False)


def test_a_rare_level_where_everyone_recovered_is_flagged_not_converged() -> None:
    """Quasi-separation: the one cell of age 16-17 all recovered; Newton stops far out on a flat likelihood."""
    cells = synthetic_cells(8, cells=300)
    for k in list(cells):
        cells[k._replace(age_band="18-25")] = cells.pop(k)
    cells[key("S1", age_band="16-17")] = [6, 6, 0, 0]
    fit = fit_case_mix(cells)
    assert fit.method == "logistic" and not fit.converged
    assert "age_band[18-25]" in fit.terms  # 26-35 unseen: the first level seen is the reference
    assert sum(fit.expected.values()) == pytest.approx(fit.recovered, rel=1e-6)


def test_levels_never_seen_and_constant_covariates_get_no_column() -> None:
    cells = {
        key("S1", problem_group="anxiety", sex="male", age_band="18-25"): [10, 4, 0, 0],
        key("S1", problem_group="other", sex=None, age_band="18-25", phq9_first=None): [12, 3, 0, 0],
        key("S2", problem_group="anxiety", sex="female", age_band="18-25", phq9_first=3): [9, 6, 0, 0],
        key("S2", problem_group="other", sex="male", age_band="18-25", phq9_first=9): [7, 2, 0, 0],
        key("S2", problem_group="other", sex="unknown", age_band="18-25", phq9_first=21): [7, 2, 0, 0],
        key("S1", problem_group="anxiety", sex="female", age_band="18-25", phq9_first=12): [7, 2, 0, 0],
    }
    names, x = design_matrix(list(cells))
    # no depression: anxiety is the reference; no "other" sex; one age band only: no age column;
    # GAD-7 the same everywhere, intensity and IMD decile too: no column
    assert names == (
        "intercept",
        "problem_group[other]",
        "phq9_first",
        "phq9_first_missing",
        "sex[male]",
        "sex[unknown]",
    )
    assert x.shape == (6, 6) and np.linalg.matrix_rank(x) == 6


def test_a_column_that_duplicates_others_is_dropped() -> None:
    """Sessions 0 always with intensity missing: one of the two columns says it all."""
    cells = {
        key("S1", sessions_band="0", intensity=None, phq9_first=4): [5, 1, 0, 0],
        key("S1", sessions_band="2-6", intensity="low", phq9_first=9): [5, 3, 0, 0],
        key("S2", sessions_band="2-6", intensity="high", phq9_first=14): [5, 2, 0, 0],
        key("S2", sessions_band="0", intensity=None, phq9_first=19): [5, 1, 0, 0],
    }
    fit = fit_case_mix(cells)
    assert fit.terms == ("intercept", "sessions_band[0]", "intensity[high]", "phq9_first")
    assert sum(fit.expected.values()) == pytest.approx(7)


def test_values_outside_the_cell_vocabulary_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="problem_group 'bipolar'"):
        fit_case_mix({key(problem_group="bipolar"): [3, 1, 0, 0], key(): [3, 2, 0, 0]})
    with pytest.raises(ValueError, match="phq9_first 30"):
        fit_case_mix({key(phq9_first=30): [3, 1, 0, 0], key(): [3, 2, 0, 0]})
    with pytest.raises(ValueError, match="durably recovered"):
        fit_case_mix({key(): [3, 4, 0, 0]})


def test_as_dict_is_json_ready() -> None:
    fit = fit_case_mix(synthetic_cells(7, cells=100))
    summary = fit.as_dict()
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary
    assert summary["method"] == "logistic" and summary["episodes"] == fit.episodes
    assert [t["term"] for t in summary["terms"]] == list(fit.terms)
    assert summary["terms"][0]["coefficient"] == pytest.approx(fit.params[0])


@pytest.mark.slow
def test_a_million_episodes_in_two_hundred_thousand_cells_fit_in_seconds() -> None:
    """SPEC 7's scale: the design is built with numpy and Newton-Raphson works on a columns x columns Hessian."""
    rng = np.random.default_rng(11)
    n = 200_000
    age = np.array([*AGE_BANDS, None], dtype=object)[rng.integers(0, 8, n)]
    sex = np.array([*SEXES, None], dtype=object)[rng.integers(0, 5, n)]
    phq = rng.integers(0, 28, n)
    cells: dict[CaseMixKey, list[int]] = {}
    for i in range(n):
        k = CaseMixKey(
            f"S{i % 150:03d}",
            GROUPS[i % 3],
            BANDS[(i // 3) % 4],
            INTENSITIES[(i // 12) % 4],
            int(phq[i]),
            int((i * 7) % 22),
            age[i],
            sex[i],
            int(i % 10) + 1,
        )
        eligible = 1 + i % 9
        cells[k] = [eligible, int(rng.binomial(eligible, 0.7 - phq[i] / 50)), 0, 0]
    started = time.perf_counter()
    fit = fit_case_mix(cells)
    elapsed = time.perf_counter() - started
    assert fit.converged and fit.method == "logistic" and fit.episodes > 900_000
    assert sum(fit.expected.values()) == pytest.approx(fit.recovered, rel=1e-9)
    assert elapsed < 15, f"{elapsed:.1f} s"
