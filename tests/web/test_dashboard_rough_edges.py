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
