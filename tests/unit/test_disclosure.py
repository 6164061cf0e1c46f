"""Disclosure control: suppression of 1-7, rounding to 5, whole percentages (SPEC section 4)."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date
from typing import Any

import pytest

from app.domain.disclosure import SUPPRESSED, publish, publish_count, publish_rate, whole_percent
from app.domain.statistics import effect_size, summarise, wilson_rate
from app.domain.survival import wellness_summary
from tests.factories.statistics import random_cohort


@pytest.mark.parametrize(
    ("count", "published"),
    [
        (0, 0),
        (1, SUPPRESSED),
        (7, SUPPRESSED),
        (8, 10),
        (10, 10),
        (12, 10),
        (13, 15),
        (17, 15),
        (18, 20),
        (1002, 1000),
        (1003, 1005),
    ],
)
def test_counts(count: int, published: int | str) -> None:
    assert publish_count(count) == published


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        publish_count(-1)


def test_rate_over_unsuppressed_counts_uses_the_unrounded_counts() -> None:
    # 8/13 = 61.5% -> 62, though the published counts are 10/15 (66.7%).
    assert publish_rate(wilson_rate(8, 13)) == {
        "numerator": 10,
        "denominator": 15,
        "rate": 62,
        "ci95": [36, 82],  # Wilson 0.3552..0.8229
    }


@pytest.mark.parametrize(("numerator", "denominator"), [(7, 13), (1, 13), (7, 8), (0, 7), (3, 3)])
def test_rate_resting_on_1_to_7_people_is_suppressed(numerator: int, denominator: int) -> None:
    published = publish_rate(wilson_rate(numerator, denominator))
    assert published["rate"] == SUPPRESSED and published["ci95"] == SUPPRESSED
    assert published["numerator"] == publish_count(numerator)
    assert published["denominator"] == publish_count(denominator)


def test_zero_over_eight_is_published_as_zero_percent() -> None:
    assert publish_rate(wilson_rate(0, 8)) == {
        "numerator": 0,
        "denominator": 10,
        "rate": 0,
        "ci95": [0, 32],  # Wilson upper bound 0.3244
    }


def test_zero_over_zero_stays_null() -> None:
    assert publish_rate(wilson_rate(0, 0)) == {"numerator": 0, "denominator": 0, "rate": None, "ci95": None}


def test_whole_percentages_round_halves_up() -> None:
    assert publish_rate(wilson_rate(10, 2000))["rate"] == 1  # 0.5% exactly
    assert publish_rate(wilson_rate(13, 40))["rate"] == 33  # 32.5%: not to the even 32
    assert publish_rate(wilson_rate(8, 16))["rate"] == 50
    assert publish_rate(wilson_rate(199, 200))["rate"] == 100  # 99.5%
    assert publish_rate(wilson_rate(8, 9))["rate"] == 89
    assert whole_percent(0.125) == 13 and whole_percent(0.0) == 0 and whole_percent(1.0) == 100


def wellness_of(n_events: int, n_censored: int) -> dict[str, Any]:
    entry = [0] * (n_events + n_censored)
    time = [100 + 10 * i for i in range(n_events)] + [400] * n_censored
    return wellness_summary(entry, time, [1] * n_events + [0] * n_censored)


def test_kaplan_meier_is_suppressed_when_events_are_1_to_7() -> None:
    summary = summarise([], date(2027, 1, 31))
    summary["wellness"] = wellness_of(n_events=7, n_censored=20)
    published = publish(summary)["wellness"]
    assert published["n"] == 25 and published["events"] == SUPPRESSED
    assert published["median_weeks"] == SUPPRESSED
    assert published["still_well"] == {
        "26": {"estimate": SUPPRESSED, "ci95": SUPPRESSED},
        "52": {"estimate": SUPPRESSED, "ci95": SUPPRESSED},
    }


def test_kaplan_meier_is_published_as_whole_percentages() -> None:
    summary = summarise([], date(2027, 1, 31))
    wellness = summary["wellness"] = wellness_of(n_events=10, n_censored=10)
    published = publish(summary)["wellness"]
    assert (published["n"], published["events"]) == (20, 10)
    assert published["median_weeks"] == wellness["median_weeks"]
    estimate = wellness["still_well"]["26"]["estimate"]
    low, high = wellness["still_well"]["26"]["ci95"]
    assert published["still_well"]["26"] == {
        "estimate": round(100 * estimate),
        "ci95": [round(100 * low), round(100 * high)],
    }


def test_kaplan_meier_without_events_is_not_suppressed() -> None:
    summary = summarise([], date(2027, 1, 31))
    summary["wellness"] = wellness_of(n_events=0, n_censored=9)
    published = publish(summary)["wellness"]
    assert published["events"] == 0 and published["n"] == 10
    assert published["still_well"]["26"] == {"estimate": 100, "ci95": None}


def test_effect_sizes_are_suppressed_when_n_is_1_to_7() -> None:
    summary = summarise([], date(2027, 1, 31))
    small = effect_size([10, 12, 14, 16, 18, 20, 22], [5, 6, 7, 8, 9, 10, 9])
    large = effect_size([10, 12, 14, 16, 18, 20, 22, 24], [5, 6, 7, 8, 9, 10, 9, 8])
    summary["effect_sizes"] = {"F32": {"phq9": small, "gad7": large}}
    published = publish(summary)["effect_sizes"]["F32"]
    assert published["phq9"] == dict.fromkeys(("n", "mean_first", "mean_last", "d", "u3"), SUPPRESSED)
    assert published["gad7"] == large | {"n": 10}


def assert_same_shape(published: Any, original: Any, path: str = "") -> None:
    """Same keys all the way down; lists the same length."""
    if isinstance(original, dict):
        assert isinstance(published, dict) and list(published) == list(original), path
        for key in original:
            assert_same_shape(published[key], original[key], f"{path}.{key}")
    elif isinstance(original, list) and original and isinstance(original[0], dict):
        assert isinstance(published, list) and len(published) == len(original), path
        for i, (p, o) in enumerate(zip(published, original, strict=True)):
            assert_same_shape(p, o, f"{path}[{i}]")


def test_publish_keeps_the_shape_and_leaves_the_summary_alone() -> None:
    summary = summarise(random_cohort(11, 300), date(2027, 1, 31))
    before = copy.deepcopy(summary)
    published = publish(summary)
    assert summary == before
    assert_same_shape(published, summary)
    json.dumps(published, allow_nan=False)
    assert published["methodology"] == 1 and published["as_of"] == "2027-01-31"
    assert [p["weeks"] for p in published["follow_up_points"]] == [p["weeks"] for p in summary["follow_up_points"]]
    counts = [
        published["cohort"]["episodes"],
        *published["outcomes"].values(),
        *published["attrition"].values(),
        *published["change_distribution"].values(),
        published["service_reported"]["finished"],
    ]
    assert all(c == SUPPRESSED or (isinstance(c, int) and c % 5 == 0) for c in counts)
    itt = published["durable_recovery"]["itt"]
    assert isinstance(itt["rate"], int) and 0 <= itt["ci95"][0] <= itt["rate"] <= itt["ci95"][1] <= 100


def test_by_disorder_is_published_under_disclosure_control() -> None:
    cohort = random_cohort(11, 300)
    # three consented specific-phobia episodes: too few people to show
    few = [dataclasses.replace(e, problem_descriptor="F40.2", consented=True) for e in cohort[:3]]
    summary = summarise([*few, *cohort[3:]], date(2027, 1, 31))
    assert summary["by_disorder"]["specific_phobia"]["episodes"] == 3
    published = publish(summary)["by_disorder"]
    assert list(published) == list(summary["by_disorder"])
    phobia = published["specific_phobia"]
    assert phobia["episodes"] == SUPPRESSED
    assert phobia["durable_recovery"]["itt"]["rate"] == SUPPRESSED
    assert phobia["durable_recovery"]["itt"]["ci95"] == SUPPRESSED
    assert published["panic"]["episodes"] == 0 and published["panic"]["response"]["rate"] is None
    depression = summary["by_disorder"]["depression"]
    assert depression["episodes"] > 7 and depression["episodes"] % 5 != 0  # so rounding shows
    assert published["depression"]["episodes"] == publish_count(depression["episodes"])
    assert published["depression"]["episodes"] % 5 == 0
    assert all(n == SUPPRESSED or n % 5 == 0 for block in published.values() for n in block["outcomes"].values())
