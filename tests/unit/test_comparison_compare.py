"""The `stats compare` object (SPEC 8.1) and its published form (SPEC section 4)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import chi2

from app.domain.comparison.case_mix import fit_case_mix
from app.domain.comparison.compare import ServiceFigures, comparison, published_comparison
from app.domain.comparison.funnel import binomial_limits, ratio_limits
from app.domain.statistics import wilson_rate

AS_OF = date(2027, 1, 31)
SPEC_TOP = {"methodology", "as_of", "measure", "target", "overdispersion", "services", "funnel"}
ADDED_TOP = {"adjusted_overdispersion", "adjusted_funnel", "case_mix"}
SPEC_SERVICE = {
    "service",
    "observed",
    "limits",
    "position",
    "expected",
    "observed_expected",
    "adjusted_rate",
    "adjusted_ci95",
    "service_reported_recovery",
}
ADDED_SERVICE = {"adjusted_position", "adjusted_limits", "gap"}


def figures(code: str, eligible: int, recovered: int, expected: float | None = None, **kw: int) -> ServiceFigures:
    return ServiceFigures(
        service=code,
        eligible=eligible,
        durably_recovered=recovered,
        expected=expected,
        at_caseness=kw.get("at_caseness", 40),
        reported_recovered=kw.get("reported_recovered", 20),
    )


def twelve() -> list[ServiceFigures]:
    """Ten ordinary services at 30% of 200, one clearly above, one clearly below, and two small."""
    out = [figures(f"S{i:02}", 200, 60, 60.0) for i in range(8)]
    out += [figures("S08", 200, 58, 60.0), figures("S09", 200, 62, 60.0)]
    out += [figures("HIGH", 200, 100, 60.0), figures("LOW", 200, 20, 60.0)]
    out += [figures("TINY", 5, 3, 1.5, at_caseness=4, reported_recovered=2), figures("NEW", 0, 0, 0.0)]
    return out


def walk(value: Any) -> None:
    """Only JSON's own types: no tuples, no numpy scalars."""
    assert value is None or isinstance(value, str | bool | int | float | list | dict), type(value)
    if isinstance(value, float):
        assert type(value) is float
    if isinstance(value, list):
        for v in value:
            walk(v)
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str)
            walk(v)


def test_the_object_has_the_keys_spec_names_and_ours() -> None:
    obj = comparison(AS_OF, twelve())
    assert set(obj) == SPEC_TOP | ADDED_TOP
    assert (obj["methodology"], obj["as_of"], obj["measure"]) == (2, "2027-01-31", "durable_recovery_itt")
    assert set(obj["overdispersion"]) == {"services", "phi", "tau2", "adjusted"}
    assert set(obj["funnel"]) == {"95", "99.8"}
    for entry in obj["services"]:
        assert set(entry) == SPEC_SERVICE | ADDED_SERVICE
    walk(obj)
    json.dumps(obj, allow_nan=False)
    assert obj["case_mix"] is None
    assert comparison(AS_OF, twelve(), case_mix={"model": "logit"})["case_mix"] == {"model": "logit"}


def test_services_sorted_by_code_and_the_target_pools_them() -> None:
    services = twelve()
    obj = comparison(AS_OF, services[::-1])
    assert [e["service"] for e in obj["services"]] == sorted(s.service for s in services)
    total_r, total_n = sum(s.durably_recovered for s in services), sum(s.eligible for s in services)
    assert obj["target"] == wilson_rate(total_r, total_n)


def test_clear_outliers_are_beyond_the_99_8_limits() -> None:
    obj = comparison(AS_OF, twelve())
    by_code = {e["service"]: e for e in obj["services"]}
    assert by_code["HIGH"]["position"] == "above_99.8"
    assert by_code["LOW"]["position"] == "below_99.8"
    assert {by_code[f"S{i:02}"]["position"] for i in range(10)} == {"within"}
    assert obj["overdispersion"]["services"] == 12  # TINY and NEW are not judged
    assert not obj["overdispersion"]["adjusted"]
    p0 = obj["target"]["rate"]
    assert by_code["S00"]["limits"] == {k: list(v) for k, v in binomial_limits(200, p0).items()}
    assert by_code["HIGH"]["adjusted_position"] == "above_99.8"
    assert by_code["LOW"]["adjusted_position"] == "below_99.8"


