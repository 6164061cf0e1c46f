"""An assessor's day in a real browser (Debian Chromium through Playwright), with JavaScript off: sign in
with an authenticator code, the call list, the phone-number reveal (audited), an interview saved, and on to
the next client. axe-core finds no serious or critical problem on the call list and the interview form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import AssessmentCall, AuditEvent, Role
from app.services.assessment import draw_sample
from tests.e2e.conftest import enrol_authenticator, password_step, serious_violations, sqlite_app
from tests.factories.assessment import AS_OF, assessment_cohort
from tests.web.sign_in import make_user

VIEWPORT = {"width": 1024, "height": 900}


@pytest.fixture
def e2e_app(tmp_path: Path) -> Iterator[Flask]:
    """The app on a SQLite file, CSRF protection on, an assessor and a sample of four calls."""
    from datetime import UTC, datetime

    with sqlite_app(tmp_path / "e2e.db", WTF_CSRF_ENABLED=True) as app:
        assessment_cohort()
        draw_sample(AS_OF, 4, seed=5, service_code=None, actor="test", now=datetime(2026, 11, 20, 12, tzinfo=UTC))
        make_user(Role.ASSESSOR)
        db.session.remove()
        yield app


def test_an_assessor_s_day(e2e_app: Flask, base_url: str, browser: Any) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    page = context.new_page()
    password_step(page, base_url, "assessor@example.org")
    assert page.url == f"{base_url}/account/totp/enrol"
    enrol_authenticator(page)
    assert page.url == f"{base_url}/assess"

    assert page.get_by_role("heading", level=1).inner_text() == "Your calls"
    assert page.locator("tbody tr").count() == 4
    assert "generalised anxiety" in page.inner_text("main")
    page.get_by_role("link", name="Start the next call").click()
    first = page.url
    assert "/assess/calls/" in first
    assert "07400" not in page.inner_text("main")

    page.get_by_role("button", name="Show the phone number").click()
    assert "Phone number: 07400 1" in page.inner_text("main")  # as dialled in the UK
    number = page.get_by_role("link", name=re.compile(r"^07400 1\d{5}$"))
    assert re.fullmatch(r"tel:\+447400\d{6}", number.get_attribute("href") or "")
    with e2e_app.app_context():
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
    # The number shown stays on the page with the problems (no JavaScript here), and no second reveal is written.
    assert "Phone number: 07400 1" in page.inner_text("main")
    assert page.get_by_role("button", name="Show the phone number").count() == 0
    with e2e_app.app_context():
        reveals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "assessment.phone_reveal")).all()
        assert len(reveals) == 1
        db.session.remove()

    from datetime import date

    page.get_by_label("Date of the interview").fill(date.today().isoformat())
    page.get_by_label("Since when has it not").fill("10 weeks")
    page.get_by_role("button", name="Save the interview").click()
    assert page.url != first and "/assess/calls/" in page.url
    assert "interview saved" in page.inner_text("main")
    with e2e_app.app_context():
        statuses = list(db.session.scalars(select(AssessmentCall.status).order_by(AssessmentCall.id)))
        assert statuses.count("reached") == 1
        db.session.remove()
    cookies = context.cookies()
    context.close()

    # axe-core runs as script: this context allows it (the pages themselves have none).
    checked = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    checked.add_cookies(cookies)
    page = checked.new_page()
    for path in ("/assess", first.removeprefix(base_url), page_of_next(base_url, first)):
        page.goto(f"{base_url}{path}")
        serious, report = serious_violations(page)
        assert serious == [], f"{path}: {report}"
    checked.close()


def page_of_next(base_url: str, done: str) -> str:
    """Another call's page (with its interview form), not the one just recorded."""
    number = int(done.rsplit("/", 1)[1])
    return f"/assess/calls/{number + 1 if number < 4 else 1}"
