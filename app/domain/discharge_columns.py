"""The columns of a discharge list, once: what the validator enforces and what service staff read.

`app.domain.discharge_list` checks files against the constants below (the choices, the number ranges,
the lengths, the date forms, the column names and which are required), and the same constants write
each column's rules in `COLUMN_TABLE`. From that table come the guide page (/submit/guide), the
template CSV (/submit/template.csv), docs/intake.md and `flask intake import --help`, so none of them
can name a rule the validator does not apply. tests/unit/test_discharge_columns.py checks every rule
sentence against the validator itself.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Final

from app.domain.comparison.cells import AGE_BANDS, IMD_DECILES, SEXES
from app.domain.csv_cells import write_csv
from app.domain.phones import PHONE_FORMS

# The values the validator accepts: discharge_list.py imports these, the rules below are written from them.
CONSENT_VALUES: Final = {"yes": True, "no": False}
CHANNELS: Final = ("sms", "email")
ENDING_REASONS: Final = ("completed", "dropped_out", "declined", "not_suitable", "deceased", "other")
INTENSITIES: Final = ("low", "high", "stepped")
SCORE_RANGES: Final = {"phq9_first": 27, "phq9_last": 27, "gad7_first": 21, "gad7_last": 21}
DATE_ORDER: Final = ("referral_date", "assessment_date", "first_treatment_date", "discharge_date")
CLIENT_REF_MAX_LENGTH: Final = 64
SESSIONS_MIN: Final = 0
#: How a date may be written, as every message and rule says it.
DATE_FORMS: Final = "2026-03-14 or 14/3/2026"
#: How a problem descriptor may be written.
DESCRIPTOR_FORMS: Final = "F41.1, F411 or F32"
LANGUAGE_FORMS: Final = "en or en-GB"
# The case-mix columns (SPEC 8.1) accept exactly the values of the comparison's cells: AGE_BANDS, SEXES and
IMD_DECILE_RANGE: Final = (IMD_DECILES[0], IMD_DECILES[-1])  # (app.domain.comparison.cells)


@dataclass(frozen=True)
class Column:
    """One column: its header name, whether a file must have it (and every row a value), its rules, an example."""

    name: str
    required: bool
    meaning: str
    rules: tuple[str, ...]
    example: str

    @property
    def status(self) -> str:
        return "required" if self.required else "optional"


def _choices(values: tuple[str, ...] | dict[str, bool]) -> str:
    return ", ".join(values)


def _date_rules(column: str, *extra: str) -> tuple[str, ...]:
    index = DATE_ORDER.index(column)
    rules = [f"A date: {DATE_FORMS}."]
    if index > 0:
        earlier = DATE_ORDER[:index]
        named = earlier[0] if len(earlier) == 1 else f"{', '.join(earlier[:-1])} or {earlier[-1]}"
        rules.append(f"Not before {named}.")
    return (*rules, *extra)


def _score_column(name: str, questionnaire: str, when: str) -> Column:
    high = SCORE_RANGES[name]
    return Column(
        name,
        False,
        f"The client's {questionnaire} total at their {when} session.",
        (f"A whole number from 0 to {high}.",),
        {"phq9_first": "18", "phq9_last": "7", "gad7_first": "15", "gad7_last": "6"}[name],
    )


_CONTACT_ONLY = "Read only when consent_to_follow_up is yes; otherwise ignored and never stored."

#: Every column, in the order the template CSV and the guide give them.
COLUMN_TABLE: Final[tuple[Column, ...]] = (
    Column(
        "client_ref",
        True,
        "The service's own pseudonymous reference for the client.",
        (
            f"At most {CLIENT_REF_MAX_LENGTH} characters.",
            "Never an NHS number: a value that passes the NHS number check digit is refused as identifiable.",
            "With discharge_date it names the episode: sending the same pair again updates that episode "
            "(check-ins not yet sent are re-planned) and never duplicates it; the same pair twice in one file "
            "is an error.",
        ),
        "EXAMPLE-0001",
    ),
    Column(
        "phone",
        False,
        "The client's phone number, for check-ins by text message.",
        (
            f"Written as {PHONE_FORMS}; spaces, dashes and brackets are fine.",
            "Only UK mobile numbers are texted: a landline or an overseas number is kept but never texted.",
            "Numbers that are not allocated are refused, among them 07700 900000 to 07700 900999, the range "
            "Ofcom reserves for TV and radio drama.",
            _CONTACT_ONLY,
        ),
        "07700 100001",
    ),
    Column(
        "email",
        False,
        "The client's email address, for check-ins by email.",
        ("A valid email address (its spelling is checked, not whether mail reaches it).", _CONTACT_ONLY),
        "client@example.org",
    ),
    Column(
        "preferred_channel",
        False,
        "How the client would like to be contacted.",
        (
            f"One of: {_choices(CHANNELS)} (any case).",
            "Left empty: sms when there is a UK mobile number, otherwise email.",
            "Naming a channel with no usable address (sms without a UK mobile number, email without an email "
            "address) is an error.",
            _CONTACT_ONLY,
        ),
        "email",
    ),
    Column(
        "consent_to_follow_up",
        True,
        "Whether the client agreed to be contacted after discharge.",
        (
            f"One of: {_choices(CONSENT_VALUES)} (any case).",
            "With no, the phone, email and preferred_channel columns are ignored and never stored.",
            "With yes, the row needs a UK mobile number or an email address.",
        ),
        "yes",
    ),
    Column("referral_date", True, "When the client was referred.", _date_rules("referral_date"), "2026-01-05"),
    Column("assessment_date", False, "When the client was assessed.", _date_rules("assessment_date"), "2026-01-20"),
    Column(
        "first_treatment_date",
        False,
        "The client's first treatment session.",
        _date_rules("first_treatment_date"),
        "2026-02-10",
    ),
    Column(
        "discharge_date",
        True,
        "When the client was discharged.",
        _date_rules("discharge_date", "Not in the future (today is fine)."),
        "2026-06-01",
    ),
    Column(
        "treatment_sessions",
        True,
        "How many treatment sessions the client attended.",
        (f"A whole number, {SESSIONS_MIN} or more.",),
        "8",
    ),
    Column(
        "problem_descriptor",
        True,
        "The client's presenting problem.",
        (f"An ICD-10 code of chapter F such as {DESCRIPTOR_FORMS} (any case), or none.",),
        "F41.1",
    ),
    Column(
        "intensity",
        False,
        "The intensity of treatment.",
        (f"One of: {_choices(INTENSITIES)} (any case).",),
        "high",
    ),
    _score_column("phq9_first", "PHQ-9", "first"),
    _score_column("phq9_last", "PHQ-9", "last"),
    _score_column("gad7_first", "GAD-7", "first"),
    _score_column("gad7_last", "GAD-7", "last"),
    Column(
        "ending_reason",
        False,
        "Why treatment ended.",
        (f"One of: {_choices(ENDING_REASONS)} (any case).",),
        "completed",
    ),
    Column(
        "language",
        False,
        "The client's language.",
        (
            f"A BCP 47 language tag such as {LANGUAGE_FORMS}.",
            "cy or cy-GB: texts in Welsh; en or empty: English (a bilingual service sends Welsh then English when"
            " it is empty); any other language is accepted with a warning and gets English texts.",
        ),
        "en",
    ),
    Column(
        "age_band",
        False,
        "The client's age band, for comparing services fairly (case mix).",
        (f"One of: {_choices(AGE_BANDS)} (any case).",),
        "26-35",
    ),
    Column(
        "sex",
        False,
        "The client's sex as recorded by the service, for comparing services fairly (case mix).",
        (f"One of: {_choices(SEXES)} (any case).",),
        "female",
    ),
    Column(
        "imd_decile",
        False,
        "The Index of Multiple Deprivation decile of the client's home area (1 most deprived, 10 least), "
        "for comparing services fairly (case mix).",
        (f"A whole number from {IMD_DECILE_RANGE[0]} to {IMD_DECILE_RANGE[1]}.",),
        "4",
    ),
    Column(
        "consent_to_call",
        False,
        "Whether the client agreed to a telephone call from an independent assessor (the assessment beside "
        "the texts, docs/assessment.md).",
        (
            f"One of: {_choices(CONSENT_VALUES)} (any case).",
            "Left empty or left out: no.",
            "With consent_to_follow_up no, it is stored as no: no phone number is kept to call.",
        ),
        "no",
    ),
)

COLUMNS: Final[tuple[str, ...]] = tuple(column.name for column in COLUMN_TABLE)
REQUIRED_COLUMNS: Final[tuple[str, ...]] = tuple(column.name for column in COLUMN_TABLE if column.required)
CONTACT_COLUMNS: Final = ("phone", "email", "preferred_channel")
#: The whole file, in the words every place uses.
FILE_RULES: Final[tuple[str, ...]] = (
    "A CSV file in UTF-8 (a spreadsheet's 'CSV UTF-8'), with or without a byte-order mark.",
    "The first row is the header: column names exactly as below, in any order; an unknown or repeated "
    "column is an error. Optional columns may be left out, or left empty in any row.",
    "One row per discharge; blank lines are ignored.",
    "All or nothing: if any row has a problem, nothing is imported and every problem is listed as "
    "'row N, column NAME: message' (the header is row 1).",
)
#: The example row of the template CSV leaves these empty: imported by mistake, it can text nobody.
TEMPLATE_LEFT_EMPTY: Final = frozenset({"phone"})


def column(name: str) -> Column:
    """The column called `name` (KeyError for a name that is not a column)."""
    for item in COLUMN_TABLE:
        if item.name == name:
            return item
    raise KeyError(name)


def example_row() -> dict[str, str]:
    """Every column's example value: one row that the validator accepts."""
    return {item.name: item.example for item in COLUMN_TABLE}


