"""Reading a service's discharge list: every rule of SPEC section 5, every problem named by row and column.

All data is synthetic: example.org addresses, Ofcom drama-style numbers, made-up references.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.discharge_list import (
    COLUMNS,
    REQUIRED_COLUMNS,
    DischargeRow,
    Problem,
    is_nhs_number,
    read_discharge_list,
)

TODAY = date(2026, 6, 1)
MOBILE = "07400 123456"
MOBILE_E164 = "+447400123456"
LANDLINE = "020 7946 0123"  # a valid London landline (Ofcom drama range)

BASE: dict[str, str] = {
    "client_ref": "SW-0001",
    "phone": MOBILE,
    "email": "client.one@example.org",
    "preferred_channel": "",
    "consent_to_follow_up": "yes",
    "referral_date": "2026-01-05",
    "assessment_date": "2026-01-12",
    "first_treatment_date": "2026-01-26",
    "discharge_date": "2026-04-20",
    "treatment_sessions": "8",
    "problem_descriptor": "F41.1",
    "intensity": "high",
    "phq9_first": "15",
    "phq9_last": "6",
    "gad7_first": "14",
    "gad7_last": "5",
    "ending_reason": "completed",
    "language": "en-GB",
    "age_band": "36-45",
    "sex": "male",
    "imd_decile": "3",
    "consent_to_call": "no",
}


def row(**overrides: str) -> dict[str, str]:
    """The valid base row with some fields replaced."""
    unknown = set(overrides) - set(BASE)
    assert not unknown, unknown
    return {**BASE, **overrides}


def make_csv(*rows: dict[str, str], columns: tuple[str, ...] | list[str] = COLUMNS, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for values in rows:
        writer.writerow([values.get(column, "") for column in columns])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def read(*rows: dict[str, str], today: date = TODAY) -> tuple[list[DischargeRow], list[Problem]]:
    return read_discharge_list(make_csv(*rows), today)


def read_one(**overrides: str) -> DischargeRow:
    """Read a single-row file that must be valid, and return its row."""
    rows, problems = read(row(**overrides))
    assert problems == [], [str(problem) for problem in problems]
    assert len(rows) == 1
    return rows[0]


def only_problem(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(problem) for problem in problems]
    return problems[0]


def assert_problem(problem: Problem, row_number: int | None, column: str | None, word: str) -> None:
    assert problem.row == row_number, str(problem)
    assert problem.column == column, str(problem)
    assert word.lower() in problem.message.lower(), str(problem)
    if row_number is None:
        assert str(problem) == f"file: {problem.message}"
    else:
        assert str(problem) == f"row {row_number}, column {column}: {problem.message}"


# --- a valid row -------------------------------------------------------------------------------


def test_valid_row_is_read_with_every_field() -> None:
    rows, problems = read(row())
    assert problems == []
    assert rows == [
        DischargeRow(
            row=2,
            client_ref="SW-0001",
            consent=True,
            referral_date=date(2026, 1, 5),
            discharge_date=date(2026, 4, 20),
            treatment_sessions=8,
            problem_descriptor="F41.1",
            phone=MOBILE_E164,
            phone_is_uk_mobile=True,
            email="client.one@example.org",
            preferred_channel="sms",
            assessment_date=date(2026, 1, 12),
            first_treatment_date=date(2026, 1, 26),
            intensity="high",
            phq9_first=15,
            phq9_last=6,
            gad7_first=14,
            gad7_last=5,
            ending_reason="completed",
            language="en-GB",
            age_band="36-45",
            sex="male",
            imd_decile=3,
        )
    ]


def test_only_required_columns_are_needed() -> None:
    minimal = {column: BASE[column] for column in REQUIRED_COLUMNS}
    columns = [*REQUIRED_COLUMNS, "email"]
    rows, problems = read_discharge_list(make_csv({**minimal, "email": "a@example.org"}, columns=columns), TODAY)
    assert problems == []
    assert rows[0].preferred_channel == "email"
    assert rows[0].phq9_first is None and rows[0].assessment_date is None and rows[0].intensity is None


def test_columns_may_come_in_any_order() -> None:
    columns = tuple(reversed(COLUMNS))
    rows, problems = read_discharge_list(make_csv(row(), columns=columns), TODAY)
    assert problems == []
    assert rows[0].client_ref == "SW-0001"


def test_values_are_trimmed_and_case_insensitive_where_it_makes_sense() -> None:
    parsed = read_one(
        client_ref="  SW-0002 ",
        consent_to_follow_up=" YES ",
        preferred_channel="SMS",
        intensity="Stepped",
        ending_reason="Dropped_Out",
        email=" Client.Two@Example.ORG ",
    )
    assert parsed.client_ref == "SW-0002"
    assert parsed.consent is True
    assert parsed.preferred_channel == "sms"
    assert parsed.intensity == "stepped"
    assert parsed.ending_reason == "dropped_out"
    assert parsed.email == "client.two@example.org"


# --- single problems, each named by row and column ---------------------------------------------

SINGLE_PROBLEMS: list[tuple[str, dict[str, str], str, str]] = [
    # (id, overrides, column, word in the message)
    ("client_ref empty", {"client_ref": ""}, "client_ref", "required"),
    ("consent empty", {"consent_to_follow_up": ""}, "consent_to_follow_up", "required"),
    ("referral empty", {"referral_date": ""}, "referral_date", "required"),
    ("discharge empty", {"discharge_date": ""}, "discharge_date", "required"),
    ("sessions empty", {"treatment_sessions": " "}, "treatment_sessions", "required"),
    ("descriptor empty", {"problem_descriptor": ""}, "problem_descriptor", "required"),
    ("date unparseable", {"referral_date": "5th January 2026"}, "referral_date", "not a date"),
    ("date dashes day-first", {"assessment_date": "12-01-2026"}, "assessment_date", "not a date"),
    ("date impossible UK", {"discharge_date": "31/2/2026"}, "discharge_date", "not a real date"),
    ("date impossible ISO", {"discharge_date": "2026-02-30"}, "discharge_date", "not a real date"),
    ("date month 13", {"first_treatment_date": "2026-13-01"}, "first_treatment_date", "not a real date"),
    ("referral after assessment", {"referral_date": "2026-01-20"}, "assessment_date", "before referral_date"),
    (
        "assessment after first treatment",
        {"assessment_date": "2026-01-30"},
        "first_treatment_date",
        "before assessment_date",
    ),
    (
        "first treatment after discharge",
        {"first_treatment_date": "2026-04-25"},
        "discharge_date",
        "before first_treatment_date",
    ),
    (
        "referral after discharge, middle dates blank",
        {"referral_date": "2026-05-01", "assessment_date": "", "first_treatment_date": ""},
        "discharge_date",
        "before referral_date",
    ),
    (
        "discharge in the future",
        {"discharge_date": "2026-06-02"},
        "discharge_date",
        "future",
    ),
    ("sessions negative", {"treatment_sessions": "-1"}, "treatment_sessions", "out of range"),
    ("sessions decimal", {"treatment_sessions": "2.5"}, "treatment_sessions", "whole number"),
    ("sessions word", {"treatment_sessions": "two"}, "treatment_sessions", "whole number"),
    ("phq9 28", {"phq9_first": "28"}, "phq9_first", "out of range"),
    ("phq9_last 28", {"phq9_last": "28"}, "phq9_last", "between 0 and 27"),
    ("gad7 22", {"gad7_first": "22"}, "gad7_first", "between 0 and 21"),
    ("gad7 -1", {"gad7_last": "-1"}, "gad7_last", "out of range"),
    ("phq9 -1", {"phq9_first": "-1"}, "phq9_first", "out of range"),
    ("score decimal", {"phq9_last": "6.5"}, "phq9_last", "whole number"),
    ("score word", {"gad7_first": "ten"}, "gad7_first", "whole number"),
    ("descriptor chapter G", {"problem_descriptor": "G30"}, "problem_descriptor", "F41.1"),
    ("descriptor too short", {"problem_descriptor": "F4"}, "problem_descriptor", "F41.1"),
    ("descriptor a word", {"problem_descriptor": "depression"}, "problem_descriptor", "ICD-10"),
    ("phone invalid", {"phone": "12345"}, "phone", "not a valid phone number"),
    ("phone letters", {"phone": "call me"}, "phone", "not a valid phone number"),
    ("email invalid", {"email": "client.one.example.org"}, "email", "not a valid email"),
    ("email two ats", {"email": "a@b@example.org"}, "email", "not a valid email"),
    (
        "sms with only a landline",
        {"phone": LANDLINE, "email": "", "preferred_channel": "sms"},
        "preferred_channel",
        "UK mobile",
    ),
    (
        "sms with only an email",
        {"phone": "", "preferred_channel": "sms"},
        "preferred_channel",
        "UK mobile",
    ),
    (
        "email with no email",
        {"email": "", "preferred_channel": "email"},
        "preferred_channel",
        "no email address",
    ),
    ("channel unknown", {"preferred_channel": "text"}, "preferred_channel", "not one of"),
    (
        "consent yes with a landline only",
        {"phone": LANDLINE, "email": ""},
        "consent_to_follow_up",
        "no usable contact",
    ),
    (
        "consent yes with no contact at all",
        {"phone": "", "email": ""},
        "consent_to_follow_up",
        "no usable contact",
    ),
    ("consent y", {"consent_to_follow_up": "y"}, "consent_to_follow_up", "yes or no"),
    ("consent maybe", {"consent_to_follow_up": "maybe"}, "consent_to_follow_up", "yes or no"),
    ("NHS number spaced", {"client_ref": "943 476 5919"}, "client_ref", "NHS number"),
    ("NHS number plain", {"client_ref": "9434765919"}, "client_ref", "NHS number"),
    ("NHS number dashed", {"client_ref": "943-476-5919"}, "client_ref", "NHS number"),
    ("client_ref too long", {"client_ref": "R" * 65}, "client_ref", "longer than 64"),
    ("intensity unknown", {"intensity": "medium"}, "intensity", "not one of"),
    ("ending reason unknown", {"ending_reason": "moved away"}, "ending_reason", "not one of"),
    ("language not BCP 47", {"language": "English (UK)"}, "language", "BCP 47"),
]


@pytest.mark.parametrize(
    ("overrides", "column", "word"),
    [case[1:] for case in SINGLE_PROBLEMS],
    ids=[case[0] for case in SINGLE_PROBLEMS],
)
def test_single_problem_names_row_and_column(overrides: dict[str, str], column: str, word: str) -> None:
    rows, problems = read(row(client_ref="SW-0000"), row(**overrides))
    assert rows == []  # nothing is returned when anything is wrong
    assert_problem(only_problem(problems), 3, column, word)


@pytest.mark.parametrize("descriptor", ["G30", "F4", "depression"])
def test_descriptor_message_shows_the_expected_form(descriptor: str) -> None:
    _, problems = read(row(problem_descriptor=descriptor))
    message = only_problem(problems).message
    assert repr(descriptor) in message
    assert "F41.1" in message and "F32" in message and "none" in message


def test_discharge_today_is_not_in_the_future() -> None:
    assert read_one(discharge_date=TODAY.isoformat()).discharge_date == TODAY


def test_future_is_judged_against_today_argument() -> None:
    data = make_csv(row(discharge_date="2026-07-01"))
    assert read_discharge_list(data, date(2026, 7, 1))[1] == []
    _, problems = read_discharge_list(data, date(2026, 6, 30))
    assert_problem(only_problem(problems), 2, "discharge_date", "future")


def test_equal_dates_are_in_order() -> None:
    same = "2026-03-02"
    parsed = read_one(referral_date=same, assessment_date=same, first_treatment_date=same, discharge_date=same)
    assert parsed.referral_date == parsed.discharge_date == date(2026, 3, 2)


def test_a_row_with_several_problems_reports_them_all() -> None:
    _, problems = read(row(client_ref="", treatment_sessions="two", phq9_first="99", email="nope"))
    assert {(problem.row, problem.column) for problem in problems} == {
        (2, "client_ref"),
        (2, "treatment_sessions"),
        (2, "phq9_first"),
        (2, "email"),
    }


# --- accepted forms ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [("F41.1", "F41.1"), ("f411", "F411"), ("F32", "F32"), ("f32.1", "F32.1"), ("none", "none"), ("NONE", "none")],
)
def test_problem_descriptor_accepted_and_normalised(given: str, stored: str) -> None:
    assert read_one(problem_descriptor=given).problem_descriptor == stored


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("14/3/2026", date(2026, 3, 14)),
        ("14/03/2026", date(2026, 3, 14)),
        ("1/2/2026", date(2026, 2, 1)),  # day first: 1 February, not 2 January
        ("2026-03-14", date(2026, 3, 14)),
        ("2026-3-4", date(2026, 3, 4)),
        ("28/2/2026", date(2026, 2, 28)),
        ("29/2/2024", date(2024, 2, 29)),  # a leap day
    ],
)
def test_dates_iso_and_uk_day_first(given: str, expected: date) -> None:
    parsed = read_one(referral_date=given, assessment_date="", first_treatment_date="")
    assert parsed.referral_date == expected


@pytest.mark.parametrize("value", ["0", "1", "7", "40"])
def test_sessions_whole_numbers_accepted(value: str) -> None:
    assert read_one(treatment_sessions=value).treatment_sessions == int(value)


@pytest.mark.parametrize(
    ("column", "value"),
    [("phq9_first", "0"), ("phq9_first", "27"), ("gad7_last", "0"), ("gad7_last", "21")],
)
def test_score_bounds_accepted(column: str, value: str) -> None:
    assert getattr(read_one(**{column: value}), column) == int(value)


@pytest.mark.parametrize(
    "phone",
    ["07400 123456", "07400123456", "+44 7400 123456", "+447400123456", "0044 7400 123456", "(07400) 123-456"],
)
def test_phone_normalised_to_e164(phone: str) -> None:
    parsed = read_one(phone=phone)
    assert parsed.phone == MOBILE_E164
    assert parsed.phone_is_uk_mobile is True


def test_landline_is_kept_but_not_a_mobile() -> None:
    parsed = read_one(phone=LANDLINE)
    assert parsed.phone == "+442079460123"
    assert parsed.phone_is_uk_mobile is False
    assert parsed.preferred_channel == "email"  # the landline is never texted


def test_foreign_mobile_is_not_a_uk_mobile() -> None:
    parsed = read_one(phone="+1 202 555 0143")  # 555-01xx: reserved for fiction
    assert parsed.phone == "+12025550143"
    assert parsed.phone_is_uk_mobile is False
    assert parsed.preferred_channel == "email"


def test_default_channel_is_sms_for_a_uk_mobile() -> None:
    assert read_one(phone=MOBILE, email="").preferred_channel == "sms"
    assert read_one(phone=MOBILE, email="client@example.org").preferred_channel == "sms"


def test_default_channel_is_email_with_only_an_email() -> None:
    parsed = read_one(phone="", email="client@example.org")
    assert parsed.preferred_channel == "email"
    assert parsed.phone is None


def test_preferred_email_is_kept_even_with_a_mobile() -> None:
    assert read_one(preferred_channel="email").preferred_channel == "email"


@pytest.mark.parametrize(
    "overrides",
    [
        {"phone": "not a number", "email": "not an email", "preferred_channel": "carrier pigeon"},
        {"phone": LANDLINE, "email": "", "preferred_channel": "sms"},
        {"phone": "", "email": "", "preferred_channel": "email"},
        {"phone": MOBILE, "email": "client@example.org", "preferred_channel": "sms"},
    ],
)
def test_consent_no_ignores_contact_columns_and_stores_none(overrides: dict[str, str]) -> None:
    parsed = read_one(consent_to_follow_up="no", **overrides)
    assert parsed.consent is False
    assert parsed.phone is None
    assert parsed.email is None
    assert parsed.preferred_channel is None
    assert parsed.phone_is_uk_mobile is False


def test_consent_no_is_case_insensitive() -> None:
    assert read_one(consent_to_follow_up="No").consent is False


@pytest.mark.parametrize("ref", ["9434765918", "1234567890", "943 476 5918", "SW9434765919", "12345678"])
def test_client_ref_that_fails_the_nhs_check_is_accepted(ref: str) -> None:
    assert read_one(client_ref=ref).client_ref == ref


def test_is_nhs_number() -> None:
    assert is_nhs_number("9434765919")
    assert is_nhs_number("943 476 5919")
    assert not is_nhs_number("9434765918")  # wrong check digit
    assert not is_nhs_number("1234567890")  # check digit would be 10: never valid
    assert not is_nhs_number("943476591")  # nine digits
    assert not is_nhs_number("A434765919")


# --- duplicates ---------------------------------------------------------------------------------


def test_duplicate_is_reported_on_the_later_row_naming_the_earlier() -> None:
    rows, problems = read(
        row(client_ref="SW-0001"),
        row(client_ref="SW-0002"),
        row(client_ref="SW-0001", treatment_sessions="9"),
    )
    assert rows == []
    problem = only_problem(problems)
    assert_problem(problem, 4, "client_ref", "duplicate")
    assert "row 2" in problem.message


def test_every_later_duplicate_names_the_first() -> None:
    _, problems = read(row(), row(), row())
    assert [(problem.row, problem.column) for problem in problems] == [(3, "client_ref"), (4, "client_ref")]
    assert all("row 2" in problem.message for problem in problems)


def test_same_client_with_a_different_discharge_date_is_fine() -> None:
    rows, problems = read(row(), row(discharge_date="2026-05-01"))
    assert problems == []
    assert [(parsed.row, parsed.discharge_date) for parsed in rows] == [(2, date(2026, 4, 20)), (3, date(2026, 5, 1))]


def test_duplicate_with_the_same_date_written_differently() -> None:
    _, problems = read(row(discharge_date="2026-04-20"), row(discharge_date="20/4/2026"))
    assert_problem(only_problem(problems), 3, "client_ref", "duplicate")


# --- the file as a whole ------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   ", b"\n\n", b" \r\n \t\n", b"\xef\xbb\xbf", b",,,\n", b'""\n,,\n'])
def test_empty_file(data: bytes) -> None:
    rows, problems = read_discharge_list(data, TODAY)
    assert rows == []
    assert_problem(only_problem(problems), None, None, "empty")


def test_header_only() -> None:
    rows, problems = read_discharge_list(make_csv(), TODAY)
    assert rows == []
    assert_problem(only_problem(problems), None, None, "no discharge rows")


def test_header_and_blank_lines_only() -> None:
    _, problems = read_discharge_list(make_csv() + b"\n\n,,,\n", TODAY)
    assert_problem(only_problem(problems), None, None, "no discharge rows")


@pytest.mark.parametrize(
    "data",
    [
        make_csv(row(client_ref="caf\u00e9")).replace("caf\u00e9".encode(), b"caf\xe9"),  # latin-1 é
        b"\xff\xfe" + ",".join(COLUMNS).encode("utf-16-le"),  # UTF-16 with its BOM
    ],
    ids=["latin-1", "utf-16"],
)
def test_not_utf8(data: bytes) -> None:
    rows, problems = read_discharge_list(data, TODAY)
    assert rows == []
    assert_problem(only_problem(problems), None, None, "UTF-8")


def test_utf8_with_byte_order_mark_is_accepted() -> None:
    rows, problems = read_discharge_list(make_csv(row(client_ref="SW-é1"), bom=True), TODAY)
    assert problems == []
    assert rows[0].client_ref == "SW-é1"


def test_windows_line_endings_are_accepted() -> None:
    data = make_csv(row(), row(client_ref="SW-0002")).replace(b"\n", b"\r\n")
    rows, problems = read_discharge_list(data, TODAY)
    assert problems == []
    assert [parsed.row for parsed in rows] == [2, 3]


def test_nul_characters_are_refused() -> None:
    _, problems = read_discharge_list(make_csv(row()) + b"\x00\x00", TODAY)
    assert_problem(only_problem(problems), None, None, "NUL")


def test_runaway_quoted_field_is_a_problem_not_a_crash() -> None:
    data = make_csv(row()) + b'SW-0002,"' + b"x" * 200_000 + b"\n"
    rows, problems = read_discharge_list(data, TODAY)
    assert rows == []
    assert_problem(only_problem(problems), None, None, "CSV")


# --- the header ---------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", REQUIRED_COLUMNS)
def test_missing_required_column(missing: str) -> None:
    columns = tuple(column for column in COLUMNS if column != missing)
    rows, problems = read_discharge_list(make_csv(row(), columns=columns), TODAY)
    assert rows == []
    problem = only_problem(problems)
    assert_problem(problem, None, None, "missing required column")
    assert repr(missing) in problem.message


@pytest.mark.parametrize("optional", [column for column in COLUMNS if column not in REQUIRED_COLUMNS])
def test_optional_column_may_be_left_out(optional: str) -> None:
    columns = tuple(column for column in COLUMNS if column != optional)
    assert read_discharge_list(make_csv(row(), columns=columns), TODAY)[1] == []


@pytest.mark.parametrize(
    ("columns", "column", "word"),
    [
        ((*COLUMNS, "nhs_number"), "nhs_number", "unknown column"),
        ((*COLUMNS[:3], "Client_Ref", *COLUMNS[3:]), "Client_Ref", "unknown column"),
        ((*COLUMNS, "email"), "email", "twice"),
        ((*COLUMNS, "client_ref"), "client_ref", "twice"),
        ((*COLUMNS, ""), "(blank)", "empty column name"),
    ],
    ids=["unknown", "wrong case", "duplicate email", "duplicate client_ref", "blank name"],
)
def test_header_problem(columns: tuple[str, ...], column: str, word: str) -> None:
    rows, problems = read_discharge_list(make_csv(row(), columns=columns), TODAY)
    assert rows == []
    assert_problem(only_problem(problems), 1, column, word)


def test_two_blank_column_names_name_a_blank_column() -> None:
    _, problems = read_discharge_list(make_csv(row(), columns=(*COLUMNS, "", "")), TODAY)
    assert [(problem.row, problem.column) for problem in problems] == [(1, "(blank)"), (1, "(blank)")]
    assert "twice" in problems[1].message


def test_unknown_column_message_lists_the_columns() -> None:
    _, problems = read_discharge_list(make_csv(row(), columns=(*COLUMNS, "nickname")), TODAY)
    assert "client_ref" in problems[0].message and "language" in problems[0].message


def test_header_spaces_are_trimmed() -> None:
    data = make_csv(row()).replace(b"client_ref,", b" client_ref ,", 1)
    assert read_discharge_list(data, TODAY)[1] == []


def test_every_header_problem_at_once() -> None:
    columns = tuple(column for column in COLUMNS if column not in {"client_ref", "discharge_date"})
    _, problems = read_discharge_list(make_csv(row(), columns=(*columns, "extra", "email")), TODAY)
    assert [str(problem) for problem in problems] == [
        str(Problem(problems[0].message, 1, "extra")),
        str(Problem("appears twice in the header", 1, "email")),
        "file: missing required column 'client_ref'",
        "file: missing required column 'discharge_date'",
    ]


# --- row numbers and blank lines ----------------------------------------------------------------


def _lines(*rows: dict[str, str]) -> list[bytes]:
    return make_csv(*rows).splitlines()


def test_blank_lines_are_ignored_but_still_counted() -> None:
    header, good, bad = _lines(row(), row(client_ref="SW-0002", treatment_sessions="two"))
    data = b"\n".join([header, b"", good, b"", b"   ", b",,,", bad]) + b"\n"
    rows, problems = read_discharge_list(data, TODAY)
    assert rows == []
    assert_problem(only_problem(problems), 7, "treatment_sessions", "whole number")


def test_blank_lines_before_the_header_are_counted() -> None:
    header, bad = _lines(row(phq9_first="30"))
    data = b"\n\n" + header + b"\n" + bad + b"\n"
    _, problems = read_discharge_list(data, TODAY)
    assert_problem(only_problem(problems), 4, "phq9_first", "out of range")


def test_blank_lines_leave_valid_row_numbers() -> None:
    header, first, second = _lines(row(), row(client_ref="SW-0002"))
    rows, problems = read_discharge_list(b"\n".join([header, b"", first, b"", second]), TODAY)
    assert problems == []
    assert [parsed.row for parsed in rows] == [3, 5]


def test_row_with_too_few_values() -> None:
    header, good = _lines(row())
    short = b",".join(good.split(b",")[:5])
    _, problems = read_discharge_list(header + b"\n" + short + b"\n", TODAY)
    problem = only_problem(problems)
    assert_problem(problem, 2, COLUMNS[5], "values")
    assert "5 values" in problem.message and f"{len(COLUMNS)} columns" in problem.message


def test_row_with_too_many_values() -> None:
    header, good = _lines(row())
    _, problems = read_discharge_list(header + b"\n" + good + b",surplus\n", TODAY)
    assert_problem(only_problem(problems), 2, "(extra values)", "values")


def test_every_problem_in_the_file_is_reported_at_once_in_row_order() -> None:
    rows, problems = read(
        row(client_ref="SW-0001", referral_date="not a date"),
        row(client_ref="SW-0002"),
        row(client_ref="SW-0003", consent_to_follow_up="maybe"),
        row(client_ref="SW-0004", problem_descriptor="G30"),
        row(client_ref="SW-0005"),
    )
    assert rows == []
    assert len(problems) >= 3
    assert [(problem.row, problem.column) for problem in problems] == [
        (2, "referral_date"),
        (4, "consent_to_follow_up"),
        (5, "problem_descriptor"),
    ]
    rows_named = [problem.row or 0 for problem in problems]
    assert rows_named == sorted(rows_named)


def test_rows_only_when_no_problems() -> None:
    rows, problems = read(row(), row(client_ref="SW-0002", phone="12"))
    assert rows == [] and len(problems) == 1
    rows, problems = read(row(), row(client_ref="SW-0002"))
    assert problems == [] and len(rows) == 2


# --- canonical ----------------------------------------------------------------------------------


def test_canonical_equal_for_identical_rows() -> None:
    first = read_one()
    second = read_one()
    assert first.canonical() == second.canonical()


def test_canonical_ignores_row_position_and_the_key() -> None:
    """The caller compares it for the same (client_ref, discharge_date): the key and row number are not content."""
    parsed = read_one()
    moved = dataclasses.replace(parsed, row=40, client_ref="SW-9999", discharge_date=date(2026, 4, 21))
    assert moved.canonical() == parsed.canonical()


def test_canonical_same_meaning_written_differently() -> None:
    a = read_one(phone="07400 123456", referral_date="2026-01-05", email="A@example.org")
    b = read_one(phone="+44 7400 123456", referral_date="5/1/2026", email="a@example.org")
    assert a.canonical() == b.canonical()


CHANGES: dict[str, object] = {
    "consent": False,
    "referral_date": date(2026, 1, 6),
    "treatment_sessions": 9,
    "problem_descriptor": "F32",
    "phone": "+447400123457",
    "phone_is_uk_mobile": False,
    "email": "other@example.org",
    "preferred_channel": "email",
    "assessment_date": None,
    "first_treatment_date": date(2026, 1, 27),
    "intensity": "low",
    "phq9_first": 16,
    "phq9_last": None,
    "gad7_first": 0,
    "gad7_last": 6,
    "ending_reason": "other",
    "language": "en",
    "age_band": "66+",
    "sex": None,
    "imd_decile": 10,
    "consent_to_call": True,
}


def test_changes_cover_every_content_field() -> None:
    content = set(DischargeRow.__dataclass_fields__) - {"row", "client_ref", "discharge_date"}
    assert set(CHANGES) == content


@pytest.mark.parametrize(("name", "value"), CHANGES.items(), ids=list(CHANGES))
def test_canonical_differs_when_any_field_changes(name: str, value: object) -> None:
    parsed = read_one()
    assert getattr(parsed, name) != value
    assert dataclasses.replace(parsed, **{name: value}).canonical() != parsed.canonical()


def test_canonical_differs_between_reread_rows() -> None:
    assert read_one(phq9_last="6").canonical() != read_one(phq9_last="7").canonical()
    assert read_one(consent_to_follow_up="yes").canonical() != read_one(consent_to_follow_up="no").canonical()


def test_canonical_without_the_case_mix_columns_is_the_string_it_was_before_they_existed() -> None:
    """A list sent before the columns existed and sent again after says `unchanged`: its fingerprint is the same."""
    parsed = read_one(age_band="", sex="", imd_decile="")
    assert parsed.canonical().endswith("\x1fen-GB")  # language, the last column before them
    assert dataclasses.replace(parsed, imd_decile=1).canonical().endswith("\x1fen-GB\x1f\x1f\x1f1")


# --- the case-mix columns (SPEC 8.1) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "given", "stored"),
    [
        *(("age_band", band, band) for band in ("16-17", "18-25", "26-35", "36-45", "46-55", "56-65", "66+")),
        *(("sex", sex, sex) for sex in ("female", "male", "other", "unknown")),
        ("sex", " Female ", "female"),
        ("sex", "UNKNOWN", "unknown"),
        ("age_band", " 66+ ", "66+"),
        *(("imd_decile", str(decile), decile) for decile in range(1, 11)),
        ("imd_decile", " 07 ", 7),
        ("age_band", "", None),
        ("sex", "  ", None),
        ("imd_decile", "", None),
    ],
)
def test_case_mix_values_are_accepted_and_normalised(column: str, given: str, stored: object) -> None:
    assert getattr(read_one(**{column: given}), column) == stored


@pytest.mark.parametrize(
    ("column", "given", "message"),
    [
        ("age_band", "15", "'15' is not one of: 16-17, 18-25, 26-35, 36-45, 46-55, 56-65, 66+"),
        ("age_band", "18 - 25", "'18 - 25' is not one of: 16-17, 18-25, 26-35, 36-45, 46-55, 56-65, 66+"),
        ("age_band", "65+", "'65+' is not one of: 16-17, 18-25, 26-35, 36-45, 46-55, 56-65, 66+"),
        ("age_band", "42", "'42' is not one of: 16-17, 18-25, 26-35, 36-45, 46-55, 56-65, 66+"),
        ("sex", "f", "'f' is not one of: female, male, other, unknown"),
        ("sex", "not known", "'not known' is not one of: female, male, other, unknown"),
        ("imd_decile", "0", "0 is out of range (expected between 1 and 10)"),
        ("imd_decile", "11", "11 is out of range (expected between 1 and 10)"),
        ("imd_decile", "-3", "-3 is out of range (expected between 1 and 10)"),
        ("imd_decile", "5.5", "'5.5' is not a whole number (expected between 1 and 10)"),
        ("imd_decile", "fifth", "'fifth' is not a whole number (expected between 1 and 10)"),
    ],
)
def test_a_bad_case_mix_value_names_row_column_and_what_is_wrong(column: str, given: str, message: str) -> None:
    _, problems = read(row(), row(client_ref="SW-0002", **{column: given}))
    assert [str(problem) for problem in problems] == [f"row 3, column {column}: {message}"]


def test_the_case_mix_columns_are_read_without_consent_too() -> None:
    """They describe the episode, not how to reach the client: kept with consent no (the comparison counts
    every eligible episode, the service-reported figures every episode)."""
    parsed = read_one(consent_to_follow_up="no", age_band="18-25", sex="other", imd_decile="1")
    assert (parsed.age_band, parsed.sex, parsed.imd_decile) == ("18-25", "other", 1)


# --- robustness ---------------------------------------------------------------------------------

_PROBLEM_TEXT = re.compile(r"^(file: .+|row \d+, column .+: .+)$", re.DOTALL)


def _check_result(rows: list[DischargeRow], problems: list[Problem]) -> None:
    assert not (rows and problems)
    for problem in problems:
        assert _PROBLEM_TEXT.match(str(problem)), str(problem)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), st.text(alphabet=',"\n\r \t\ufeff', max_size=20).map(str.encode)))
def test_never_crashes_on_arbitrary_bytes(data: bytes) -> None:
    _check_result(*read_discharge_list(data, TODAY))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(',"\n\r \t;x1F-/é')), max_size=200))
def test_never_crashes_on_csv_like_text_after_a_header(body: str) -> None:
    data = (",".join(COLUMNS) + "\n" + body).encode()
    _check_result(*read_discharge_list(data, TODAY))


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({column: st.one_of(st.just(BASE[column]), st.text(max_size=12)) for column in COLUMNS}))
def test_never_crashes_on_arbitrary_values(values: dict[str, str]) -> None:
    rows, problems = read_discharge_list(make_csv(values), TODAY)
    _check_result(rows, problems)
    for parsed in rows:
        if not parsed.consent:
            assert parsed.phone is None and parsed.email is None and parsed.preferred_channel is None
        else:
            assert parsed.preferred_channel in {"sms", "email"}
            assert parsed.preferred_channel != "sms" or parsed.phone_is_uk_mobile
            assert parsed.preferred_channel != "email" or parsed.email is not None


# --- consent_to_call (SPEC 8.4) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"), [("yes", True), (" YES ", True), ("Yes", True), ("no", False), ("NO", False), ("", False)]
)
def test_consent_to_call_is_yes_or_no_in_any_case_and_no_when_empty(given: str, stored: bool) -> None:
    assert read_one(consent_to_call=given).consent_to_call is stored


def test_consent_to_call_left_out_of_the_header_is_no() -> None:
    columns = [name for name in COLUMNS if name != "consent_to_call"]
    rows, problems = read_discharge_list(make_csv(row(), columns=columns), TODAY)
    assert problems == [] and rows[0].consent_to_call is False


@pytest.mark.parametrize("given", ["y", "true", "1", "maybe", "yes please"])
def test_a_bad_consent_to_call_names_row_column_and_what_is_wrong(given: str) -> None:
    _, problems = read(row(), row(client_ref="SW-0002", consent_to_call=given))
    assert [str(problem) for problem in problems] == [f"row 3, column consent_to_call: {given!r} must be yes or no"]


def test_consent_to_call_without_consent_to_follow_up_is_stored_as_no() -> None:
    assert read_one(consent_to_follow_up="no", consent_to_call="yes").consent_to_call is False


def test_canonical_without_consent_to_call_is_the_string_it_was_before_it_existed() -> None:
    assert read_one(consent_to_call="no").canonical() == read_one(consent_to_call="").canonical()
    assert read_one(consent_to_call="yes").canonical() != read_one(consent_to_call="no").canonical()
