"""`stats compare` from the database: every service against funnel limits, raw and case-mix adjusted, on
SQLite and PostgreSQL; the command, the audit, releases and monthly reports."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent
from app.services import statistics
from app.services.errors import NotFound
from app.services.publication import releases
from app.services.statistics import AsOfAfterToday
from tests.factories.cohorts import AS_OF, CASE_MIX_COMPARED, COMPARED, seed_case_mix_comparison, seed_comparison

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def by_code(result: dict) -> dict[str, dict]:
    return {row["service"]: row for row in result["services"]}


def test_every_service_is_judged_against_exact_limits_around_the_pooled_target(app):
    seed_comparison()
    result = statistics.compare(AS_OF)
    assert result["methodology"] == 2 and result["as_of"] == "2026-10-31"
    assert result["measure"] == "durable_recovery_itt"
    episodes = sum(n for n, _ in COMPARED.values())
    recovered = sum(r for _, r in COMPARED.values())
    assert (result["target"]["numerator"], result["target"]["denominator"]) == (recovered, episodes)
    services = by_code(result)
    assert list(services) == sorted(COMPARED)  # every service, by code
    assert services["S01"]["position"] == "above_99.8"
    assert services["S02"]["position"] == "below_99.8"
    assert {services[f"S{i:02d}"]["position"] for i in range(3, 12)} == {"within"}
    assert services["S12"]["position"] == "too_few" and services["S12"]["limits"] is None
    for code, (n, r) in COMPARED.items():
        observed = services[code]["observed"]
        assert (observed["numerator"], observed["denominator"]) == (r, n)
        # every default row is at caseness and recovered by its own scores: the service claims 100%
        assert services[code]["service_reported_recovery"]["rate"] == 1.0
        assert services[code]["gap"] == pytest.approx(r / n - 1.0)
    # the limits narrow with n, around the target
    low, high = services["S03"]["limits"]["99.8"]
    assert low < result["target"]["rate"] < high
    assert services["S03"]["limits"]["95"][0] > low
    # nine services recover exactly half: no more spread than chance allows once the extremes are winsorised
    assert result["overdispersion"]["services"] == 11 and result["overdispersion"]["adjusted"] is False
    assert set(result["funnel"]) == {"95", "99.8"} and result["funnel"]["95"]
    # the expected recoveries add up to those observed (logistic regression with an intercept)
    expected = sum(row["expected"] for row in result["services"] if row["expected"] is not None)
    assert expected == pytest.approx(recovered, rel=1e-6)


def test_case_mix_adjustment_clears_a_service_whose_people_are_only_more_severe(app):
    # Severe people (PHQ-9 24, GAD-7 18) recover 20% in every ordinary service, moderate ones 60%. C13 has only
    # severe people: worse than the pool in its raw rate, as expected once its case mix is allowed for.
    # C01 and C02 have the ordinary case mix and stand out on both scales.
    seed_case_mix_comparison()
    result = statistics.compare(AS_OF)
    services = by_code(result)
    assert list(services) == sorted(CASE_MIX_COMPARED)
    assert result["case_mix"]["method"] == "logistic" and result["case_mix"]["converged"] is True
    assert "phq9_first" in {term["term"] for term in result["case_mix"]["terms"]}
    assert (services["C01"]["position"], services["C01"]["adjusted_position"]) == ("above_99.8", "above_99.8")
    assert (services["C02"]["position"], services["C02"]["adjusted_position"]) == ("below_99.8", "below_99.8")
    assert services["C13"]["position"] in ("below_95", "below_99.8")
    assert services["C13"]["adjusted_position"] == "within"
    ordinary = [services[f"C{i:02d}"] for i in range(3, 13)]
    assert {(row["position"], row["adjusted_position"]) for row in ordinary} == {("within", "within")}
    # the regression expects fewer recoveries of C13 than of an ordinary service of the same size
    assert services["C13"]["expected"] < 0.6 * ordinary[0]["expected"]
    assert services["C13"]["observed_expected"] == pytest.approx(12 / services["C13"]["expected"])
    low, high = services["C13"]["adjusted_limits"]["95"]
    assert low < services["C13"]["observed_expected"] < high
    assert result["adjusted_overdispersion"]["services"] == 13
    # every service claims 100% (all at caseness, recovered by their last scores): the gap is the shortfall
    assert services["C13"]["gap"] == pytest.approx(12 / 60 - 1.0)


def test_an_area_pools_its_own_services_and_an_unknown_area_is_not_found(app):
    seed_comparison()
    result = statistics.compare(AS_OF, area_code="NW")
    assert [row["service"] for row in result["services"]] == ["S07", "S08", "S09", "S10", "S11", "S12"]
    assert result["target"]["denominator"] == 5 * 40 + 10
    with pytest.raises(NotFound):
        statistics.compare(AS_OF, area_code="NOPE")


def test_before_any_discharge_every_service_is_too_few(app):
    seed_comparison()
    result = statistics.compare(date(2026, 1, 1))
    assert {row["position"] for row in result["services"]} == {"too_few"}
    assert result["target"]["rate"] is None
    assert result["case_mix"]["episodes"] == 0


def test_published_comparison_applies_disclosure_control(app):
    seed_comparison()
    services = by_code(statistics.compare(AS_OF, published=True))
    assert services["S01"]["observed"]["numerator"] == 35  # 36 rounded to 5
    assert services["S01"]["observed"]["rate"] == 90  # whole percentages from unrounded counts
    assert services["S02"]["observed"]["numerator"] == "*"  # 4 people
    assert services["S02"]["observed"]["rate"] == "*"


def test_an_as_of_after_today_is_refused_when_asked_from_an_edge(app):
    with pytest.raises(AsOfAfterToday):
        statistics.compare(date(2026, 11, 22), now=NOW)


def test_the_command_prints_json_and_a_table_and_is_audited(app, runner):
    seed_comparison()
    raw = runner.invoke(args=["stats", "compare", "--as-of", "2026-10-31", "--format", "json"])
    assert raw.exit_code == 0, raw.output
    result = json.loads(raw.output)
    assert by_code(result)["S01"]["position"] == "above_99.8"
    table = runner.invoke(args=["stats", "compare", "--as-of", "2026-10-31"])
    assert table.exit_code == 0, table.output
    assert "S01" in table.output and "above_99.8" in table.output and "too_few" in table.output
    assert "Target (pooled ITT durable recovery)" in table.output
    published = runner.invoke(args=["stats", "compare", "--as-of", "2026-10-31", "--published"])
    assert published.exit_code == 0, published.output
    assert "published" in published.output.splitlines()[0]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "stats.compare")).all()
    assert len(events) == 3 and all(event.actor.startswith("cli:") for event in events)


def test_the_command_refuses_bad_input_clearly(app, runner):
    seed_comparison()
    unknown = runner.invoke(args=["stats", "compare", "--area", "NOPE"])
    assert unknown.exit_code != 0 and "NOPE" in unknown.output and "Traceback" not in unknown.output
    future = runner.invoke(args=["stats", "compare", "--as-of", "2099-01-01"])
    assert future.exit_code != 0 and "after today" in future.output
    bad = runner.invoke(args=["stats", "compare", "--as-of", "31/10/2026"])
    assert bad.exit_code == 2 and "is not a date" in bad.output


def test_a_release_of_all_services_or_an_area_carries_the_published_comparison(app):
    seed_comparison()
    everything = releases.create_release(AS_OF, "all", None, "test", NOW)
    comparison = releases.document(everything)["comparison"]
    assert comparison == statistics.compare(AS_OF, published=True)
    assert releases.verify_release(everything.id).ok
    rows = releases.tidy_rows(releases.document(everything))
    assert ("comparison", "services.S01.position", "above_99.8") in rows
    area = releases.create_release(AS_OF, "area", "NE", "test", NOW)
    assert [row["service"] for row in releases.document(area)["comparison"]["services"]] == [
        "S01",
        "S02",
        "S03",
        "S04",
        "S05",
        "S06",
    ]
    one = releases.create_release(AS_OF, "service", "S01", "test", NOW)
    assert "comparison" not in releases.document(one)