def template_csv() -> str:
    """The template CSV: the header and one synthetic example row that passes validation."""
    example = example_row()
    values = ["" if name in TEMPLATE_LEFT_EMPTY else example[name] for name in COLUMNS]
    return write_csv([COLUMNS, values])


def help_epilog(width: int = 76) -> str:
    """The columns for `flask intake import --help`: every paragraph marked `\\b` so click keeps the layout."""
    blocks = [["The file:", *(line for rule in FILE_RULES for line in _bullet(rule, width, "  "))]]
    for item in COLUMN_TABLE:
        lines = [f"{item.name} ({item.status}), for example {item.example}"]
        lines += _wrap(item.meaning, width, "    ", "    ")
        lines += [line for rule in item.rules for line in _bullet(rule, width, "    ")]
        blocks.append(lines)
    where = (
        "The same table is in docs/intake.md and in the intake guide at /submit/guide, with a template CSV "
        "at /submit/template.csv."
    )
    blocks.append(_wrap(where, width, "", ""))
    return "\n\n".join("\b\n" + "\n".join(lines) for lines in blocks)


def _bullet(text: str, width: int, indent: str) -> list[str]:
    return _wrap(text, width, indent + "- ", indent + "  ")


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """Lines broken at spaces only, so that a rule read back line by line is the same sentence."""
    return textwrap.wrap(
        text, width, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False, break_long_words=False
    )


def columns_markdown() -> str:
    """The column table of docs/intake.md (tests/unit/test_discharge_columns.py checks the file has it)."""
    lines = ["| column | required? | what it is and its rules | example |", "|---|---|---|---|"]
    for item in COLUMN_TABLE:
        rules = " ".join((item.meaning, *item.rules)).replace("|", "\\|")
        lines.append(f"| `{item.name}` | {item.status} | {rules} | `{item.example}` |")
    return "\n".join(lines) + "\n"
