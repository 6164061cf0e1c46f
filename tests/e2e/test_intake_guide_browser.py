"""Service staff find the CSV format in a real browser: /submit links the intake guide, the guide lists every
column, and the template it offers downloads and passes a check upload. No JavaScript, the real content
security policy, a 320-pixel screen; axe-core finds no serious or critical problem on the guide."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.domain.discharge_columns import COLUMN_TABLE, template_csv
from app.extensions import db
from app.models import Role
from config import TestingConfig
from tests.e2e.conftest import served
from tests.factories import make_service
from tests.web.sign_in import LIGHT_HASHER, PASSWORD, make_user

VIEWPORT = {"width": 320, "height": 640}


@pytest.fixture
def base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app on a SQLite file with CSRF protection on, one service and one member of its staff."""
    monkeypatch.setattr("app.security.passwords._hasher", LIGHT_HASHER)
    app: Flask = create_app(
        TestingConfig,
        overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.db'}", "WTF_CSRF_ENABLED": True},
    )
    with app.app_context():
        db.create_all()
        make_service()
        make_user(Role.SERVICE_SUBMITTER)
        db.session.remove()
        with served(app, "intake-guide-e2e") as url:
            yield url
        db.session.remove()
        db.engine.dispose()


def sign_in(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email address").fill("service_submitter@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url == f"{base_url}/submit"


def test_staff_follow_the_link_to_the_guide_and_check_the_template(base_url: str, browser: Any, tmp_path: Path) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    sign_in(page, base_url)
    page.get_by_role("link", name="the intake guide").click()
    assert page.url == f"{base_url}/submit/guide"
    assert page.get_by_role("heading", level=1).inner_text() == "Intake guide: the discharge list"
    table = page.get_by_role("table")
    for item in COLUMN_TABLE:
        row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=item.name, exact=True))
        assert row.count() == 1, item.name
        text = row.inner_text()
        assert item.example in text and item.rules[0] in text
    with page.expect_download() as download_info:
        page.get_by_role("link", name="template CSV").first.click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_text(encoding="utf-8") == template_csv()

    page.goto(f"{base_url}/submit")
    page.get_by_label("Discharge list (CSV file)").set_input_files(str(saved))
    page.get_by_label("Only check the file: do not import anything").check()
    page.get_by_role("button", name="Upload").click()
    assert page.url == f"{base_url}/submit"
    assert f"{saved.name} is fine" in page.inner_text("main")
    assert not violations, violations
    context.close()


def test_the_guide_has_no_serious_axe_violations(base_url: str, browser: Any) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)  # axe-core runs as script
    page = context.new_page()
    sign_in(page, base_url)
    page.goto(f"{base_url}/submit/guide")
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, results.generate_report()
    context.close()
