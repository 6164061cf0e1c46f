"""Comparing services on the web: the evaluators' page with its funnel plots, the API by role, and the
comparison in releases (page, CSV) and in the commissioners' monthly reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import jsonschema_rs
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Area, Role
from app.services import statistics
from app.services.access import api_tokens
from app.services.publication import releases, reports
from app.services.statistics import comparisons
from app.web.openapi import SCHEMAS
from tests.factories.cohorts import AS_OF, seed_comparison
from tests.web.sign_in import make_user, sign_in

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    comparisons.clear_cache()


@pytest.fixture
def seeded(app) -> None:
    seed_comparison()


def signed_in(app, role: Role, **kwargs) -> FlaskClient:
    client = app.test_client()
    sign_in(client, make_user(role, **kwargs))
    return client


def bearer(user) -> dict[str, str]:
    secret = api_tokens.create_token(user.email, "test", actor="test", now=datetime.now(UTC)).secret
    return {"Authorization": f"Bearer {secret}"}


def conforms(name: str, instance: object) -> bool:
    schema = {"$ref": f"#/components/schemas/{name}", "components": {"schemas": SCHEMAS}}
    return jsonschema_rs.is_valid(schema, instance)


def test_the_evaluator_page_shows_every_service_with_its_position_and_two_funnel_plots(app, seeded):
    client = signed_in(app, Role.EVALUATOR)
    page = client.get("/evaluate/compare?as_of=2026-10-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Comparing services</h1>" in html
    for code in ("S01", "S02", "S12"):
        assert f'<th scope="row">{code}</th>' in html
    assert "above the 99.8% limit" in html and "below the 99.8% limit" in html and "too few to judge" in html
    for name in ("funnel", "adjusted"):
        url = f"/evaluate/compare/charts/{name}.svg?as_of=2026-10-31"
        assert url in html.replace("&amp;", "&")
        svg = client.get(url)
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        root = ET.fromstring(svg.data)
        assert root.tag.endswith("svg")
        assert b"S01" in svg.data  # each service a labelled point
    assert client.get("/evaluate/compare/charts/nope.svg").status_code == 404
    # the tab is in the evaluators' navigation
    assert 'href="/evaluate/compare"' in client.get("/evaluate").get_data(as_text=True)


def test_the_page_keeps_a_refused_date_and_says_why(app, seeded):
    client = signed_in(app, Role.EVALUATOR)
    html = client.get("/evaluate/compare?as_of=2099-01-01&area=NW").get_data(as_text=True)
    assert "Some choices were not applied" in html and "2099-01-01" in html
    assert '<th scope="row">S07</th>' in html and '<th scope="row">S01</th>' not in html


@pytest.mark.parametrize("role", [Role.COMMISSIONER, Role.SERVICE_SUBMITTER])
def test_only_evaluators_reach_the_compare_page(app, seeded, role):
    client = signed_in(app, role)
    assert client.get("/evaluate/compare").status_code == 403
    assert client.get("/evaluate/compare/charts/funnel.svg").status_code == 403


def test_the_api_gives_evaluators_unsuppressed_and_commissioners_published_figures(app, seeded):
    client = app.test_client()
    evaluator = make_user(Role.EVALUATOR)
    response = client.get("/api/v1/stats/compare?as_of=2026-10-31", headers=bearer(evaluator))
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result == statistics.compare(AS_OF)
    assert conforms("Comparison", result)
    ne = db.session.scalars(select(Area).where(Area.code == "NE")).one()
    commissioner = make_user(Role.COMMISSIONER, area=ne)
    published = client.get("/api/v1/stats/compare?as_of=2026-10-31", headers=bearer(commissioner)).get_json()
    assert published == statistics.compare(AS_OF, published=True)
    assert conforms("Comparison", published)
    own = client.get("/api/v1/stats/compare?as_of=2026-10-31&area=NE", headers=bearer(commissioner))
    assert own.status_code == 200
    other = client.get("/api/v1/stats/compare?area=NW", headers=bearer(commissioner))
    assert other.status_code == 403 and other.get_json()["parameter"] == "area"
    submitter = make_user(Role.SERVICE_SUBMITTER)
    assert client.get("/api/v1/stats/compare", headers=bearer(submitter)).status_code == 403
    assert client.get("/api/v1/stats/compare?area=NOPE", headers=bearer(evaluator)).status_code == 404
    assert client.get("/api/v1/stats/compare?as_of=2099-01-01", headers=bearer(evaluator)).status_code == 400


def test_a_release_page_shows_the_comparison_and_its_funnel_plots(app, seeded):
    release = releases.create_release(AS_OF, "all", None, "test", NOW)
    client = app.test_client()
    html = client.get(f"/published/{release.id}").get_data(as_text=True)
    assert "How the services compare" in html and "above the 99.8% limit" in html
    charts = [part.split('"')[0] for part in html.split(f'src="/published/{release.id}/charts/')[1:]]
    drawn = [client.get(f"/published/{release.id}/charts/{name}") for name in charts]
    assert all(image.status_code == 200 for image in drawn)
    titles = [ET.fromstring(image.data).findtext("{http://www.w3.org/2000/svg}title") or "" for image in drawn]
    assert "Durable recovery (ITT) against eligible episodes" in titles
    assert "Case-mix adjusted: observed / expected recoveries" in titles
    csv_text = client.get(f"/published/{release.id}.csv").get_data(as_text=True)
    assert "services.S01.position" in csv_text


def table_row(html: str, code: str) -> list[str]:
    """The cells of the table row headed by a service's code, as text."""
    row = html.split(f'<th scope="row">{code}</th>', 1)[1].split("</tr>", 1)[0]
    return [cell.split(">", 1)[1].split("</td>", 1)[0].strip() for cell in row.split("<td")[1:]]


