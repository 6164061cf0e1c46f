"""The evaluators' dashboard, as a new user meets it (issue 14): a refused period keeps what was typed, a
service outside the area chosen says so, the figures on screen come as a CSV, the charts' "no data" bars
do not look like 100%, and the wellness curve stops where fewer than 10 are at risk."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from app.domain.survival import Curve, wellness_curve
from app.extensions import db
from app.models import Role, Service
from app.services.statistics import dashboard
from app.services.statistics import summaries as statistics
from tests.factories import make_service
from tests.factories.cohorts import seed_cohort
from tests.web.sign_in import make_user, sign_in


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    dashboard.clear_cache()


@pytest.fixture
def evaluator(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in(client, make_user(Role.EVALUATOR))
    return client


def field_value(html: str, name: str) -> str:
    found = re.search(rf'<input type="date" id="{name}" name="{name}" value="([^"]*)"', html)
    assert found is not None, name
    return found.group(1)


def test_a_refused_period_keeps_both_dates_typed(app, evaluator: FlaskClient) -> None:
    make_service()
    html = evaluator.get("/evaluate?as_of=2026-11-20&discharged_from=2026-06-01&discharged_to=2026-01-31").get_data(
        as_text=True
    )
    assert "Discharged from: the period starts after it ends" in html
    assert field_value(html, "discharged_from") == "2026-06-01"
    assert field_value(html, "discharged_to") == "2026-01-31"
    assert field_value(html, "as_of") == "2026-11-20"


def test_a_date_too_far_back_stays_in_its_field_and_text_that_is_no_date_does_not(app, evaluator: FlaskClient) -> None:
    make_service()
    html = evaluator.get("/evaluate?as_of=2026-11-20&discharged_from=1999-12-31&discharged_to=soon").get_data(
        as_text=True
    )
    assert "Discharged from: 1999-12-31 is too far back" in html
    assert field_value(html, "discharged_from") == "1999-12-31"
    assert field_value(html, "discharged_to") == ""  # a date field cannot show "soon"


def test_a_service_outside_the_area_chosen_says_so(app, evaluator: FlaskClient) -> None:
    seed_cohort()  # TYNE, in area NE
    make_service("AVON", "SW")
    html = evaluator.get("/evaluate?as_of=2026-11-20&service=TYNE&area=SW").get_data(as_text=True)
    assert "No episodes in scope" in html
    assert "service TYNE is not in area SW (it is in area NE)" in html
    assert "No episode discharged on or before" not in html
    matching = evaluator.get("/evaluate?as_of=2026-11-20&service=TYNE&area=NE").get_data(as_text=True)
    assert "is not in area" not in matching and "No episodes in scope" not in matching
    empty = evaluator.get("/evaluate?as_of=2020-01-01&service=TYNE&area=NE").get_data(as_text=True)
    assert "No episode discharged on or before 2020-01-01" in empty and "is not in area" not in empty


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_figures_on_screen_download_as_csv_with_the_same_filters(app, evaluator: FlaskClient) -> None:
    seed_cohort()
    page = evaluator.get("/evaluate?as_of=2026-11-20&problem_group=depression").get_data(as_text=True)
    link = re.search(r'<a href="(/evaluate/figures\.csv\?[^"]+)" download>', page)
    assert link is not None
    response = evaluator.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'attachment; filename="stillwell-figures-2026-11-20.csv"' == response.headers["Content-Disposition"]
    rows = read_csv(response.get_data(as_text=True))
    assert {(r["as_of"], r["problem_group"], r["service"]) for r in rows} == {("2026-11-20", "depression", "")}
    figures = {(r["section"], r["group"], r["measure"]): r for r in rows}
    s = statistics.summary(date(2026, 11, 20), problem_group="depression")
    assert figures["cohort", "", "episodes"]["value"] == str(s["cohort"]["episodes"]) == "1"
    itt = s["durable_recovery"]["itt"]
    row = figures["durable_recovery", "", "itt"]
    assert (row["value"], row["unit"]) == (str(itt["rate"]), "proportion")
    assert (row["ci95_low"], row["ci95_high"]) == (str(itt["ci95"][0]), str(itt["ci95"][1]))
    assert figures["durable_recovery", "", "itt_numerator"]["value"] == str(itt["numerator"])
    assert figures["by_problem_group", "depression", "episodes"]["value"] == "1"
    assert figures["by_service", "TYNE", "eligible"]["value"] == str(s["by_service"]["TYNE"]["eligible"])
    assert figures["attrition", "", "referred"]["value"] == "1"
    assert ("follow_up_point", "26 weeks", "itt") in figures
    assert ("wellness", "26 weeks", "still_well") in figures
    assert ("service_reported", "", "reliable_improvement") in figures
    everything = read_csv(evaluator.get("/evaluate/figures.csv?as_of=2026-11-20").get_data(as_text=True))
    assert {r["value"] for r in everything if (r["section"], r["measure"]) == ("cohort", "episodes")} == {"4"}


def test_the_csv_export_guards_every_cell_against_formulas(app, evaluator: FlaskClient) -> None:
    seed_cohort()
    # codes are checked when created; one stored before that check could begin like a formula
    db.session.execute(update(Service).where(Service.code == "TYNE").values(code="=HYPERLINK(1)"))
    db.session.commit()
    rows = read_csv(evaluator.get("/evaluate/figures.csv?as_of=2026-11-20").get_data(as_text=True))
    assert {r["group"] for r in rows if r["section"] == "by_service"} == {"'=HYPERLINK(1)"}
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())


def test_only_evaluators_download_the_figures(app) -> None:
    make_service()
    assert app.test_client().get("/evaluate/figures.csv").status_code == 302
    commissioner = app.test_client()
    sign_in(commissioner, make_user(Role.COMMISSIONER))
    assert commissioner.get("/evaluate/figures.csv").status_code == 403


SVG = "{http://www.w3.org/2000/svg}"


def bar_width(svg: bytes, gid: str) -> float:
    """The width of a bar drawn as <g id=gid><path d="M x y L x y ..."/></g>, in SVG units."""
    group = ET.fromstring(svg).find(f".//{SVG}g[@id='{gid}']")
    assert group is not None, gid
    path = group.find(f"{SVG}path")
    assert path is not None
    xs = [float(x) for x in re.findall(r"([-\d.]+) [-\d.]+", path.get("d", ""))]
    return max(xs) - min(xs)


def test_a_group_with_no_data_is_a_stub_not_a_full_bar(app, evaluator: FlaskClient) -> None:
    seed_cohort()
    query = "as_of=2026-11-20&problem_group=depression"
    groups = statistics.summary(date(2026, 11, 20), problem_group="depression")["by_problem_group"]
    assert groups["depression"]["durable_recovery"]["itt"]["rate"] == 1.0  # 1 of 1
    assert groups["anxiety"]["durable_recovery"]["itt"]["rate"] is None
    response = evaluator.get(f"/evaluate/charts/by-problem-group.svg?{query}")
    assert response.status_code == 200
    full, empty = bar_width(response.data, "bar-0"), bar_width(response.data, "no-data-1")
    assert empty < full * 0.05, (empty, full)  # a stub: nobody reads it as 100%
    assert b"<pattern" not in response.data  # no hatching that fills the row
    assert b"no data" in response.data


#: Twelve people followed from the start of their wellness, each ending it 5 weeks after the last.
ENDINGS = [7 * weeks for weeks in range(5, 65, 5)]


@pytest.fixture
def twelve_followed(app, monkeypatch: pytest.MonkeyPatch) -> Curve:
    """The seed cohort's figures, with a wellness curve of twelve people beside them."""
    seed_cohort()
    curve = wellness_curve([0] * len(ENDINGS), ENDINGS, [1] * len(ENDINGS))
    real = statistics.summary_and_curve

    def with_twelve(as_of: date, **options: object):  # type: ignore[no-untyped-def]
        summary, _ = real(as_of, **options)  # type: ignore[arg-type]
        return summary, curve

    monkeypatch.setattr(statistics, "summary_and_curve", with_twelve)
    return curve


