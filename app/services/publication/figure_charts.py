"""The charts of a published summary (SPEC shape, disclosure-controlled), for releases and monthly reports alike.

Each chart is drawn by `statistics.charts` from figures already published, so a chart never shows anything
the tables beside it do not: suppressed rates are drawn as "no data".
"""

from __future__ import annotations

from typing import Any

from app.domain.labels import CHANGE_LABELS


def summary_charts(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(title, SVG) of each chart of a published summary: follow-up points, problem groups, the way from
    referral to treatment, and the latest answers to the change question."""
    from app.services.statistics import charts  # matplotlib loads only when a chart is drawn

    drawn: list[tuple[str, str]] = []
    points = [(f"{point['weeks']} weeks", point["itt"]) for point in summary["follow_up_points"]]
    if points:
        title = "Recovered at each follow-up point (intention to treat)"
        drawn.append((title, charts.rate_bars(title, points, published=True)))
    groups = [
        (name.capitalize(), block["durable_recovery"]["itt"]) for name, block in summary["by_problem_group"].items()
    ]
    title = "Durable recovery by problem group (intention to treat)"
    drawn.append((title, charts.rate_bars(title, groups, published=True)))
    attrition = summary["attrition"]
    steps = [
        ("Referred", attrition["referred"]),
        ("Assessed", attrition["assessed"]),
        ("Entered treatment", attrition["entered_treatment"]),
        ("2 or more sessions", attrition["finished_course"]),
        ("7 or more sessions", attrition["seven_plus"]),
    ]
    title = "From referral to treatment"
    drawn.append((title, charts.funnel(title, steps)))
    changes = [(label, summary["change_distribution"][key]) for key, label in CHANGE_LABELS.items()]
    title = "Compared with when they first went (latest answer)"
    drawn.append((title, charts.distribution(title, changes)))
    return drawn


def comparison_charts(comparison: dict[str, Any], *, highlight: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(title, SVG) of the two funnel plots of a published comparison: observed and case-mix adjusted.
    `highlight`: the services marked as the reader's own (a commissioner's area)."""
    from app.services.statistics import comparisons

    return [
        (title, comparisons.comparison_chart(comparison, name, published=True, highlight=highlight))
        for name, title in (
            ("funnel", "Funnel plot: durable recovery (ITT) of each service against its eligible episodes"),
            ("adjusted", "Funnel plot adjusted for case mix: observed / expected recoveries of each service"),
        )
    ]
