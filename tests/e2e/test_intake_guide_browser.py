"""Service staff find the CSV format in a real browser: /submit links the intake guide, the guide lists every
column, and the template it offers downloads and passes a check upload. No JavaScript, the real content
security policy, a 320-pixel screen; axe-core finds no serious or critical problem on the guide."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.domain.discharge_columns import COLUMN_TABLE, template_csv
from app.extensions import db
from app.models import Role
from tests.e2e.conftest import password_step, serious_violations, sqlite_app, watch_policy
from tests.factories import make_service
from tests.web.sign_in import make_user

VIEWPORT = {"width": 320, "height": 640}


@pytest.fixture
def e2e_app(tmp_path: Path) -> Iterator[Flask]:
    """The app on a SQLite file with CSRF protection on, one service and one member of its staff."""
    with sqlite_app(tmp_path / "e2e.db", WTF_CSRF_ENABLED=True) as app:
        make_service()
        make_user(Role.SERVICE_SUBMITTER)
        db.session.remove()
        yield app


def sign_in(page: Any, base_url: str) -> None:
    password_step(page, base_url, "service_submitter@example.org")
    assert page.url == f"{base_url}/submit"


def test_staff_follow_the_link_to_the_guide_and_check_the_template(base_url: str, browser: Any, tmp_path: Path) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    violations = watch_policy(page)
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
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)  # axe-core runs as script
    page = context.new_page()
    sign_in(page, base_url)
    page.goto(f"{base_url}/submit/guide")
    serious, report = serious_violations(page)
    assert not serious, report
    context.close()
