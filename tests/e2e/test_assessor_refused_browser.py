"""Every page an assessor must not reach, in a real browser (Debian Chromium through Playwright), on SQLite and
PostgreSQL (issue 18; blinding, SPEC 8.4).

An assessor signs in as a person would (password, then an authenticator enrolled from the key on the page) and
asks for every page outside their own that the url_map holds for other roles: the evaluator's dashboard,
responses, compare, texts sent, alerts and review, chart images and CSV exports, the releases, the
commissioners' reports, the admin pages, the service staff's pages, the public pages and the clients' links.
Each answers with the refusal page (403) or sends them back to their own pages; the refusal page shows none
of the texts' data (no answers, outcomes or figures), links to nothing they may not open, and passes axe-core.
The crawler of tests/web/test_blinding.py checks the same with the test client; this one is what a browser sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Error as PlaywrightError
from werkzeug.routing import Rule

from app.extensions import db
from app.models import Role
from app.services.publication import releases
from app.services.statistics import dashboard
from app.web.client_pages import CLIENT_BLUEPRINTS
from tests.conftest import make_app, reset_schema
from tests.e2e.conftest import enrol_authenticator, password_step, serious_violations
from tests.factories import NOW
from tests.factories.blinding import example_value, leaks
from tests.factories.cohorts import AS_OF, seed_releasable
from tests.web.sign_in import make_user

VIEWPORT = {"width": 1024, "height": 900}
#: What an assessor may open: their own pages, signing in and out, their account, what every page loads, and
#: the liveness probe (a status, no figure; tests/web/test_blinding.py). The API is left out: it answers
#: bearer tokens, never the session (`api_allow` refuses an assessor's token).
THEIRS = ("/assess", "/login", "/logout", "/account", "/static/", "/favicon.ico", "/healthz", "/api/")
#: A figure as a page would print one: "42%", "12% to 29%", "n = 31".
FIGURE = re.compile(r"\d+\s?%|\bn\s?=\s?\d")


def outside_theirs(path: str) -> bool:
    return not any(path == mine.rstrip("/") or path.startswith(mine) for mine in THEIRS)


@pytest.fixture
def e2e_app(db_url: str) -> Iterator[Flask]:
    """CSRF on; two areas' answered cohorts with their figures and a published release; one assessor."""
    app = make_app(db_url, WTF_CSRF_ENABLED=True)
    reset_schema(app)
    with app.app_context():
        seed_releasable()
        releases.create_release(AS_OF, "all", None, "test", NOW, title="Figures for autumn 2026")
        make_user(Role.ASSESSOR)
        dashboard.clear_cache()
        db.session.remove()
        yield app
        db.session.remove()
        db.engine.dispose()


def example_path(app: Flask, rule: Rule) -> str:
    """The rule's URL with real values where the app has them: the release made, the dashboard's first chart."""
    values = {name: example_value(rule, name) for name in rule.arguments}
    if "name" in values and rule.endpoint == "evaluate.chart":
        values["name"] = next(iter(dashboard.CHARTS))
    return str(app.url_map.bind("localhost").build(rule.endpoint, values))


def pages_of_other_roles(app: Flask) -> dict[str, str]:
    """Every GET page of the url_map outside the assessor's own, as a link would ask for it: its blueprint."""
    rules = [rule for rule in app.url_map.iter_rules() if "GET" in (rule.methods or set())]
    return {example_path(app, rule): rule.endpoint.partition(".")[0] for rule in rules if outside_theirs(rule.rule)}


def sign_in_as_assessor(page: Any, base_url: str) -> None:
    password_step(page, base_url, "assessor@example.org")
    assert page.url == f"{base_url}/account/totp/enrol"
    enrol_authenticator(page)
    assert page.url == f"{base_url}/assess"


def links_outside_theirs(page: Any, base_url: str) -> list[str]:
    """The page's same-site links (navigation and body) to another page the assessor may not open (the skip
    link and a client page's language switch lead to the page itself, the same refusal)."""
    here = urlsplit(page.url).path
    found = []
    for href in page.locator("a[href]").evaluate_all("links => links.map(link => link.getAttribute('href'))"):
        target = urlsplit(urljoin(page.url, href))
        if f"{target.scheme}://{target.netloc}" == base_url and target.path != here and outside_theirs(target.path):
            found.append(href)
    return found


def test_an_assessor_is_refused_every_page_of_the_other_roles(e2e_app: Flask, base_url: str, browser: Any) -> None:
    pages = pages_of_other_roles(e2e_app)
    # The url_map, not a hand list: these must be among what it gives (if a route moves, the list follows it).
    for expected in (
        "/",
        "/admin",
        "/admin/users",
        "/evaluate",
        "/evaluate/responses",
        "/evaluate/compare",
        "/evaluate/texts",
        "/evaluate/alerts",
        "/evaluate/figures.csv",
        f"/evaluate/charts/{next(iter(dashboard.CHARTS))}.svg",
        "/published",
        "/published/1",
        "/published/1.csv",
        "/reports/",
        "/submit",
        "/submit/template.csv",
    ):
        assert expected in pages, (expected, pages)

    # axe-core runs as script: this context allows it (the pages themselves have none).
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    page = context.new_page()
    sign_in_as_assessor(page, base_url)
    assert links_outside_theirs(page, base_url) == []  # their own home links nowhere else either

    reached, leaked, linked, checked = [], {}, {}, set()
    for path, blueprint in sorted(pages.items()):
        try:
            response = page.goto(f"{base_url}{path}")
        except PlaywrightError as error:  # a CSV, a PDF or a zip handed over: the browser starts a download
            reached.append(f"{path} {error.message.splitlines()[0]}")
            continue
        assert response is not None, path
        landed = urlsplit(page.url).path
        if not (response.status == 403 or landed.startswith("/assess")):
            reached.append(f"{path} {response.status} {landed}")
            continue
        body = page.content()
        if found := leaks(body) + FIGURE.findall(page.inner_text("body")):
            leaked[path] = found
        if outside := links_outside_theirs(page, base_url):
            linked[path] = outside
        if response.status == 403 and blueprint in CLIENT_BLUEPRINTS:  # a client's link: their kind error page
            assert page.get_by_role("heading", level=1).inner_text() == "This page could not be shown", path
        elif response.status == 403:
            assert page.get_by_role("heading", level=1).inner_text() == "You cannot see this page", path
            nav = page.get_by_role("navigation", name="Account")
            assert nav.get_by_role("link", name="Your pages").get_attribute("href") == "/assess", path
            if (main := page.inner_text("main")) not in checked:  # axe once for each refusal page there is
                serious, report = serious_violations(page)
                assert serious == [], f"{path}: {report}"
                checked.add(main)
    context.close()
    assert not reached, f"pages of other roles answered an assessor: {reached}"
    assert not leaked, f"a refusal showed the texts' data: {leaked}"
    assert not linked, f"a refusal linked to pages the assessor may not open: {linked}"
    assert checked, "no refusal page was checked with axe-core"
