"""The dashboard's "Agreement with the independent assessor" panel (SPEC 8.4): the 2x2 table and the figures
as `stats agreement` gives them for the same filters, the plain-words paragraph, how many interviews a useful
interval needs, the empty state, the CSV rows, and a fresh figure once an interview is recorded."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from flask.testing import FlaskClient

from app.domain.agreement import pairs_for_interval
from app.extensions import db
from app.models import CallStatus, Role
from app.services import statistics
from app.services.statistics import dashboard
from tests.factories.agreement import INTERVIEWED, seed_agreement
from tests.factories.cohorts import AS_OF, seed_releasable
from tests.web.sign_in import make_user, sign_in


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    dashboard.clear_cache()


@pytest.fixture
def evaluator(app) -> FlaskClient:
    client = app.test_client()
    sign_in(client, make_user(Role.EVALUATOR))
    return client


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(page: str) -> str:
    return page.split('<h2 id="agreement">')[1].split('<h2 id="wellness">')[0]


def test_the_panel_shows_the_figures_for_the_filters(evaluator):
    seed_agreement()
    page = evaluator.get(f"/evaluate?as_of={AS_OF}").get_data(as_text=True)
    panel = section(page)
    words = text_of(panel)
    expected = statistics.agreement(AS_OF)
    assert (
        '<caption id="table-agreement-2x2">Durable recovery: the texts against the assessor (11 people)</caption>'
        in panel
    )
    assert '<th scope="col" class="numeric">Assessor: durably recovered</th>' in panel
    assert "Texts: durably recovered 8 1 9" in words and "Texts: not durably recovered 1 1 2" in words
    assert "Total 9 2 11" in words
    assert "Percent agreement 9 11 81.8%" in words
    assert "Sensitivity of the texts 8 9 88.9%" in words
    assert "Specificity of the texts 1 2 50.0%" in words
    kappa = expected["kappa"]["estimate"]
    assert f"Cohen's kappa - 11 {kappa:.2f}" in words
    corrected = expected["corrected_itt_durable_recovery"]
    assert f"corrected for the texts' errors - - {corrected['estimate'] * 100:.1f}%" in words
    assert "agreed about 9 of 11 people (81.8%)" in words and "better than chance" in words
    assert "fair agreement in Landis and Koch's words" in words  # kappa 0.39
    assert "Rogan and Gladen" in words and "2,000 bootstrap resamples" in words
    assert "15 sampled, 11 interviewed, 1 declined, 1 not reached, 2 still to call" in words
    ten, five = pairs_for_interval(0.85, 0.9, 0.4, 1000, 0.10), pairs_for_interval(0.85, 0.9, 0.4, 1000, 0.05)
    assert (
        f"about {ten} interviewed people give the corrected figure a 95% interval of about ±10 percentage points"
        in words
    )
    assert f"about {five} give ±5 points" in words
    assert "no number of interviews gives ±10 points" in words  # 15 eligible: the ITT rate alone is too wide


def test_the_panel_follows_the_scope_filters(evaluator):
    seed_agreement()
    page = evaluator.get(f"/evaluate?as_of={AS_OF}&service=TYNE").get_data(as_text=True)
    assert "(9 people)" in section(page)
    depression = evaluator.get(f"/evaluate?as_of={AS_OF}&problem_group=anxiety").get_data(as_text=True)
    assert "(2 people)" in section(depression)  # MERSEY's F41.1 people only


def test_no_interviews_yet_is_said_plainly(evaluator):
    seed_releasable()
    page = evaluator.get(f"/evaluate?as_of={AS_OF}").get_data(as_text=True)
    panel = section(page)
    assert 'role="status"' in panel and "No interviews yet" in panel
    assert "<table" not in panel
    assert "How many interviews are needed" in panel  # the guidance stands without pairs


def test_a_recorded_interview_shows_at_once(evaluator):
    sample = seed_agreement()
    assert "(11 people)" in section(evaluator.get(f"/evaluate?as_of={AS_OF}").get_data(as_text=True))
    call = next(call for call in sample.calls if call.status == CallStatus.TO_CALL)
    call.status, call.interview_date = CallStatus.REACHED.value, INTERVIEWED
    call.still_meets_criteria, call.usual_self, call.criteria_since = "no", "yes", date(2026, 1, 1)
    call.recorded_at = call.sample.created_at
    db.session.commit()
    assert "(12 people)" in section(evaluator.get(f"/evaluate?as_of={AS_OF}").get_data(as_text=True))


def test_the_csv_has_the_agreement_rows(evaluator):
    seed_agreement()
    body = evaluator.get(f"/evaluate/figures.csv?as_of={AS_OF}").get_data(as_text=True)
    rows = [row for row in csv.reader(io.StringIO(body)) if row[6] == "agreement"]
    by_measure = {(row[7], row[8]): row for row in rows}
    assert by_measure[("", "pairs")][9] == "11"
    assert by_measure[("table", "both_recovered")][9] == "8"
    assert by_measure[("", "percent_agreement_numerator")][9] == "9"
    assert by_measure[("", "kappa")][10] == "kappa"
