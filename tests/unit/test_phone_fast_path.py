"""The fast UK path of normalise_phone agrees with phonenumbers' public classification."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from app.domain.phones import normalise_phone


def public_classification(value: str) -> tuple[str, bool] | None:
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    is_uk_mobile = (
        phonenumbers.region_code_for_number(number) == "GB"
        and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    )
    return e164, is_uk_mobile


FIXED = [
    "07400 123456",
    "+44 7400 123456",
    "0044 7400 123456",
    "020 7946 0123",
    "0121 496 0000",
    "0800 123 4567",
    "07624 123456",  # Isle of Man mobile: +44 but not GB
    "07781 123456",
    "07700 900123",
    "+33 6 12 34 56 78",
    "+1 202 555 0143",
    "12345",
    "not a number",
    "",
]


@pytest.mark.parametrize("value", FIXED)
def test_fast_path_matches_public_api(value: str) -> None:
    assert normalise_phone(value) == public_classification(value)


def test_fast_path_matches_public_api_on_random_uk_numbers() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        value = "0" + str(rng.choice((1, 2, 3, 5, 7, 8, 9))) + "".join(str(rng.randint(0, 9)) for _ in range(9))
        assert normalise_phone(value) == public_classification(value), value


def test_written_mobiles_agree_with_the_public_api_for_every_07_block() -> None:
    """The parser-free path for 07 numbers (written with spaces, hyphens or +44) gives phonenumbers' own answer
    in every block of 07 numbers (each 5-digit prefix, two numbers in each), Isle of Man and Channel Islands
    mobiles, personal numbers and pagers included."""
    rng = random.Random(11)
    for block in range(10_000):
        national = f"7{block:04d}{rng.randrange(100_000):05d}"
        for written in (f"0{national[:4]} {national[4:]}", f"+44 {national[:4]}-{national[4:]}"):
            assert normalise_phone(written) == public_classification(written), written
