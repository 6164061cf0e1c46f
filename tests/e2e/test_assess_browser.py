"""An assessor's day in a real browser (Debian Chromium through Playwright), with JavaScript off: sign in
with an authenticator code, the call list, the phone-number reveal (audited), an interview saved, and on to
the next client. axe-core finds no serious or critical problem on the call list and the interview form.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import AssessmentCall, AuditEvent, Role
from app.services.assessment import draw_sample
from config import TestingConfig
from tests.e2e.conftest import served
from tests.factories.assessment import AS_OF, assessment_cohort
from tests.web.sign_in import LIGHT_HASHER, PASSWORD, make_user

VIEWPORT = {"width": 1024, "height": 900}


@pytest.fixture
def assess_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app on a SQLite file, CSRF protection on, an assessor and a sample of four calls."""
    from datetime import UTC, datetime

    monkeypatch.setattr("app.security.passwords._hasher", LIGHT_HASHER)
    app = create_app(
        TestingConfig,
        overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.db'}", "WTF_CSRF_ENABLED": True},
    )
    with app.app_context():
        db.create_all()
        assessment_cohort()
        draw_sample(AS_OF, 4, seed=5, service_code=None, actor="test", now=datetime(2026, 11, 20, 12, tzinfo=UTC))
        make_user(Role.ASSESSOR)
        db.session.remove()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def base_url(assess_app: Flask) -> Iterator[str]:
    with served(assess_app, "assess-e2e") as url:
        yield url


def serious(results: Any) -> list[dict[str, Any]]:
    return [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


def test_an_assessor_s_day(assess_app: Flask, base_url: str, browser: Any) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.get_by_label("Email address").fill("assessor@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url == f"{base_url}/account/totp/enrol"
    secret = page.locator("#secret").inner_text().replace(" ", "")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm and sign in").click()
    assert page.url == f"{base_url}/assess"

    assert page.get_by_role("heading", level=1).inner_text() == "Your calls"
    assert page.locator("tbody tr").count() == 4
    assert "generalised anxiety" in page.inner_text("main")
    page.get_by_role("link", name="Start the next call").click()
    first = page.url
    assert "/assess/calls/" in first
    assert "07400" not in page.inner_text("main")

    page.get_by_role("button", name="Show the phone number").click()
    assert "Phone number: +447400" in page.inner_text("main")
    with assess_app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "assessment.phone_reveal")).all()
        assert len(events) == 1 and "7400" not in (events[0].detail or "")
        db.session.remove()

    page.get_by_label("Date of the interview").fill("2099-01-01")
    page.get_by_label("Much better").check()
    page.get_by_label("No, it no longer meets the criteria").check()
    page.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Save the interview").click()
    assert "There is a problem" in page.inner_text("main") and "is in the future" in page.inner_text("main")
    assert "Say since when: a date, or how long" in page.inner_text("main")

    from datetime import date

    page.get_by_label("Date of the interview").fill(date.today().isoformat())
    page.get_by_label("Since when has it not").fill("10 weeks")
    page.get_by_role("button", name="Save the interview").click()
    assert page.url != first and "/assess/calls/" in page.url
    assert "interview saved" in page.inner_text("main")
    with assess_app.app_context():
        statuses = list(db.session.scalars(select(AssessmentCall.status).order_by(AssessmentCall.id)))
        assert statuses.count("reached") == 1
        db.session.remove()
    cookies = context.cookies()
    context.close()

    # axe-core runs as script: this context allows it (the pages themselves have none).
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    checked = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    checked.add_cookies(cookies)
    page = checked.new_page()
    for path in ("/assess", first.removeprefix(base_url), page_of_next(base_url, first)):
        page.goto(f"{base_url}{path}")
        results = axe.run(page)
        assert serious(results) == [], f"{path}: {results.generate_report()}"
    checked.close()


def page_of_next(base_url: str, done: str) -> str:
    """Another call's page (with its interview form), not the one just recorded."""
    number = int(done.rsplit("/", 1)[1])
    return f"/assess/calls/{number + 1 if number < 4 else 1}"
