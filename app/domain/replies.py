"""Understanding free-text SMS replies to the follow-up questions (SPEC section 3).

Clients answer on phones, so replies come with typos, emoji, pleasantries and short forms. Each reader
takes one item (splitting a message is the conversation's job) and is deliberately strict: a word it
does not know makes the reply unclear (None) rather than guessed, because a guessed answer silently
biases the outcome figures while an unclear one is simply asked again. `mentions_risk` is the one
exception: it errs towards flagging, since a needless crisis signpost costs far less than a missed one.
Every reader understands English and Welsh at once (SPEC 8.3), whatever the client's language, since clients
mix the two and risk detection errs towards true: no reader takes a `language` argument, because no answer
word means one thing in English and another in Welsh once read in its place (reply_welsh explains the two
near-misses, "naw" and "y"). Pure: standard library only; dates are passed in.

This module is the readers' one import path; each lives in its own module:
reply_text (normalising, folding, number words, typo correction), numbered_options ("1", "option 2",
"three"), change_answers (`read_change`), usual_self_answers (`read_usual_self`), durations and reply_dates
(`read_duration`), keywords (`read_keyword`) and risk (`mentions_risk`); reply_welsh maps Welsh answers onto
each reader's English grammar.
"""

from __future__ import annotations

from app.domain.change_answers import CHANGES, Change, read_change
from app.domain.durations import read_duration
from app.domain.keywords import KEYWORDS, Keyword, read_keyword
from app.domain.risk import mentions_risk
from app.domain.usual_self_answers import USUAL_SELF, UsualSelf, read_usual_self

__all__ = [
    "CHANGES",
    "KEYWORDS",
    "USUAL_SELF",
    "Change",
    "Keyword",
    "UsualSelf",
    "mentions_risk",
    "read_change",
    "read_duration",
    "read_keyword",
    "read_usual_self",
]
