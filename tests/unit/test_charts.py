"""Server-rendered SVG charts: valid XML, accessible name and description, no script, deterministic."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.services.statistics import charts

SVG = "{http://www.w3.org/2000/svg}"
RATE = {"numerator": 12, "denominator": 97, "rate": 12 / 97, "ci95": [0.0722, 0.2041]}
EMPTY = {"numerator": 0, "denominator": 0, "rate": None, "ci95": None}
PUBLISHED = {"numerator": 10, "denominator": 95, "rate": 12, "ci95": [7, 20]}
SUPPRESSED = {"numerator": "*", "denominator": 10, "rate": "*", "ci95": "*"}
#: The `funnel` object of SPEC 8.1 around a target of 40% (normal limits are close enough for a picture).
FUNNEL_CURVES = {
    key: [
        [n, max(0.0, 0.4 - z * (0.24 / n) ** 0.5), min(1.0, 0.4 + z * (0.24 / n) ** 0.5)]
        for n in (10, 50, 200, 1000, 5000)
    ]
    for key, z in (("95", 1.959964), ("99.8", 3.090232))
}
SERVICES = [("North", 120, 0.45), ("South & Co", 2500, 0.31), ("East", 40, 0.6), ("West", 800, 0.41)]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{SVG}svg"
    return root


def title_and_desc(root: ET.Element) -> tuple[str, str]:
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    return title.text or "", desc.text or ""


def no_script(svg: str, root: ET.Element) -> None:
    assert root.find(f".//{SVG}script") is None
    assert "<script" not in svg.lower()
    assert "onload" not in svg.lower()


def all_charts() -> dict[str, str]:
    return {
        "rate_bars": charts.rate_bars("Durable recovery", [("Intention to treat", RATE), ("Available case", EMPTY)]),
        "published": charts.rate_bars("Published", [("A", PUBLISHED), ("B", SUPPRESSED)], published=True),
        "funnel": charts.funnel("Attrition", [("Referred", 360), ("Assessed", 300), ("7+ sessions", "*")]),
        "distribution": charts.distribution("Change", [("Much better", 10), ("The same", 0), ("Much worse", "*")]),
        "survival": charts.survival_curve(
            "How long wellness lasts",
            [(0.0, 1.0), (4.0, 0.9), (10.0, 0.7)],
            band=[(0.0, 1.0, 1.0), (4.0, 0.8, 0.95), (10.0, 0.6, 0.8)],
            marks=[(26, 0.7), (52, None)],
        ),
        "funnel_plot": charts.funnel_plot("Durable recovery by service", SERVICES, FUNNEL_CURVES, 0.4),
    }


@pytest.mark.parametrize("name", ["rate_bars", "published", "funnel", "distribution", "survival", "funnel_plot"])
def test_every_chart_is_valid_svg_with_title_and_no_script(name: str) -> None:
    svg = all_charts()[name]
    root = parse(svg)
    no_script(svg, root)
    title, desc = title_and_desc(root)
    assert title
    assert desc.startswith(title)
    assert root.get("role") == "img"
    assert "Date" not in svg  # no creation date: same numbers, same bytes


@pytest.mark.parametrize("name", ["rate_bars", "published", "funnel", "distribution", "survival", "funnel_plot"])
def test_no_css_so_a_strict_content_security_policy_allows_the_drawing(name: str) -> None:
    svg = all_charts()[name]
    root = parse(svg)
    assert root.find(f".//{SVG}style") is None
    assert not [element.tag for element in root.iter() if "style" in element.attrib]
    assert root.find(f".//{SVG}path[@fill]") is not None or root.find(f".//{SVG}rect[@fill]") is not None


def test_charts_are_deterministic() -> None:
    assert all_charts() == all_charts()


def test_rate_bars_describe_values_intervals_and_missing_rates() -> None:
    _, desc = title_and_desc(parse(all_charts()["rate_bars"]))
    assert "Intention to treat: 12.4% (7.2-20.4%), 12 of 97" in desc
    assert "Available case: no data" in desc


def test_published_rates_are_whole_percentages_and_suppressed_is_labelled() -> None:
    svg = all_charts()["published"]
    _, desc = title_and_desc(parse(svg))
    assert "A: 12% (7-20%), 10 of 95" in desc
    assert "B: suppressed" in desc
    assert ">suppressed<" in svg  # drawn as text on the empty bar too


def test_funnel_and_distribution_show_counts_and_shares() -> None:
    _, funnel_desc = title_and_desc(parse(all_charts()["funnel"]))
    assert "Referred: 360 (100%)" in funnel_desc and "Assessed: 300 (83%)" in funnel_desc
    assert "7+ sessions: suppressed" in funnel_desc
    _, change_desc = title_and_desc(parse(all_charts()["distribution"]))
    assert "Much better: 10 (100%)" in change_desc and "Much worse: suppressed" in change_desc


def test_survival_curve_marks_and_empty_state() -> None:
    _, desc = title_and_desc(parse(all_charts()["survival"]))
    assert "still well at 26 weeks: 70.0%" in desc and "still well at 52 weeks: no estimate" in desc
    empty = charts.survival_curve("Nothing yet", [])
    root = parse(empty)
    assert ">No data<" in empty
    no_script(empty, root)


def test_titles_are_escaped() -> None:
    svg = charts.distribution('Change <&> "quoted"', [("a < b", 1)])
    title, _ = title_and_desc(parse(svg))
    assert title == 'Change <&> "quoted"'


@pytest.mark.parametrize(
    "rate",
    [
        {"numerator": 0, "denominator": 9, "rate": 0.0, "ci95": [1e-17, 0.3]},  # a bound past the rate by rounding
        {"numerator": 9, "denominator": 9, "rate": 1.0, "ci95": [0.7, 0.9999999999999999]},
        {"numerator": 0, "denominator": 9, "rate": 0.0, "ci95": [0.0, 0.3]},
    ],
)
def test_rates_at_zero_or_one_draw_whatever_rounding_did_to_their_bounds(rate: dict[str, object]) -> None:
    svg = charts.rate_bars("Edge rates", [("edge", rate)])
    ET.fromstring(svg)


def test_funnel_plot_labels_every_service_and_says_where_it_lies() -> None:
    svg = all_charts()["funnel_plot"]
    _, desc = title_and_desc(parse(svg))
    assert desc.startswith("Durable recovery by service. target 40.0%;")
    assert "North: 45.0%, 120 eligible episodes, within the limits" in desc
    assert "South & Co: 31.0%, 2,500 eligible episodes, below the 99.8% limits" in desc
    assert "East: 60.0%, 40 eligible episodes, above the 95% limits" in desc
    for label in ("North", "South &amp; Co", "East", "West", "95% limits", "99.8% limits", "Target 40.0%"):
        assert f">{label}<" in svg
    assert svg.count('id="point-') == len(SERVICES)
    assert ">1,000<" in svg  # 40 to 5,000 episodes: a logarithmic axis with plain numbers


def test_a_crowded_funnel_plot_names_only_the_services_outside_the_limits_and_the_readers_own() -> None:
    """Twenty services inside the funnel would write their names over each other: past MAX_NAMED_POINTS
    only the points outside the limits and the reader's own are named; the description still names all."""
    inside = [(f"S{i:02d}", 200 + i, 0.4 + (i % 5 - 2) * 0.01) for i in range(18)]
    points = [*inside, ("HIGH", 210, 0.7), ("LOW", 220, 0.1), ("S99 (yours)", 230, 0.41)]
    assert len(points) > charts.MAX_NAMED_POINTS
    svg = charts.funnel_plot("Durable recovery by service", points, FUNNEL_CURVES, 0.4)
    _, desc = title_and_desc(parse(svg))
    for label in ("HIGH", "LOW", "S99 (yours)"):
        assert f">{label}<" in svg
    assert not any(f">{label}<" in svg for label, _, _ in inside)
    assert all(f"{label}: " in desc for label, _, _ in points)
    assert svg.count('id="point-') == len(points)


