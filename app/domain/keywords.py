"""SMS keywords: STOP / START / HELP, matched on the whole message so "I can't stop crying" is no opt-out.

STOP and its synonyms (and a closed list of unmistakable opt-out phrases), START/UNSTOP as Twilio honours
them, HELP/INFO (SPEC section 3), and the Welsh ones (SPEC 8.3): STOPIO, DIM, DAD-DANYSGRIFIO; DECHRAU;
HELPU, CYMORTH. "Dim" is STOP only as the whole message ("DIM", "dim diolch", "dim mwy"): inside an answer it
is a word of that answer ("dim newid", no change; "dim o gwbl", not at all). Pure.
"""

from __future__ import annotations

import re
from typing import Final, Literal, TypeAlias

from app.domain.reply_text import clean, osa_distance, typos_allowed, word_set, word_tokens

Keyword: TypeAlias = Literal["stop", "start", "help"]
KEYWORDS: Final[tuple[Keyword, ...]] = ("stop", "start", "help")


_STOP_WORDS: Final = word_set(
    "stop stopall unsubscribe cancel end quit revoke optout "
    # Welsh: STOPIO, DIM and DAD-DANYSGRIFIO (SPEC 8.3), "stopiwch" (stop!), "optio allan" (opt out).
    "stopio stopiwch stopia dim daddanysgrifio daddanysgrifiwch dadanysgrifio dadgofrestru optioallan"
)
# START and UNSTOP only, as Twilio honours them; YES never resumes (it answers "usual self").
_START_WORDS: Final = word_set("start unstop dechrau dechra dechreuwch ailddechrau ailddechra")
_HELP_WORDS: Final = word_set("help info information moreinfo helpu cymorth gwybodaeth mwyowybodaeth")
_NEGESEUON = ("negeseuon", "tecsts", "tecstiau", "decsts", "decstiau", "negeseuon testun", "y negeseuon")
_WELSH_STOP_PHRASES: Final = frozenset(
    {f"{verb} {what}{me}" for verb in ("stopio", "stopiwch") for what in (*_NEGESEUON, "anfon negeseuon", "anfon",
     "tecstio", "cysylltu") for me in ("", " ataf", " ata i", " i mi", " fi")}
    | {f"peidiwch {a}{verb}{me}" for a in ("", "a ", "ag ") for verb in ("anfon negeseuon", "anfon", "tecstio",
       "cysylltu", "danfon negeseuon") for me in ("", " ataf", " ata i", " i mi", " fi", " a fi", " ag fi")}
    | {f"dim {more}{what}" for more in ("mwy o ", "rhagor o ", "") for what in _NEGESEUON}
    | {"dim mwy", "dim rhagor", "tynnwch fi oddi ar y rhestr", "tynnwch fi or rhestr", "gadewch lonydd i mi"}
    | {"dad danysgrifio fi", "optio fi allan", "gadewch fi fod", "dwi ddim eisiau negeseuon", "dim negeseuon eto"}
)  # fmt: skip
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
    | _WELSH_STOP_PHRASES
)
# Said before an opt-out ("please can you stop texting me", "I'd like to unsubscribe", "I want to stop"). Not
# before END, QUIT, CANCEL or REVOKE: "I want to end" is no clear opt-out.
_STOP_LEAD_IN: Final = re.compile(
    r"^(?:(?:please|pls|plz|kindly|just|can you|could you|will you|would you|can u|could u|i want to|i wanna"
    r"|i would like to|id like to|i wish to|i need to|i want you to|i would like you to|id like you to|how do i"
    r"|how can i|how to|can i|could i|i want|i would like|id like|i wish"
    # Welsh: "plis", "dwi eisiau / isio / moyn / am" (I want to), "hoffwn i" (I'd like to), "sut mae" (how do I).
    r"|plis|dwi|dw i|rydw i|dwin|dw in|eisiau|isio|isie|moyn|am|hoffwn i|hoffwn|sut mae|sut|allwch chi|wnewch chi"
    r"|newch chi|fedrwch chi|gallwch chi|angen) )+"
)
_LEAD_IN_STOP_WORDS: Final = word_set(
    "stop stopall unsubscribe optout stopio stopiwch daddanysgrifio dadanysgrifio dadgofrestru optioallan"
)
# An unmistakable opt-out phrase anywhere in a longer message ("Stop texting me, I'm fine"), unless negated
# just before it ("please don't stop messaging me"). The phrases are a closed list: "I can't stop crying" has none.
_STOP_INSIDE: Final = re.compile(
    r"\b(?:stop (?:texting|messaging|contacting|emailing) me|stop sending me|stop (?:sending )?(?:me )?"
    r"(?:these|the|your|all|all the|all these) (?:texts|messages|text messages)|unsubscribe me|opt me out"
    r"|no more (?:texts|messages|text messages)|(?:dont|do not) (?:text|message|contact) me"
    r"|(?:take|remove) me (?:off|from) (?:your|the) (?:list|system|records|database)"
    # Welsh: "stopiwch anfon negeseuon ataf", "dim mwy o negeseuon", "peidiwch a thecstio fi".
    r"|(?:stopiwch|stopio) (?:anfon|tecstio|danfon|gyrru) (?:negeseuon |tecsts )?(?:ataf|ata i|i mi|fi)"
    r"|(?:stopiwch|stopio) (?:y |yr |eich |r )?(?:negeseuon|tecsts|tecstiau)|dim (?:mwy|rhagor) o (?:negeseuon|tecsts)"
    r"|peidiwch (?:a |ag )?(?:anfon|tecstio|thecstio|cysylltu|danfon) (?:negeseuon |a |ag )?(?:ataf|ata i|i mi|fi))\b"
)
# Negation just before an opt-out phrase: "please don't stop messaging me", "plis peidiwch stopio anfon...".
_NEGATED_BEFORE: Final = re.compile(
    r"\b(?:dont|do not|never|not|didnt|did not|no need to|peidiwch|paid|ddim|dim|na|nid)\W*(?:\w+\W+){0,3}$"
)


