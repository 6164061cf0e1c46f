"""The web survey form: three questions and a comment, with messages a respondent can act on."""

from __future__ import annotations

import re
from typing import Any, cast

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from app.domain.labels import CHANGE_LABELS, USUAL_SELF_LABELS
from app.services.conversation.survey import DurationChoice, DurationKind, DurationUnit

CHANGE_CHOICES = list(CHANGE_LABELS.items())
USUAL_SELF_CHOICES = list(USUAL_SELF_LABELS.items())
DURATION_KIND_CHOICES = [
    ("length", "For a length of time"),
    ("finished", "Since I finished"),
    ("always", "As long as I can remember"),
    ("unsure", "I am not sure"),
]
UNIT_CHOICES = [("", "Choose a unit"), ("days", "days"), ("weeks", "weeks"), ("months", "months"), ("years", "years")]
COMMENT_MAX = 2000
_NUMBER = re.compile(r"\d{1,3}")
# (value, label) pairs for the templates, by field name.
CHOICES = {
    "change": CHANGE_CHOICES,
    "duration_kind": DURATION_KIND_CHOICES,
    "duration_unit": UNIT_CHOICES,
    "usual_self": USUAL_SELF_CHOICES,
}


def _options(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _chosen(field: Any, choices: list[tuple[str, str]]) -> str | None:
    """The choice made, None when nothing was chosen; a value not offered is an error (a forged form)."""
    if not field.data:
        return None
    if field.data not in dict(choices):
        raise ValidationError("Choose one of the options")
    return str(field.data)


class SurveyForm(FlaskForm):  # type: ignore[misc]
    """The survey. `change_required` is False when change was already answered by SMS (shown read-only)."""

    change = RadioField(choices=_options(CHANGE_CHOICES), validate_choice=False)
    duration_kind = RadioField(choices=_options(DURATION_KIND_CHOICES), validate_choice=False)
    duration_number = StringField(filters=[lambda value: value.strip() if isinstance(value, str) else value])
    duration_unit = SelectField(choices=_options(UNIT_CHOICES), validate_choice=False)
    usual_self = RadioField(choices=_options(USUAL_SELF_CHOICES), validate_choice=False)
    comment = TextAreaField(
        validators=[Length(max=COMMENT_MAX, message=f"Keep your comment under {COMMENT_MAX} characters")]
    )

    change_required: bool = True

    def validate_change(self, field: Any) -> None:
        if _chosen(field, CHANGE_CHOICES) is None and self.change_required:
            raise ValidationError("Choose how you are now, compared with when you first went")

    def validate_usual_self(self, field: Any) -> None:
        _chosen(field, USUAL_SELF_CHOICES)

    def validate_duration_unit(self, field: Any) -> None:
        _chosen(field, UNIT_CHOICES)

    def validate_duration_number(self, field: Any) -> None:
        if field.data and not (_NUMBER.fullmatch(field.data) and int(field.data) > 0):
            raise ValidationError("Enter a whole number, like 3 or 12")

    def validate_duration_kind(self, field: Any) -> None:
        kind = _chosen(field, DURATION_KIND_CHOICES)
        length_given = bool(self.duration_number.data or self.duration_unit.data)
        if kind in (None, "length") and length_given:
            if not self.duration_number.data:
                raise ValidationError("Enter how many days, weeks, months or years")
            if not self.duration_unit.data:
                raise ValidationError("Choose days, weeks, months or years")
        elif kind == "length":
            raise ValidationError("Enter a number and choose days, weeks, months or years")
        elif kind is not None and length_given:
            raise ValidationError("Either give a length of time, or choose one of the other options, not both")

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
