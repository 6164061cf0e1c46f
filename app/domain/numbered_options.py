"""Numbered options in a reply: "1", "1.", "2)", "#2", "option 5", "no. 2", "three", "2 mostly" (SPEC section 3).

The change and usual-self questions offer numbered options; a reply may give the number, the label, or both
when they agree. Number words forgive one typo ("thre", "fuor") unless the typo is itself a word. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from app.domain.reply_text import NUMBER_WORDS, word_set, word_tokens
from app.domain.reply_welsh import WELSH_OPTION_NUMBERS

_T = TypeVar("_T", bound=str)


_OPTION_PREFIX: Final = re.compile(r"^(?:option|opt|number|num|no\.|nr|choice|answer|reply)\s*[:#.-]?\s*(?=\d|[a-z])")
_ORDINAL_WORDS: Final = ("first", "second", "third", "fourth", "fifth")
_ORDINALS: Final = {word: n for n, word in enumerate(_ORDINAL_WORDS, 1)}
_ORDINAL_DIGITS: Final = re.compile(r"\b([1-5])(?:st|nd|rd|th)\b")  # "2nd" reads as "second"
# Words around a number that say nothing else: "I'd say 2", "it's 3", "the second one", "2 please".
OPTION_FILLERS: Final = word_set(
    "its it is s thats that i ill id im am think say would go with for definitely def deffo defo answer number "
    "option choice reply the my please ok okay sure well so um erm hmm hi hello hey hiya unfortunately sadly afraid "
    "honestly actually really guess suppose reckon "
    # Welsh: "dwi'n meddwl 2" (I think 2), "rhif 3" (number 3), "opsiwn 1".
    "dwi dw dwin rwyn meddwl dweud rhif opsiwn dewis ateb fi"
)
# One typo of a number word of four or more letters ("thre", "fuor", "fivee"), except real words ("there").
_NUMBER_TYPO_TARGETS: Final = ("three", "four", "five")
_NOT_NUMBER_TYPOS: Final = word_set(
    "there threw tree thee three for fur our your pour tour hour sour foul flour fours fine fire hive dive give live "
    "jive file fife fie fiver fives fiv fave"
)


def _typos_of(word: str) -> set[str]:
    """Every string one insertion, deletion, substitution or swap of neighbours away from `word`."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        {a + b[1:] for a, b in splits if b}
        | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        | {a + c + b[1:] for a, b in splits if b for c in letters}
        | {a + c + b for a, b in splits for c in letters}
    )


_NUMBER_TYPOS: Final = {
    typo: NUMBER_WORDS[target]
    for target in _NUMBER_TYPO_TARGETS
    for typo in _typos_of(target)
    if typo not in _NOT_NUMBER_TYPOS and typo not in NUMBER_WORDS
}


def _option_number(word: str) -> int | None:
    if word.isascii() and word.isdigit():  # not "\u1369", an Ethiopic digit
        return int(word) if len(word) <= 2 else None
    return NUMBER_WORDS.get(word, WELSH_OPTION_NUMBERS.get(word, _NUMBER_TYPOS.get(word)))


def _option(options: Sequence[_T], number: int) -> _T | None:
    return options[number - 1] if 1 <= number <= len(options) else None


def read_option(
    text: str, options: Sequence[_T], read_label: Callable[[list[str]], _T | None], fillers: frozenset[str]
) -> _T | None:
    """A numbered option, a label, or both when they agree ("2 mostly"); never a guess between two."""
    if re.search(r"\d[.,/-]\d|^-\d", text):  # "1.5", "1-2", "1/2", "-1": not one option
        return None
    if "st" in text or "nd" in text or "rd" in text or "th" in text:  # "1st", "2nd", "3rd", "4th"
        text = _ORDINAL_DIGITS.sub(lambda m: _ORDINAL_WORDS[int(m[1]) - 1], text)
    words = word_tokens(_OPTION_PREFIX.sub("", text))
    if not words:
        return None
    # One number or ordinal among words that say nothing else: "I'd say 2", "the second one", "3 I think".
    marks = [(i, _ORDINALS[w]) for i, w in enumerate(words) if w in _ORDINALS]
    marks = marks or [(i, n) for i, w in enumerate(words) if (n := _option_number(w)) is not None]
    if len(marks) == 1:
        at, marked = marks[0]
        rest = [
            w for i, w in enumerate(words) if i != at and not (w == "one" and i == at + 1 and words[at] in _ORDINALS)
        ]
        if all(w in fillers for w in rest):
            return _option(options, marked)
    first, last = _option_number(words[0]), _option_number(words[-1])
    number = first if first is not None else last
    if number is None:
        return read_label(words)
    label = _option(options, number)
    if len(words) > 1 and read_label(words[1:] if first is not None else words[:-1]) != label:
        return None  # "1 a little better": the number and the words disagree
    return label
