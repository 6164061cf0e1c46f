"""Reading a service's discharge list (CSV): every problem found at once, nothing half-read.

Pure: the caller passes the file's bytes and today's date; the result is either clean rows or a
list of problems, each naming its row (the header is row 1) and column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from email_validator import EmailNotValidError, validate_email

from app.domain.comparison.cells import AGE_BANDS, SEXES
from app.domain.discharge_columns import (
    CHANNELS,
    CLIENT_REF_MAX_LENGTH,
    COLUMNS,
    CONSENT_VALUES,
    CONTACT_COLUMNS,
    DATE_FORMS,
    DATE_ORDER,
    DESCRIPTOR_FORMS,
    ENDING_REASONS,
    IMD_DECILE_RANGE,
    INTENSITIES,
    LANGUAGE_FORMS,
    REQUIRED_COLUMNS,
    SCORE_RANGES,
    SESSIONS_MIN,
)
from app.domain.phones import normalise_phone, phone_problem

__all__ = [
    "COLUMNS",
    "CONTACT_COLUMNS",
    "DATE_ORDER",
    "ENDING_REASONS",
    "INTENSITIES",
    "REQUIRED_COLUMNS",
    "SCORE_RANGES",
    "DischargeRow",
    "Problem",
    "is_nhs_number",
    "normalise_email",
    "parse_date",
    "read_discharge_list",
]

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ICD10_F = re.compile(r"^F\d{2}(?:\.?\d{1,2})?$", re.IGNORECASE)
_BCP47 = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_NHS_NUMBER_CHARS = re.compile(r"^[\d\s-]+$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file, phrased for the person who made it."""

    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        if self.row is None:
            return f"file: {self.message}"
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class DischargeRow:
    """One valid row. Contact fields are None unless the client consented."""

    row: int
    client_ref: str
    consent: bool
    referral_date: date
    discharge_date: date
    treatment_sessions: int
    problem_descriptor: str
    phone: str | None = None  # E.164
    phone_is_uk_mobile: bool = False
    email: str | None = None  # normalised, lower case
    preferred_channel: str | None = None  # resolved: sms | email (None without consent)
    assessment_date: date | None = None
    first_treatment_date: date | None = None
    intensity: str | None = None
    phq9_first: int | None = None
    phq9_last: int | None = None
    gad7_first: int | None = None
    gad7_last: int | None = None
    ending_reason: str | None = None
    language: str | None = None
    age_band: str | None = None  # the case-mix columns (SPEC 8.1)
    sex: str | None = None
    imd_decile: int | None = None
    consent_to_call: bool = False  # the assessor's call (SPEC 8.4); only ever true with consent

    def canonical(self) -> str:
        """Everything the row means, in one stable string (the caller keys a hash of it)."""
        values = [getattr(self, name) for name in _FINGERPRINT_FIELDS]
        case_mix = [getattr(self, name) for name in _CASE_MIX_FIELDS]
        if any(value is not None for value in case_mix):  # without them, the string it was before they existed:
            values += case_mix  # a list sent again after they were added is still `unchanged`
        if self.consent_to_call:  # likewise: only a yes changes the string
            values += ["call"]
        return "\x1f".join("" if value is None else str(value) for value in values)


_CASE_MIX_FIELDS: Final = ("age_band", "sex", "imd_decile")
_FINGERPRINT_FIELDS: Final = tuple(
    name
    for name in DischargeRow.__dataclass_fields__
    if name not in {"row", "client_ref", "discharge_date", "consent_to_call", *_CASE_MIX_FIELDS}
)


