"""Console transports and masking: the demo prints what it would send, never a full number or address."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.messaging import EmailSender, SmsSender, mask_email, mask_phone
from app.messaging.console import ConsoleEmailSender, ConsoleSmsSender

NUMBER = "+447700903456"
ADDRESS = "person@example.org"


def test_mask_phone_keeps_the_country_prefix_and_last_four_digits() -> None:
    assert mask_phone(NUMBER) == "+44******3456"


def test_mask_email_keeps_the_first_letter_and_the_domain() -> None:
    assert mask_email(ADDRESS) == "p***@example.org"


@pytest.mark.parametrize("odd", ["", "   ", "12", "not-an-address", "@example.org"])
def test_masking_odd_values_reveals_little(odd: str) -> None:
    assert len(re.sub(r"[^0-9]", "", mask_phone(odd))) <= 2
    assert "@" not in mask_email(odd) or mask_email(odd).startswith("***@")


@given(st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_a_masked_number_never_shows_more_than_six_digits(number: str) -> None:
    masked = mask_phone(number)

    assert number not in masked
    assert len(re.sub(r"[^0-9]", "", masked)) <= 6
    assert masked.endswith(number[-4:])


# A mailbox made of asterisks cannot be told from the mask itself ("*@a.ac" is inside "****@a.ac").
@given(st.emails().filter(lambda address: "*" not in address.rpartition("@")[0]))
def test_a_masked_address_never_shows_the_mailbox(address: str) -> None:
    local = address.rpartition("@")[0]
    masked = mask_email(address)

    assert address not in masked
    assert masked.startswith(local[:1] + "***@")


def test_console_sms_prints_a_masked_number_and_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    sender = ConsoleSmsSender()

    outcome = sender.send_sms(NUMBER, "How are you now? Reply 1-5. Reply STOP to opt out.", status_callback=None)

    printed = capsys.readouterr().out
    assert outcome.status == "accepted"
    assert outcome.provider_id is not None and outcome.provider_id.startswith("console-")
    assert "+44******3456" in printed
    assert "Reply STOP to opt out." in printed
    assert NUMBER not in printed
    assert "7700903456" not in printed


def test_console_sms_remembers_what_it_printed_for_reconciliation() -> None:
    sender = ConsoleSmsSender(stream=io.StringIO())
    since = datetime.now(UTC) - timedelta(seconds=1)
    sent = sender.send_sms(NUMBER, "First", status_callback=None)
    sender.send_sms("+447700900999", "Other", status_callback=None)

    listed = sender.recent_messages_to(NUMBER, since)

    assert [(m.sid, m.body) for m in listed] == [(sent.provider_id, "First")]
    assert sender.recent_messages_to(NUMBER, datetime.now(UTC) + timedelta(minutes=1)) == []


def test_console_email_prints_a_masked_address_and_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    sender = ConsoleEmailSender()

    outcome = sender.send_email(
        ADDRESS,
        "A quick question",
        "Hello. Replies to this address are not read.",
        "<p>Hello.</p>",
        {"List-Unsubscribe": "<https://sw.example/u/abc>"},
    )

    printed = capsys.readouterr().out
    assert outcome.status == "accepted"
    assert outcome.provider_id is not None and outcome.provider_id.startswith("console-")
    assert "p***@example.org" in printed
    assert "A quick question" in printed
    assert "Replies to this address are not read." in printed
    assert "List-Unsubscribe" in printed
    assert ADDRESS not in printed
    assert "person" not in printed


def test_console_transports_meet_the_protocols() -> None:
    assert isinstance(ConsoleSmsSender(), SmsSender)
    assert isinstance(ConsoleEmailSender(), EmailSender)
