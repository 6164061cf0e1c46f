"""The evaluator pages: dashboard tables match `statistics.summary`, charts are SVG images, responses are
pseudonymised and paginated, safeguarding alerts and review items are closed and contact reveals audited."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, CheckIn, Client, Role
from app.models.message import ReviewItem, SafeguardingAlert
from app.services import dispatch
from app.services.conversation.inbound import handle_inbound_sms
from app.services.statistics import dashboard
from app.services.statistics import summaries as statistics
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.cohorts import seed_cohort
from tests.web.sign_in import make_user, sign_in

PHONE = "+447400123456"
DUE = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)  # the 4-week check-in of a 7 September 2026 discharge


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    dashboard.clear_cache()


@pytest.fixture
def evaluator(app) -> FlaskClient:
    client = app.test_client()
    sign_in(client, make_user(Role.EVALUATOR))
    return client


class Tables(HTMLParser):
    """Every table of a page by caption: rows of cell texts (header cells included)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._in_caption = False
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._rows: list[list[str]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows, self._caption = [], ""
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._rows.append(self._row)
            self._row = None
        elif tag == "table" and self._caption is not None:
            self.tables[" ".join(self._caption.split())] = self._rows
            self._caption = None

    def handle_data(self, data: str) -> None:
        if self._in_caption and self._caption is not None:
            self._caption += data
        elif self._cell is not None:
            self._cell.append(data)


def tables(response: Any) -> dict[str, list[list[str]]]:
    assert response.status_code == 200, response.data[:500]
    return Tables(response.get_data(as_text=True)).tables


def percent(rate: dict[str, Any]) -> str:
    return "no data" if rate["rate"] is None else f"{rate['rate'] * 100:.1f}%"


def interval(rate: dict[str, Any]) -> str:
    return "-" if rate["ci95"] is None else f"{rate['ci95'][0] * 100:.1f}% to {rate['ci95'][1] * 100:.1f}%"


def rate_row(label: str, rate: dict[str, Any]) -> list[str]:
    return [label, str(rate["numerator"]), str(rate["denominator"]), percent(rate), interval(rate)]


def audit_actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# -- access -------------------------------------------------------------------------------------------

PAGES = [
    "/evaluate",
    "/evaluate/charts/headline.svg",
    "/evaluate/responses",
    "/evaluate/alerts",
    "/evaluate/review",
    "/evaluate/methodology",
]


def test_only_signed_in_evaluators_get_in(app) -> None:
    make_service()
    anonymous = app.test_client()
    for path in PAGES:
        response = anonymous.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
    commissioner = app.test_client()
    sign_in(commissioner, make_user(Role.COMMISSIONER))
    for path in PAGES:
        assert commissioner.get(path).status_code == 403, path
    assert commissioner.post("/evaluate/alerts/1/contact").status_code == 403


# -- dashboard ----------------------------------------------------------------------------------------


def test_dashboard_tables_hold_the_summary_figures(app, evaluator: FlaskClient) -> None:
    seed_cohort()
    response = evaluator.get("/evaluate?as_of=2026-11-20")
    found = tables(response)
    s = statistics.summary(date(2026, 11, 20))
    assert found["Durable recovery and response"][1:] == [
        rate_row("Durable recovery, intention to treat", s["durable_recovery"]["itt"]),
        rate_row("Durable recovery, available case", s["durable_recovery"]["available_case"]),
        rate_row("Response", s["response"]),
        rate_row("Recovery as the services report it", s["service_reported"]["recovery"]),
    ]
    assert s["durable_recovery"]["itt"]["numerator"] == 1 and s["durable_recovery"]["itt"]["denominator"] == 3
    cohort = dict(found["Cohort and outcomes"][1:])
    assert cohort["All episodes in scope"] == str(s["cohort"]["episodes"]) == "4"
    assert cohort["Eligible (ITT denominator)"] == str(s["cohort"]["eligible"])
    assert cohort["Durably recovered"] == str(s["outcomes"]["durably_recovered"])
    funnel = {r[0]: r[1] for r in found["Attrition funnel"][1:]}
    assert funnel["Referred"] == str(s["attrition"]["referred"])
    assert funnel["Adequate dose (7+ sessions)"] == str(s["attrition"]["seven_plus"])
    groups = {r[0]: r for r in found["Durable recovery by problem group"][1:]}
    for name, block in s["by_problem_group"].items():
        assert groups[name][1:5] == [
            str(block["episodes"]),
            str(block["eligible"]),
            str(block["outcomes"]["durably_recovered"]),
            percent(block["durable_recovery"]["itt"]),
        ]
    assert set(found["Durable recovery by treatment sessions"][0]) >= {"Treatment sessions", "Eligible"}
    assert [r[0] for r in found["Durable recovery by service"][1:]] == ["TYNE"]
    assert [r[0] for r in found["Durable recovery by discharge month"][1:]] == ["2026-03"]
    points = {r[0]: r for r in found["Recovered at each follow-up point"][1:]}
    for point in s["follow_up_points"]:
        assert points[str(point["weeks"])][1:4] == [
            str(point["closed"]),
            str(point["answered"]),
            str(point["recovered"]),
        ]
    change = dict(found["Change distribution (latest answer)"][1:])
    assert change["Much better"] == str(s["change_distribution"]["much_better"]) == "1"
    reported = {r[0]: r for r in found["Service-reported figures (simplified PHQ-9/GAD-7 definition)"][1:]}
    assert reported["Reliable improvement"] == rate_row(
        "Reliable improvement", s["service_reported"]["reliable_improvement"]
    )
    wellness = dict(found["Wellness: summary"])
    assert wellness["People followed (n)"] == str(s["wellness"]["n"])
    html = response.get_data(as_text=True)
    assert "as the services report it; simplified PHQ-9/GAD-7 definition" in html
    assert "Intention to treat (ITT" in html and "Available case" in html
    assert "<script" not in html and "style=" not in html


def test_the_dashboard_breaks_durable_recovery_down_by_disorder(app, evaluator: FlaskClient) -> None:
    seed_cohort()  # R1 F32.1 recovered, R2 F41.1 unchanged, R3 none no response, R4 F41.1 without consent
    response = evaluator.get("/evaluate?as_of=2026-11-20")
    html = response.get_data(as_text=True)
    assert '<h3 id="by-disorder">By disorder first presented with</h3>' in html
    found = tables(response)["Durable recovery by disorder first presented with"]
    assert found[0][0] == "Disorder first presented with"
    s = statistics.summary(date(2026, 11, 20))
    rows = {r[0]: r for r in found[1:]}
    assert list(rows) == [
        "Depression (F32, F33)",
        "Mixed anxiety and depression (F41.2)",
        "Generalised anxiety (F41.1)",
        "Panic disorder (F41.0)",
        "Agoraphobia (F40.0)",
        "Social phobia (F40.1)",
        "Specific phobia (F40.2)",
        "OCD (F42)",
        "PTSD (F43.1)",
        "Health anxiety (F45.2)",
        "Other anxiety (F40, F41, F43)",
        "Other, or none",
    ]
    for label, block in zip(rows, s["by_disorder"].values(), strict=True):
        assert rows[label][1:5] == [
            str(block["episodes"]),
            str(block["eligible"]),
            str(block["outcomes"]["durably_recovered"]),
            percent(block["durable_recovery"]["itt"]),
        ]
    assert rows["Generalised anxiety (F41.1)"][1:3] == ["2", "1"]  # episodes consented or not
    assert rows["Depression (F32, F33)"][4] == "100.0%" and rows["PTSD (F43.1)"][4] == "no data"
    assert "/evaluate/charts/by-disorder.svg?as_of=2026-11-20" in html
    chart = evaluator.get("/evaluate/charts/by-disorder.svg?as_of=2026-11-20")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    svg = chart.get_data(as_text=True)
    assert (
        '<title id="chart-title">Durable recovery (ITT) by disorder</title>' in svg
    )  # short: the labels need the width
    assert "Depression (F32, F33): 100.0%" in svg
    csv_text = evaluator.get("/evaluate/figures.csv?as_of=2026-11-20").get_data(as_text=True)
    lines = [line for line in csv_text.splitlines() if ",by_disorder," in line]
    assert any(",by_disorder,generalised_anxiety,episodes,2,count," in line for line in lines)
    assert any(",by_disorder,ptsd,durable_recovery_itt,,proportion," in line for line in lines)


def test_filters_narrow_the_dashboard_and_reach_the_chart_links(app, evaluator: FlaskClient) -> None:
    seed_cohort()
    response = evaluator.get("/evaluate?as_of=2026-11-20&problem_group=depression&discharged_from=2026-01-01")
    cohort = dict(tables(response)["Cohort and outcomes"][1:])
    assert cohort["All episodes in scope"] == "1"
    html = response.get_data(as_text=True)
    assert '<option value="depression" selected>' in html
    link = re.search(r'<img src="(/evaluate/charts/headline\.svg\?[^"]+)"', html)
    assert link is not None
    assert "problem_group=depression" in link.group(1) and "discharged_from=2026-01-01" in link.group(1)


def test_charts_are_svg_images_with_the_same_filters(app, evaluator: FlaskClient) -> None:
    seed_cohort()
    html = evaluator.get("/evaluate?as_of=2026-11-20").get_data(as_text=True)
    sources = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', html)
    assert len(sources) == len(dashboard.CHARTS)
    for source, alt in sources:
        response = evaluator.get(source.replace("&amp;", "&"))
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        root = ET.fromstring(response.data)
        assert root.find("{http://www.w3.org/2000/svg}title") is not None
        assert b"<script" not in response.data and alt
    itt = statistics.summary(date(2026, 11, 20))["durable_recovery"]["itt"]
    headline = evaluator.get("/evaluate/charts/headline.svg?as_of=2026-11-20").get_data(as_text=True)
    assert f"Durable recovery, intention to treat: {itt['rate'] * 100:.1f}%" in headline
    assert evaluator.get("/evaluate/charts/nothing.svg").status_code == 404


def test_empty_state_and_filter_problems(app, evaluator: FlaskClient) -> None:
    make_service()
    response = evaluator.get("/evaluate?area=ZZ&as_of=not-a-date")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No episodes in scope" in html
    assert "Area: there is no area ZZ" in html and "As of: enter a date like 2027-01-31" in html
    assert "<title>Error: " in html


# -- responses ----------------------------------------------------------------------------------------


def answered_cohort(clients: int) -> None:
    make_service(plan="4")
    rows = [
        row(
            client_ref=f"R{i:03d}",
            phone=f"07400 {100000 + i}",
            email=f"person{i}@example.org",
            discharge_date="2026-03-01",
        )
        for i in range(clients)
    ]
    run_import(csv_bytes(rows), now=datetime(2026, 11, 20, tzinfo=UTC))
    for i, check_in in enumerate(db.session.scalars(select(CheckIn).order_by(CheckIn.id))):
        check_in.status = "closed"
        check_in.change, check_in.change_at = (
            "a_little_better",
            datetime(2026, 4, 1, 12, tzinfo=UTC) + timedelta(hours=i),
        )
        check_in.usual_self, check_in.usual_self_at = "mostly", check_in.change_at
    db.session.commit()


def test_responses_are_pseudonymised_paginated_and_audited(app, evaluator: FlaskClient) -> None:
    answered_cohort(55)
    first = evaluator.get("/evaluate/responses")
    html = first.get_data(as_text=True)
    rows = next(iter(tables(first).values()))[1:]
    assert len(rows) == 50
    assert "Page 1 of 2 (55 in all)" in html and 'rel="next"' in html
    pseudonyms = {r[0] for r in rows}
    assert all(re.fullmatch(r"E-[0-9A-F]{10}", p) for p in pseudonyms) and len(pseudonyms) == 50
    assert rows[0][1:5] == ["TYNE", "4", "A little better", "2026-04-03"]  # newest first, local date
    second = evaluator.get("/evaluate/responses?page=2&service=TYNE")
    assert len(next(iter(tables(second).values()))[1:]) == 5
    for client in db.session.scalars(select(Client)):
        for page in (html, second.get_data(as_text=True)):
            assert client.client_ref not in page
    for page in (html, second.get_data(as_text=True)):
        assert "@example.org" not in page and "07400" not in page and "+447400" not in page
    events = audit_actions("evaluate.responses")
    assert [json.loads(e.detail)["page"] for e in events] == [1, 2]
    assert events[1].subject == "service:TYNE"


# -- safeguarding alerts and review items ---------------------------------------------------------------


def open_check_in() -> None:
    make_service(plan="4,8")
    run_import(csv_bytes([row(discharge_date="2026-09-07")]), now=datetime(2026, 9, 30, 12, tzinfo=UTC))
    assert dispatch.tick(DUE)["sent"] == 1


def test_alert_queue_page_close_and_audited_contact_reveal(app, evaluator: FlaskClient) -> None:
    open_check_in()
    handle_inbound_sms("SMalert000000000000000000000000001", PHONE, "I want to end it all", DUE + timedelta(hours=1))
    db.session.commit()
    alert = db.session.scalars(select(SafeguardingAlert)).one()
    queue = evaluator.get("/evaluate/alerts")
    assert f'href="/evaluate/alerts/{alert.id}"' in queue.get_data(as_text=True)
    assert "end it all" not in queue.get_data(as_text=True)  # the queue lists, the page shows

    page = evaluator.get(f"/evaluate/alerts/{alert.id}").get_data(as_text=True)
    assert "I want to end it all" in page and "Service TYNE (TYNE)" in page
    assert "07400" not in page and "+447400123456" not in page and "person1@example.org" not in page
    assert audit_actions("alert.viewed")[-1].subject == f"alert:{alert.id}"

    revealed = evaluator.post(f"/evaluate/alerts/{alert.id}/contact")
    shown = revealed.get_data(as_text=True)
    assert revealed.status_code == 200
    assert "+447400123456" in shown and "person1@example.org" in shown and "C0001" in shown
    assert revealed.headers["Cache-Control"] == "no-store"
    viewed = audit_actions("alert.contact_viewed")
    assert len(viewed) == 1 and viewed[0].subject == f"alert:{alert.id}"
    assert "+447400123456" not in (viewed[0].detail or "")

    refused = evaluator.post(f"/evaluate/alerts/{alert.id}/close", data={"note": "  "})
    assert refused.status_code == 400 and "write a note" in refused.get_data(as_text=True)
    closed = evaluator.post(f"/evaluate/alerts/{alert.id}/close", data={"note": "Called the service's duty line."})
    assert closed.status_code == 302
    db.session.expire_all()
    alert = db.session.get(SafeguardingAlert, alert.id)
    assert alert.status == "closed" and alert.closed_by.startswith("user:") and alert.closed_at is not None
    assert json.loads(audit_actions("alert.closed")[-1].detail)["note"] == "Called the service's duty line."
    after = evaluator.get(f"/evaluate/alerts/{alert.id}").get_data(as_text=True)
    assert "Called the service&#39;s duty line." in after and "Close alert" not in after
    assert evaluator.get("/evaluate/alerts/999999").status_code == 404
    assert evaluator.post("/evaluate/alerts/999999/contact").status_code == 404


def test_open_alerts_come_first(app, evaluator: FlaskClient) -> None:
    open_check_in()
    for number in range(3):
        handle_inbound_sms(
            f"SMalert00000000000000000000000001{number}",
            PHONE,
            "thinking of suicide",
            DUE + timedelta(hours=1 + number),
        )
        db.session.commit()
    alerts = list(db.session.scalars(select(SafeguardingAlert).order_by(SafeguardingAlert.id)))
    evaluator.post(f"/evaluate/alerts/{alerts[2].id}/close", data={"note": "done"})
    html = evaluator.get("/evaluate/alerts").get_data(as_text=True)
    order = [int(n) for n in re.findall(r'href="/evaluate/alerts/(\d+)"', html)]
    assert order == [alerts[1].id, alerts[0].id, alerts[2].id]
    assert "(2 open)" in html


def test_review_items_are_listed_and_closed(app, evaluator: FlaskClient) -> None:
    open_check_in()
    handle_inbound_sms("SMreview00000000000000000000000001", PHONE, "wrong number", DUE + timedelta(hours=1))
    db.session.commit()
    item = db.session.scalars(select(ReviewItem)).one()
    html = evaluator.get("/evaluate/review").get_data(as_text=True)
    assert "Wrong number: item" in html and "wrong number" in html and "07400" not in html
    response = evaluator.post(f"/evaluate/review/{item.id}/close", data={"note": "checked"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ReviewItem, item.id).status == "closed"
    assert audit_actions("review.closed")[-1].subject == f"review:{item.id}"
    assert "(closed)" in evaluator.get("/evaluate/review").get_data(as_text=True)
    assert evaluator.post("/evaluate/review/999999/close").status_code == 404


def test_methodology_page_renders_the_document(app, evaluator: FlaskClient) -> None:
    html = evaluator.get("/evaluate/methodology").get_data(as_text=True)
    assert "<h1>How Stillwell counts recovery" in html
    assert "<script" not in html
    # Rendered as /published/methodology renders it, not shown as raw Markdown.
    assert "<strong>check-in</strong>" in html and "**check-in**" not in html
