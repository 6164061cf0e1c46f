"""The web survey and the unsubscribe pages in Welsh in a real browser (Debian Chromium through Playwright):
no JavaScript, 320 pixels wide, axe-core on every page, a Welsh client's survey submitted end to end with its
answers stored (SPEC 8.3). Chromium must be installed (`apt-get install chromium`; CI does): never skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import CheckIn, ContactPoint
from tests.e2e.conftest import no_horizontal_scroll, survey_app, survey_token
from tests.factories import row
from tests.factories.languages import english_left_in

VIEWPORT = {"width": 320, "height": 640}


@pytest.fixture
def e2e_app(tmp_path: Path, fake_twilio: Any, smtp_sink: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """An app on a SQLite file with one Welsh (cy) client emailed a check-in, CSRF on, its clock a day later."""
    client = row(discharge_date="2026-09-07", phone="", preferred_channel="email", language="cy")
    with survey_app(tmp_path / "e2e-cy.db", [client], fake_twilio, smtp_sink, monkeypatch) as app:
        yield app


def unsubscribe_path(sink: Any) -> str:
    text = sink.messages[-1].message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://[^/\s]+(/u/\S+)", text).group(1)


def test_the_welsh_survey_and_unsubscribe_pages_pass_axe_and_store_the_answers(
    e2e_app: Flask, base_url: str, browser: Any, smtp_sink: Any
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    token = survey_token()
    # axe-core runs as script: this context allows it (the pages themselves have none) at the same width.
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    page = context.new_page()

    def check(name: str) -> None:
        assert page.evaluate("document.documentElement.lang") == "cy", name
        assert not english_left_in(page.inner_text("body")), name
        assert no_horizontal_scroll(page), name
        results = axe.run(page)
        assert results.violations_count == 0, f"{name}: {results.generate_report()}"

    response = page.goto(f"{base_url}/s/{token}")
    assert response is not None and response.status == 200
    assert page.title() == "Ychydig o gwestiynau byr - Stillwell"
    check("form")
    assert page.get_by_role("link", name="English").get_attribute("href") == f"/s/{token}?lang=en"

    page.get_by_label("Llawer gwaeth").check()
    page.get_by_label("Rhif").fill("3")  # a number without a unit
    page.get_by_role("button", name="Anfon fy atebion").click()
    assert page.title() == "Gwall: Ychydig o gwestiynau byr - Stillwell"
    summary = page.get_by_role("alert")
    assert "Dewiswch ddiwrnodau, wythnosau, misoedd neu flynyddoedd" in summary.inner_text()
    check("form with errors")

    page.get_by_label("Diwrnodau, wythnosau, misoedd neu flynyddoedd").select_option("weeks")
    page.get_by_label("Gan amlaf, dim ond ychydig o symptomau ysgafn").check()
    page.get_by_label("Oes unrhyw beth arall yr hoffech ei ddweud wrthym? (dewisol)").fill("Rwy'n iawn, diolch.")
    page.get_by_role("button", name="Anfon fy atebion").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Diolch"
    check("thank-you")

    db.session.expire_all()
    check_in = db.session.scalars(select(CheckIn)).one()
    assert (check_in.change, check_in.usual_self, check_in.duration_start) == (
        "much_worse",
        "mostly",
        date(2026, 9, 15),
    )
    assert check_in.survey_submitted_at is not None
    db.session.remove()

    page.goto(f"{base_url}/s/{token}")
    assert page.get_by_role("heading", level=1).inner_text() == "Rydych chi wedi ateb yn barod"
    check("already answered")

    unsubscribe = unsubscribe_path(smtp_sink)
    page.goto(f"{base_url}{unsubscribe}")
    assert page.get_by_role("heading", level=1).inner_text() == "Atal y negeseuon hyn?"
    check("unsubscribe: confirm")
    page.get_by_role("button", name="Atal negeseuon").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Fyddwch chi ddim yn cael rhagor o negeseuon"
    check("unsubscribe: stopped")
    assert all(point.opted_out_at for point in db.session.scalars(select(ContactPoint)))
    db.session.remove()
    page.get_by_role("button", name="Dechrau negeseuon eto").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Bydd negeseuon yn dechrau eto"
    check("unsubscribe: resumed")
    context.close()