def test_a_release_sets_each_service_claim_and_the_gap_beside_the_independent_figure(app, seeded):
    release = releases.create_release(AS_OF, "all", None, "test", NOW)
    client = app.test_client()
    html = client.get(f"/published/{release.id}").get_data(as_text=True)
    assert "Gap (points)" in html
    # S01: 36 of 40 durably recovered (90%) against its own 100%; S03 half; S02's 4 people are suppressed
    assert table_row(html, "S01")[-2:] == ["100%", "-10"]
    assert table_row(html, "S03")[-2:] == ["100%", "-50"]
    assert table_row(html, "S02")[1] == "*" and table_row(html, "S02")[-1] == "*"
    # positions in the same words as on the evaluators' page (one macro)
    assert table_row(html, "S01")[4] == table_row(html, "S01")[7] == "above the 99.8% limit"
    csv_text = client.get(f"/published/{release.id}.csv").get_data(as_text=True)
    assert "comparison,services.S01.service_reported_recovery.rate,100" in csv_text
    assert "comparison,services.S01.gap,-10" in csv_text
    assert "comparison,services.S02.gap,*" in csv_text


def test_a_monthly_report_carries_each_service_claim_and_the_gap(app, seeded):
    ne = db.session.scalars(select(Area).where(Area.code == "NE")).one()
    figures = reports.report_figures(ne, datetime(2026, 10, 1).date(), NOW)
    csv_text = reports.render_csv(figures)
    assert "comparison,service,S01,service_reported_recovery,100,percent" in csv_text
    assert "comparison,service,S01,gap,-10,percentage_points" in csv_text
    assert "comparison,service,S02,gap,*,percentage_points" in csv_text
    assert "comparison,service,S12,gap,*,percentage_points" in csv_text
    assert "comparison,service,S01,adjusted_limits_99.8,,ratio," in csv_text
    with app.test_request_context():
        html = reports.render_html(figures)
    table = html.split("<h2>Your services beside all services</h2>", 1)[1].split("</table>", 1)[0]
    assert "Gap (points)" in table
    assert table_row(table, "S01")[-1] == "-10" and table_row(table, "S02")[-1] == "*"
    assert table_row(table, "S01")[2] == "above the 99.8% limit"  # the words of the page and releases
    assert '<th scope="row">S07</th>' not in table  # the area's own services only


def test_a_monthly_report_sets_the_area_services_beside_all(app, seeded):
    ne = db.session.scalars(select(Area).where(Area.code == "NE")).one()
    figures = reports.report_figures(ne, datetime(2026, 10, 1).date(), NOW)
    assert figures["area_services"] == ["S01", "S02", "S03", "S04", "S05", "S06"]
    assert len(figures["comparison"]["services"]) == 12  # every service, the area's marked
    csv_text = reports.render_csv(figures)
    assert "comparison,service,S07,position,within" in csv_text
    charts = reports.report_charts(figures)
    assert any("Funnel plot" in chart["title"] for chart in charts)
    with app.test_request_context():
        pdf = reports.render_pdf(figures)
    assert pdf.startswith(b"%PDF")
