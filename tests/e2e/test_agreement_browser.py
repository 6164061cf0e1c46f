"""The dashboard's agreement panel in a real browser (Debian Chromium through Playwright): with interviews and
without, axe-core finds no serious or critical violation, and the panel's tables are read by their captions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import Role
from app.services.statistics import dashboard
from tests.e2e.conftest import serious_violations, session_cookie, sqlite_app
from tests.factories.agreement import seed_agreement
from tests.factories.cohorts import AS_OF
from tests.web.sign_in import make_user

VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture
def e2e_app(tmp_path: Path) -> Iterator[Flask]:
    with sqlite_app(tmp_path / "e2e.db") as app:
        seed_agreement()
        dashboard.clear_cache()
        db.session.remove()
        yield app


@pytest.fixture
def evaluator_cookie(e2e_app: Flask, base_url: str) -> dict[str, str]:
    return session_cookie(e2e_app, base_url, lambda: make_user(Role.EVALUATOR, "e2e-agreement@example.org"))


def test_the_agreement_panel_is_accessible_with_and_without_interviews(
    base_url: str, evaluator_cookie: dict[str, str], browser: Any
) -> None:
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    context.add_cookies([evaluator_cookie])
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
        serious, report = serious_violations(page)
        assert serious == [], f"{path}: {report}"
    context.close()
