"""Independence: service staff (and admins) never see an answer, a reply, an outcome or a contact detail.

A cohort goes through the real flow (intake, a dispatch tick against the fake Twilio, replies through
the inbound SMS service, one of them raising a safeguarding alert). Then a signed-in service submitter,
and an admin, crawl every GET route of the url_map (with made-up parameters and with the ids that
exist) and every same-site link reachable from their home page, with their API token too, and no
response may contain a reply's words, a phone number or an email address. Their own (non-public) pages
may not even name an answer or an outcome; public pages (published, suppressed aggregates and the
methodology) legitimately name outcome categories, so only the individual-level markers are checked there.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import CheckIn, Role
from app.models.message import SafeguardingAlert
from app.security.access import PUBLIC, audience
from app.services import dispatch
from app.services.access.api_tokens import create_token
from app.services.conversation.inbound import handle_inbound_sms
from tests.factories import csv_bytes, make_service, row, run_import
from tests.fakes import fixtures
from tests.web.sign_in import light_password_hashing, make_user, sign_in

fake_twilio = fixtures.fake_twilio
smtp_sink = fixtures.smtp_sink
providers = fixtures.providers
pytestmark = pytest.mark.usefixtures("light_password_hashing", "providers")
__all__ = ["fake_twilio", "light_password_hashing", "providers", "smtp_sink"]

IMPORTED = datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
DUE = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
LATER = DUE + timedelta(minutes=20)
PHONES = ("+447400123456", "+447400654321")
#: Words only the clients wrote: a page showing any of them shows a reply.
REPLY_MARKERS = ("Periwinkle-7731", "Marmalade-4410", "Tangerine-2290")
CONTACT_DETAILS = (
    "7400123456",
    "7400 123456",
    "7400654321",
    "7400 654321",
    "person1@example.org",
    "person2@example.org",
)
ANSWERS_AND_OUTCOMES = (
    "much_better",
    "a_little_better",
    "a_little_worse",
    "much_worse",
    "Much better",
    "A little worse",
    "durably_recovered",
    "Durably recovered",
    "no_response",
    "Back to usual self",
    "usual_self",
)
HREF = re.compile(r'href="([^"#]+)')


@pytest.fixture
def cohort(app: Flask) -> None:
    """Two clients answered (one with a risk message: an alert); every reply carries a unique marker word."""
    make_service(plan="4")
    rows = [
        row(discharge_date="2026-09-07"),
        row(client_ref="C0002", phone="07400 654321", email="person2@example.org", discharge_date="2026-09-07"),
    ]
    run_import(csv_bytes(rows), now=IMPORTED)
    assert dispatch.tick(DUE)["sent"] == 2
    conversation = [
        (PHONES[0], "much better"),
        (PHONES[0], "3 weeks"),
        (PHONES[0], "yes"),
        (PHONES[0], f"thank you {REPLY_MARKERS[0]}"),  # after the last question: stored, never read as an answer
        (PHONES[1], f"I want to end it all {REPLY_MARKERS[1]}"),
        (PHONES[1], "a little worse"),
        (PHONES[1], "since I finished"),
        (PHONES[1], "no"),
        (PHONES[1], f"ok {REPLY_MARKERS[2]}"),
    ]
    for minute, (phone, body) in enumerate(conversation):
        handle_inbound_sms("SM" + secrets.token_hex(16), phone, body, LATER + timedelta(minutes=minute))
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SafeguardingAlert)) == 1
    assert set(db.session.scalars(select(CheckIn.change))) == {"much_better", "a_little_worse"}


def example_paths(app: Flask) -> list[tuple[str, bool]]:
    """(path, public) for every GET rule: made-up parameters, and ids 1-3 for integer ones."""
    adapter = app.url_map.bind("localhost")
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in (rule.methods or set()):
            continue
        is_public = audience(app.view_functions[rule.endpoint]) == PUBLIC
        variants: list[dict[str, Any]] = [{}]
        for name in rule.arguments:
            converter = rule._converters[name]
            if getattr(converter, "items", None):
                options: list[Any] = sorted(converter.items)
            elif type(converter).__name__ in {"IntegerConverter", "NumberConverter"}:
                options = [1, 2, 3]
            else:
                options = ["x", "1"]
            variants = [{**variant, name: option} for variant in variants for option in options]
        paths.extend((adapter.build(rule.endpoint, values), is_public) for values in variants)
    return paths


def leaks(body: str, *, own_page: bool) -> list[str]:
    forbidden = REPLY_MARKERS + CONTACT_DETAILS + (ANSWERS_AND_OUTCOMES if own_page else ())
    return [word for word in forbidden if word.lower() in body.lower()]


def crawl(app: Flask, client: FlaskClient, start: str, token: str) -> dict[str, list[str]]:
    """Every GET route and every same-site link from `start`: what leaked, by path."""
    public_paths = {path for path, is_public in example_paths(app) if is_public}
    queue = [path for path, _ in example_paths(app)] + [start]
    seen: set[str] = set()
    found: dict[str, list[str]] = {}
    while queue:
        path = queue.pop()
        if path in seen or len(seen) > 400:
            continue
        seen.add(path)
        headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
        response = client.get(path, headers=headers)
        body = response.get_data().decode("utf-8", errors="replace")  # binary answers too (the favicon)
        leaked = leaks(body, own_page=path not in public_paths and not path.startswith("/published"))
        if leaked:
            found[path] = leaked
        if response.status_code in (301, 302, 303, 307, 308):
            queue.append(urlsplit(urljoin(path, response.headers["Location"])).path)
        if response.mimetype == "text/html":
            for link in HREF.findall(body):
                target = urlsplit(urljoin(path, link))
                if not target.netloc and not target.path.startswith("/static/"):
                    queue.append(target.path + (f"?{target.query}" if target.query else ""))
    assert len(seen) > 20, f"the crawl reached only {sorted(seen)}"
    return found


@pytest.mark.parametrize(("role", "home"), [(Role.SERVICE_SUBMITTER, "/submit"), (Role.ADMIN, "/admin")])
def test_staff_never_see_answers_replies_outcomes_or_contact_details(
    app: Flask, cohort: None, role: Role, home: str
) -> None:
    user = make_user(role)
    client = app.test_client()
    sign_in(client, user)
    assert client.get(home).status_code == 200
    token = create_token(user.email, "independence test", actor="test", now=datetime.now(UTC)).secret
    found = crawl(app, client, home, token)
    assert not found, f"{role.value} saw individual data: {found}"


def test_the_crawl_would_notice_a_leak(app: Flask, cohort: None) -> None:
    """The evaluator's responses page shows answers; the same crawl flags it, so the check has teeth."""
    evaluator = make_user(Role.EVALUATOR)
    client = app.test_client()
    sign_in(client, evaluator)
    responses = [client.get(path) for path, _ in example_paths(app) if path.startswith("/evaluate")]
    pages = [response.get_data(as_text=True) for response in responses if response.status_code == 200]
    if not pages:
        pytest.skip("no evaluator pages yet")
    assert any(leaks(page, own_page=True) for page in pages), "evaluator pages show no answers: markers wrong?"
