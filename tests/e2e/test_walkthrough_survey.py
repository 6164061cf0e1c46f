"""A new user's walk through the demo's web survey, in Debian's Chromium: the link from `flask demo survey-link`,
320 pixels wide without JavaScript, and on a desktop with axe-core.

Chromium must be installed (`apt-get install chromium`; CI does): without it these tests fail, never skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client
from app.services import dispatch
from app.services.demo import seeding as demo
from tests.e2e.conftest import served, sqlite_app

SEEDED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NARROW = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def demo_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, datetime]]:
    """The demo, seeded small on a SQLite file with CSRF on; the first check-ins sent; the clock an hour later."""
    with sqlite_app(tmp_path / "demo.db", WTF_CSRF_ENABLED=True) as app:
        demo.seed(actor="test", now=SEEDED, today=SEEDED.date(), clients_per_service=8)
        first_due = db.session.scalars(select(CheckIn.due_at).order_by(CheckIn.due_at)).first()
        sent_at = first_due
        for day in range(8):
            sent_at = first_due + timedelta(days=day)
            if dispatch.tick(sent_at)["sent"]:
                break
        db.session.remove()
        later = sent_at + timedelta(hours=1)
        monkeypatch.setattr("app.web.survey.utcnow", lambda: later)
        yield app, later


def link_for_an_open_check_in(app: Flask, at: datetime) -> tuple[str, str]:
    """(client_ref, link) the way the README tells a new user: `flask demo survey-link --client REF`."""
    with app.app_context():
        ref = db.session.scalars(
            select(Client.client_ref)
            .join(CheckIn, CheckIn.client_id == Client.id)
            .where(CheckIn.status == CheckInStatus.OPEN, CheckIn.survey_submitted_at.is_(None))
            .order_by(Client.client_ref)
        ).first()
        assert ref is not None
        result = app.test_cli_runner().invoke(args=["demo", "survey-link", "--client", ref, "--at", at.isoformat()])
        assert result.exit_code == 0, result.output
        db.session.remove()
    return ref, result.output.strip()


def summary_focused(page: Any) -> None:
    """The error summary has the focus (autofocus applies once the page has rendered: wait up to 5 s)."""
    page.wait_for_function(
        "document.activeElement && document.activeElement.classList.contains('error-summary')",
        polling=50,
        timeout=5000,
    )


def local(link: str, base_url: str) -> str:
    return base_url + link[link.index("/s/") :]


def test_the_demo_survey_without_javascript_at_320_pixels(demo_app: tuple[Flask, datetime], browser: Any) -> None:
    app, later = demo_app
    ref, link = link_for_an_open_check_in(app, later)
    short_name = demo.SERVICE_BY_CODE[ref.split("-")[0]].short_name
    with served(app, "walkthrough-narrow") as base_url:
        context = browser.new_context(java_script_enabled=False, viewport=NARROW)
        page = context.new_page()
        response = page.goto(local(link, base_url))
        assert response is not None and response.status == 200
        intro = page.locator("main p").first.inner_text()
        # Named as the service the client used, never as if it were someone independent of it.
        assert f"Stillwell asks people who used {short_name} how they are now" in intro
        assert f"not to {short_name}" in intro
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

        page.get_by_role("button", name="Send my answers").click()
        assert page.title().startswith("Error: ")
        # Without JavaScript the error summary still takes the focus, so it is read out and tabbing starts there.
        summary_focused(page)

        page.get_by_label("Much better").check()
        page.get_by_label("Since I finished").check()
        page.get_by_label("Yes, completely").check()
        page.get_by_role("button", name="Send my answers").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Thank you"
        assert f"not to {short_name}" in page.inner_text("main")
        again = page.goto(local(link, base_url))
        assert again is not None and again.status == 410
        context.close()


def test_the_demo_survey_on_a_desktop_has_no_axe_violations(demo_app: tuple[Flask, datetime], browser: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    app, later = demo_app
    _, link = link_for_an_open_check_in(app, later)
    with served(app, "walkthrough-desktop") as base_url:
        context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
        page = context.new_page()

        def check(name: str) -> None:
            results = Axe().run(page)
            assert results.violations_count == 0, f"{name}: {results.generate_report()}"

        page.goto(local(link, base_url))
        check("form")
        page.get_by_role("button", name="Send my answers").click()
        summary_focused(page)
        check("form with the error summary focused")
        page.get_by_label("The same").check()
        page.get_by_role("button", name="Send my answers").click()
        check("thank-you")
        context.close()