def table_rows(html: str, caption: str) -> list[list[str]]:
    """The rows of cell texts of the table with this caption."""
    found = re.search(rf"<caption[^>]*>{re.escape(caption)}</caption>(.*?)</table>", html, re.DOTALL)
    assert found is not None, caption
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)]
        for row in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.DOTALL)
    ]


def tick_scale(root: ET.Element) -> tuple[float, float]:
    """(SVG x of week 0, SVG units per week) from the x axis's tick marks and their labels."""
    ticks = []
    for group in root.iter(f"{SVG}g"):
        if group.get("id", "").startswith("xtick_"):
            mark, label = group.find(f".//{SVG}use"), group.find(f".//{SVG}text")
            assert mark is not None and label is not None
            ticks.append((float("".join(label.itertext())), float(mark.get("x", "nan"))))
    (w0, x0), (w1, x1) = ticks[0], ticks[-1]
    per_week = (x1 - x0) / (w1 - w0)
    return x0 - w0 * per_week, per_week


def test_the_wellness_curve_stops_where_fewer_than_10_are_at_risk(evaluator: FlaskClient, twelve_followed) -> None:
    # 12, 11, 10 at risk until the third ending at 15 weeks, then 9: the curve is drawn to 15 weeks only
    assert twelve_followed.drawable_until() == 15 * 7
    assert twelve_followed[-1].survival == 0.0  # undrawn, it would fall to 0% at 60 weeks on one person
    response = evaluator.get("/evaluate/charts/wellness.svg?as_of=2026-11-20")
    root = ET.fromstring(response.data)
    origin, per_week = tick_scale(root)
    line = root.find(f".//{SVG}g[@id='km-curve']/{SVG}path")
    assert line is not None
    xs = [float(x) for x in re.findall(r"([-\d.]+) [-\d.]+", line.get("d", ""))]
    assert (max(xs) - origin) / per_week == pytest.approx(15, abs=0.05)
    assert (min(xs) - origin) / per_week == pytest.approx(0, abs=0.05)
    description = "".join(root.find(f"{SVG}desc").itertext())  # type: ignore[union-attr]
    assert "drawn while 10 or more are at risk (to 15.0 weeks)" in description


