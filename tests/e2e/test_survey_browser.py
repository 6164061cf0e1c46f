"""The web survey in a real browser (Debian Chromium through Playwright): no JavaScript, 320 pixels wide, axe-core.

The app runs in a thread on 127.0.0.1 with werkzeug's server, on a SQLite file, with CSRF protection on.
Chromium must be installed (`apt-get install chromium`; CI does): without it these tests fail, never skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import CheckIn
from tests.e2e.conftest import no_horizontal_scroll, survey_app, survey_token
from tests.factories import row

VIEWPORT = {"width": 320, "height": 640}


@pytest.fixture
def e2e_app(tmp_path: Path, fake_twilio: Any, smtp_sink: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app on a SQLite file with two open check-ins (two clients), CSRF on, its clock one day after sending."""
    rows = [
        row(discharge_date="2026-09-07"),
        row(client_ref="C0002", phone="07400 654321", email="person2@example.org", discharge_date="2026-09-07"),
    ]
    with survey_app(tmp_path / "e2e.db", rows, fake_twilio, smtp_sink, monkeypatch) as app:
        yield app


def fill_in(page: Any) -> None:
    page.get_by_label("A little better").check()
    page.get_by_label("Number").fill("3")
    page.get_by_label("Days, weeks, months or years").select_option("weeks")
    page.get_by_label("Mostly, only mild symptoms left").check()
    page.get_by_label("Anything else you would like to tell us? (optional)").fill("Thanks for asking.")


def test_survey_without_javascript_on_a_narrow_screen(e2e_app: Flask, base_url: str, browser: Any) -> None:
    token = survey_token("C0001")
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORT)
    page = context.new_page()
    response = page.goto(f"{base_url}/s/{token}")
    assert response is not None and response.status == 200
    assert page.title() == "A few short questions - Stillwell"
    assert no_horizontal_scroll(page)
    assert page.locator("script").count() == 0

    page.get_by_role("button", name="Send my answers").click()  # nothing chosen: change is required
    assert page.title().startswith("Error: ")
    summary = page.get_by_role("alert")
    assert "Choose how you are now" in summary.inner_text()
    assert summary.get_by_role("link").get_attribute("href") == "#change-much_better"
    assert no_horizontal_scroll(page)

    fill_in(page)
    page.get_by_role("button", name="Send my answers").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you"
    assert no_horizontal_scroll(page)

    db.session.expire_all()
    check_in = db.session.scalars(select(CheckIn).where(CheckIn.survey_submitted_at.is_not(None))).one()
    assert (check_in.change, check_in.usual_self) == ("a_little_better", "mostly")
    assert check_in.duration_start == date(2026, 9, 15)
    db.session.remove()

    again = page.goto(f"{base_url}/s/{token}")
    assert again is not None and again.status == 410
    assert "You have already answered" in page.inner_text("main")
    context.close()


def test_survey_pages_have_no_axe_violations(e2e_app: Flask, base_url: str, browser: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    token = survey_token("C0002")
    # axe-core runs as script: this context allows it (the pages themselves have none) at the same width.
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    page = context.new_page()

    def check(name: str) -> None:
        results = axe.run(page)
        assert results.violations_count == 0, f"{name}: {results.generate_report()}"

    page.goto(f"{base_url}/s/{token}")
    check("form")
    page.get_by_label("Much worse").check()
    page.get_by_label("Number").fill("3")  # a number without a unit
    page.get_by_role("button", name="Send my answers").click()
    assert page.title().startswith("Error: ")
    check("form with errors")
    page.get_by_label("Days, weeks, months or years").select_option("months")
    page.get_by_label("Anything else you would like to tell us? (optional)").fill("I feel like I want to die")
    page.get_by_role("button", name="Send my answers").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you"
    assert "If you need help now" in page.inner_text("main")
    check("thank-you with signposting")
    page.goto(f"{base_url}/s/{token}")
    check("already answered")
    page.goto(f"{base_url}/s/not-a-link")
    check("unknown link")
    context.close()
