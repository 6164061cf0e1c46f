"""Masked forms of contact details, for anything printed or logged: enough to tell two apart, not to reach anyone."""

from __future__ import annotations


def mask_phone(number: str) -> str:
    """'+447700903456' -> '+44******3456': the country prefix and the last four digits only."""
    digits = [char for char in number if char.isdigit()]
    plus = "+" if number.strip().startswith("+") else ""
    if len(digits) < 8:
        return plus + "*" * max(len(digits) - 2, 0) + "".join(digits[-2:])
    return plus + "".join(digits[:2]) + "*" * (len(digits) - 6) + "".join(digits[-4:])


def mask_email(address: str) -> str:
    """'person@example.org' -> 'p***@example.org': the first letter of the mailbox and the domain."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return "***"
    return (local[:1] or "") + "***@" + domain
