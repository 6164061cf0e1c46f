"""The dashboard's filter form, as evaluators (and screen readers) meet it: every drop-down labelled, named,
with an "All ..." first option meaning no filter, and the filter in force selected."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.models import Role
from app.services.statistics import dashboard
from tests.factories import make_service
from tests.web.sign_in import make_user, sign_in

Option = tuple[str, str, bool]  # value, text shown, selected


class FilterForm(HTMLParser):
    """The labels and drop-downs of the page's filter form (the form with class "filters")."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.labels: dict[str, str] = {}  # the id a label is for -> its text
        self.selects: dict[str, tuple[str | None, list[Option]]] = {}  # id -> (name, options)
        self._in_form = False
        self._label: str | None = None
        self._select: str | None = None
        self._option: tuple[str, bool] | None = None
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and "filters" in (found.get("class") or "").split():
            self._in_form = True
        elif not self._in_form:
            return
        elif tag == "label":
            self._label, self._text = found.get("for") or "", ""
        elif tag == "select":
            self._select = found.get("id") or ""
            self.selects[self._select] = (found.get("name"), [])
        elif tag == "option" and self._select is not None:
            self._option, self._text = (found.get("value") or "", "selected" in found), ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "label" and self._label is not None:
            self.labels[self._label] = self._text.strip()
            self._label = None
        elif tag == "option" and self._option is not None and self._select is not None:
            self.selects[self._select][1].append((self._option[0], self._text.strip(), self._option[1]))
            self._option = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        self._text += data


@pytest.fixture
def evaluator(app: Flask) -> FlaskClient:
    dashboard.clear_cache()
    make_service("TYNE", "NE")
    make_service("AVON", "SW")
    client = app.test_client()
    sign_in(client, make_user(Role.EVALUATOR))
    return client


def form(client: FlaskClient, query: str = "") -> FilterForm:
    response = client.get("/evaluate" + query)
    assert response.status_code == 200
    return FilterForm(response.get_data(as_text=True))


def expected(service: str = "", area: str = "", group: str = "") -> dict[str, tuple[str, list[Option]]]:
    def options(all_label: str, values: list[tuple[str, str]], chosen: str) -> list[Option]:
        return [("", all_label, False)] + [(value, text, value == chosen) for value, text in values]

    return {
        "service": ("service", options("All services", [("AVON", "AVON"), ("TYNE", "TYNE")], service)),
        "area": ("area", options("All areas", [("NE", "NE"), ("SW", "SW")], area)),
        "problem_group": (
            "problem_group",
            options(
                "All problem groups",
                [("depression", "Depression"), ("anxiety", "Anxiety"), ("other", "Other")],
                group,
            ),
        ),
    }


def test_every_filter_drop_down_is_labelled_and_nothing_is_selected_without_filters(evaluator: FlaskClient) -> None:
    page = form(evaluator)
    assert page.selects == expected()
    assert page.labels == {
        "as_of": "As of",
        "service": "Service",
        "area": "Area",
        "problem_group": "Problem group",
        "discharged_from": "Discharged from",
        "discharged_to": "Discharged to",
    }


@pytest.mark.parametrize(
    ("query", "chosen"),
    [
        ("?service=TYNE", {"service": "TYNE"}),
        ("?area=SW&problem_group=other", {"area": "SW", "group": "other"}),
        ("?service=AVON&area=SW&problem_group=depression", {"service": "AVON", "area": "SW", "group": "depression"}),
    ],
)
def test_the_filters_in_force_are_selected(evaluator: FlaskClient, query: str, chosen: dict[str, str]) -> None:
    assert form(evaluator, query).selects == expected(**chosen)


def test_a_filter_that_was_not_applied_selects_nothing(evaluator: FlaskClient) -> None:
    assert form(evaluator, "?area=ZZ&problem_group=sadness").selects == expected()
