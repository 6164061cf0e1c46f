"""Blinding (SPEC 8.4): an assessor never sees a client's texted answers, outcome category, conversation,
check-ins or any figure, and reaches no page but their own (/assess), sign-in and their account.

A cohort answered its check-ins (the answers written onto the check-ins, and a message with a unique
marker word received from each sampled client's phone); a sample is drawn. A signed-in assessor then
crawls every same-site link and submits every form reachable from /assess (revealing numbers, recording
calls and interviews until the list is done), and requests every GET route of the url_map: every page
outside theirs is refused (403), and none of their pages names an outcome category, an answer of the
texts, the texted dates, a check-in status or a reply's words.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AssessmentCall, Client, Role
from app.security.access import blinded_out
from app.services.assessment import draw_sample
from app.services.conversation.inbound import handle_inbound_sms
from app.services.statistics import facts
from tests.factories.assessment import AS_OF, assessment_cohort
from tests.factories.blinding import MARKERS, example_value, leaks
from tests.fakes import fixtures
from tests.web.sign_in import light_password_hashing, make_user, sign_in

fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink
providers = fixtures.providers
pytestmark = pytest.mark.usefixtures("light_password_hashing", "providers")
__all__ = ["fake_twilio", "light_password_hashing", "providers", "smtp_sink"]


class Forms(HTMLParser):
    """The links and forms of a page: (action, method, {name: value}) with the first radio of each group."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        elif tag == "form":
            self.forms.append((values.get("action", ""), values.get("method", "get").lower(), {}))
        elif tag == "input" and self.forms and values.get("name"):
            fields = self.forms[-1][2]
            if values.get("type") == "radio":
                fields.setdefault(values["name"], values.get("value", ""))
            else:
                fields[values["name"]] = values.get("value", "")


def interview_values(fields: dict[str, str]) -> dict[str, str]:
    return {**fields, "interview_date": date.today().isoformat(), "criteria_since": "6 weeks"}


@pytest.fixture
def sampled(app: Flask) -> list[str]:
    """The cohort, a message with a marker from each callable client, and a sample; the sampled refs."""
    assessment_cohort()
    phones = dict(db.session.execute(select(Client.client_ref, Client.phone_enc)).all())
    from app.security.fields import field_security

    for index, ref in enumerate(("A-0001", "A-0002", "A-0003", "A-0004")):
        phone = field_security().decrypt(phones[ref])
        received = datetime(2026, 10, 6, 9, 0, tzinfo=UTC) + timedelta(minutes=index)
        handle_inbound_sms("SM" + secrets.token_hex(16), phone, f"thanks {MARKERS[index]}", received)
    db.session.commit()
    facts.rebuild(AS_OF, datetime(2026, 11, 20, 12, 0, tzinfo=UTC))  # the dashboard's facts exist too
    draw_sample(AS_OF, 4, seed=11, service_code=None, actor="test", now=datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    return ["A-0001", "A-0002", "A-0003", "A-0004"]


def crawl(client: FlaskClient, start: str) -> tuple[dict[str, list[str]], set[str], int]:
    """Follow every link and submit every form from `start`: (what leaked by page, paths seen, forms sent)."""
    queue: list[tuple[str, str, dict[str, str]]] = [(start, "get", {})]
    seen: set[tuple[str, str, str]] = set()
    found: dict[str, list[str]] = {}
    paths: set[str] = set()
    posted = 0
    while queue and len(seen) < 400:
        path, method, data = queue.pop(0)
        key = (path, method, repr(sorted(data.items())))
        if key in seen:
            continue
        seen.add(key)
        paths.add(path)
        response: Any = client.post(path, data=data) if method == "post" else client.get(path)
        posted += method == "post"
        body = response.get_data(as_text=True)
        if response.status_code < 400 and (leaked := leaks(body)):
            found[f"{method.upper()} {path}"] = leaked
        if response.status_code in (301, 302, 303):
            queue.append((urlsplit(urljoin(path, response.headers["Location"])).path, "get", {}))
            continue
        if response.mimetype != "text/html":
            continue
        parser = Forms()
        parser.feed(body)
        for link in parser.links:
            target = urlsplit(urljoin(path, link))
            if not target.netloc and not target.path.startswith("/static/"):
                queue.append((target.path + (f"?{target.query}" if target.query else ""), "get", {}))
        for action, form_method, fields in parser.forms:
            target = urljoin(path, action or path)
            if target.endswith("/logout"):
                continue  # signing out would end the crawl
            if target.endswith("/interview"):
                fields = interview_values(fields)
            queue.append((target, form_method, fields))
    return found, paths, posted


def test_an_assessor_sees_nothing_of_the_texts_on_any_page_or_form(app: Flask, sampled: list[str]) -> None:
    client = app.test_client()
    sign_in(client, make_user(Role.ASSESSOR))
    found, paths, posted = crawl(client, "/assess")
    assert not found, f"an assessor saw the texts' side: {found}"
    assert any(path.endswith("/interview") for path in paths) and posted >= 8, sorted(paths)
    db.session.expire_all()
    statuses = set(db.session.scalars(select(AssessmentCall.status)))
    assert statuses - {"to_call"}, "the crawl recorded no call"
    page = client.get("/assess").get_data(as_text=True)
    assert all(ref in page for ref in sampled) and not leaks(page)


def test_every_page_outside_theirs_refuses_an_assessor(app: Flask, sampled: list[str]) -> None:
    client = app.test_client()
    sign_in(client, make_user(Role.ASSESSOR))
    adapter = app.url_map.bind("localhost")
    refused, reached = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        values = {name: example_value(rule, name) for name in rule.arguments}
        path = adapter.build(rule.endpoint, values)
        status = client.get(path).status_code
        if blinded_out(rule.endpoint, Role.ASSESSOR.value):
            (refused if status == 403 else reached).append(f"{path} {status}")
    assert not reached, f"blinded pages answered an assessor: {reached}"
    assert {"/evaluate 403", "/reports/ 403", "/submit 403", "/admin 403", "/published 403", "/ 403"} <= set(refused)


def test_the_check_would_notice_the_texts_side(app: Flask, sampled: list[str]) -> None:
    """An evaluator's dashboard and the responses of the texts name what the assessor must not see."""
    evaluator = make_user(Role.EVALUATOR)
    client = app.test_client()
    sign_in(client, evaluator)
    page = client.get(f"/evaluate?as_of={AS_OF.isoformat()}").get_data(as_text=True)
    assert leaks(page), "the evaluator's dashboard names no category: are the forbidden words right?"
    assert leaks("Outcome: Worse") == ["Worse"] and not leaks("A little worse, much worse")


def test_the_liveness_probe_answers_an_assessor_by_name_and_shows_no_figure(app: Flask) -> None:
    """/healthz is let through by its endpoint (not a hole in the rule): every other public page stays 403."""
    from app.security.access import ASSESSOR_ENDPOINTS

    assert "public.healthz" in ASSESSOR_ENDPOINTS
    assert not blinded_out("public.healthz", Role.ASSESSOR.value) and blinded_out("public.help_page", "assessor")
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # anonymous
    sign_in(client, make_user(Role.ASSESSOR))
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "ok"}
    assert client.get("/").status_code == 403 and client.get("/help").status_code == 403
