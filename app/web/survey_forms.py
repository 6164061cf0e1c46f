"""The web survey form: three questions and a comment, with messages a respondent can act on."""

from __future__ import annotations

import re
from typing import Any, cast

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from app.domain.catalogues import DEFAULT_LANGUAGE
from app.domain.pages import CHANGE_VALUES, DURATION_KINDS, DURATION_UNITS, USUAL_SELF_VALUES, choices, page_text
from app.services.conversation.survey import DurationChoice, DurationKind, DurationUnit

COMMENT_MAX = 2000
_NUMBER = re.compile(r"\d{1,3}")
# The values each question accepts; their labels come from the page catalogue (`survey_choices`).
_VALUES = {
    "change": CHANGE_VALUES,
    "duration_kind": DURATION_KINDS,
    "duration_unit": DURATION_UNITS,
    "usual_self": USUAL_SELF_VALUES,
}


def survey_choices(language: str) -> dict[str, list[tuple[str, str]]]:
    """(value, label) pairs for the templates, by field name, in `language`; the unit list starts with its prompt."""
    return {
        "change": choices(language, "survey.change", CHANGE_VALUES),
        "duration_kind": choices(language, "survey.duration", DURATION_KINDS),
        "duration_unit": [
            ("", page_text(language, "survey.unit.choose")),
            *choices(language, "survey.unit", DURATION_UNITS),
        ],
        "usual_self": choices(language, "survey.usual_self", USUAL_SELF_VALUES),
    }


def _options(values: tuple[str, ...]) -> list[SelectChoice]:
    # The labels WTForms would render are never used: the templates label each option from the catalogue.
    return [SelectChoice(value, value) for value in values]


class SurveyForm(FlaskForm):  # type: ignore[misc]
    """The survey. `change_required` is False when change was already answered by SMS (shown read-only)."""

    change = RadioField(choices=_options(CHANGE_VALUES), validate_choice=False)
    duration_kind = RadioField(choices=_options(DURATION_KINDS), validate_choice=False)
    duration_number = StringField(filters=[lambda value: value.strip() if isinstance(value, str) else value])
    duration_unit = SelectField(choices=_options(DURATION_UNITS), validate_choice=False)
    usual_self = RadioField(choices=_options(USUAL_SELF_VALUES), validate_choice=False)
    comment = TextAreaField()

    change_required: bool = True
    #: The language of every message a validator gives (the page's language).
    language: str = DEFAULT_LANGUAGE

    def _problem(self, key: str, **values: object) -> ValidationError:
        return ValidationError(page_text(self.language, f"survey.error.{key}", **values))

    def _chosen(self, field: Any) -> str | None:
        """The choice made, None when nothing was chosen; a value not offered is an error (a forged form)."""
        if not field.data:
            return None
        if field.data not in _VALUES[field.name]:
            raise self._problem("choose_option")
        return str(field.data)

    def validate_change(self, field: Any) -> None:
        if self._chosen(field) is None and self.change_required:
            raise self._problem("change_required")

    def validate_usual_self(self, field: Any) -> None:
        self._chosen(field)

    def validate_duration_unit(self, field: Any) -> None:
        self._chosen(field)

    def validate_duration_number(self, field: Any) -> None:
        if field.data and not (_NUMBER.fullmatch(field.data) and int(field.data) > 0):
            raise self._problem("whole_number")

    def validate_comment(self, field: Any) -> None:
        if field.data and len(field.data) > COMMENT_MAX:
            raise self._problem("comment_long", max=COMMENT_MAX)

    def validate_duration_kind(self, field: Any) -> None:
        kind = self._chosen(field)
        length_given = bool(self.duration_number.data or self.duration_unit.data)
        if kind in (None, "length") and length_given:
            if not self.duration_number.data:
                raise self._problem("number_missing")
            if not self.duration_unit.data:
                raise self._problem("unit_missing")
        elif kind == "length":
            raise self._problem("length_missing")
        elif kind is not None and length_given:
            raise self._problem("both")

    def duration_choice(self) -> DurationChoice | None:
        """The duration given (after validation): a length when a number was entered, else the option chosen."""
        if self.duration_number.data and self.duration_unit.data:
            return DurationChoice("length", int(self.duration_number.data), cast(DurationUnit, self.duration_unit.data))
        if self.duration_kind.data in ("finished", "always", "unsure"):
            return DurationChoice(cast(DurationKind, self.duration_kind.data))
        return None

    def verbatim(self) -> dict[str, str]:
        """What was submitted, as typed (for the inbound message), without the CSRF token."""
        return {
            name: str(getattr(self, name).raw_data[0]) if getattr(self, name).raw_data else ""
            for name in ("change", "duration_kind", "duration_number", "duration_unit", "usual_self", "comment")
        }

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary: each links to the first control of its question."""
        anchors = {
            "change": "change-much_better",
            "duration_kind": "duration_kind-length",
            "duration_number": "duration_number",
            "duration_unit": "duration_unit",
            "usual_self": "usual_self-yes",
            "comment": "comment",
        }
        return [(anchors[name], message) for name in anchors for message in getattr(self, name).errors]
