"""The independent telephone assessment (SPEC 8.4): drawing samples of the episodes that may be called,
and the assessors' calls (the list, the audited phone-number reveal, recording the interview).

Blinding: nothing here hands an assessor the texted answers, the outcome category or a conversation.
"""

from app.services.assessment.calls import (
    PER_PAGE,
    USUAL_SELF_VALUES,
    CallRefused,
    CallRow,
    Interview,
    call_list,
    get_call,
    interview_problems,
    next_call,
    phone_revealed_before,
    record_declined,
    record_interview,
    record_not_reached,
    reveal_phone,
    since_date,
    take_call,
)
from app.services.assessment.sampling import DrawnSample, SampleRefused, Stratum, draw_sample

__all__ = [
    "PER_PAGE",
    "USUAL_SELF_VALUES",
    "CallRefused",
    "CallRow",
    "DrawnSample",
    "Interview",
    "SampleRefused",
    "Stratum",
    "call_list",
    "draw_sample",
    "get_call",
    "interview_problems",
    "next_call",
    "phone_revealed_before",
    "record_declined",
    "record_interview",
    "record_not_reached",
    "reveal_phone",
    "since_date",
    "take_call",
]
