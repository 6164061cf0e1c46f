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

from app import create_app
from app.extensions import db
from app.models import CheckIn, Client, Episode, Role
from app.models.message import SafeguardingAlert
from app.security.fields import field_security
from app.services.conversation.inbound import handle_inbound_sms
from app.services.demo import seeding as demo_service
from app.services.statistics import dashboard
from config import TestingConfig
from tests.e2e.conftest import served
from tests.web.sign_in import make_user, sign_in

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
def evaluate_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(TestingConfig, overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.db'}"})
    now = datetime.now(UTC)
    with app.app_context():
        db.create_all()
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
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def base_url(evaluate_app: Flask) -> Iterator[str]:
    with served(evaluate_app, "evaluate-e2e") as url:
        yield url


@pytest.fixture
def session_cookie(evaluate_app: Flask, base_url: str) -> dict[str, str]:
    with evaluate_app.app_context():
        client = evaluate_app.test_client()
        sign_in(client, make_user(Role.EVALUATOR, "e2e-evaluator@example.org"))
        cookie = client.get_cookie(evaluate_app.config.get("SESSION_COOKIE_NAME", "session"))
        assert cookie is not None
        db.session.remove()
        return {"name": cookie.key, "value": cookie.value, "url": base_url}


def serious(results: Any) -> list[dict[str, Any]]:
    return [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


def test_dashboard_charts_load_under_the_csp_and_a_screenshot_is_saved(
    base_url: str, session_cookie: dict[str, str], browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    context.add_cookies([session_cookie])
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    response = page.goto(f"{base_url}/evaluate")
    assert response is not None and response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Evaluation dashboard"
    images = page.locator("img")
    assert images.count() == len(dashboard.CHARTS)
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        assert image.get_attribute("alt")
    assert violations == []
    assert page.locator("script").count() == 0
    screenshot = Path(os.environ.get("STILLWELL_SCREENSHOTS") or tmp_path) / "dashboard.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 50_000
    context.close()


def test_evaluator_pages_have_no_serious_axe_violations(
    evaluate_app: Flask, base_url: str, session_cookie: dict[str, str], browser: Any
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    with evaluate_app.app_context():
        alert_id = db.session.scalars(select(SafeguardingAlert.id)).first()
        db.session.remove()
    axe = Axe()
    # axe-core runs as script: this context allows it (the pages themselves have none).
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    context.add_cookies([session_cookie])
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
        results = axe.run(page)
        assert serious(results) == [], f"{path}: {results.generate_report()}"
    page.goto(f"{base_url}/evaluate/alerts/{alert_id}")
    page.get_by_role("button", name="Show contact details").click()
    assert "recorded in the audit log" in page.inner_text("main")
    assert serious(axe.run(page)) == []
    context.close()


def test_the_compare_page_draws_both_funnel_plots_under_the_csp(
    base_url: str, session_cookie: dict[str, str], browser: Any, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    context.add_cookies([session_cookie])
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    response = page.goto(f"{base_url}/evaluate/compare")
    assert response is not None and response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Comparing services"
    images = page.locator("img")
    assert images.count() == 2
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert violations == []
    assert page.locator("table tbody tr").count() >= len(demo_service.SERVICES)  # every demo service has its row
    screenshot = Path(os.environ.get("STILLWELL_SCREENSHOTS") or tmp_path) / "compare.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 50_000
    context.close()
