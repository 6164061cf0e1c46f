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
    }


@pytest.mark.parametrize("name", ["rate_bars", "published", "funnel", "distribution", "survival"])
def test_every_chart_is_valid_svg_with_title_and_no_script(name: str) -> None:
    svg = all_charts()[name]
    root = parse(svg)
    no_script(svg, root)
    title, desc = title_and_desc(root)
    assert title
    assert desc.startswith(title)
    assert root.get("role") == "img"
    assert "Date" not in svg  # no creation date: same numbers, same bytes


@pytest.mark.parametrize("name", ["rate_bars", "published", "funnel", "distribution", "survival"])
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
