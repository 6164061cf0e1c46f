"""The intake guide (/submit/guide) and the template CSV (/submit/template.csv), both from the column table."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import func, select

from app.domain.discharge_columns import COLUMN_TABLE, COLUMNS, FILE_RULES, template_csv
from app.extensions import db
from app.models import Episode, Role
from tests.factories import make_service, run_import
from tests.web.sign_in import light_password_hashing, make_user, sign_in

pytestmark = pytest.mark.usefixtures("light_password_hashing")
__all__ = ["light_password_hashing"]


@pytest.fixture
def staff(app: Flask) -> FlaskClient:
    make_service()
    client = app.test_client()
    sign_in(client, make_user(Role.SERVICE_SUBMITTER))
    return client


def test_the_guide_gives_every_column_its_rules_and_an_example(staff: FlaskClient) -> None:
    response = staff.get("/submit/guide")
    assert response.status_code == 200
    page = response.data.decode()
    for item in COLUMN_TABLE:
        row = re.search(rf'<tr id="column-{item.name}">(.*?)</tr>', page, re.S)
        assert row, f"the guide has no row for {item.name}"
        cells = row.group(1)
        assert f"<code>{item.name}</code>" in cells and item.status.capitalize() in cells
        assert f"<code>{escape(item.example)}</code>" in cells
        for rule in (item.meaning, *item.rules):
            assert str(escape(rule)) in cells, rule
    for rule in FILE_RULES:
        assert str(escape(rule)) in page
    assert 'href="/submit/template.csv"' in page


def test_submit_links_the_intake_guide_and_the_template(staff: FlaskClient) -> None:
    page = staff.get("/submit").data.decode()
    assert '<a href="/submit/guide">the intake guide</a>' in page
    assert 'href="/submit/template.csv"' in page


def test_the_template_csv_downloads_as_the_header_and_one_row(staff: FlaskClient) -> None:
    response = staff.get("/submit/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.data.decode() == template_csv()
    records = list(csv.reader(io.StringIO(response.data.decode())))
    assert records[0] == list(COLUMNS) and len(records) == 2


def test_the_template_row_passes_the_real_importer_in_a_dry_run(staff: FlaskClient) -> None:
    data = staff.get("/submit/template.csv").data
    result = run_import(data, dry_run=True)
    assert result.dry_run and (result.created, result.updated, result.unchanged) == (1, 0, 0)
    assert db.session.scalar(select(func.count()).select_from(Episode)) == 0


def test_the_template_uploaded_as_a_check_is_fine(staff: FlaskClient) -> None:
    data = staff.get("/submit/template.csv").data
    form = {"discharge_list": (io.BytesIO(data), "template.csv"), "dry_run": "y"}
    response = staff.post("/submit/upload", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    assert "template.csv is fine" in staff.get("/submit").data.decode()


@pytest.mark.parametrize("path", ["/submit/guide", "/submit/template.csv"])
def test_the_guide_and_template_are_for_service_staff(app: Flask, path: str) -> None:
    assert app.test_client().get(path).status_code == 302  # anonymous: sign in first
    evaluator = app.test_client()
    sign_in(evaluator, make_user(Role.EVALUATOR))
    assert evaluator.get(path).status_code == 403


def test_the_guide_and_the_template_list_the_case_mix_columns(staff: FlaskClient) -> None:
    page = staff.get("/submit/guide").data.decode()
    header = staff.get("/submit/template.csv").data.decode().splitlines()[0].split(",")
    for name, values in (
        ("age_band", "16-17, 18-25, 26-35, 36-45, 46-55, 56-65, 66+"),
        ("sex", "female, male, other, unknown"),
        ("imd_decile", "A whole number from 1 to 10."),
    ):
        assert name in header
        cells = re.search(rf'<tr id="column-{name}">(.*?)</tr>', page, re.S)
        assert cells and values in cells.group(1) and "Optional" in cells.group(1)
