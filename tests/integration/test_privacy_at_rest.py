"""A dump of the database holds no phone number or email in clear."""

from __future__ import annotations

import re

from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.privacy import database_dump

PHONES = ["07400 123456", "+447400654321", "07400 777888"]
EMAILS = ["alpha.person@example.org", "Beta.Person@Example.org", "gamma@example.org"]


def digits_of(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-9:]  # the national significant number, whatever the format


def test_dump_has_no_contact_details_in_clear(app):
    make_service()
    rows = [
        row(client_ref=f"C{i}", phone=phone, email=email)
        for i, (phone, email) in enumerate(zip(PHONES, EMAILS, strict=True))
    ]
    rows.append(
        row(
            client_ref="NOCONSENT",
            consent_to_follow_up="no",
            phone="07400 999000",
            email="no.consent.person@example.org",
        )
    )
    run_import(csv_bytes(rows))
    dump = database_dump()
    assert "C0" in dump or "C1" in dump  # the dump really holds the imported rows
    for phone in [*PHONES, "07400 999000"]:
        assert digits_of(phone) not in dump, phone
    for email in [*EMAILS, "no.consent.person@example.org"]:
        assert email.lower() not in dump.lower(), email
        assert email.split("@")[0].lower() not in dump.lower(), email
