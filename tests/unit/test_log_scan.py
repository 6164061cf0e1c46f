"""The whole-run log scan (tests/conftest.py) really catches contact details in clear, and only those."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import _WATCH


@pytest.mark.parametrize(
    "message",
    ["sent to +447400123456", "sent to 07400 123456", "reply from +44 7400 123 456", "mail to person1@example.org"],
)
def test_a_contact_in_clear_is_caught(message: str) -> None:
    before = len(_WATCH.leaks)
    logging.getLogger("stillwell.test").warning(message)
    caught = _WATCH.leaks[before:]
    del _WATCH.leaks[before:]  # this test's own leak must not fail the run
    assert len(caught) == 1 and message in caught[0]


@pytest.mark.parametrize(
    "message", ["sent to +44******3456", "mail to p***@example.org", "message 1234567890123 accepted", "actor user:3"]
)
def test_masked_forms_and_other_numbers_pass(message: str) -> None:
    before = len(_WATCH.leaks)
    logging.getLogger("stillwell.test").warning(message)
    assert _WATCH.leaks[before:] == []