def test_too_few_has_no_limits_and_no_expected_figure_gives_nulls() -> None:
    by_code = {e["service"]: e for e in comparison(AS_OF, twelve())["services"]}
    tiny, new = by_code["TINY"], by_code["NEW"]
    assert (tiny["position"], tiny["limits"], tiny["adjusted_position"], tiny["adjusted_limits"]) == (
        "too_few",
        None,
        "too_few",
        None,
    )
    assert tiny["expected"] == 1.5 and tiny["observed_expected"] == 2.0  # O/E is shown, not judged
    assert new["observed"] == wilson_rate(0, 0) and new["position"] == "too_few"
    for key in ("expected", "observed_expected", "adjusted_rate", "adjusted_ci95", "gap"):
        assert new[key] is None, key
    no_model = comparison(AS_OF, [figures("A", 50, 10)])["services"][0]
    assert no_model["expected"] is None and no_model["adjusted_position"] == "too_few"


def test_indirect_standardisation_figures() -> None:
    obj = comparison(AS_OF, twelve())
    target = obj["target"]["rate"]
    high = next(e for e in obj["services"] if e["service"] == "HIGH")
    assert high["observed_expected"] == pytest.approx(100 / 60)
    assert high["adjusted_rate"] == pytest.approx(100 / 60 * target)
    low, up = chi2.ppf(0.025, 200) / 2, chi2.ppf(0.975, 202) / 2
    assert high["adjusted_ci95"] == pytest.approx([low / 60 * target, up / 60 * target])
    assert high["adjusted_limits"] == {k: list(v) for k, v in ratio_limits(60.0).items()}
    assert high["service_reported_recovery"] == wilson_rate(20, 40)
    assert high["gap"] == pytest.approx(0.5 - 0.5)
    low_entry = next(e for e in obj["services"] if e["service"] == "LOW")
    assert low_entry["gap"] == pytest.approx(0.1 - 0.5)


def test_funnels_span_the_services() -> None:
    obj = comparison(AS_OF, twelve())
    assert obj["funnel"]["95"][0][0] == 20 and obj["funnel"]["95"][-1][0] == 200
    assert obj["adjusted_funnel"]["99.8"][0][0] == 1.0 and obj["adjusted_funnel"]["99.8"][-1][0] == 60.0


def test_no_services_at_all() -> None:
    obj = comparison(AS_OF, [])
    assert obj["target"] == wilson_rate(0, 0)
    assert obj["overdispersion"] == {"services": 0, "phi": 1.0, "tau2": 0.0, "adjusted": False}
    assert obj["funnel"] == {"95": [], "99.8": []} and obj["adjusted_funnel"] == {"95": [], "99.8": []}
    assert obj["services"] == []
    json.dumps(published_comparison(obj))


def test_a_service_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="more than once"):
        comparison(AS_OF, [figures("A", 50, 10), figures("A", 60, 10)])


def test_published_counts_rates_and_percentages() -> None:
    obj = comparison(AS_OF, twelve())
    published = published_comparison(obj)
    assert set(published) == set(obj)
    target = published["target"]
    assert target["numerator"] == 725 and target["denominator"] == 2405  # 723 / 2405, rounded to 5
    assert target["rate"] == 30  # 30.06%, from the unrounded counts and all(isinstance(x, int) for x in target["ci95"])
    by_code = {e["service"]: e for e in published["services"]}
    s00 = by_code["S00"]
    assert set(s00) == SPEC_SERVICE | ADDED_SERVICE
    assert s00["observed"] == {"numerator": 60, "denominator": 200, "rate": 30, "ci95": [24, 37]}
    raw = next(e for e in obj["services"] if e["service"] == "S00")
    assert s00["limits"] == {k: [round(100 * lo), round(100 * hi)] for k, (lo, hi) in raw["limits"].items()}
    assert s00["position"] == "within" and s00["adjusted_position"] == "within"
    assert s00["expected"] == 60 and s00["observed_expected"] == 1.0
    assert s00["adjusted_rate"] == round(100 * raw["adjusted_rate"])
    assert s00["gap"] == -20
    json.dumps(published, allow_nan=False)


