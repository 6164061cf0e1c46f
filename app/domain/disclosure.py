"""Disclosure control for anything published (SPEC section 4, "Publication and disclosure control").

Small numbers can identify people: a count of 1-7 is shown as "*", every other count is rounded
to the nearest 5, and a figure that rests on 1-7 people is suppressed. Rates and intervals are
computed from the unrounded counts, then shown as whole percentages.
"""

from __future__ import annotations

import math
from typing import Any, Final

SUPPRESSED: Final = "*"
SMALLEST_SHOWN: Final = 8  # counts 1-7 are suppressed
ROUNDING_BASE: Final = 5

PublishedCount = int | str


def is_small(n: int) -> bool:
    """A count of 1-7: too few people to show."""
    return 1 <= n < SMALLEST_SHOWN


def publish_count(n: int) -> PublishedCount:
    """1-7 -> "*"; otherwise the nearest multiple of 5 (integers are never half-way between two)."""
    if n < 0:
        raise ValueError(f"a count cannot be negative (got {n})")
    if is_small(n):
        return SUPPRESSED
    return ROUNDING_BASE * ((n + ROUNDING_BASE // 2) // ROUNDING_BASE)


def whole_percent(fraction: float) -> int:
    """A proportion as a whole percentage, halves rounded up (0.125 -> 13)."""
    return math.floor(100 * fraction + 0.5)


def publish_rate(rate: dict[str, Any]) -> dict[str, Any]:
    """A RATE with its counts published; "*" for rate and interval when either count is 1-7."""
    numerator, denominator = rate["numerator"], rate["denominator"]
    published: dict[str, Any] = {
        "numerator": publish_count(numerator),
        "denominator": publish_count(denominator),
    }
    if is_small(numerator) or is_small(denominator):
        published |= {"rate": SUPPRESSED, "ci95": SUPPRESSED}
    elif denominator == 0:
        published |= {"rate": None, "ci95": None}
    else:
        # Exact half-up rounding of 100 * numerator / denominator, from the unrounded counts.
        percent = (200 * numerator + denominator) // (2 * denominator)
        low, high = rate["ci95"]
        published |= {"rate": percent, "ci95": [whole_percent(low), whole_percent(high)]}
    return published


def _counts(counts: dict[str, int]) -> dict[str, PublishedCount]:
    return {key: publish_count(n) for key, n in counts.items()}


def _block(block: dict[str, Any]) -> dict[str, Any]:
    return {
        "episodes": publish_count(block["episodes"]),
        "eligible": publish_count(block["eligible"]),
        "outcomes": _counts(block["outcomes"]),
        "durable_recovery": {k: publish_rate(v) for k, v in block["durable_recovery"].items()},
        "response": publish_rate(block["response"]),
    }


def _wellness(wellness: dict[str, Any]) -> dict[str, Any]:
    suppress = is_small(wellness["n"]) or is_small(wellness["events"])
    still_well: dict[str, Any] = {}
    for key, point in wellness["still_well"].items():
        if suppress:
            still_well[key] = {"estimate": SUPPRESSED, "ci95": SUPPRESSED}
            continue
        estimate, ci = point["estimate"], point["ci95"]
        still_well[key] = {
            "estimate": whole_percent(estimate) if estimate is not None else None,
            "ci95": [whole_percent(ci[0]), whole_percent(ci[1])] if ci is not None else None,
        }
    return {
        "n": publish_count(wellness["n"]),
        "events": publish_count(wellness["events"]),
        "median_weeks": SUPPRESSED if suppress else wellness["median_weeks"],
        "still_well": still_well,
    }


def _effect(effect: dict[str, Any]) -> dict[str, Any]:
    if is_small(effect["n"]):
        return dict.fromkeys(effect, SUPPRESSED)
    return effect | {"n": publish_count(effect["n"])}


def publish(summary: dict[str, Any]) -> dict[str, Any]:
    """The `stats summary` object with disclosure control applied; same keys, new dict."""
    reported = summary["service_reported"]
    return {
        "methodology": summary["methodology"],
        "as_of": summary["as_of"],
        "cohort": _counts(summary["cohort"]),
        "outcomes": _counts(summary["outcomes"]),
        "durable_recovery": {k: publish_rate(v) for k, v in summary["durable_recovery"].items()},
        "response": publish_rate(summary["response"]),
        "change_distribution": _counts(summary["change_distribution"]),
        "follow_up_points": [
            {
                "weeks": point["weeks"],
                "closed": publish_count(point["closed"]),
                "answered": publish_count(point["answered"]),
                "recovered": publish_count(point["recovered"]),
                "itt": publish_rate(point["itt"]),
                "available_case": publish_rate(point["available_case"]),
            }
            for point in summary["follow_up_points"]
        ],
        "by_problem_group": {k: _block(v) for k, v in summary["by_problem_group"].items()},
        "by_disorder": {k: _block(v) for k, v in summary["by_disorder"].items()},
        "by_sessions": {k: _block(v) for k, v in summary["by_sessions"].items()},
        "by_service": {k: _block(v) for k, v in summary["by_service"].items()},
        "by_area": {k: _block(v) for k, v in summary["by_area"].items()},
        "by_discharge_month": {k: _block(v) for k, v in summary["by_discharge_month"].items()},
        "wellness": _wellness(summary["wellness"]),
        "service_reported": {
            key: publish_rate(value) if isinstance(value, dict) else publish_count(value)
            for key, value in reported.items()
        },
        "effect_sizes": {
            descriptor: {measure: _effect(e) for measure, e in measures.items()}
            for descriptor, measures in summary["effect_sizes"].items()
        },
        "attrition": _counts(summary["attrition"]),
    }
