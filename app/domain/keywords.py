"""SMS keywords: STOP / START / HELP, matched on the whole message so "I can't stop crying" is no opt-out.

STOP and its synonyms (and a closed list of unmistakable opt-out phrases), START/UNSTOP as Twilio honours
them, HELP/INFO (SPEC section 3). Pure.
"""

from __future__ import annotations

import re
from typing import Final, Literal, TypeAlias

from app.domain.reply_text import clean, osa_distance, typos_allowed, word_set, word_tokens

Keyword: TypeAlias = Literal["stop", "start", "help"]
KEYWORDS: Final[tuple[Keyword, ...]] = ("stop", "start", "help")


_STOP_WORDS: Final = word_set("stop stopall unsubscribe cancel end quit revoke optout")
# START and UNSTOP only, as Twilio honours them; YES never resumes (it answers "usual self").
_START_WORDS: Final = word_set("start unstop")
_HELP_WORDS: Final = word_set("help info information moreinfo")
_CONTACTING: Final = (
    "texting messaging contacting emailing texts messages msgs txts text_messages the_texts the_messages "
    "these_texts these_messages your_texts your_messages all_texts all_messages all_the_texts all_the_messages "
    "sending_messages sending_texts sending_me_messages sending_me_texts sending_these sending_me_these "
    "sending_these_texts sending_these_messages sending_me_these_texts sending_me_these_messages text"
).split()
_STOP_PHRASES: Final = frozenset(
    {f"stop {what.replace('_', ' ')}{me}" for what in _CONTACTING for me in ("", " me")}
    | {f"{dont} {verb} me" for dont in ("dont", "do not") for verb in ("text", "message", "contact", "email")}
    | {"unsubscribe me", "opt me out", "no more texts", "no more messages", "remove me", "remove me from your list"}
    | {"remove me from the list", "take me off your list", "take me off the list", "leave me alone"}
    | {"no more text messages", "no more contact", "i dont want any more texts", "i dont want any more messages"}
    | {"i dont want these texts", "i dont want these messages", "i dont want your texts", "i dont want your messages"}
)
# Said before an opt-out ("please can you stop texting me", "I'd like to unsubscribe", "I want to stop"). Not
# before END, QUIT, CANCEL or REVOKE: "I want to end" is no clear opt-out.
_STOP_LEAD_IN: Final = re.compile(
    r"^(?:(?:please|pls|plz|kindly|just|can you|could you|will you|would you|can u|could u|i want to|i wanna"
    r"|i would like to|id like to|i wish to|i need to|i want you to|i would like you to|id like you to|how do i"
    r"|how can i|how to|can i|could i|i want|i would like|id like|i wish) )+"
)
_LEAD_IN_STOP_WORDS: Final = word_set("stop stopall unsubscribe optout")
# An unmistakable opt-out phrase anywhere in a longer message ("Stop texting me, I'm fine"), unless negated
# just before it ("please don't stop messaging me"). The phrases are a closed list: "I can't stop crying" has none.
_STOP_INSIDE: Final = re.compile(
    r"\b(?:stop (?:texting|messaging|contacting|emailing) me|stop sending me|stop (?:sending )?(?:me )?"
    r"(?:these|the|your|all|all the|all these) (?:texts|messages|text messages)|unsubscribe me|opt me out"
    r"|no more (?:texts|messages|text messages)|(?:dont|do not) (?:text|message|contact) me"
    r"|(?:take|remove) me (?:off|from) (?:your|the) (?:list|system|records|database))\b"
)
_NEGATED_BEFORE: Final = re.compile(r"\b(?:dont|do not|never|not|didnt|did not|no need to)\W*(?:\w+\W+){0,3}$")


def _stop_typo(word: str) -> bool:
    """ "stopp", "stpo", "sotp": one typo of STOP using its letters only ("step" and "shop" are no opt-out)."""
    return 4 <= len(word) <= 5 and set(word) == {"s", "t", "o", "p"} and osa_distance(word, "stop", 1) <= 1


def read_keyword(text: str) -> Keyword | None:
    """The SMS keyword the whole message is (STOP and synonyms, START/UNSTOP, HELP/INFO), else None."""
    words = word_tokens(re.sub(r"\b(?:now|any ?more|again|for good)$", "", clean(text)))
    phrase, joined = " ".join(words), "".join(words)  # "opt out", "opt-out" and "stop all" join up
    if joined in _STOP_WORDS or phrase in _STOP_PHRASES or (len(set(words)) == 1 and words[0] in _STOP_WORDS):
        return "stop"
    allowed = typos_allowed("unsubscribe")
    if 9 <= len(joined) <= 13 and osa_distance(joined, "unsubscribe", allowed) <= allowed:
        return "stop"  # a long word is still recognisable through a typo or two
    if len(words) == 1 and _stop_typo(joined):
        return "stop"
    rest = _STOP_LEAD_IN.sub("", phrase) if len(words) > 1 else phrase
    if rest != phrase and (rest.replace(" ", "") in _LEAD_IN_STOP_WORDS or rest in _STOP_PHRASES):
        return "stop"
    for found in _STOP_INSIDE.finditer(phrase) if len(words) > 2 else ():
        if not _NEGATED_BEFORE.search(phrase[: found.start()]):
            return "stop"
    if joined in _START_WORDS:
        return "start"
    return "help" if joined in _HELP_WORDS else None
