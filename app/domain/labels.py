"""How answers, outcomes and funnel steps are named for people: one wording for every page, report and form."""

from __future__ import annotations

from typing import Final

CHANGE_LABELS: Final = {
    "much_better": "Much better",
    "a_little_better": "A little better",
    "same": "The same",
    "a_little_worse": "A little worse",
    "much_worse": "Much worse",
}
USUAL_SELF_LABELS: Final = {
    "yes": "Yes, completely",
    "mostly": "Mostly, only mild symptoms left",
    "no": "No",
}
OUTCOME_LABELS: Final = {
    "durably_recovered": "Durably recovered",
    "relapsed": "Relapsed",
    "improved": "Improved",
    "unchanged": "Unchanged",
    "worse": "Worse",
    "opted_out": "Opted out",
    "unreachable": "Unreachable",
    "no_response": "No response",
}
FUNNEL_LABELS: Final = {
    "referred": "Referred",
    "assessed": "Assessed",
    "entered_treatment": "Entered treatment (1+ sessions)",
    "finished_course": "Finished a course (2+ sessions)",
    "seven_plus": "Adequate dose (7+ sessions)",
}
#: The disorders first presented with (`by_disorder`, SPEC section 8.1), named with their ICD-10 codes.
DISORDER_LABELS: Final = {
    "depression": "Depression (F32, F33)",
    "mixed_anxiety_depression": "Mixed anxiety and depression (F41.2)",
    "generalised_anxiety": "Generalised anxiety (F41.1)",
    "panic": "Panic disorder (F41.0)",
    "agoraphobia": "Agoraphobia (F40.0)",
    "social_phobia": "Social phobia (F40.1)",
    "specific_phobia": "Specific phobia (F40.2)",
    "ocd": "OCD (F42)",
    "ptsd": "PTSD (F43.1)",
    "health_anxiety": "Health anxiety (F45.2)",
    "other_anxiety": "Other anxiety (F40, F41, F43)",
    "other": "Other, or none",
}
