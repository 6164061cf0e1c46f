"""The column table of discharge lists says what the validator does: every rule sentence is tried on the validator.

The table (app.domain.discharge_columns) writes the guide page, the template CSV, docs/intake.md and
`flask intake import --help`; these tests read its sentences and check `read_discharge_list` against them,
so a rule changed in one place and not the other fails here. Synthetic data only.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.domain.discharge_columns import (
    COLUMN_TABLE,
    COLUMNS,
    REQUIRED_COLUMNS,
    TEMPLATE_LEFT_EMPTY,
    Column,
    column,
    columns_markdown,
    example_row,
    help_epilog,
    template_csv,
)
from app.domain.discharge_list import DischargeRow, Problem, read_discharge_list
from app.domain.phones import DRAMA_RANGE

TODAY = date(2026, 12, 7)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "intake.md"


def make_csv(values: dict[str, str], columns: tuple[str, ...] | list[str] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerow([values.get(name, "") for name in columns])
    return out.getvalue().encode()


def read(columns: tuple[str, ...] | list[str] = COLUMNS, **overrides: str) -> tuple[list[DischargeRow], list[Problem]]:
    """The example row with some values replaced, read by the validator."""
    return read_discharge_list(make_csv({**example_row(), **overrides}, columns), TODAY)


def accepted(**overrides: str) -> DischargeRow:
    rows, problems = read(**overrides)
    assert problems == [], [str(problem) for problem in problems]
    return rows[0]


def refused(name: str, **overrides: str) -> Problem:
    """The one problem of a row, which must be in column `name`."""
    _, problems = read(**overrides)
    assert len(problems) == 1, [str(problem) for problem in problems]
    assert problems[0].column == name, str(problems[0])
    return problems[0]


def rules_matching(pattern: str) -> list[tuple[Column, re.Match[str]]]:
    found = [(item, match) for item in COLUMN_TABLE for rule in item.rules if (match := re.search(pattern, rule))]
    assert found, f"no rule says {pattern!r}"
    return found


# --- the table itself -------------------------------------------------------------------------------


def test_the_table_names_each_column_once_and_every_column_the_validator_reads() -> None:
    assert len(set(COLUMNS)) == len(COLUMNS) == len(COLUMN_TABLE)
    fields = {
        name for name in DischargeRow.__dataclass_fields__ if name not in {"row", "consent", "phone_is_uk_mobile"}
    }
    assert set(COLUMNS) == fields | {"consent_to_follow_up"}
    assert all(item.meaning and item.rules and item.example for item in COLUMN_TABLE)
    assert column("phone").name == "phone"
    with pytest.raises(KeyError):
        column("nhs_number")


def test_the_unknown_column_message_lists_the_tables_columns() -> None:
    _, problems = read_discharge_list(make_csv({}, ["client_ref", "shoe_size"]), TODAY)
    unknown = next(problem for problem in problems if problem.column == "shoe_size")
    assert unknown.message.endswith(", ".join(COLUMNS))


def test_every_example_passes_every_check_in_one_row() -> None:
    parsed = accepted()
    assert parsed.phone == "+447700100001" and parsed.phone_is_uk_mobile  # the phone example is a UK mobile


def test_the_template_csv_is_the_header_and_one_synthetic_row_that_passes() -> None:
    text = template_csv()
    records = list(csv.reader(io.StringIO(text)))
    assert records[0] == list(COLUMNS) and len(records) == 2
    template = dict(zip(COLUMNS, records[1], strict=True))
    assert all(template[name] == "" for name in TEMPLATE_LEFT_EMPTY)  # imported by mistake, it texts nobody
    assert template["email"].endswith("@example.org") and template["client_ref"].startswith("EXAMPLE")
    rows, problems = read_discharge_list(text.encode(), TODAY)
    assert problems == [] and len(rows) == 1


# --- required and optional ------------------------------------------------------------------------


@pytest.mark.parametrize("name", REQUIRED_COLUMNS)
def test_a_required_column_must_be_in_the_header_and_filled_in(name: str) -> None:
    assert column(name).required
    assert "required but empty" in refused(name, **{name: ""}).message
    _, problems = read([other for other in COLUMNS if other != name])
    assert [str(problem) for problem in problems] == [f"file: missing required column {name!r}"]


@pytest.mark.parametrize("name", [item.name for item in COLUMN_TABLE if not item.required])
def test_an_optional_column_may_be_left_out_or_left_empty(name: str) -> None:
    base = {"preferred_channel": ""}  # the default channel then follows whichever address is left
    rows, problems = read([other for other in COLUMNS if other != name], **base)
    assert problems == [] and len(rows) == 1, [str(problem) for problem in problems]
    assert accepted(**{**base, name: ""})


# --- each kind of rule, tried on the validator -----------------------------------------------------


@pytest.mark.parametrize(
    ("item", "match"), rules_matching(r"^One of: (.+) \(any case\)\.$"), ids=lambda value: getattr(value, "name", "")
)
def test_one_of_lists_exactly_what_is_accepted(item: Column, match: re.Match[str]) -> None:
    allowed = match.group(1).split(", ")
    for value in allowed:
        accepted(**{item.name: value})
        accepted(**{item.name: value.upper()})
    problem = refused(item.name, **{item.name: "zzz"})
    assert all(value in problem.message for value in allowed), problem.message


@pytest.mark.parametrize(
    ("item", "match"), rules_matching(r"^A whole number from (\d+) to (\d+)\.$"), ids=lambda v: getattr(v, "name", "")
)
def test_whole_number_ranges_are_the_validators(item: Column, match: re.Match[str]) -> None:
    low, high = int(match.group(1)), int(match.group(2))
    accepted(**{item.name: str(low)})
    accepted(**{item.name: str(high)})
    for outside in (low - 1, high + 1):
        assert "out of range" in refused(item.name, **{item.name: str(outside)}).message
    assert "whole number" in refused(item.name, **{item.name: "7.5"}).message


@pytest.mark.parametrize(
    ("item", "match"), rules_matching(r"^A whole number, (\d+) or more\.$"), ids=lambda v: getattr(v, "name", "")
)
def test_whole_numbers_with_a_floor_are_the_validators(item: Column, match: re.Match[str]) -> None:
    low = int(match.group(1))
    accepted(**{item.name: str(low)})
    accepted(**{item.name: "1000"})
    assert "out of range" in refused(item.name, **{item.name: str(low - 1)}).message


@pytest.mark.parametrize(
    ("item", "match"), rules_matching(r"^At most (\d+) characters\.$"), ids=lambda v: getattr(v, "name", "")
)
def test_the_longest_value_is_the_validators(item: Column, match: re.Match[str]) -> None:
    longest = int(match.group(1))
    accepted(**{item.name: "R" * longest})
    refused(item.name, **{item.name: "R" * (longest + 1)})


DAY = date(2026, 3, 14)


def dates(**values: date | None) -> dict[str, str]:
    """The date columns: referral a month before DAY, discharge on DAY, the optional ones empty, unless given."""
    chosen = {"referral_date": DAY - timedelta(days=30), "assessment_date": None, "first_treatment_date": None}
    chosen |= {"discharge_date": DAY, **values}
    return {name: value.isoformat() if value else "" for name, value in chosen.items()}


@pytest.mark.parametrize(
    ("item", "match"), rules_matching(r"^A date: (\S+) or (\S+)\.$"), ids=lambda v: getattr(v, "name", "")
)
def test_dates_are_written_as_the_rule_says(item: Column, match: re.Match[str]) -> None:
    read_as = {accepted(**{name: written for name in dates()}).discharge_date for written in match.groups()}
    assert len(read_as) == 1  # both forms are accepted (every date the same day, so in order), as the same day


ORDER_RULES = [
    (item, earlier)
    for item, match in rules_matching(r"^Not before (.+)\.$")
    for earlier in re.split(r", | or ", match.group(1))
]


@pytest.mark.parametrize(("item", "earlier"), ORDER_RULES, ids=lambda v: getattr(v, "name", v))
def test_a_date_before_an_earlier_date_is_refused(item: Column, earlier: str) -> None:
    assert "before" in refused(item.name, **dates(**{earlier: DAY, item.name: DAY - timedelta(days=1)})).message
    accepted(**dates(**{earlier: DAY - timedelta(days=1), item.name: DAY}))


def test_not_in_the_future_today_is_fine() -> None:
    assert "Not in the future (today is fine)." in column("discharge_date").rules
    accepted(discharge_date=TODAY.isoformat())
    assert "in the future" in refused("discharge_date", discharge_date=(TODAY + timedelta(days=1)).isoformat()).message


def test_an_nhs_number_is_refused_as_client_ref() -> None:
    assert any("NHS number" in rule for rule in column("client_ref").rules)
    assert "NHS number" in refused("client_ref", client_ref="943 476 5919").message


def test_the_same_client_ref_and_discharge_date_twice_is_an_error() -> None:
    assert any("the same pair twice in one file is an error" in rule for rule in column("client_ref").rules)
    text = template_csv()
    _, problems = read_discharge_list((text + text.splitlines()[1] + "\n").encode(), TODAY)
    assert [problem.message for problem in problems] == ["duplicate of row 2 (same client_ref and discharge_date)"]


@pytest.mark.parametrize(
    ("item", "match"), rules_matching(r"such as (.+) \(any case\), or (none)\.$"), ids=lambda v: getattr(v, "name", "")
)
def test_problem_descriptor_forms_are_accepted(item: Column, match: re.Match[str]) -> None:
    for form in [*re.split(r", | or ", match.group(1)), match.group(2)]:
        accepted(**{item.name: form})
        accepted(**{item.name: form.lower()})
    refused(item.name, **{item.name: "G30"})


def test_language_tags_are_accepted_as_the_rule_says() -> None:
    (_, match), *_ = rules_matching(r"^A BCP 47 language tag such as (\S+) or (\S+)\.$")
    for tag in match.groups():
        assert accepted(language=tag).language == tag
    assert "BCP 47" in refused("language", language="English").message


def test_with_consent_no_contact_columns_are_ignored_and_never_stored() -> None:
    assert any("With no," in rule for rule in column("consent_to_follow_up").rules)
    parsed = accepted(consent_to_follow_up="no", phone="not a number", email="nor this", preferred_channel="pigeon")
    assert (parsed.phone, parsed.email, parsed.preferred_channel) == (None, None, None)


def test_with_consent_yes_a_uk_mobile_or_an_email_is_needed() -> None:
    assert any("needs a UK mobile number or an email address" in r for r in column("consent_to_follow_up").rules)
    problem = refused("consent_to_follow_up", phone="020 7946 0123", email="", preferred_channel="")
    assert "no usable contact" in problem.message


def test_a_channel_with_no_usable_address_is_an_error_and_empty_follows_the_addresses() -> None:
    assert "no UK mobile" in refused("preferred_channel", phone="", preferred_channel="sms").message
    assert "no email address" in refused("preferred_channel", email="", preferred_channel="email").message
    assert accepted(preferred_channel="").preferred_channel == "sms"
    assert accepted(preferred_channel="", phone="").preferred_channel == "email"


def test_landlines_are_kept_but_not_texted_and_drama_mobiles_refused_as_the_phone_rules_say() -> None:
    rules = " ".join(column("phone").rules)
    assert "07700 900000 to 07700 900999" in rules and "Ofcom reserves for TV and radio drama" in rules
    landline = accepted(phone="020 7946 0123", preferred_channel="")
    assert landline.phone == "+442079460123" and not landline.phone_is_uk_mobile
    assert landline.preferred_channel == "email"
    for number in ("07700 900000", "07700 900999"):
        assert refused("phone", phone=number).message == DRAMA_RANGE


def test_a_drama_number_in_a_list_says_why_it_is_refused() -> None:
    _, problems = read(phone="07700 900001")
    assert [str(problem) for problem in problems] == [
        "row 2, column phone: is in the range Ofcom reserves for TV and radio drama, so it cannot reach anyone"
    ]


def test_an_unallocated_number_in_a_list_says_so() -> None:
    assert refused("phone", phone="01000 000000").message.startswith("is not an allocated UK number")


# --- what is written from the table ---------------------------------------------------------------


def test_docs_intake_md_has_the_table_as_written_from_it() -> None:
    text = DOCS.read_text(encoding="utf-8")
    start, end = "<!-- columns:start -->\n", "<!-- columns:end -->"
    assert start in text and end in text, "docs/intake.md lost its column-table markers"
    written = text.split(start, 1)[1].split(end, 1)[0]
    assert written == columns_markdown(), (
        "docs/intake.md's column table differs from app/domain/discharge_columns.py: paste in "
        'the output of python -c "from app.domain.discharge_columns import columns_markdown; '
        "print(columns_markdown(), end='')\""
    )


@pytest.mark.parametrize("item", COLUMN_TABLE, ids=lambda item: item.name)
def test_docs_intake_md_documents_every_column(item: Column) -> None:
    lines = [line for line in DOCS.read_text(encoding="utf-8").splitlines() if line.startswith(f"| `{item.name}` |")]
    assert len(lines) == 1, f"docs/intake.md has no row for {item.name}"
    assert f"| {item.status} |" in lines[0] and f"`{item.example}`" in lines[0]
    assert all(rule.replace("|", "\\|") in lines[0] for rule in item.rules)


def test_the_help_epilog_keeps_its_layout_and_names_every_column() -> None:
    epilog = help_epilog()
    paragraphs = epilog.split("\n\n")
    assert all(paragraph.startswith("\b\n") for paragraph in paragraphs)  # click does not rewrap them
    assert all(len(line) <= 76 for line in epilog.splitlines())
    for item in COLUMN_TABLE:
        assert f"\b\n{item.name} ({item.status}), for example {item.example}\n" in epilog
    assert "/submit/guide" in epilog and "docs/intake.md" in epilog and "/submit/template.csv" in epilog