def _stop_typo(word: str) -> bool:
    """ "stopp", "stpo", "sotp": one typo of STOP using its letters only ("step" and "shop" are no opt-out);
    likewise "stpio", "stopoi" of STOPIO."""
    if 4 <= len(word) <= 5 and set(word) == {"s", "t", "o", "p"}:
        return osa_distance(word, "stop", 1) <= 1
    return 5 <= len(word) <= 7 and set(word) <= set("stopi") and osa_distance(word, "stopio", 1) <= 1


def _long_word_typo(joined: str, target: str) -> bool:
    """A long keyword still recognisable through a typo or two ("unsubcribe", "dadanysgrifo", "dechaur")."""
    allowed = typos_allowed(target)
    return abs(len(joined) - len(target)) <= allowed and osa_distance(joined, target, allowed) <= allowed


def read_keyword(text: str) -> Keyword | None:
    """The SMS keyword the whole message is (STOP and synonyms, START/UNSTOP, HELP/INFO), else None."""
    words = word_tokens(re.sub(r"\b(?:now|any ?more|again|for good|nawr|rwan|mwyach|bellach|eto)$", "", clean(text)))
    phrase, joined = " ".join(words), "".join(words)  # "opt out", "opt-out" and "stop all" join up
    if joined in _STOP_WORDS or phrase in _STOP_PHRASES or (len(set(words)) == 1 and words[0] in _STOP_WORDS):
        return "stop"
    if _long_word_typo(joined, "unsubscribe") or _long_word_typo(joined, "daddanysgrifio"):
        return "stop"  # a long word is still recognisable through a typo or two
    if len(words) == 1 and _stop_typo(joined):
        return "stop"
    rest = _STOP_LEAD_IN.sub("", phrase) if len(words) > 1 else phrase
    if rest != phrase and (rest.replace(" ", "") in _LEAD_IN_STOP_WORDS or rest in _STOP_PHRASES):
        return "stop"
    for found in _STOP_INSIDE.finditer(phrase) if len(words) > 2 else ():
        if not _NEGATED_BEFORE.search(phrase[: found.start()]):
            return "stop"
    if joined in _START_WORDS or (len(words) == 1 and _long_word_typo(joined, "dechrau")):
        return "start"
    if joined in _HELP_WORDS or (len(words) == 1 and _long_word_typo(joined, "cymorth")):
        return "help"
    return None
