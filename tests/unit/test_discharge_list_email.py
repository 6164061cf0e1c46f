"""The plain-address fast path of normalise_email accepts only what the full validator accepts, and the same."""

from __future__ import annotations

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.discharge_list import PLAIN_EMAIL, SPECIAL_USE_DOMAINS, _plain_email, normalise_email


def validator(value: str) -> str | None:
    try:
        return str(validate_email(value, check_deliverability=False).normalized).lower()
    except EmailNotValidError:
        return None


def test_the_special_use_names_are_the_validators() -> None:
    assert set(SPECIAL_USE_DOMAINS) == set(SPECIAL_USE_DOMAIN_NAMES)


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(st.from_regex(PLAIN_EMAIL, fullmatch=True))
def test_every_plain_address_is_one_the_validator_accepts_the_same(address: str) -> None:
    for written in (address, address.upper(), address.title()):
        fast = _plain_email(written)
        if fast is not None:
            assert validator(written) == fast, written


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(st.text(alphabet="aZ09._+-@K\u212a\u0130 ", max_size=30))
def test_any_text_gets_the_validators_answer(text: str) -> None:
    assert normalise_email(text) == validator(text), text


def test_examples() -> None:
    assert normalise_email("Person.One+tag@Example.ORG") == "person.one+tag@example.org"
    assert normalise_email("someone@mail.test") is None  # special-use: the validator's refusal
    assert normalise_email("a..b@example.org") is None
    assert normalise_email("0@00--0.aa") is None  # found by the property test: "--" in places 3-4 of a label
    assert normalise_email("\u212aelvin@example.org") == validator("\u212aelvin@example.org")  # not ASCII: validator
