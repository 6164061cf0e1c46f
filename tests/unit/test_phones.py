"""One phone normaliser for intake and inbound SMS: however a service writes a number, it is stored in the
form Twilio's sender arrives in, so the keyed hashes match (app.domain.phones)."""

import pytest

from app.domain.phones import (
    DRAMA_RANGE,
    OFCOM_DRAMA_PREFIXES,
    dialling_form,
    is_drama_number,
    normalise_phone,
    phone_problem,
    sender_number,
)

WRITTEN = [
    ("07400 123456", "+447400123456"),
    ("07400123456", "+447400123456"),
    ("+44 7400 123456", "+447400123456"),
    ("+44 (0)7400 123456", "+447400123456"),
    ("447400123456", "+447400123456"),
    ("0044 7400 123456", "+447400123456"),
    ("07400-123-456", "+447400123456"),
    (" 07400 123456 ", "+447400123456"),
    ("+33 6 12 34 56 78", "+33612345678"),
]


@pytest.mark.parametrize(("written", "from_twilio"), WRITTEN)
def test_what_intake_stores_is_what_the_inbound_sender_hashes_as(written: str, from_twilio: str) -> None:
    normalised = normalise_phone(written)
    assert normalised is not None
    assert normalised[0] == from_twilio == sender_number(from_twilio)


@pytest.mark.parametrize("junk", ["12345", "", "not a number", "+44740012345", "07400 12345 6789"])
def test_what_is_not_a_number_is_refused_at_intake_and_hashed_as_given_inbound(junk: str) -> None:
    assert normalise_phone(junk) is None
    assert sender_number(junk) == junk.strip()


def test_uk_mobiles_are_told_from_landlines() -> None:
    assert normalise_phone("07400 123456") == ("+447400123456", True)
    assert normalise_phone("020 7946 0000") == ("+442079460000", False)


# --- why a number is refused (app.domain.phones.phone_problem) ------------------------------------

DRAMA_REFUSED = ["07700 900000", "07700 900001", "07700 900999", "+447700900123", "01632 960001", "0115 496 0123"]


@pytest.mark.parametrize("number", DRAMA_REFUSED)
def test_a_number_in_an_ofcom_drama_range_is_refused_and_says_so(number: str) -> None:
    assert normalise_phone(number) is None  # refused today, and still refused
    assert is_drama_number(number)
    assert phone_problem(number) == DRAMA_RANGE
    assert DRAMA_RANGE == "is in the range Ofcom reserves for TV and radio drama, so it cannot reach anyone"


@pytest.mark.parametrize("number", ["07700 901000", "01632 961000", "01000 000000", "0115 496 1000"])
def test_a_number_of_the_right_length_that_is_not_allocated_says_so(number: str) -> None:
    assert normalise_phone(number) is None and not is_drama_number(number)
    assert phone_problem(number).startswith("is not an allocated UK number")


@pytest.mark.parametrize(
    ("number", "says"),
    [
        ("12345", "too few digits"),
        ("07400 12345", "too few digits"),
        ("+44740012345", "too few digits"),
        ("074001234567", "too many digits"),
        ("call me", "is not a valid phone number (a UK number such as 07xxx xxxxxx"),
        ("", "is not a valid phone number"),
    ],
)
def test_other_refusals_say_what_is_wrong_with_the_hint(number: str, says: str) -> None:
    assert normalise_phone(number) is None
    assert says in phone_problem(number) and "not a valid phone number" in phone_problem(number)


@pytest.mark.parametrize("number", [*DRAMA_REFUSED, "07700 901000", "074001234567"])
def test_a_refusal_never_repeats_the_number(number: str) -> None:
    digits = "".join(char for char in number if char.isdigit())
    assert digits[-6:] not in phone_problem(number)


@pytest.mark.parametrize("number", ["020 7946 0123", "0191 498 0123", "0808 157 0000", "03069 990000"])
def test_drama_numbers_accepted_today_stay_accepted(number: str) -> None:
    # These sit inside blocks phonenumbers counts as allocated: they are landlines or non-geographic,
    # never texted, and the tests and services use them as synthetic landlines.
    assert is_drama_number(number)
    normalised = normalise_phone(number)
    assert normalised is not None and normalised[1] is False


@pytest.mark.parametrize("number", ["07700 110042", "07700 139999", "07701 110042", "07700 100000", "07700 899999"])
def test_the_demos_synthetic_mobiles_are_not_in_the_drama_range(number: str) -> None:
    # The demo seeds 07700 1SNNNN and 07701 1SNNNN (service S, client NNNN) and random 07700 1xxxxx numbers.
    assert not is_drama_number(number)
    assert normalise_phone(number) is not None


def test_inbound_senders_in_the_drama_range_are_hashed_as_today() -> None:
    # Twilio's test numbers (+447700900xxx) arrive in E.164: taken as given, as before (no client has them).
    assert sender_number("+447700900123") == "+447700900123"
    assert sender_number("07700 900123") == "07700 900123"


@pytest.mark.parametrize("prefix", OFCOM_DRAMA_PREFIXES)
def test_every_drama_range_holds_a_thousand_numbers_and_no_more(prefix: str) -> None:
    assert is_drama_number(f"0{prefix}000") and is_drama_number(f"+44{prefix}999")
    assert not is_drama_number(f"0{prefix}99")  # one digit short: another number, not in the range
    assert not is_drama_number(f"+1{prefix}000")  # the same digits in another country


@pytest.mark.parametrize(
    ("e164", "dialled"),
    [
        ("+447700900123", "07700 900123"),  # a drama-range mobile: still formatted as the UK dials it
        ("+447400123456", "07400 123456"),
        ("+442079460123", "020 7946 0123"),
        ("+441632960123", "01632 960123"),
        ("+353861234567", "+353 86 123 4567"),
        ("+33612345678", "+33 6 12 34 56 78"),
        ("+12025550123", "+1 202-555-0123"),
        ("not a number", "not a number"),
    ],
)
def test_a_stored_number_in_the_form_a_person_dials_it_from_the_uk(e164: str, dialled: str) -> None:
    assert dialling_form(e164) == dialled
