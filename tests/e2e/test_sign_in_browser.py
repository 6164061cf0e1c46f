"""Signing in with a real browser (Debian Chromium through Playwright), under the real content security policy.

An evaluator enrols an authenticator from the key shown on the page (the code computed with pyotp, as a
phone would), signs out, and signs in again with a fresh code; a service submitter signs in with a
password. Both land on their home pages. No page may break the policy (the browser reports violations
on its console), and axe-core finds no serious or critical problem on the sign-in pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect

from app.extensions import db
from app.models import Role
from tests.e2e.conftest import (
    enrol_authenticator,
    fresh_code,
    password_step,
    serious_violations,
    sqlite_app,
    watch_policy,
)
from tests.factories import make_service
from tests.web.sign_in import PASSWORD, make_user

VIEWPORT = {"width": 320, "height": 640}


@pytest.fixture
def e2e_app(tmp_path: Path) -> Iterator[Flask]:
    """The app on a SQLite file, CSRF protection on, and one user of each role."""
    with sqlite_app(tmp_path / "e2e.db", WTF_CSRF_ENABLED=True) as app:
        make_service()
        make_user(Role.EVALUATOR)
        make_user(Role.SERVICE_SUBMITTER)
        make_user(Role.COMMISSIONER)
        make_user(Role.ADMIN)
        db.session.remove()
        yield app


def test_an_evaluator_enrols_and_signs_in_with_a_code(base_url: str, browser: Any) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    violations = watch_policy(page)
    password_step(page, base_url, "evaluator@example.org")
    assert page.url == f"{base_url}/account/totp/enrol"
    # to_be_visible waits (is_visible would not): on a busy machine the image may not be laid out yet
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    used: set[str] = set()
    secret = enrol_authenticator(page, used)
    assert page.url.startswith(f"{base_url}/evaluate")
    assert "authenticator app is set up" in page.inner_text("main")

    page.get_by_role("button", name="Sign out").click()
    assert page.url == f"{base_url}/login"
    assert "You have signed out" in page.inner_text("main")
    assert page.goto(f"{base_url}/evaluate").url.startswith(f"{base_url}/login?next=")  # type: ignore[union-attr]

    password_step(page, base_url, "evaluator@example.org")
    assert page.url == f"{base_url}/login/totp"
    page.get_by_label("Code").fill(fresh_code(secret, used))
    page.get_by_role("button", name="Continue").click()
    assert page.url.startswith(f"{base_url}/evaluate")
    assert not violations, violations
    context.close()


def test_a_service_submitter_signs_in_without_javascript(base_url: str, browser: Any) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    page = context.new_page()
    violations = watch_policy(page)
    password_step(page, base_url, "service_submitter@example.org")
    assert page.url == f"{base_url}/submit"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Discharge lists for")
    assert page.locator("script").count() == 0
    assert not violations, violations
    context.close()


def test_a_commissioner_signs_in_to_their_own_areas_reports(base_url: str, browser: Any) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    page = context.new_page()
    violations = watch_policy(page)
    password_step(page, base_url, "commissioner@example.org")
    assert page.url == f"{base_url}/reports/"
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading.startswith("Monthly reports: ")  # their area, named
    assert "no report" in page.inner_text("main").lower()  # none built yet: the empty state says so
    assert page.goto(f"{base_url}/evaluate").status == 403  # type: ignore[union-attr]
    assert not violations, violations
    context.close()


def test_an_admin_enrols_a_second_factor_and_manages_users_but_sees_no_answers(base_url: str, browser: Any) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    violations = watch_policy(page)
    password_step(page, base_url, "admin@example.org")
    assert page.url == f"{base_url}/account/totp/enrol"
    enrol_authenticator(page)
    assert page.url.startswith(f"{base_url}/admin")
    assert page.get_by_role("heading", level=1).inner_text() == "Areas and services"
    page.goto(f"{base_url}/admin/users")
    assert "evaluator@example.org" in page.inner_text("main")
    assert page.goto(f"{base_url}/evaluate/responses").status == 403  # type: ignore[union-attr]
    assert not violations, violations
    context.close()


def test_a_wrong_password_is_explained_without_saying_if_the_account_exists(base_url: str, browser: Any) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.get_by_label("Email address").fill("evaluator@example.org")
    page.get_by_label("Password").fill("not the right password")
    page.get_by_role("button", name="Sign in").click()
    assert page.title().startswith("Error: ")
    assert "were not right" in page.get_by_role("alert").inner_text()
    context.close()


def test_sign_in_pages_have_no_serious_axe_violations(base_url: str, browser: Any) -> None:
    # axe-core runs as script: this context allows it (the pages themselves have none).
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    page = context.new_page()

    def check(name: str) -> None:
        serious, report = serious_violations(page)
        assert not serious, f"{name}: {report}"

    page.goto(f"{base_url}/help")
    check("about our messages")
    page.goto(f"{base_url}/login")
    check("sign-in")
    page.get_by_role("button", name="Sign in").click()  # nothing filled in: errors
    assert page.title().startswith("Error: ")
    check("sign-in with errors")
    password_step(page, base_url, "evaluator@example.org")
    check("authenticator enrolment")
    page.goto(f"{base_url}/login")
    password_step(page, base_url, "service_submitter@example.org")
    assert page.url == f"{base_url}/submit"
    check("submitter home")
    page.goto(f"{base_url}/submit/withdraw")
    check("withdraw")
    context.close()


def test_a_user_changes_their_password_and_the_account_pages_pass_axe(base_url: str, browser: Any) -> None:
    new_password = "a brand new passphrase for stillwell"
    # Without JavaScript, under the real policy: the whole change works by forms alone.
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    page = context.new_page()
    violations = watch_policy(page)
    password_step(page, base_url, "service_submitter@example.org")
    page.get_by_role("link", name="Your account").click()
    assert page.url == f"{base_url}/account"
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"
    page.get_by_role("link", name="Change your password").click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("New password again").fill(new_password)
    page.get_by_role("button", name="Change password").click()
    assert page.url == f"{base_url}/account"
    assert "Your password has been changed" in page.inner_text("main")
    assert page.locator("script").count() == 0
    assert not violations, violations
    context.close()

    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)  # axe-core itself is a script
    page = context.new_page()

    def check(name: str) -> None:
        serious, report = serious_violations(page)
        assert not serious, f"{name}: {report}"

    password_step(page, base_url, "service_submitter@example.org", new_password)
    assert page.url == f"{base_url}/submit"
    page.goto(f"{base_url}/account")
    check("account")
    page.goto(f"{base_url}/account/password")
    check("change password")
    page.get_by_label("New password", exact=True).fill("too short")
    page.get_by_role("button", name="Change password").click()
    assert page.title().startswith("Error: ")
    assert "at least 12 characters" in page.get_by_role("alert").inner_text()
    check("change password with errors")
    context.close()