def test_a_position_is_published_only_with_its_service_counts() -> None:
    services = [*twelve(), figures("FEW", 40, 5, 12.0)]  # 5 durably recovered of 40: suppressed
    published = {e["service"]: e for e in published_comparison(comparison(AS_OF, services))["services"]}
    few = published["FEW"]
    assert few["observed"] == {"numerator": "*", "denominator": 40, "rate": "*", "ci95": "*"}
    for key in (
        "limits",
        "position",
        "expected",
        "observed_expected",
        "adjusted_rate",
        "adjusted_ci95",
        "adjusted_position",
        "adjusted_limits",
        "gap",
    ):
        assert few[key] == "*", key
    tiny = published["TINY"]
    assert tiny["observed"]["numerator"] == "*" and tiny["position"] == "*"
    assert tiny["service_reported_recovery"] == {"numerator": "*", "denominator": "*", "rate": "*", "ci95": "*"}
    new = published["NEW"]  # zero counts are shown: too few to judge, said openly
    assert new["position"] == "too_few" and new["observed"]["numerator"] == 0


def test_service_reported_counts_suppressed_hide_the_gap_only() -> None:
    services = [figures("A", 100, 30, 30.0, at_caseness=40, reported_recovered=3)]
    entry = published_comparison(comparison(AS_OF, services))["services"][0]
    assert entry["service_reported_recovery"]["rate"] == "*"
    assert entry["gap"] == "*"
    assert entry["position"] == "within"
    assert entry["observed"]["rate"] == 30


def test_published_funnels_and_overdispersion_are_coarsened() -> None:
    obj = comparison(AS_OF, twelve())
    published = published_comparison(obj)
    for level in ("95", "99.8"):
        ns = [p[0] for p in published["funnel"][level]]
        assert all(n % 5 == 0 for n in ns) and ns == sorted(set(ns))
        assert all(isinstance(x, int) for p in published["funnel"][level] for x in p)
        es = [p[0] for p in published["adjusted_funnel"][level]]
        assert es == sorted(set(es)) and es[0] == 1 and es[-1] == 60
        assert all(round(x, 2) == x for p in published["adjusted_funnel"][level] for x in p[1:])
    od = published["overdispersion"]
    assert od["phi"] == round(obj["overdispersion"]["phi"], 2)
    assert od["services"] == 12


def test_publishing_leaves_the_evaluators_object_alone() -> None:
    obj = comparison(AS_OF, twelve())
    before = json.dumps(obj, sort_keys=True)
    published_comparison(obj)
    assert json.dumps(obj, sort_keys=True) == before


def test_the_methodology_describes_every_key_of_the_object() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "methodology.md").read_text(encoding="utf-8")
    start, end = "## Comparing services (methodology version 2)", "## References"
    assert start in text and end in text, "docs/methodology.md lost its comparison sections"
    sections = text.split(start, 1)[1].split(end, 1)[0]
    obj = comparison(AS_OF, [figures("S01", 40, 20, expected=20.0)], case_mix=fit_case_mix({}).as_dict())
    keys = set(obj) | set(obj["services"][0]) | set(obj["overdispersion"]) | set(obj["case_mix"])
    missing = sorted(key for key in keys if f"`{key}`" not in sections)
    assert not missing, f"docs/methodology.md's comparison sections do not name {missing}"
    assert "`adjusted_limits`: exact Poisson limits" in sections
    assert "percentage points" in sections