def test_the_numbers_at_risk_are_under_the_chart_and_in_a_table(evaluator: FlaskClient, twelve_followed) -> None:
    weeks = list(range(0, 57, 8))  # 60 weeks of follow-up: a number every 8 weeks
    at_risk = [sum(1 for ending in ENDINGS if ending > w * 7) for w in weeks]
    assert at_risk[:3] == [12, 11, 9]
    svg = evaluator.get("/evaluate/charts/wellness.svg?as_of=2026-11-20").data
    root = ET.fromstring(svg)
    origin, per_week = tick_scale(root)
    assert [
        float("".join(t.itertext()))
        for g in root.iter(f"{SVG}g")
        if g.get("id", "").startswith("xtick_")
        for t in g.iter(f"{SVG}text")
    ] == weeks
    for w, n in zip(weeks, at_risk, strict=True):
        number = root.find(f".//{SVG}g[@id='at-risk-{w}']/{SVG}text")
        assert number is not None and "".join(number.itertext()) == str(n), w
        assert (float(number.get("x", "nan")) - origin) / per_week == pytest.approx(w, abs=0.2)
    description = "".join(root.find(f"{SVG}desc").itertext())  # type: ignore[union-attr]
    assert "numbers at risk: 0 weeks 12, 8 weeks 11, 16 weeks 9" in description
    html = evaluator.get("/evaluate?as_of=2026-11-20").get_data(as_text=True)
    table = table_rows(html, "Wellness: numbers at risk")
    assert table == [["Weeks since wellness began", *map(str, weeks)], ["At risk", *map(str, at_risk)]]
    assert "The curve is drawn only while 10 or more people are at risk: to 15.0 weeks." in html
    rows = read_csv(evaluator.get("/evaluate/figures.csv?as_of=2026-11-20").get_data(as_text=True))
    exported = {r["group"]: r["value"] for r in rows if r["measure"] == "at_risk"}
    assert exported == {f"{w} weeks": str(n) for w, n in zip(weeks, at_risk, strict=True)}


def test_no_curve_is_drawn_when_fewer_than_10_are_ever_at_risk(app, evaluator: FlaskClient, monkeypatch) -> None:
    seed_cohort()
    curve = wellness_curve([0] * 9, [7 * w for w in range(5, 50, 5)], [1] * 9)
    real = statistics.summary_and_curve
    monkeypatch.setattr(statistics, "summary_and_curve", lambda as_of, **o: (real(as_of, **o)[0], curve))
    svg = evaluator.get("/evaluate/charts/wellness.svg?as_of=2026-11-20").data
    assert b'id="km-curve"' not in svg and b"no curve drawn: fewer than 10 at risk throughout" in svg
    assert b'id="at-risk-0"' in svg
    html = evaluator.get("/evaluate?as_of=2026-11-20").get_data(as_text=True)
    assert "Fewer than 10 people are at risk at every time, so no curve is drawn." in html
