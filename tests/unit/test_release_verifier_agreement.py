"""The package verifier on the agreement section (SPEC 8.4): honest tables always pass, kappa is recomputed
from the 2x2 counts, a wrong kappa or table fails, the bootstrap interval is checked present, and a release
without the section (made before it) is fine."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest

from app.domain import agreement as domain
from app.domain.disclosure import publish
from app.domain.release_package import verify
from app.domain.statistics import summarise
from tests.factories.statistics import random_cohort


def released(table: tuple[int, int, int, int], seed: int = 0) -> dict:
    """A release document (as stored: canonical JSON read back) with a summary and its agreement section."""
    summary = summarise(random_cohort(seed, 120), date(2026, 12, 31))
    itt = summary["durable_recovery"]["itt"]
    a, b, c, d = table
    pairs = [(True, True)] * a + [(True, False)] * b + [(False, True)] * c + [(False, False)] * d
    figures = domain.agreement(pairs, itt["numerator"], itt["denominator"], resamples=200)
    figures["calls"] = {"sampled": a + b + c + d + 9, "reached": a + b + c + d, "declined": 4, "not_reached": 5}
    document = {
        "figures": publish(summary),
        "agreement": {"as_of": "2026-12-31", **domain.publish_agreement(figures)},
    }
    return json.loads(verify.canonical_json(document))


def agreement_problems(document: dict) -> list[str]:
    report = verify.Report()
    verify._check_figures(document, report)
    verify._check_agreement(document, report)
    return report.problems


def test_the_verifiers_kappa_and_rounding_are_the_domains():
    rng = random.Random(5)
    for _ in range(300):
        cells = [rng.randint(0, 40) for _ in range(4)]
        assert verify.kappa_of(*cells) == domain.kappa_estimate(*cells)
        value = rng.uniform(-1, 1)
        assert verify.two_places(value) == domain.two_places(value)


@pytest.mark.parametrize("seed", range(40))
def test_honest_tables_always_pass(seed):
    rng = random.Random(seed)
    table = tuple(rng.choice([0, 1, 3, 7, 8, 12, 30, 61]) for _ in range(4))
    assert agreement_problems(released(table, seed)) == []  # type: ignore[arg-type]


def test_kappa_is_recomputed_and_a_wrong_one_fails():
    document = released((40, 10, 5, 45))
    report = verify.Report()
    verify._check_agreement(document, report)
    assert any(line.startswith("agreement.kappa: 0.7 from the 2x2 table") for line in report.recomputed)
    assert any(
        "bootstrap interval not recomputable" in line and "checked present" in line for line in report.consistent
    )
    document["agreement"]["kappa"]["estimate"] = 0.9
    document["agreement"]["kappa"]["ci95"] = [0.8, 1.0]
    assert any("agreement kappa: 0.9 cannot come from the table" in p for p in agreement_problems(document))


def test_a_table_that_does_not_add_up_fails():
    document = released((40, 10, 5, 45))
    document["agreement"]["table"]["neither"] = 90
    problems = agreement_problems(document)
    assert any(p.startswith("agreement 2x2 table") for p in problems)


def test_a_kappa_suppressed_with_many_pairs_fails_and_a_missing_bootstrap_fails():
    document = released((40, 10, 5, 45))
    document["agreement"]["kappa"] = {"estimate": "*", "ci95": "*"}
    assert any("only 1-7 pairs suppress it" in p for p in agreement_problems(document))
    document = released((40, 10, 5, 45))
    del document["agreement"]["corrected_itt_durable_recovery"]["seed"]
    assert any("seed is missing" in p for p in agreement_problems(document))


def test_few_pairs_are_suppressed_and_pass():
    document = released((2, 1, 1, 2))
    assert document["agreement"]["kappa"] == {"ci95": "*", "estimate": "*"}
    report = verify.Report()
    verify._check_agreement(document, report)
    assert report.problems == [] and any("kappa and the corrected figure" in line for line in report.suppressed)


def test_a_release_without_the_section_is_fine():
    document = released((40, 10, 5, 45))
    del document["agreement"]
    report = verify.Report()
    verify._check_agreement(document, report)
    assert report.problems == [] and not report.recomputed
    assert not [row for row in verify.published_figures(document) if row[0].startswith("agreement")]
