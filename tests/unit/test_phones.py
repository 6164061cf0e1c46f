"""One phone normaliser for intake and inbound SMS: however a service writes a number, it is stored in the
form Twilio's sender arrives in, so the keyed hashes match (app.domain.phones)."""

import pytest

from app.domain.phones import normalise_phone, sender_number

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
