"""Page layout in a real browser (Debian Chromium through Playwright) at 1280 px: the header, main and footer
share one width on every kind of page, and the dates and "12% to 29%" intervals of /published and /reports/
stay on one line each.

The app runs in a thread on 127.0.0.1 with werkzeug's server, on a SQLite file holding one release; signed-in
pages get the session cookie of a test client that signed in through the real pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import Area, Release, Role, User
from app.services.publication import releases
from tests.e2e.conftest import session_cookie, sqlite_app
from tests.factories import NOW
from tests.factories.cohorts import AS_OF, seed_releasable
from tests.web.sign_in import make_user

VIEWPORT = {"width": 1280, "height": 900}
INTERVAL = re.compile(r"^\d+% to \d+%$")

#: The widths and left edges of the page's header, main and footer.
BOXES = """() => ['header', 'main', 'footer'].map(tag => {
  const box = document.querySelector('body > ' + tag).getBoundingClientRect();
  return [tag, Math.round(box.left), Math.round(box.width)];
})"""
#: For each element, how many lines its text takes (distinct tops of its text's line boxes).
LINES = """elements => elements.map(element => {
  const range = document.createRange();
  range.selectNodeContents(element);
  const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
  return [element.textContent.trim(), tops.size];
})"""


@pytest.fixture
def e2e_app(tmp_path: Path) -> Iterator[Flask]:
    with sqlite_app(tmp_path / "e2e.db") as app:
        seed_releasable()
        releases.create_release(AS_OF, "all", None, "test", NOW, title="Figures for autumn 2026")
        releases.create_release(AS_OF, "area", "NE", "test", NOW)
        db.session.remove()
        yield app


def cookie_of(app: Flask, base_url: str, role: Role) -> dict[str, str]:
    """The session cookie of a user of the role, signed in through the real pages."""

    def user() -> User:
        area = db.session.query(Area).filter_by(code="NE").one() if role is Role.COMMISSIONER else None
        return make_user(role, f"layout-{role.value}@example.org", area=area)

    return session_cookie(app, base_url, user)


def release_id(app: Flask) -> int:
    with app.app_context():
        found = db.session.query(Release).filter_by(scope_kind="all").one().id
        db.session.remove()
        return int(found)


def open_page(browser: Any, url: str, cookie: dict[str, str] | None = None) -> Any:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)
    if cookie:
        context.add_cookies([cookie])
    page = context.new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    return page


def test_header_main_and_footer_share_one_width(e2e_app: Flask, base_url: str, browser: Any) -> None:
    pages = [
        (f"{base_url}/", None),
        (f"{base_url}/published", None),
        (f"{base_url}/published/{release_id(e2e_app)}", None),
        (f"{base_url}/evaluate", cookie_of(e2e_app, base_url, Role.EVALUATOR)),
        (f"{base_url}/reports/", cookie_of(e2e_app, base_url, Role.COMMISSIONER)),
    ]
    for url, cookie in pages:
        page = open_page(browser, url, cookie)
        boxes = page.evaluate(BOXES)
        assert len({(left, width) for _, left, width in boxes}) == 1, (url, boxes)
        assert boxes[0][2] <= VIEWPORT["width"], (url, boxes)
        page.context.close()


def test_intervals_and_dates_on_published_pages_stay_on_one_line(e2e_app: Flask, base_url: str, browser: Any) -> None:
    page = open_page(browser, f"{base_url}/published/{release_id(e2e_app)}")
    cells = page.locator("td").element_handles()
    intervals = [cell for cell in cells if INTERVAL.match(cell.text_content().strip())]
    assert len(intervals) >= 3  # the durable-recovery table has three
    lines = page.evaluate(LINES, intervals)
    assert all(count == 1 for _, count in lines), lines
    for cell in intervals:
        line_height = float(cell.evaluate("e => parseFloat(getComputedStyle(e.firstElementChild || e).lineHeight)"))
        height = float(cell.evaluate("e => (e.firstElementChild || e).getBoundingClientRect().height"))
        assert height <= line_height * 1.2, (cell.text_content(), height, line_height)
    page.context.close()

    index = open_page(browser, f"{base_url}/published")
    dates = index.locator("td time").element_handles()
    assert len(dates) == 4  # two releases, each with its as-of and published dates
    assert all(count == 1 for _, count in index.evaluate(LINES, dates))
    index.context.close()


def test_dates_on_the_reports_page_stay_on_one_line(e2e_app: Flask, base_url: str, browser: Any) -> None:
    page = open_page(browser, f"{base_url}/reports/", cookie_of(e2e_app, base_url, Role.COMMISSIONER))
    dates = page.locator("td time").element_handles()
    assert len(dates) == 2  # the area's release: its as-of and published dates
    assert all(count == 1 for _, count in page.evaluate(LINES, dates))
    page.context.close()
