"""What blinding (SPEC 8.4) keeps from an assessor, as words to look for on a page they reach: the texts'
outcome categories and answer labels, check-ins, the texted dates, and marker words put in clients' replies.

Shared by the crawler of tests/web/test_blinding.py and the browser test of tests/e2e.
"""

from __future__ import annotations

import re
from typing import Any

from app.domain.labels import OUTCOME_LABELS, USUAL_SELF_LABELS

#: Words put in the replies of the sampled clients: unique, so any page showing a reply's words is caught.
MARKERS = ("Periwinkle-7731", "Marmalade-4410", "Tangerine-2290", "Juniper-5512")
#: Words of the texts' side: categories (keys and labels), the texts' own answer labels, check-ins, dates.
FORBIDDEN_WORDS = (
    "durably_recovered",
    "no_response",
    "opted_out",
    "text_category",
    "recovered",
    "relapsed",
    "improved",
    "unchanged",
    "unreachable",
    "check-in",
    "checkin",
    "answered",
    "2026-07-01",
    "1 Jul 2026",
    "1 July 2026",
    *(label for key, label in OUTCOME_LABELS.items() if key != "worse"),
    *(label for key, label in USUAL_SELF_LABELS.items() if key != "no"),
)
#: "Worse" as a category label (the five-point change of the interview says "a little worse", "much worse").
CATEGORY_WORSE = re.compile(r"\bWorse\b")


def leaks(body: str) -> list[str]:
    """The forbidden words and markers the page's text or HTML shows (none on a page an assessor may see)."""
    lowered = body.lower()
    found = [word for word in (*MARKERS, *FORBIDDEN_WORDS) if re.search(rf"\b{re.escape(word.lower())}\b", lowered)]
    if CATEGORY_WORSE.search(body):
        found.append("Worse")
    return found


def example_value(rule: Any, name: str) -> Any:
    """A value for the rule's argument `name` that its converter accepts (for building a URL of every route)."""
    converter = rule._converters[name]
    if getattr(converter, "items", None):
        return sorted(converter.items)[0]
    return 1 if type(converter).__name__ in {"IntegerConverter", "NumberConverter"} else "x"