def test_funnel_plot_of_observed_over_expected_draws_ratios_on_a_linear_axis() -> None:
    curves = {"95": [[5, 0.2, 2.1], [20, 0.6, 1.5], [60, 0.75, 1.27]], "99.8": [[5, 0.05, 2.9], [60, 0.62, 1.42]]}
    svg = charts.funnel_plot(
        "Observed over expected",
        [("A", 12.5, 1.8), ("B", 48, 0.97)],
        curves,
        1.0,
        x_label="Expected recoveries",
        y_label="Observed / expected",
        percent=False,
    )
    root = parse(svg)
    no_script(svg, root)
    _, desc = title_and_desc(root)
    assert "target 1.00" in desc
    assert "A: 1.80, 12.5 expected recoveries, within the limits" in desc
    assert "B: 0.97, 48 expected recoveries, within the limits" in desc
    assert ">Observed / expected<" in svg and "%<" not in svg


def test_funnel_plot_without_services_says_no_data() -> None:
    svg = charts.funnel_plot("No services yet", [], {}, 0.4)
    root = parse(svg)
    no_script(svg, root)
    _, desc = title_and_desc(root)
    assert desc == "No services yet. No data."
    assert ">No data<" in svg
    beyond = charts.funnel_plot("Beyond", [("Tiny", 3, 0.5)], {"95": [[10, 0.1, 0.7]]}, 0.4)
    assert "Tiny: 50.0%, 3 eligible episodes, outside the range of the limits drawn" in title_and_desc(parse(beyond))[1]
