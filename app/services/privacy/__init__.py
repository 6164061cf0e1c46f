"""The privacy lifecycle: erasure, withdrawal of answers, subject access, key rotation."""

from app.services.privacy.lifecycle import (
    erase_due,
    erase_on_request,
    export_subject_access,
    rotate_keys,
    rows_to_rotate,
    withdraw_answers,
)

__all__ = [
    "erase_due",
    "erase_on_request",
    "export_subject_access",
    "rotate_keys",
    "rows_to_rotate",
    "withdraw_answers",
]
