"""Reading the change question: much better / a little better / the same / a little worse / much worse.

How the client is compared with the end of treatment, as option 1-5 or in words ("loads better", "no
change", "a bit worse"); a degree, direction or negation it cannot pin down makes the reply unclear (SPEC
section 3). Pure.
"""

from __future__ import annotations

import re
from typing import Final, Literal, TypeAlias

from app.domain.numbered_options import OPTION_FILLERS, read_option
from app.domain.reply_text import NUMBER_WORDS, clean, deletion_index, phrase_rules, rule_words, understood, word_set
from app.domain.reply_welsh import WELSH_CHANGE_RULES, WELSH_OPTION_NUMBERS

Change: TypeAlias = Literal["much_better", "a_little_better", "same", "a_little_worse", "much_worse"]
CHANGES: Final[tuple[Change, ...]] = ("much_better", "a_little_better", "same", "a_little_worse", "much_worse")


_DIRECTIONS: Final = {"better": 1, "improved": 1, "worse": -1, "worsened": -1}
_BIG: Final = word_set(
    "much lot lots alot loads load heaps tons far way miles massively hugely significantly considerably greatly "
    "substantially vastly dramatically enormously"
)
# Amplifiers strengthen a degree word but are not one: "very better" says no more than "better".
_AMPLIFIERS: Final = word_set("very v vv really so soo extremely definitely")
_SMALL: Final = word_set(
    "little bit abit alittle lil slightly slight tad touch tiny wee marginally somewhat fractionally smidge mildly "
    "teeny small"
)
_NEGATIONS: Final = word_set(
    "not no nt isnt arent aint never hardly barely nothing dont didnt neither nor hasnt havent"
)
# Words that say nothing about the answer: "I'm feeling much better than before, overall".
_CHANGE_FILLERS: Final = word_set(
    "i im am feel feeling feels felt ive been getting got its it is things are now overall honestly actually "
    "generally currently today than before was last time then previously yes yeah think id say would at the moment "
    "all in also still by a an lately recently since ever when we spoke first went go started start starting began "
    "beginning came come therapy treatment sessions session counselling course finished ended stopped my you asked "
    "referred seeing saw originally compared with to unfortunately sadly afraid guess suppose reckon"
)
_SAME_WORDS: Final = word_set("same similar unchanged")
_SAME_FILLERS: Final = _CHANGE_FILLERS | word_set(
    "as about much pretty roughly just exactly basically very really kind kinda sort sorta of old largely mostly "
    "broadly near enough usual nearly almost fairly stayed stay stays staying remained remain remains ish"
)
_CHANGED_WORDS: Final = word_set("change changes changed different difference")
_CHANGED_FILLERS: Final = word_set(
    "no not nothing has have hasnt havent s real really at all any i im feel its it is been"
)
# Welsh first: "llawer gwell", "ychydig yn waeth", "yr un fath", "dim newid" become their English words.
_CHANGE_RULES: Final = WELSH_CHANGE_RULES + phrase_rules(
    (r"(?:quite )?a lot|a load|a long way", "lot"),
    (r"a (?:little|lil|tiny|wee|teeny)(?: bit)?|a bit|a touch|a tad|a smidge|little bit", "little"),
    (r"more or less|pretty much|much the|very much the", "about"),
    (r"to be (?:honest|fair)|tbh|tbf|if (?:im|i am) honest", "honestly"),
)
_CHANGE_VOCABULARY: Final = (
    frozenset(_DIRECTIONS) | _BIG | _AMPLIFIERS | _SMALL | _NEGATIONS | _SAME_FILLERS | _SAME_WORDS | _CHANGED_WORDS
) | (_CHANGED_FILLERS | frozenset(NUMBER_WORDS) | frozenset(WELSH_OPTION_NUMBERS) | rule_words(_CHANGE_RULES))


def _read_direction(words: list[str], direction: int) -> Change | None:
    """ "much better", "a bit worse": one direction with one unambiguous degree and no negation."""
    if any(w in _NEGATIONS for w in words):
        return None  # "not much better", "no worse"
    others = [w for w in words if w not in _DIRECTIONS and w not in _CHANGE_FILLERS]
    if any(w not in _BIG | _SMALL | _AMPLIFIERS for w in others):
        return None  # "quite a bit better" (in British English "quite a bit" is a lot), "better but"
    big, small = any(w in _BIG for w in others), any(w in _SMALL for w in others)
    if big == small:
        return None  # "better than I was" has no degree; "much little better" has two
    if direction > 0:
        return "much_better" if big else "a_little_better"
    return "much_worse" if big else "a_little_worse"


def _means_same(words: list[str]) -> bool:
    """ "the same", "same as before", "much the same", "no change", "no different", "unchanged"."""
    if any(w in _SAME_WORDS for w in words):
        return not any(w in _NEGATIONS for w in words) and all(w in _SAME_FILLERS | _SAME_WORDS for w in words)
    # A change word means "same" only when negated: "no change", "nothing has changed", but not "not much change".
    negated = any(w in {"no", "not", "nothing", "hasnt", "havent"} for w in words)
    changed = any(w in _CHANGED_WORDS for w in words)
    return negated and changed and all(w in _CHANGED_WORDS | _CHANGED_FILLERS for w in words)


def _neither_better_nor_worse(words: list[str]) -> bool:
    """ "no better no worse", "neither better nor worse": both directions, each negated."""
    negated = False
    for word in words:
        if word in _DIRECTIONS and not negated:
            return False
        negated = negated or word in {"no", "not", "neither", "nor"}
    return all(w in word_set("no not neither nor or any really better worse than before im i") for w in words)


# For change, "no" before a number is "No. 3" (a "no" answers nothing here); for usual self "no 2" stays unclear.
_CHANGE_OPTION_FILLERS: Final = OPTION_FILLERS | word_set("no nr num")


def _change_label(words: list[str]) -> Change | None:
    words = understood(words, _CHANGE_VOCABULARY, _CHANGE_RULES)
    directions = {_DIRECTIONS[w] for w in words if w in _DIRECTIONS}
    if len(directions) == 2:  # "better and worse" is a mixed signal
        return "same" if _neither_better_nor_worse(words) else None
    if directions:
        return _read_direction(words, directions.pop())
    return "same" if _means_same(words) else None


_GLUED: Final = re.compile(
    r"\b(much|alittle|abit|alot|little|bit|slightly|lots|loads|way|far|no|the)(better|worse|same|change|different)\b"
)


def read_change(text: str) -> Change | None:
    """How the client is compared with the end of treatment (options 1-5); None when unclear."""
    return read_option(_GLUED.sub(r"\1 \2", clean(text)), CHANGES, _change_label, _CHANGE_OPTION_FILLERS)


deletion_index(_CHANGE_VOCABULARY)  # built at import, not while the first reply waits
