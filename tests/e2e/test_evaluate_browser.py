"""The evaluator dashboard in a real browser (Debian Chromium through Playwright): axe-core finds no serious or
critical violation, the charts load as images under the strict content security policy, and a full-page
screenshot of the dashboard is taken; with STILLWELL_SCREENSHOTS=docs/screenshots it is saved there as
dashboard.png (synthetic demo data only), otherwise in the test's temporary folder.

The app runs in a thread on 127.0.0.1 with werkzeug's server, on a SQLite file; the browser carries the session
cookie of a test client that signed in through the real pages (password and TOTP).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import CheckIn, Client, Episode, Role
from app.models.message import SafeguardingAlert
from app.security.fields import field_security
from app.services.conversation.inbound import handle_inbound_sms
from app.services.demo import seeding as demo_service
from app.services.statistics import dashboard
from tests.e2e.conftest import serious_violations, session_cookie, sqlite_app, watch_policy
from tests.web.sign_in import make_user

VIEWPORT = {"width": 1280, "height": 900}
CHANGES = ("much_better", "a_little_better", "same", "a_little_worse", "much_worse")


def answer_demo_check_ins(now: datetime, rng: random.Random) -> None:
    """Synthetic answers for the demo cohort's check-ins whose response window is over by now."""
    rows = db.session.execute(
        select(CheckIn, Episode.discharge_date)
        .join(Episode, Episode.id == CheckIn.episode_id)
        .where(CheckIn.due_at <= now - timedelta(days=15))
    ).all()
    for check_in, discharged in rows:
        check_in.status, check_in.first_sent_at = "closed", check_in.due_at
        check_in.closed_at = check_in.due_at + timedelta(days=14)
        if rng.random() < 0.55:
            continue  # a non-response
        at = check_in.due_at + timedelta(hours=rng.randint(1, 72))
        check_in.change = rng.choices(CHANGES, weights=(3, 4, 3, 1, 1))[0]
        check_in.change_at = at
        check_in.usual_self, check_in.usual_self_at = rng.choices(("yes", "mostly", "no"), weights=(2, 3, 4))[0], at
        if rng.random() < 0.8:
            check_in.duration_start = max(discharged, at.date() - timedelta(weeks=rng.randint(1, 30)))
            check_in.duration_at = at
    db.session.commit()


@pytest.fixture
def e2e_app(tmp_path: Path) -> Iterator[Flask]:
    now = datetime.now(UTC)
    with sqlite_app(tmp_path / "e2e.db") as app:
        demo_service.seed(actor="test", now=now, today=now.date(), clients_per_service=36)  # 720 clients
        answer_demo_check_ins(now, random.Random(2026))
        client = db.session.scalars(select(Client).where(Client.phone_enc.is_not(None)).order_by(Client.id)).first()
        assert client is not None
        phone = field_security().decrypt(client.phone_enc)
        handle_inbound_sms("SMe2ealert00000000000000000000001", phone, "some days I want to die", now)
        handle_inbound_sms("SMe2ereview0000000000000000000001", phone, "wrong number", now)
        db.session.commit()
        dashboard.clear_cache()
        db.session.remove()
        yield app


@pytest.fixture
def evaluator_cookie(e2e_app: Flask, base_url: str) -> dict[str, str]:
    return session_cookie(e2e_app, base_url, lambda: make_user(Role.EVALUATOR, "e2e-evaluator@example.org"))


def open_with_charts(browser: Any, url: str, cookie: dict[str, str], heading: str) -> tuple[Any, list[str]]:
    """The page under the real policy without JavaScript, with every chart image loaded: (page, CSP messages)."""
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    context.add_cookies([cookie])
    page = context.new_page()
    violations = watch_policy(page)
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == heading
    images = page.locator("img")
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    return page, violations


def test_dashboard_charts_load_under_the_csp_and_a_screenshot_is_saved(
    base_url: str, evaluator_cookie: dict[str, str], browser: Any, tmp_path: Path
) -> None:
    page, violations = open_with_charts(browser, f"{base_url}/evaluate", evaluator_cookie, "Evaluation dashboard")
    images = page.locator("img")
    assert images.count() == len(dashboard.CHARTS)
    for index in range(images.count()):
        assert images.nth(index).get_attribute("alt")
    assert violations == []
    assert page.locator("script").count() == 0
    screenshot = Path(os.environ.get("STILLWELL_SCREENSHOTS") or tmp_path) / "dashboard.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 50_000
    page.context.close()


def test_evaluator_pages_have_no_serious_axe_violations(
    e2e_app: Flask, base_url: str, evaluator_cookie: dict[str, str], browser: Any
) -> None:
    with e2e_app.app_context():
        alert_id = db.session.scalars(select(SafeguardingAlert.id)).first()
        db.session.remove()
    # axe-core runs as script: this context allows it (the pages themselves have none).
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    context.add_cookies([evaluator_cookie])
    page = context.new_page()
    for path in (
        "/evaluate",
        "/evaluate?problem_group=anxiety&area=NOPE",
        "/evaluate/responses",
        "/evaluate/alerts",
        f"/evaluate/alerts/{alert_id}",
        "/evaluate/review",
        "/evaluate/methodology",
        "/evaluate/compare",
        "/evaluate/compare?as_of=2099-01-01&area=NOPE",
        "/evaluate/texts",
        "/evaluate/texts?month=2000-01",
    ):
        response = page.goto(f"{base_url}{path}")
        assert response is not None and response.status == 200, path
        serious, report = serious_violations(page)
        assert serious == [], f"{path}: {report}"
    page.goto(f"{base_url}/evaluate/alerts/{alert_id}")
    page.get_by_role("button", name="Show contact details").click()
    assert "recorded in the audit log" in page.inner_text("main")
    assert serious_violations(page)[0] == []
    context.close()


def test_the_compare_page_draws_both_funnel_plots_under_the_csp(
    base_url: str, evaluator_cookie: dict[str, str], browser: Any, tmp_path: Path
) -> None:
    page, violations = open_with_charts(browser, f"{base_url}/evaluate/compare", evaluator_cookie, "Comparing services")
    assert page.locator("img").count() == 2
    assert violations == []
    assert page.locator("table tbody tr").count() >= len(demo_service.SERVICES)  # every demo service has its row
    screenshot = Path(os.environ.get("STILLWELL_SCREENSHOTS") or tmp_path) / "compare.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 50_000
    page.context.close()
