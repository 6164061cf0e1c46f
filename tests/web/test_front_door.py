"""The front door: the home page's links, the evaluators' tabs to releases, the favicon on every page, and
links shown by the access rule of the page they lead to (`may_visit`)."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from app.models import Role
from tests.factories import make_service
from tests.web.sign_in import light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]


def links(page: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', page))


def test_the_home_page_links_to_sign_in_and_to_the_published_figures(app: Flask) -> None:
    page = app.test_client().get("/").get_data(as_text=True)
    assert {"/login", "/published", "/help"} <= links(page)
    assert ">Sign in</a>" in page


def test_the_home_page_sends_a_signed_in_user_to_their_pages(app: Flask) -> None:
    make_service()
    client = app.test_client()
    sign_in(client, make_user(Role.SERVICE_SUBMITTER))
    page = client.get("/").get_data(as_text=True)
    assert "/submit" in links(page) and ">Sign in</a>" not in page and "/published" in links(page)


def test_the_evaluators_tabs_reach_releases_and_creating_one(app: Flask) -> None:
    make_service()
    client = app.test_client()
    sign_in(client, make_user(Role.EVALUATOR))
    for path in ("/evaluate", "/evaluate/responses", "/evaluate/methodology"):
        page = client.get(path).get_data(as_text=True)
        nav = page.split('aria-label="Evaluation"')[1].split("</nav>")[0]
        assert {"/published", "/published/new"} <= links(nav), path
        assert ">Releases</a>" in nav and ">Create a release</a>" in nav


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (None, False),
        (Role.EVALUATOR, True),
        (Role.ADMIN, False),
        (Role.COMMISSIONER, False),
        (Role.SERVICE_SUBMITTER, False),
    ],
)
def test_create_a_release_is_offered_exactly_to_whom_the_page_lets_in(
    app: Flask, role: Role | None, shown: bool
) -> None:
    make_service()
    client = app.test_client()
    if role is not None:
        sign_in(client, make_user(role))
    page = client.get("/published").get_data(as_text=True)
    assert ('href="/published/new"' in page) is shown
    let_in = client.get("/published/new").status_code == 200
    assert let_in is shown


@pytest.mark.parametrize("path", ["/", "/help", "/published", "/login", "/published/methodology"])
def test_every_page_links_an_icon_that_exists(app: Flask, path: str) -> None:
    client = app.test_client()
    page = client.get(path).get_data(as_text=True)
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert "/favicon.ico" in icons and any(icon.endswith(".svg") for icon in icons)
    for icon in icons:
        response = client.get(icon)
        assert response.status_code == 200, icon
        assert response.mimetype in ("image/svg+xml", "image/vnd.microsoft.icon"), icon


def test_favicon_ico_is_an_icon(app: Flask) -> None:
    response = app.test_client().get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # the ICO header: reserved 0, type 1 (icon)
    assert "max-age" in response.headers["Cache-Control"] and "no-store" not in response.headers["Cache-Control"]
