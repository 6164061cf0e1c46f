"""At a bilingual service, the web survey of a client whose row gives no language, in a real browser (Debian
Chromium through Playwright): Welsh first (Welsh Language Standards No. 7), the switch to English the first link,
axe-core on every page, no JavaScript, 320 pixels wide (SPEC 8.3, docs/languages.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import CheckIn
from tests.e2e.conftest import no_horizontal_scroll, survey_app, survey_token
from tests.factories import row
from tests.factories.languages import english_left_in

VIEWPORT = {"width": 320, "height": 640}


@pytest.fixture
def e2e_app(tmp_path: Path, fake_twilio: Any, smtp_sink: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """As `e2e_app`, at a bilingual service, for a client whose row gives no language."""
    client = row(discharge_date="2026-09-07", phone="", preferred_channel="email", language="")
    with survey_app(
        tmp_path / "e2e-bilingual.db", [client], fake_twilio, smtp_sink, monkeypatch, bilingual=True
    ) as app:
        yield app


def test_a_client_of_no_language_at_a_bilingual_service_gets_welsh_first_and_can_switch_to_english(
    e2e_app: Flask, base_url: str, browser: Any
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    token = survey_token()
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    page = context.new_page()

    def check(name: str, lang: str) -> None:
        assert page.evaluate("document.documentElement.lang") == lang, name
        assert no_horizontal_scroll(page), name
        results = axe.run(page)
        assert results.violations_count == 0, f"{name}: {results.generate_report()}"

    response = page.goto(f"{base_url}/s/{token}")
    assert response is not None and response.status == 200
    assert page.title() == "Ychydig o gwestiynau byr - Stillwell"
    assert not english_left_in(page.inner_text("body"))
    check("Welsh first", "cy")
    # The switch to English is offered first: the first link after "skip to content", above the questions.
    links = page.locator("a").all()
    assert [link.inner_text() for link in links[:2]] == ["Neidio i'r prif gynnwys", "English"]
    assert links[1].is_visible()
    links[1].click()
    assert page.title() == "A few short questions - Stillwell"
    check("English on request", "en-GB")
    page.get_by_label("A little better").check()
    page.get_by_label("Number").fill("3")
    page.get_by_label("Days, weeks, months or years").select_option("weeks")
    page.get_by_label("Yes, completely").check()
    page.get_by_role("button", name="Send my answers").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you"
    check("English thank-you", "en-GB")
    db.session.expire_all()
    check_in = db.session.scalars(select(CheckIn)).one()
    assert (check_in.change, check_in.usual_self) == ("a_little_better", "yes")
    db.session.remove()
    context.close()
