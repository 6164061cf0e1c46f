"""What every browser test shares: Debian's Chromium through Playwright, an app served on loopback, signing in
through the real pages (in the browser, or a test client's session cookie), and axe-core's serious findings.

Chromium must be installed (`apt-get install chromium`; CI does): without it these tests fail, never skip.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.models import CheckIn, Client, User
from app.services import dispatch
from app.services.dispatch.sending import new_survey_token
from config import TestingConfig
from tests.factories import csv_bytes, make_service, run_import
from tests.web.sign_in import PASSWORD, sign_in

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def served(app: Flask, name: str) -> Iterator[str]:
    """The app on 127.0.0.1 (werkzeug's threaded server, a free port) for as long as the block runs; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def base_url(e2e_app: Flask, request: pytest.FixtureRequest) -> Iterator[str]:
    """The module's `e2e_app` fixture served on loopback for the test; its base URL."""
    with served(e2e_app, request.module.__name__.rsplit(".", 1)[-1]) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (CI does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def sqlite_app(database: Path, **overrides: Any) -> Iterator[Flask]:
    """A test app on a SQLite file with a fresh schema, inside its app context for the block; disposed after."""
    app = create_app(TestingConfig, overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", **overrides})
    with app.app_context():
        db.create_all()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


#: When the survey tests' first check-ins are sent (Monday 10:00 in London), and the survey pages' clock after.
FIRST_SENT = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
LATER = FIRST_SENT + timedelta(days=1)


@contextmanager
def survey_app(
    database: Path,
    rows: list[dict[str, str]],
    fake_twilio: Any,
    smtp_sink: Any,
    monkeypatch: pytest.MonkeyPatch,
    **service_settings: object,
) -> Iterator[Flask]:
    """A `sqlite_app` with CSRF on and the fake Twilio and SMTP: `rows` imported into one service (4-week plan,
    and any other `service_settings`), every one's first check-in sent at FIRST_SENT, and the survey's clock at
    LATER."""
    monkeypatch.setattr("app.web.survey.utcnow", lambda: LATER)
    overrides = {"WTF_CSRF_ENABLED": True, "SEND_RATE_PER_SECOND": 500, **fake_twilio.config(), **smtp_sink.config()}
    with sqlite_app(database, **overrides) as app:
        make_service(plan="4", **service_settings)
        run_import(csv_bytes(rows), now=datetime(2026, 9, 30, 12, tzinfo=UTC))
        assert dispatch.tick(FIRST_SENT)["sent"] == len(rows)
        db.session.remove()
        yield app


def session_cookie(app: Flask, base_url: str, user: Callable[[], User]) -> dict[str, str]:
    """The session cookie (for `context.add_cookies`) of a test client that signed in through the real pages
    (password and TOTP) as the user `user()` creates."""
    with app.app_context():
        client = app.test_client()
        sign_in(client, user())
        cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
        assert cookie is not None
        db.session.remove()
        return {"name": cookie.key, "value": cookie.value, "url": base_url}


def password_step(page: Any, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Fill in and send /login as a person would (where it leads next is the caller's to check)."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def fresh_code(secret: str, used: set[str]) -> str:
    """The phone's current code, waiting for the next one if it was used already (codes work once)."""
    otp = pyotp.TOTP(secret)
    while (code := otp.now()) in used:
        time.sleep(1)
    used.add(code)
    return code


def enrol_authenticator(page: Any, used: set[str] | None = None) -> str:
    """On /account/totp/enrol: read the key shown, confirm with its current code (as a phone would); the key."""
    secret = str(page.locator("#secret").inner_text()).replace(" ", "")
    page.get_by_label("Code").fill(fresh_code(secret, set() if used is None else used))
    page.get_by_role("button", name="Confirm and sign in").click()
    return secret


def watch_policy(page: Any) -> list[str]:
    """Console messages about the content security policy (a blocked style or script) collect here."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security" in message.text else None,
    )
    return violations


def serious_violations(page: Any) -> tuple[list[dict[str, Any]], str]:
    """axe-core on the page as it is: its serious and critical violations, and the full report to show on failure.

    axe-core runs as script: open the page in a context with `bypass_csp=True` (the pages themselves have none).
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    return serious, results.generate_report()


def survey_token(client_ref: str | None = None) -> str:
    """A working link for the client's open check-in, or the only check-in when no client is named (dispatch
    only keeps the hash of the link it sent)."""
    token, token_hash = new_survey_token()
    query = select(CheckIn)
    if client_ref is not None:
        query = query.join(Client, Client.id == CheckIn.client_id).where(Client.client_ref == client_ref)
    db.session.scalars(query).one().survey_token_hash = token_hash
    db.session.commit()
    db.session.remove()
    return token


def no_horizontal_scroll(page: Any) -> bool:
    """The page fits its viewport's width (nothing to scroll sideways on a narrow phone)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"))
