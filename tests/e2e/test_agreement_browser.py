"""The dashboard's agreement panel in a real browser (Debian Chromium through Playwright): with interviews and
without, axe-core finds no serious or critical violation, and the panel's tables are read by their captions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.extensions import db
from app.models import Role
from app.services.statistics import dashboard
from config import TestingConfig
from tests.e2e.conftest import served
from tests.factories.agreement import seed_agreement
from tests.factories.cohorts import AS_OF
from tests.web.sign_in import make_user, sign_in

VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture
def agreement_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(TestingConfig, overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.db'}"})
    with app.app_context():
        db.create_all()
        seed_agreement()
        dashboard.clear_cache()
        db.session.remove()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def base_url(agreement_app: Flask) -> Iterator[str]:
    with served(agreement_app, "agreement-e2e") as url:
        yield url


@pytest.fixture
def session_cookie(agreement_app: Flask, base_url: str) -> dict[str, str]:
    with agreement_app.app_context():
        client = agreement_app.test_client()
        sign_in(client, make_user(Role.EVALUATOR, "e2e-agreement@example.org"))
        cookie = client.get_cookie(agreement_app.config.get("SESSION_COOKIE_NAME", "session"))
        assert cookie is not None
        db.session.remove()
        return {"name": cookie.key, "value": cookie.value, "url": base_url}


def test_the_agreement_panel_is_accessible_with_and_without_interviews(
    base_url: str, session_cookie: dict[str, str], browser: Any
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    context.add_cookies([session_cookie])
    page = context.new_page()
    for path, interviewed in ((f"/evaluate?as_of={AS_OF}", True), ("/evaluate?as_of=2026-10-30", False)):
        response = page.goto(f"{base_url}{path}")
        assert response is not None and response.status == 200, path
        heading = page.get_by_role("heading", name="Agreement with the independent assessor")
        assert heading.count() == 1
        tables = page.get_by_role("table", name="Durable recovery: the texts against the assessor (11 people)")
        assert tables.count() == (1 if interviewed else 0)
        if interviewed:
            table = page.get_by_role("table", name="How well the texts agree with the assessor")
            assert "Cohen's kappa" in table.inner_text()
        else:
            assert page.get_by_role("status").filter(has_text="No interviews yet").count() == 1
        results = axe.run(page)
        serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        assert serious == [], f"{path}: {results.generate_report()}"
    context.close()