@dataclass
class _RowReader:
    """Collects problems for one row while turning its text fields into values."""

    row: int
    fields: dict[str, str]
    problems: list[Problem] = field(default_factory=list)

    def problem(self, column: str, message: str) -> None:
        self.problems.append(Problem(message, self.row, column))

    def text(self, column: str) -> str:
        return self.fields.get(column, "").strip()

    def required(self, column: str) -> str | None:
        value = self.text(column)
        if not value:
            self.problem(column, "is required but empty")
            return None
        return value

    def date(self, column: str, *, required: bool = False) -> date | None:
        value = self.required(column) if required else (self.text(column) or None)
        if value is None:
            return None
        parsed = parse_date(value)
        if isinstance(parsed, str):
            self.problem(column, parsed)
            return None
        return parsed

    def integer(self, column: str, low: int, high: int | None, *, required: bool = False) -> int | None:
        value = self.required(column) if required else (self.text(column) or None)
        if value is None:
            return None
        bounds = f"between {low} and {high}" if high is not None else f"{low} or more"
        if not re.fullmatch(r"[+-]?\d+", value):
            self.problem(column, f"{value!r} is not a whole number (expected {bounds})")
            return None
        number = int(value)
        if number < low or (high is not None and number > high):
            self.problem(column, f"{number} is out of range (expected {bounds})")
            return None
        return number

    def yes_no(self, column: str) -> bool | None:
        """An optional yes/no column: None when empty or refused (the problem is noted)."""
        value = self.text(column)
        if not value:
            return None
        answer = CONSENT_VALUES.get(value.lower())
        if answer is None:
            self.problem(column, f"{value!r} must be {' or '.join(CONSENT_VALUES)}")
        return answer

    def choice(self, column: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(column).lower()
        if not value:
            return None
        if value not in allowed:
            self.problem(column, f"{self.text(column)!r} is not one of: {', '.join(allowed)}")
            return None
        return value


def parse_date(value: str) -> date | str:
    """ISO (2026-03-14) or UK day-first (14/3/2026). Returns the date or a message saying what is wrong."""
    match = _ISO_DATE.match(value)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _UK_DATE.match(value)
        if not match:
            return f"{value!r} is not a date: use {DATE_FORMS}"
        day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return f"{value!r} is not a real date"


def is_nhs_number(value: str) -> bool:
    """Whether a value passes the NHS number modulus-11 check (and so would identify someone)."""
    if not _NHS_NUMBER_CHARS.match(value):
        return False
    digits = [int(char) for char in value if char.isdigit()]
    if len(digits) != 10:
        return False
    remainder = sum(digit * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == digits[9]


#: The plain ASCII addresses most lists hold (name.surname+tag@mail.example.org), accepted without the full
#: validator, which took a fifth of the time of a 200,000-row list; anything else goes through it.
#: tests/unit/test_discharge_list_email.py checks the validator accepts every address this accepts, the same.
PLAIN_EMAIL: Final = re.compile(
    r"(?P<local>[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*)@(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})"
)
#: Domains the validator refuses however they are written (special-use names, RFC 6761 and others).
SPECIAL_USE_DOMAINS: Final = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def _plain_email(value: str) -> str | None:
    """The address lower-cased when it is a plain ASCII one the validator would accept as it is; else None."""
    if not value.isascii() or len(value) > 254:
        return None
    lowered = value.lower()
    match = PLAIN_EMAIL.fullmatch(lowered)
    if match is None or len(match["local"]) > 64 or match["domain"].rsplit(".", 1)[1] in SPECIAL_USE_DOMAINS:
        return None
    if "--" in match["domain"]:  # IDNA reserves "--" in a label's third and fourth places (xn--): the validator
        return None  # decides those
    return lowered


def normalise_email(value: str) -> str | None:
    """A syntactically valid address, lower-cased (we never check deliverability at intake)."""
    plain = _plain_email(value)
    if plain is not None:
        return plain
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    return str(result.normalized).lower()


def read_discharge_list(data: bytes, today: date) -> tuple[list[DischargeRow], list[Problem]]:
    """Parse and validate a whole discharge list. Rows are returned only when there are no problems."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return [], [Problem(f"is not UTF-8 text (byte {error.start + 1}); save it as 'CSV UTF-8'")]
    empty = Problem("the file is empty: expected a header row and one row per discharge")
    if not text.strip():
        return [], [empty]
    if "\x00" in text:
        return [], [Problem("contains NUL characters: is it a spreadsheet file rather than CSV?")]
    csv_reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(csv_reader)
    except csv.Error as error:  # e.g. a runaway quoted field longer than the csv module allows
        return [], [Problem(f"cannot be read as CSV near line {csv_reader.line_num}: {error} (check the quotes)")]
    header_index = next((i for i, record in enumerate(records) if any(cell.strip() for cell in record)), None)
    if header_index is None:  # only separators, e.g. a sheet of empty cells
        return [], [empty]
    header = [cell.strip() for cell in records[header_index]]
    header_row = header_index + 1
    problems = _check_header(header, header_row)
    if problems:
        return [], problems
    rows: list[DischargeRow] = []
    first_seen: dict[tuple[str, date], int] = {}
    for index in range(header_index + 1, len(records)):
        record = records[index]
        if not any(cell.strip() for cell in record):
            continue  # blank lines are ignored
        row_number = index + 1
        reader = _RowReader(row_number, dict(zip(header, record, strict=False)))
        if len(record) != len(header):
            missing = header[len(record)] if len(record) < len(header) else "(extra values)"
            reader.problem(missing, f"the row has {len(record)} values but the header has {len(header)} columns")
            problems.extend(reader.problems)
            continue
        row = _read_row(reader, today)
        problems.extend(reader.problems)
        if row is None:
            continue
        key = (row.client_ref, row.discharge_date)
        if key in first_seen:
            problems.append(
                Problem(
                    f"duplicate of row {first_seen[key]} (same client_ref and discharge_date)",
                    row_number,
                    "client_ref",
                )
            )
            continue
        first_seen[key] = row_number
        rows.append(row)
    if not rows and not problems:
        problems.append(Problem("has a header but no discharge rows"))
    return ([] if problems else rows), problems


def _check_header(header: list[str], row: int) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem("appears twice in the header", row, name or "(blank)"))
        elif name not in COLUMNS:
            hint = "an empty column name" if not name else "unknown column"
            problems.append(Problem(f"{hint}; the columns are: {', '.join(COLUMNS)}", row, name or "(blank)"))
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            problems.append(Problem(f"missing required column {name!r}"))
    return problems


def _read_row(reader: _RowReader, today: date) -> DischargeRow | None:
    client_ref = reader.required("client_ref")
    if client_ref is not None:
        if is_nhs_number(client_ref):
            reader.problem("client_ref", "looks like an NHS number; use the service's own pseudonymous reference")
        elif len(client_ref) > CLIENT_REF_MAX_LENGTH:
            reader.problem("client_ref", f"is longer than {CLIENT_REF_MAX_LENGTH} characters")
    consent_text = reader.required("consent_to_follow_up")
    consent: bool | None = None
    if consent_text is not None:
        consent = CONSENT_VALUES.get(consent_text.lower())
        if consent is None:
            reader.problem("consent_to_follow_up", f"{consent_text!r} must be {' or '.join(CONSENT_VALUES)}")
    dates = {name: reader.date(name, required=name in REQUIRED_COLUMNS) for name in DATE_ORDER}
    _check_date_order(reader, dates, today)
    sessions = reader.integer("treatment_sessions", SESSIONS_MIN, None, required=True)
    descriptor = reader.required("problem_descriptor")
    if descriptor is not None:
        if descriptor.lower() == "none":
            descriptor = "none"
        elif not _ICD10_F.match(descriptor):
            reader.problem(
                "problem_descriptor",
                f"{descriptor!r} is not an ICD-10 chapter F code: expected a form like {DESCRIPTOR_FORMS}, or none",
            )
        else:
            descriptor = descriptor.upper()
    scores = {column: reader.integer(column, 0, high) for column, high in SCORE_RANGES.items()}
    intensity = reader.choice("intensity", INTENSITIES)
    ending_reason = reader.choice("ending_reason", ENDING_REASONS)
    language = reader.text("language") or None
    age_band = reader.choice("age_band", AGE_BANDS)
    sex = reader.choice("sex", SEXES)
    imd_decile = reader.integer("imd_decile", *IMD_DECILE_RANGE)
    consent_to_call = reader.yes_no("consent_to_call")
    if language is not None and not _BCP47.match(language):
        reader.problem("language", f"{language!r} is not a BCP 47 language tag such as {LANGUAGE_FORMS}")
    contact = _read_contact(reader) if consent else _Contact()
    if reader.problems:
        return None
    assert client_ref and consent is not None and sessions is not None and descriptor  # for the type checker
    referral, discharge = dates["referral_date"], dates["discharge_date"]
    assert referral and discharge
    return DischargeRow(
        row=reader.row,
        client_ref=client_ref,
        consent=consent,
        referral_date=referral,
        discharge_date=discharge,
        assessment_date=dates["assessment_date"],
        first_treatment_date=dates["first_treatment_date"],
        treatment_sessions=sessions,
        problem_descriptor=descriptor,
        intensity=intensity,
        ending_reason=ending_reason,
        language=language,
        age_band=age_band,
        sex=sex,
        imd_decile=imd_decile,
        consent_to_call=bool(consent and consent_to_call),
        phq9_first=scores["phq9_first"],
        phq9_last=scores["phq9_last"],
        gad7_first=scores["gad7_first"],
        gad7_last=scores["gad7_last"],
        phone=contact.phone,
        phone_is_uk_mobile=contact.phone_is_uk_mobile,
        email=contact.email,
        preferred_channel=contact.preferred_channel,
    )


@dataclass(frozen=True)
class _Contact:
    """Contact details of a consenting row (all empty without consent: never read, never stored)."""

    phone: str | None = None
    phone_is_uk_mobile: bool = False
    email: str | None = None
    preferred_channel: str | None = None


def _check_date_order(reader: _RowReader, dates: dict[str, date | None], today: date) -> None:
    discharge = dates["discharge_date"]
    if discharge is not None and discharge > today:
        reader.problem("discharge_date", f"{discharge.isoformat()} is in the future")
    earlier: tuple[str, date] | None = None
    for column in DATE_ORDER:
        value = dates[column]
        if value is None:
            continue
        if earlier is not None and value < earlier[1]:
            reader.problem(column, f"{value.isoformat()} is before {earlier[0]} {earlier[1].isoformat()}")
        earlier = (column, value)


def _read_contact(reader: _RowReader) -> _Contact:
    """Contact columns, read only for consenting clients (otherwise they are never looked at)."""
    problems_before = len(reader.problems)
    phone: str | None = None
    uk_mobile = False
    phone_text = reader.text("phone")
    if phone_text:
        normalised = normalise_phone(phone_text)
        if normalised is None:
            reader.problem("phone", phone_problem(phone_text))
        else:
            phone, uk_mobile = normalised
    email: str | None = None
    email_text = reader.text("email")
    if email_text:
        email = normalise_email(email_text)
        if email is None:
            reader.problem("email", "is not a valid email address")
    channel = reader.choice("preferred_channel", CHANNELS)
    if len(reader.problems) > problems_before:
        return _Contact()  # the contact columns are already reported; judging channels on top would mislead
    usable = {"sms": uk_mobile, "email": email is not None}
    if channel == "sms" and not usable["sms"]:
        reader.problem("preferred_channel", "is sms but there is no UK mobile number (only UK mobiles are texted)")
    elif channel == "email" and not usable["email"]:
        reader.problem("preferred_channel", "is email but there is no email address")
    elif channel is None:
        channel = "sms" if usable["sms"] else ("email" if usable["email"] else None)
        if channel is None:
            reader.problem(
                "consent_to_follow_up",
                "is yes but there is no usable contact: give a UK mobile number or an email address",
            )
    return _Contact(phone=phone, phone_is_uk_mobile=uk_mobile, email=email, preferred_channel=channel)
