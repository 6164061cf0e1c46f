"""Reading the usual-self question: 1 yes, completely; 2 mostly, only mild symptoms left; 3 no.

Whether the client feels back to their usual self, as option 1-3 or in words ("yes", "getting there", "not
really"); hedges ("maybe", "not sure") and mixed answers stay unclear rather than guessed (SPEC section 3). Pure.
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

from app.domain.numbered_options import OPTION_FILLERS, read_option
from app.domain.reply_text import NUMBER_WORDS, clean, deletion_index, phrase_rules, rule_words, understood, word_set
from app.domain.reply_welsh import WELSH_OPTION_NUMBERS, WELSH_USUAL_SELF_RULES

UsualSelf: TypeAlias = Literal["yes", "mostly", "no"]
USUAL_SELF: Final[tuple[UsualSelf, ...]] = ("yes", "mostly", "no")


_YES: Final = word_set(
    "yes y yeah yea yep yup ya yah yh ye yeh aye yess yas completely totally fully entirely absolutely definitely "
    "certainly deffo def defo"
)
_MOSTLY: Final = word_set("mostly mainly largely almost nearly")
_NO: Final = word_set("no n nope nah na naw nay nae not never noo nop")
_USUAL_FILLERS: Final = word_set(
    "i im am do feel feeling think really yet at all the moment now still just very much it its id say would well "
    "though right be so me myself back to my usual self normal there thanks and quite honestly sure again slowly "
    "unfortunately sadly afraid guess suppose reckon have got ive"
)
# Welsh first: "ydw, yn llwyr", "gan amlaf", "nac ydw", "ddim yn siwr" become their English words.
_USUAL_RULES: Final = WELSH_USUAL_SELF_RULES + phrase_rules(
    (r"(?:definitely|absolutely|certainly|totally|completely|really|deffo|defo|def) not", "no"),
    (r"(?:i )?(?:dont|do not) think so|not (?:back to (?:my )?(?:normal|usual|old)(?: self)?|myself)", "no"),
    (r"not (?:completely|totally|fully|entirely|quite|100 percent|100|all the way|sure|certain)", "unsure"),
    (
        r"(?:dont|do not|dont really) know|dunno|idk|not sure|(?:sort|kind) of|kinda|sorta|partly|partially"
        r"|maybe|perhaps|possibly|sometimes|yes and no|yes or no|hard to say",
        "unsure",
    ),
    (r"not really|not at all|not yet|not even close|nowhere near|far from it|no way", "no"),
    (
        r"pretty much|more or less|getting there|almost there|nearly there|on the whole|for the most part"
        r"|mostly there|(?:only |just |still )?(?:some |a few )?mild symptoms?(?: left)?|some symptoms(?: left)?"
        r"|most of the time|most days",
        "mostly",
    ),
    (
        r"(?:i )?think so|of course|very much so|100 percent|back to (?:my )?(?:normal|usual|old)(?: self)?"
        r"|feel (?:like )?(?:myself|my (?:old|usual|normal) self)|(?:feel )?like me again|back to me",
        "yes",
    ),
)
_USUAL_VOCABULARY: Final = (
    _YES | _MOSTLY | _NO | _USUAL_FILLERS | rule_words(_USUAL_RULES) | frozenset(NUMBER_WORDS)
) | frozenset(WELSH_OPTION_NUMBERS)


def _usual_self_label(words: list[str]) -> UsualSelf | None:
    words = understood(words, _USUAL_VOCABULARY, _USUAL_RULES)
    if "unsure" in words or any(w not in _YES | _MOSTLY | _NO | _USUAL_FILLERS for w in words):
        return None  # "maybe", "not sure", "a bit": ambiguity is never guessed
    yes, mostly, no = (any(w in group for w in words) for group in (_YES, _MOSTLY, _NO))
    if mostly:
        return None if no else "mostly"  # "yes, mostly" qualifies the yes; "mostly not" is mixed
    if yes != no:
        return "yes" if yes else "no"
    return None  # "yes and no", or nothing that answers


def read_usual_self(text: str) -> UsualSelf | None:
    """Whether the client feels back to their usual self: "yes", "mostly" or "no"; None when unclear."""
    return read_option(clean(text), USUAL_SELF, _usual_self_label, OPTION_FILLERS)


deletion_index(_USUAL_VOCABULARY)  # built at import, not while the first reply waits
