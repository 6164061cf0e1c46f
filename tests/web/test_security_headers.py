"""Security headers on every response, and templates that a strict content security policy can serve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from app.models import Role
from app.security.headers import CONTENT_SECURITY_POLICY, SURVEY_POLICY
from config import ProductionConfig
from tests.conftest import make_app
from tests.factories import make_service
from tests.web.sign_in import light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
INLINE = re.compile(r"<style|\sstyle\s*=|<script|\son[a-z]+\s*=", re.IGNORECASE)
ANONYMOUS_PAGES = ["/", "/login", "/healthz", "/s/not-a-link", "/u/not-a-link", "/no-such-page", "/static/css/site.css"]


def assert_strict_headers(response: object, path: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    expected = SURVEY_POLICY if path.startswith("/s/") else EXPECTED_CSP
    assert headers["Content-Security-Policy"] == expected, path
    assert headers["X-Content-Type-Options"] == "nosniff", path
    assert headers["Referrer-Policy"] == "no-referrer", path
    assert headers["X-Frame-Options"] == "DENY", path
    assert "camera=()" in headers["Permissions-Policy"], path


def test_the_policy_is_the_one_documented() -> None:
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP
    assert "unsafe-inline" not in EXPECTED_CSP and "unsafe-eval" not in EXPECTED_CSP


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_every_response_carries_the_headers(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert_strict_headers(response, path)
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in development and tests


def test_the_survey_gets_a_stricter_policy_still(app: Flask) -> None:
    """Respondents' pages allow no script at all, and (unlike before) no inline style either."""
    response = app.test_client().get("/s/not-a-link")
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "script-src" not in policy and policy.startswith("default-src 'none'")
    assert "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"


def test_signed_in_pages_are_never_cached_and_public_ones_may_be(app: Flask) -> None:
    make_service()
    client = app.test_client()
    assert "no-store" not in app.test_client().get("/").headers.get("Cache-Control", "")
    assert app.test_client().get("/login").headers["Cache-Control"] == "no-store"
    sign_in(client, make_user(Role.SERVICE_SUBMITTER))
    for path in ("/submit", "/submit/withdraw", "/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store", path
        assert_strict_headers(response, path)


def test_production_sends_hsts(db_url: str) -> None:
    assert ProductionConfig.HSTS_SECONDS >= 31536000
    secure = make_app(db_url, HSTS_SECONDS=ProductionConfig.HSTS_SECONDS)
    response = secure.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def served_templates() -> list[Path]:
    """Every template a browser is served (documents rendered to PDF files are not pages)."""
    return [path for path in sorted(TEMPLATES.rglob("*.html")) if not path.name.endswith("_pdf.html")]


def test_no_template_has_inline_script_or_style() -> None:
    offenders = []
    for path in served_templates():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if INLINE.search(line):
                offenders.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    assert served_templates(), "no templates found"
    assert not offenders, "inline style or script (the CSP blocks it):\n" + "\n".join(offenders)


def test_rendered_pages_have_no_inline_script_or_style(app: Flask) -> None:
    make_service()
    pages = {path: app.test_client().get(path).data.decode() for path in ("/", "/login", "/s/not-a-link")}
    admin = app.test_client()
    sign_in(admin, make_user(Role.ADMIN))
    for path in ("/admin", "/admin/users", "/admin/users/new"):
        pages[path] = admin.get(path).data.decode()
    enrolling = app.test_client()
    make_user(Role.EVALUATOR)
    enrolling.post("/login", data={"email": "evaluator@example.org", "password": "correct horse battery staple"})
    pages["/account/totp/enrol"] = enrolling.get("/account/totp/enrol").data.decode()
    assert "<svg" in pages["/account/totp/enrol"]
    for path, html in pages.items():
        assert not INLINE.search(html), f"{path}: {INLINE.search(html)}"
        assert 'href="/static/css/site.css"' in html, path


def test_the_help_page_is_public_discreet_and_gives_the_crisis_numbers(app) -> None:
    """The HELP text points here: anyone may read it, it names no kind of treatment (someone else may open the
    link on the phone) and it says how to stop the messages and where to get urgent help."""
    from app.domain.discretion import forbidden_words_in

    response = app.test_client().get("/help")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for needle in ("STOP", "START", "999", "NHS 111", "116 123", "wrong number"):
        assert needle in page
    assert forbidden_words_in(page) == []
