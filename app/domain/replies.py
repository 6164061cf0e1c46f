"""Understanding free-text SMS replies to the follow-up questions (SPEC section 3).

Clients answer on phones, so replies come with typos, emoji, pleasantries and short forms. Each reader
takes one item (splitting a message is the conversation's job) and is deliberately strict: a word it
does not know makes the reply unclear (None) rather than guessed, because a guessed answer silently
biases the outcome figures while an unclear one is simply asked again. `mentions_risk` is the one
exception: it errs towards flagging, since a needless crisis signpost costs far less than a missed one.
Pure: standard library only; dates are passed in.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from fractions import Fraction
from typing import Final, Literal, TypeAlias, TypeVar

Change: TypeAlias = Literal["much_better", "a_little_better", "same", "a_little_worse", "much_worse"]
UsualSelf: TypeAlias = Literal["yes", "mostly", "no"]
Keyword: TypeAlias = Literal["stop", "start", "help"]

CHANGES: Final[tuple[Change, ...]] = ("much_better", "a_little_better", "same", "a_little_worse", "much_worse")
USUAL_SELF: Final[tuple[UsualSelf, ...]] = ("yes", "mostly", "no")
KEYWORDS: Final[tuple[Keyword, ...]] = ("stop", "start", "help")

_T = TypeVar("_T", bound=str)
_Rules: TypeAlias = tuple[tuple[re.Pattern[str], str], ...]


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# ---------------------------------------------------------------------------------------------------
# Normalisation shared by every reader
# ---------------------------------------------------------------------------------------------------

_QUOTES: Final = str.maketrans(
    dict.fromkeys("\u2018\u2019\u201b\u02bc`\u00b4\u2032", "'") | {"%": " percent ", "\u2044": "/"}
)
# Emoji, pictographs, variation selectors, joiners and keycap marks carry no answer ("1️⃣" is "1").
_DROPPED: Final = _set("So Sk Cs Co Cn Cf Mn Me")
_EMOTICON: Final = re.compile(r"(?<!\S)(?:[:;=]['^o-]?[()\[\]dpo/\\|3*$@x]+|[()]+-?[:;=]|<3+|\^_*\^|xd+)(?!\S)")
_PLEASANTRY: Final = (
    r"(?:and |but |many )?(?:(?:thanks?|thank (?:you|u|ya)|thankyou|thanku)"
    r"(?: (?:again|so much|very much|a lot|loads|lots))?(?: for (?:asking|checking(?: in| up)?))?"
    r"|thanx|thnx|thx|tnx|ty|tysm|cheers|ta|please|pls|plz|x+|xo+|lol|haha+|ha|mate|love|luv|hun|bye|god bless"
    r"|ok|okay)"
)
# Also the kisses on a number: "2x", "1xx".
_TRAILING_PLEASANTRY: Final = re.compile(rf"(?:(?:^|[\s,.;:!-]+){_PLEASANTRY}|(?<=[0-9])x+)$")
_LEADING_GREETING: Final = re.compile(
    r"^(?:hi+|hello|hey+|hiya|morning|good (?:morning|afternoon|evening)|um+|erm+|er|uh+|hmm+|ok|okay|oh|well"
    r"|please|pls)(?:$|(?:[\s,.;:!]|-(?![0-9]))+)"  # but "hi, -1" keeps its minus
)
# Keep a leading minus on a number so "-1" stays out of range instead of becoming "1".
_EDGES: Final = re.compile(r"^(?:(?!-\d)[\W_])+|[\W_]+$")
_TOKEN: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?|[^\W\d_]+")
_NUMBER_WORDS: Final = {
    word: n
    for n, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
    if n
} | {word: 10 * n for n, word in enumerate("thirty forty fifty sixty seventy eighty ninety".split(), 3)}
# Everyday words one typo away from a known word with another meaning: never "corrected" into it.
_EVERYDAY: Final = _set(
    "some such chance bitter butter letter batter horse hope none note nose year your tour clearly nearby yearly "
    "dearly neatly costly match marsh jury duly sent tune dune fine weak that then this these those will mouth "
    "overdue overdo overdone overdoing overcome overuse overused overjoyed"
)


def _fold(text: str) -> str:
    """Lower-case text with compatibility forms (NFKC), straight apostrophes and no emoji."""
    folded = unicodedata.normalize("NFKC", text.replace("\u00bd", " 1/2 ")).translate(_QUOTES).lower()
    return "".join(" " if unicodedata.category(ch) in _DROPPED else ch for ch in folded)


def _clean(text: str) -> str:
    """The reply without emoji, emoticons, greetings, trailing pleasantries or surrounding punctuation."""
    text = _EMOTICON.sub(" ", _fold(text))
    text = " ".join(re.sub(r"([^\W\d_])\1{2,}", r"\1\1", text).split())  # "soooo much betterrr"
    previous = None
    while text != previous:  # "Much better, thanks! x :)" takes several passes
        previous = text
        text = _LEADING_GREETING.sub("", _TRAILING_PLEASANTRY.sub("", _EDGES.sub("", text)))
    return text


def _words(text: str) -> list[str]:
    """Word and number tokens; apostrophes vanish so "don't" and "dont" read alike."""
    return _TOKEN.findall(text.replace("'", ""))


def _osa_distance(a: str, b: str, limit: int = 99) -> int:
    """Optimal-string-alignment distance: Levenshtein plus swaps of two adjacent letters (or limit + 1)."""
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:  # no alignment can come back under the limit: stop early
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def _typos_allowed(target: str) -> int:
    # SPEC 3: one typo in words of 4-7 letters, two in longer ones; shorter words must be exact.
    return 0 if len(target) < 4 else 1 if len(target) <= 7 else 2


def _deletions(word: str, depth: int) -> set[str]:
    """`word` with up to `depth` letters left out, anywhere (`word` itself included)."""
    found, layer = {word}, {word}
    for _ in range(depth):
        layer = {w[:i] + w[i + 1 :] for w in layer for i in range(len(w))}
        found |= layer
    return found


@functools.lru_cache(maxsize=16)
def _deletion_index(vocabulary: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Every vocabulary word by the strings its allowed typos can shrink to (built once per vocabulary).

    Two words within k edits (insertions, deletions, substitutions, swaps of neighbours) both shrink to a common
    string with at most k deletions each, so looking up the deletions of a typed word finds every word it may be
    a typo of; the exact distance is then checked on those few. This keeps a reply's unknown words cheap.
    """
    index: dict[str, list[str]] = {}
    for target in vocabulary:
        for shrunk in _deletions(target, _typos_allowed(target)):
            index.setdefault(shrunk, []).append(target)
    return {shrunk: tuple(targets) for shrunk, targets in index.items()}


@functools.lru_cache(maxsize=4096)
def _correct(word: str, vocabulary: frozenset[str]) -> str:
    """The vocabulary word `word` is a typo of, or `word` itself when none (or several) fit."""
    if word in vocabulary or word in _EVERYDAY or not word.isalpha() or len(word) < 3 or len(word) > 24:
        return word
    index = _deletion_index(vocabulary)
    candidates = {target for shrunk in _deletions(word, 2) for target in index.get(shrunk, ())}
    best: list[str] = []
    best_distance = 99
    for target in sorted(candidates):
        allowed = _typos_allowed(target)
        if abs(len(target) - len(word)) > allowed or (distance := _osa_distance(word, target, allowed)) > allowed:
            continue
        if distance < best_distance:
            best, best_distance = [target], distance
        elif distance == best_distance:
            best.append(target)
    # Between equally near words prefer the full one ("moths" is "months", not "mths"); a true tie stays.
    longest = max(map(len, best), default=0)
    best = [target for target in best if len(target) == longest]
    return best[0] if len(best) == 1 else word


def _rules(*pairs: tuple[str, str]) -> _Rules:
    return tuple((re.compile(rf"\b(?:{pattern})\b"), replacement) for pattern, replacement in pairs)


def _rule_words(rules: _Rules) -> frozenset[str]:
    """Every word the phrase rules mention, so that none of them is "corrected" into another."""
    return frozenset(w for pattern, out in rules for w in re.findall(r"[a-z]+", pattern.pattern + " " + out))


def _understood(words: Iterable[str], vocabulary: frozenset[str], rules: _Rules) -> list[str]:
    """Typos corrected, then multi-word expressions ("pretty much") collapsed into one signal word."""
    text = " ".join(_correct(word, vocabulary) for word in words)
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text.split()


# ---------------------------------------------------------------------------------------------------
# Numbered options: "1", "1.", "2)", "#2", "option 5", "no. 2", "three", "2 mostly"
# ---------------------------------------------------------------------------------------------------

_OPTION_PREFIX: Final = re.compile(r"^(?:option|opt|number|num|no\.|nr|choice|answer|reply)\s*[:#.-]?\s*(?=\d|[a-z])")
_ORDINAL_WORDS: Final = ("first", "second", "third", "fourth", "fifth")
_ORDINALS: Final = {word: n for n, word in enumerate(_ORDINAL_WORDS, 1)}
_ORDINAL_DIGITS: Final = re.compile(r"\b([1-5])(?:st|nd|rd|th)\b")  # "2nd" reads as "second"
# Words around a number that say nothing else: "I'd say 2", "it's 3", "the second one", "2 please".
_OPTION_FILLERS: Final = _set(
    "its it is s thats that i ill id im am think say would go with for definitely def deffo defo answer number "
    "option choice reply the my please ok okay sure well so um erm hmm hi hello hey hiya unfortunately sadly afraid "
    "honestly actually really guess suppose reckon"
)
# One typo of a number word of four or more letters ("thre", "fuor", "fivee"), except real words ("there").
_NUMBER_TYPO_TARGETS: Final = ("three", "four", "five")
_NOT_NUMBER_TYPOS: Final = _set(
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
    typo: _NUMBER_WORDS[target]
    for target in _NUMBER_TYPO_TARGETS
    for typo in _typos_of(target)
    if typo not in _NOT_NUMBER_TYPOS and typo not in _NUMBER_WORDS
}


def _option_number(word: str) -> int | None:
    if word.isascii() and word.isdigit():  # not "\u1369", an Ethiopic digit
        return int(word) if len(word) <= 2 else None
    return _NUMBER_WORDS.get(word, _NUMBER_TYPOS.get(word))


def _option(options: Sequence[_T], number: int) -> _T | None:
    return options[number - 1] if 1 <= number <= len(options) else None


def _read_option(
    text: str, options: Sequence[_T], read_label: Callable[[list[str]], _T | None], fillers: frozenset[str]
) -> _T | None:
    """A numbered option, a label, or both when they agree ("2 mostly"); never a guess between two."""
    if re.search(r"\d[.,/-]\d|^-\d", text):  # "1.5", "1-2", "1/2", "-1": not one option
        return None
    if "st" in text or "nd" in text or "rd" in text or "th" in text:  # "1st", "2nd", "3rd", "4th"
        text = _ORDINAL_DIGITS.sub(lambda m: _ORDINAL_WORDS[int(m[1]) - 1], text)
    words = _words(_OPTION_PREFIX.sub("", text))
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


# ---------------------------------------------------------------------------------------------------
# Change: much better / a little better / the same / a little worse / much worse
# ---------------------------------------------------------------------------------------------------

_DIRECTIONS: Final = {"better": 1, "improved": 1, "worse": -1, "worsened": -1}
_BIG: Final = _set(
    "much lot lots alot loads load heaps tons far way miles massively hugely significantly considerably greatly "
    "substantially vastly dramatically enormously"
)
# Amplifiers strengthen a degree word but are not one: "very better" says no more than "better".
_AMPLIFIERS: Final = _set("very v vv really so soo extremely definitely")
_SMALL: Final = _set(
    "little bit abit alittle lil slightly slight tad touch tiny wee marginally somewhat fractionally smidge mildly "
    "teeny small"
)
_NEGATIONS: Final = _set("not no nt isnt arent aint never hardly barely nothing dont didnt neither nor hasnt havent")
# Words that say nothing about the answer: "I'm feeling much better than before, overall".
_CHANGE_FILLERS: Final = _set(
    "i im am feel feeling feels felt ive been getting got its it is things are now overall honestly actually "
    "generally currently today than before was last time then previously yes yeah think id say would at the moment "
    "all in also still by a an lately recently since ever when we spoke first went go started start starting began "
    "beginning came come therapy treatment sessions session counselling course finished ended stopped my you asked "
    "referred seeing saw originally compared with to unfortunately sadly afraid guess suppose reckon"
)
_SAME_WORDS: Final = _set("same similar unchanged")
_SAME_FILLERS: Final = _CHANGE_FILLERS | _set(
    "as about much pretty roughly just exactly basically very really kind kinda sort sorta of old largely mostly "
    "broadly near enough usual nearly almost fairly stayed stay stays staying remained remain remains ish"
)
_CHANGED_WORDS: Final = _set("change changes changed different difference")
_CHANGED_FILLERS: Final = _set("no not nothing has have hasnt havent s real really at all any i im feel its it is been")
_CHANGE_RULES: Final = _rules(
    (r"(?:quite )?a lot|a load|a long way", "lot"),
    (r"a (?:little|lil|tiny|wee|teeny)(?: bit)?|a bit|a touch|a tad|a smidge|little bit", "little"),
    (r"more or less|pretty much|much the|very much the", "about"),
    (r"to be (?:honest|fair)|tbh|tbf|if (?:im|i am) honest", "honestly"),
)
_CHANGE_VOCABULARY: Final = (
    frozenset(_DIRECTIONS) | _BIG | _AMPLIFIERS | _SMALL | _NEGATIONS | _SAME_FILLERS | _SAME_WORDS | _CHANGED_WORDS
) | (_CHANGED_FILLERS | frozenset(_NUMBER_WORDS) | _rule_words(_CHANGE_RULES))


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
    return all(w in _set("no not neither nor or any really better worse than before im i") for w in words)


# For change, "no" before a number is "No. 3" (a "no" answers nothing here); for usual self "no 2" stays unclear.
_CHANGE_OPTION_FILLERS: Final = _OPTION_FILLERS | _set("no nr num")


def _change_label(words: list[str]) -> Change | None:
    words = _understood(words, _CHANGE_VOCABULARY, _CHANGE_RULES)
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
    return _read_option(_GLUED.sub(r"\1 \2", _clean(text)), CHANGES, _change_label, _CHANGE_OPTION_FILLERS)


# ---------------------------------------------------------------------------------------------------
# Usual self: 1 yes, completely; 2 mostly, only mild symptoms left; 3 no
# ---------------------------------------------------------------------------------------------------

_YES: Final = _set(
    "yes y yeah yea yep yup ya yah yh ye yeh aye yess yas completely totally fully entirely absolutely definitely "
    "certainly deffo def defo"
)
_MOSTLY: Final = _set("mostly mainly largely almost nearly")
_NO: Final = _set("no n nope nah na naw nay nae not never noo nop")
_USUAL_FILLERS: Final = _set(
    "i im am do feel feeling think really yet at all the moment now still just very much it its id say would well "
    "though right be so me myself back to my usual self normal there thanks and quite honestly sure again slowly "
    "unfortunately sadly afraid guess suppose reckon have got ive"
)
_USUAL_RULES: Final = _rules(
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
_USUAL_VOCABULARY: Final = _YES | _MOSTLY | _NO | _USUAL_FILLERS | _rule_words(_USUAL_RULES) | frozenset(_NUMBER_WORDS)


def _usual_self_label(words: list[str]) -> UsualSelf | None:
    words = _understood(words, _USUAL_VOCABULARY, _USUAL_RULES)
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
    return _read_option(_clean(text), USUAL_SELF, _usual_self_label, _OPTION_FILLERS)


# ---------------------------------------------------------------------------------------------------
# Keywords: STOP / START / HELP, matched on the whole message so "I can't stop crying" is no opt-out
# ---------------------------------------------------------------------------------------------------

_STOP_WORDS: Final = _set("stop stopall unsubscribe cancel end quit revoke optout")
# START and UNSTOP only, as Twilio honours them; YES never resumes (it answers "usual self").
_START_WORDS: Final = _set("start unstop")
_HELP_WORDS: Final = _set("help info information moreinfo")
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
_LEAD_IN_STOP_WORDS: Final = _set("stop stopall unsubscribe optout")
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
    return 4 <= len(word) <= 5 and set(word) == {"s", "t", "o", "p"} and _osa_distance(word, "stop", 1) <= 1


def read_keyword(text: str) -> Keyword | None:
    """The SMS keyword the whole message is (STOP and synonyms, START/UNSTOP, HELP/INFO), else None."""
    words = _words(re.sub(r"\b(?:now|any ?more|again|for good)$", "", _clean(text)))
    phrase, joined = " ".join(words), "".join(words)  # "opt out", "opt-out" and "stop all" join up
    if joined in _STOP_WORDS or phrase in _STOP_PHRASES or (len(set(words)) == 1 and words[0] in _STOP_WORDS):
        return "stop"
    allowed = _typos_allowed("unsubscribe")
    if 9 <= len(joined) <= 13 and _osa_distance(joined, "unsubscribe", allowed) <= allowed:
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


# ---------------------------------------------------------------------------------------------------
# Safeguarding: risk to self or others. Errs towards flagging, while idioms like "killing it" stay clear.
# ---------------------------------------------------------------------------------------------------

# Typos of the long, unmistakable words still flag ("sucide", "suisidal", "myslef").
_RISK_WORDS: Final = _set("suicide suicidal myself selfharm selfharming unalive")
# "overdoing", "overjoyed" and "overcome" lie within two edits of these, so only one typo is allowed.
_OVERDOSE_WORDS: Final = _set("overdose overdosed overdoses overdosing")
_SELF = r"(?:myself|my self|meself|me self|my own self)"
_PEOPLE = (
    r"(?:someone|somebody|some one|some1|anyone|anybody|people|others|other people|him|her|them|you|u|everyone"
    r"|everybody|my (?:kids|children|child|baby|partner|wife|husband|son|daughter|mum|dad|mother|father|family"
    r"|boyfriend|girlfriend|ex))"
)
_WANT = r"(?:want|wanted|wanting|wanna|wana|wnat|wnt|wamt)"
_RISK_PATTERNS: Final = (
    r"suicid\w*|suisid\w*|sucid\w*|unaliv\w*|kms|kys|overdos\w*|od|ods|self ?harm\w*|self ?injur\w*"
    r"|self ?hurt\w*|self ?mutilat\w*|selfharm\w*|stockpil\w*",
    r"(?:kil+|kil+s|kil+ed|kil+ing|kil+in|hurt|hurts|hurting|harm|harms|harming|harmed|cut|cuts|cutting|hang"
    r"|hanging|hanged|shoot|shooting|stab|stabbing|drown|drowning|poison|poisoning|starve|starving|strangle"
    rf"|suffocate|burn|burning|top|topping|off|end|ending|punish|punishing|injure|injuring) {_SELF}",
    rf"kil+ (?:me|my \w+)|(?:kil+|kil+ing|murder|murdering|kil+in) (?:yourself|urself|ur self|{_PEOPLE})",
    r"(?:dont|do not|never) feel safe|feel unsafe|(?:im|i am) not safe",
    r"(?:hurt|hurting|harm|harming|attack|attacking|stab|stabbing|strangle|strangling|beat|beating|shoot"
    rf"|shooting|batter|battering) {_PEOPLE}",
    r"(?:end|ending|ended) (?:it all|my (?:own )?life|everything|things)",
    rf"(?:{_WANT}|going|gonna|thinking|thought|think|planning|plan|ready|decided|might|could|will|just) (?:to )?"
    r"(?:just )?end it|(?:like|about|of|considering) ending it",
    r"(?:take|taking|took|end|ending) my (?:own )?life",
    rf"(?:{_WANT}|wish|wished|wishing|ready|rather|prefer|longing) (?:to |2 )?(?:just |simply )?(?:die"
    r"|be dead|not be here|not exist|not be alive|not wake up|never wake up)",
    r"wish (?:i|id|i had|i was|i were|i could|i would)(?: just)? (?:be |have )?(?:dead|die|died|gone"
    r"|never been born|not been born|never born|not here|not alive|wasnt here|wasnt alive|werent here)",
    r"(?:better off|rather be|id be better) (?:dead|gone|without me)",
    rf"(?:dont|do not|didnt|did not|dnt|doesnt|no longer|not) (?:really |even )?(?:{_WANT}|wish|feel like)"
    r"(?: to| 2)? (?:be here|be alive|be around|live|living|exist|existing|wake up|go on|carry on)",
    r"no (?:reason|point|purpose) (?:to|in|of) (?:live|living|life|being alive|going on|carrying on|being here)",
    r"nothing (?:left )?to live for|(?:isnt|is not|aint|not|no longer) worth living",
    r"(?:cant|cannot|can not) (?:go on|carry on|keep going|cope any ?more|do this any ?more"
    r"|take (?:it|this|any ?more))",
    r"(?:all|whole (?:box|bottle|pack|packet|lot)|too many|load of|loads of|handful of|bunch of|stash of)"
    r" (?:of )?(?:my |the |these |those |me )?(?:pills|tablets|meds|medication|medicine|paracetamol|painkillers)",
    r"(?:jump|jumping|jumped|throw myself|throwing myself|step|stepping) (?:off|from|in front of|under)",
    r"(?:slit|slitting|slash|slashing|cut|cutting) (?:my )?(?:wrists?|arms?|thighs?|legs?|skin)",
    # Below: wider signs, flagged because a needless signpost costs less than a missed one.
    r"kl+ (?:myself|my self|me)"
    r"|(?:want|wanna|wish|like|wishing|wanting) (?:to |2 )?(?:just )?(?:disappear|vanish|go to sleep forever)"
    r"|wish i could (?:just )?(?:disappear|vanish|sleep forever|not wake up)|never wake up|sleep forever",
    r"no (?:point|reason|purpose)(?: in| to| of)? (?:living|life|anything|going on|carrying on|trying|being here"
    r"|existing|any ?more)|(?:whats|what is) the point(?! (?:of|in) (?:these"
    r"|this|your|the|answering) (?:texts?|messages?|survey|questions?))",
    r"(?:cant|cannot|can not|unable to|struggling to) cope|(?:lost|losing|no|have no) (?:the )?will to live"
    r"|(?:given|giving|give|gave) up on (?:life|living|everything|myself)|(?:ready|want|going) to give up"
    r"|(?:tired|sick|weary) of (?:living|life|being alive|existing|it all|everything)",
    r"\bsh\b(?! t\b)|(?:been|started|start|keep|kept|still|was|im|am|back to|stop) cutting\b(?! (?:back|down|out"
    r"|off|up|in|it|corners|costs|ties|the|my hair|hair|grass|carbs|sugar|alcohol|drinking|meat))"
    r"|cutting again|cut again|sewer ?slide|noose|ligature|(?:sav|sav[ei]ng|saved|save|hoard\w*) (?:up )?"
    r"(?:my |all my |some )?(?:pills|tablets|meds|medication|painkillers|paracetamol)",
    r"in danger|not safe|unsafe|(?:hits|hit|hitting|beats|beat|beating|abuses|abused|abusing|attacks|attacked"
    r"|threatens|threatened|threatening|hurts|hurting|raped|rapes|assaulted|strangled|choked|chokes|controls"
    r"|controlling) me|abuse|abused|abusive|domestic violence|(?:scared|afraid|frightened|terrified) (?:of|for) "
    r"(?:him|her|them|my (?:life|safety|partner|husband|wife|boyfriend|girlfriend|ex|dad|father|mum|mother))"
    r"|fear for my (?:life|safety)|shoot me|(?:i )?need (?:urgent |some |immediate )?help|please help"
    r"|someone help|help me please",
    r"(?:took|taken|take|taking|swallowed|swallow) (?:\d+|a lot of|lots of|loads of|a load of|a bunch of|all)"
    r" (?:my |the |of my |of the )?(?:pills|tablets|meds|medication|paracetamol|painkillers|sleeping pills)"
    r"|(?:im|i am|feel like|feel like im|being|such) a burden|(?:be|are|were|would be|d be) better (?:off )?without me"
    r"|(?:cant|cannot|dont) see (?:a|any|the|my) future|no future"
    r"|(?:written|wrote|writing|left) (?:a|my) (?:note|letter)"
    r"|this is goodbye|saying goodbye|say goodbye|goodbye forever|final goodbye|goodbye everyone|feel like dying"
    r"|(?:and|to) not wake up|not to wake up|hope i (?:dont|do not|never) wake up|s h",
    r"dark thoughts|bad thoughts|intrusive thoughts|crisis|breakdown|hopeless|no hope|no way out"
    r"|(?:cant|cannot|dont) see a way (?:out|forward)",
)
_RISK: Final = re.compile(r"\b(?:" + "|".join(f"(?:{pattern})" for pattern in _RISK_PATTERNS) + r")\b")
_RISK_TRIM: Final = _set("x xx xxx thanks thank you ty thx ta cheers please pls plz ok okay hi hello hey lol just now")
# Short messages that are a risk only as the whole message ("end it", "help me"), once pleasantries are gone.
_WHOLE_RISK: Final = re.compile(
    r"(?:i )?(?:just )?(?:(?:want|wanna|going|gonna|need) (?:to )?)?end it(?: now| all)?|i (?:just )?give up"
    r"|(?:please )?help me(?: please)?|(?:theres |there is )?no point(?: any ?more)?|(?:i )?cant do this"
)


_LEET_LETTERS: Final = {"1": "i", "!": "i", "3": "e", "0": "o", "4": "a", "@": "a", "5": "s"}
_DISGUISED: Final = re.compile(r"(?<=[a-z])(?:[*#$]+|[1!304@5])(?=[a-z])")


@functools.lru_cache(maxsize=4096)
def _risk_word(word: str) -> str:
    """The risk word `word` is a typo of, if any; otherwise the word itself."""
    word = _correct(word, _RISK_WORDS)
    if word in _EVERYDAY or not 6 <= len(word) <= 11:
        return word
    return next((target for target in _OVERDOSE_WORDS if _osa_distance(word, target, 1) <= 1), word)


def mentions_risk(text: str) -> bool:
    """Whether a message suggests risk to self or others ("suicidal", "want to die", "hurt someone")."""
    # "k*ll", "su*cide": masked letters left out (typos do the rest); "k1ll", "d1e": digits for letters.
    folded = _DISGUISED.sub(lambda m: _LEET_LETTERS.get(m[0], ""), _fold(text))
    if re.search(r"\bo\.?d(?:'d|'ed|ed|'ing|ing)\b", folded):  # "OD'd", "ODed", "OD'ing", but not "odd"
        return True
    words = [_risk_word(word) for word in _words(folded)]
    if _RISK.search(" ".join(words)):
        return True
    if len(words) > 8:
        return False  # every whole-message phrase is short
    start, end = 0, len(words)
    while end > start and words[end - 1] in _RISK_TRIM:  # "end it x", "help me thanks"
        end -= 1
    while start < end and words[start] in _RISK_TRIM:
        start += 1
    return _WHOLE_RISK.fullmatch(" ".join(words[start:end])) is not None


# ---------------------------------------------------------------------------------------------------
# Duration: the start date of the current state, counted back from the day the answer arrived
# ---------------------------------------------------------------------------------------------------

_Span: TypeAlias = tuple[int, int]  # (calendar months, days) to count back

# A lone "m" (months or minutes?) is deliberately not a unit: "3m" is unclear, not guessed.
_UNITS: Final = (
    dict.fromkeys(_set("day days dy dys d"), "day")
    | dict.fromkeys(_set("week weeks wk wks wek weks w"), "week")
    | dict.fromkeys(_set("fortnight fortnights"), "fortnight")
    | dict.fromkeys(_set("month months mth mths mnth mnths mon mons mo mos"), "month")
    | dict.fromkeys(_set("year years yr yrs y"), "year")
    | dict.fromkeys(_set("hour hours hr hrs"), "hour")
    | dict.fromkeys(_set("minute minutes min mins"), "minute")
)
_DAYS_PER_UNIT: Final[dict[str, Fraction]] = {
    "day": Fraction(1),
    "week": Fraction(7),
    "fortnight": Fraction(14),
    "hour": Fraction(1, 24),
    "minute": Fraction(1, 1440),
}
_COUNT_WORDS: Final = {
    "a": Fraction(1), "an": Fraction(1), "couple": Fraction(2), "cpl": Fraction(2), "few": Fraction(3),
    "several": Fraction(3),
    "half": Fraction(1, 2),
}  # fmt: skip
_SINGULAR_UNITS: Final = _set("day week fortnight month year wk mth yr mnth")
_RANGE: Final = _set("- to or /")
_MONTH_NAMES: Final = "january february march april may june july august september october november december".split()
_MONTHS: Final = (
    {name: n for n, name in enumerate(_MONTH_NAMES, 1)}
    | {name[:3]: n for n, name in enumerate(_MONTH_NAMES, 1)}
    | {"sept": 9}
)
_HEDGES: Final = _set(
    "about around round roughly approximately approx aprox nearly almost over under maybe probably possibly perhaps "
    "prob probs ish odd plus ago now for the past last this since been its it has have ive i id im say think guess "
    "reckon so far well just only already like feeling felt feel way yeah yes yep least at than more less that was "
    "am within total longer good"
)
_DURATION_RULES: Final = _rules(
    (r"or so|give or take|more or less|or more|or less|or thereabouts|ish", ""),
    (r"a (?:bit|little|touch) (?:over|more than|under|less than|longer than)|(?:the )?best part of|a good", ""),
    (r"getting on for|going on|coming up to|up to|in the region of", ""),
    (r"may be", "maybe"),
    (r"(?:(?:i ?ve|i have|i)? ?(?:been|felt|been feeling|felt like) )?(?:like (?:this|that)|this way|that way)", ""),
    (r"in the (?:last|past)", "the last"),  # but "in 2 weeks" is the future, so unclear
    (r"(?:the )?(?:start|beginning) of (?:the|this) year", "1 january"),
    (r"christmas day|christmas|xmas", "25 december"),
    (r"new years? day|new years?", "1 january"),
)
_REFERRAL_PHRASE: Final = re.compile(
    r"\b(?:always|forever|for ever|as long as i (?:can )?(?:remember|recall)"
    r"|(?:all|whole|entire) (?:of )?my (?:adult )?life|my (?:whole|entire) (?:adult )?life"
    r"|since (?:i was )?(?:a )?(?:child|kid|teenager|teen|baby|little|young|born)|since (?:childhood|birth|school)"
    r"|since my (?:teens|teenage years|childhood|school days|twenties|early twenties))\b"
)
_REFERRAL_FILLERS: Final = _set(
    "i ive been like this that way its it has have had was pretty much basically just honestly literally feel felt "
    "feeling the same for since ever really yeah yes well am im more or less almost nearly think"
)
_DISCHARGE_LEADS: Final = _set("since after from when ever")
_DISCHARGE_EVENTS: Final = _set(
    "discharge discharged discharging finish finished finishing ended end ending completed completing stopped "
    "stopping left leaving"
)
_DISCHARGE_FILLERS: Final = _set(
    "i we you they was were got get being been had have ive did my the our your of with it therapy treatment "
    "sessions session course counselling counseling appointments appointment cbt service programme program support "
    "seeing them team that right just a an properly officially me us therapist last going attending"
)
_SESSIONS: Final = _set("session sessions appointment appointments")
_DATE_MARKERS: Final = _set(
    "since from ever in about around roughly approx the of on start beginning early mid middle -"
)
_DATE_MARKERS_LATE: Final = _set("late end")
_RELATIVE_DAYS: Final[dict[str, _Span]] = {
    "today": (0, 0), "this morning": (0, 0), "this afternoon": (0, 0), "this evening": (0, 0), "tonight": (0, 0),
    "yesterday": (0, 1), "last night": (0, 1), "last week": (0, 7), "last month": (1, 0), "last year": (12, 0),
}  # fmt: skip
_DURATION_VOCABULARY: Final = (
    (frozenset(_UNITS) | frozenset(_NUMBER_WORDS) | frozenset(_MONTHS) | _HEDGES | _REFERRAL_FILLERS)
    | (_DISCHARGE_LEADS | _DISCHARGE_EVENTS | _DISCHARGE_FILLERS | _DATE_MARKERS | _DATE_MARKERS_LATE)
    | (
        _set(" ".join(_RELATIVE_DAYS) + " a an and couple few several half between st nd rd th")
        | _rule_words(_DURATION_RULES)
        | frozenset(re.findall(r"[a-z]{2,}", _REFERRAL_PHRASE.pattern))
    )
)
_NUMERIC_DATE: Final = re.compile(
    r"(?P<lead>(?:(?:ever )?since |from |on |about |around |approx |roughly |the )*)"
    r"(?:(?P<iy>[0-9]{4})[-/.](?P<im>[0-9]{1,2})[-/.](?P<id>[0-9]{1,2})"
    r"|(?P<d>[0-9]{1,2})[-/.](?P<m>[0-9]{1,2})(?:[-/.](?P<y>[0-9]{4}|[0-9]{2}))?)(?:st|nd|rd|th)?"
)


def _months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier, or the last day of that month when it is shorter."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    if year < 1:
        raise OverflowError("before the calendar starts")
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def _count_back(answered_on: date, span: _Span) -> date:
    # Months first, then days: "1 month and 2 weeks" is one calendar month back, then 14 days more.
    return _months_before(answered_on, span[0]) - timedelta(days=span[1])


def _is_number(word: str) -> bool:
    return re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", word) is not None or word in _NUMBER_WORDS


def _quantity(words: list[str], i: int) -> tuple[Fraction, int] | None:
    """The count at words[i] ("3", "2.5", "twenty-one", "a", "a couple of", "a few", "half a"), and where it ends."""
    word = words[i] if i < len(words) else ""
    following = words[i + 1] if i + 1 < len(words) else ""
    if word in ("a", "an") and (following in ("couple", "cpl", "few", "half") or _is_number(following)):
        return _quantity(words, i + 1)  # "a couple of", or "a good 3 weeks" once "good" has gone
    if _is_number(word):
        value = Fraction(_NUMBER_WORDS[word]) if word in _NUMBER_WORDS else Fraction(word)
        i += 1
        j = i + 1 if words[i : i + 1] == ["-"] else i
        if word in _NUMBER_WORDS and value >= 20 and _NUMBER_WORDS.get(words[j] if j < len(words) else "", 10) < 10:
            value, i = value + _NUMBER_WORDS[words[j]], j + 1  # "twenty one", "twenty-one"
    elif word in _COUNT_WORDS:  # SPEC 3: "a" = 1, "a couple" = 2, "a few" and "several" = 3
        value, i = _COUNT_WORDS[word], i + 1
        if words[i : i + 1] in (["of"], ["a"], ["an"]):  # "couple of", "half a year"
            i += 1
    else:
        return None
    return _and_a_half(words, value, i)


def _and_a_half(words: list[str], value: Fraction, i: int) -> tuple[Fraction, int]:
    for tail in (["and", "a", "half"], ["and", "half"]):
        if words[i : i + len(tail)] == tail:
            return value + Fraction(1, 2), i + len(tail)
    return value, i


def _to_span(value: Fraction, unit: str) -> _Span:
    if unit in ("month", "year"):  # "a year and a half" = 18 months; leftover parts of a month at 30 days
        months = value * (12 if unit == "year" else 1)
        return int(months), int((months - int(months)) * 30)
    return 0, int(value * _DAYS_PER_UNIT[unit])


def _term(words: list[str], i: int) -> tuple[_Span, int] | None:
    """One "quantity unit" ("3 weeks", "2-3 months", "a month or two", "fortnight"), and where it ends."""
    parsed = _quantity(words, i)
    if parsed is None:
        if i >= len(words) or words[i] not in _SINGULAR_UNITS:
            return None
        parsed = (Fraction(1), i)  # "fortnight", "week and a half", "the past month"
    value, i = parsed
    if i < len(words) and words[i] in _RANGE and (upper := _quantity(words, i + 1)) is not None:
        value, i = min(value, upper[0]), upper[1]  # SPEC 3: a range takes the lower number
    unit = _UNITS.get(words[i]) if i < len(words) else None
    if unit is None:
        return None
    value, i = _and_a_half(words, value, i + 1)
    other = _quantity(words, i + 1) if words[i : i + 1] == ["or"] else None
    if other is not None and (other[1] == len(words) or words[other[1]] not in _UNITS):
        value, i = min(value, other[0]), other[1]  # "a month or two"
    return _to_span(value, unit), i


def _read_span(words: list[str]) -> _Span | None:
    """A sum of terms ("1 year 2 months", "a week and 3 days"), or the shorter of two ("2 weeks to a month")."""
    if words[:1] == ["between"] and "and" in words:  # "between 2 and 3 months" is a range
        words = words[1:]
        words[words.index("and")] = "to"
    span: _Span | None = None
    i, is_range = 0, False
    while i < len(words) or span is None:
        parsed = _term(words, i)
        if parsed is None:
            return None
        if span is None:
            span = parsed[0]
        elif is_range:
            span = min(span, parsed[0], key=lambda s: s[0] * 30.44 + s[1])
        else:
            span = (span[0] + parsed[0][0], span[1] + parsed[0][1])
        i = parsed[1]
        is_range = i < len(words) and words[i] in _RANGE
        i += i < len(words) and (is_range or words[i] == "and")
    return span


def _is_bare_number(words: list[str]) -> bool:
    """ "3", "three", "3 or 4": a count with no unit, which the conversation clarifies (weeks or months?)."""
    parsed = _quantity(words, 0) if words and _is_number(words[0]) else None
    if parsed is None:
        return False
    value, i = parsed
    if i < len(words) and words[i] in _RANGE and (upper := _quantity(words, i + 1)) is not None:
        i = upper[1]
    return i == len(words) and 0 < value < 100


def _since_discharge(words: list[str]) -> bool:
    """ "since I finished", "since discharge", "since therapy ended", "since my last session"."""
    ended = any(w in _DISCHARGE_EVENTS for w in words) or ("last" in words and bool(_SESSIONS & set(words)))
    allowed = _DISCHARGE_LEADS | _DISCHARGE_EVENTS | _DISCHARGE_FILLERS
    return ended and words[0] in _DISCHARGE_LEADS and all(w in allowed for w in words)


def _always(words: list[str]) -> bool:
    """ "always", "forever", "as long as I can remember", "all my life": from before the referral."""
    joined = " ".join(words)
    found = _REFERRAL_PHRASE.search(joined)
    rest = (joined[: found.start()] + " " + joined[found.end() :]).split() if found else ["-"]
    return all(w in _REFERRAL_FILLERS for w in rest)


def _latest(answered_on: date, month: int, day: int, skip_this_month: bool = False) -> date | None:
    """The latest `day` (-1: last day) of `month` on or before answered_on; 29 February waits for a leap year."""
    for year in range(answered_on.year, max(answered_on.year - 8, 0), -1):
        last = calendar.monthrange(year, month)[1]
        if day != -1 and not 1 <= day <= last:
            continue
        candidate = date(year, month, last if day == -1 else day)
        if candidate <= answered_on and not (
            skip_this_month and (year, month) == (answered_on.year, answered_on.month)
        ):
            return candidate
    return None


def _numeric_date(text: str, answered_on: date) -> date | None:
    """ "since 3/10/2026" (UK day first), "3.10.26", "2026-10-03"; "since 3/10" is the latest 3 October."""
    found = _NUMERIC_DATE.fullmatch(text)
    if found is None:
        return None
    part = found.groupdict()
    try:
        if part["iy"]:
            return date(int(part["iy"]), int(part["im"]), int(part["id"]))
        day, month = int(part["d"]), int(part["m"])
        if part["y"]:
            return date(int(part["y"]) + (2000 if len(part["y"]) == 2 else 0), month, day)
        if not re.search(r"since|from", part["lead"]) or not (1 <= month <= 12 and 1 <= day <= 31):
            return None  # without "since", "2/3" might be a range of numbers
        return _latest(answered_on, month, day)
    except ValueError:
        return None


def _year_only(words: list[str]) -> date | None:
    """ "since 2025", or just "2025": 1 January of that year."""
    core = [w for w in words if w not in _DATE_MARKERS]
    return date(int(core[0]), 1, 1) if len(core) == 1 and re.fullmatch(r"(?:19|20)[0-9]{2}", core[0]) else None


def _named_date(words: list[str], answered_on: date) -> date | None:
    """ "since March" (the 1st), "since 3rd March 2026", "mid June", "end of May", "since last May", "2025"."""
    text = " ".join(words).replace("last year", str(answered_on.year - 1))
    words = text.replace("this year", str(answered_on.year)).split()
    at = [i for i, w in enumerate(words) if w in _MONTHS]
    if len(at) != 1:
        return None if at else _year_only(words)
    day: int | None = None
    year: int | None = None
    for i, word in enumerate(words):
        if i == at[0] or word in _DATE_MARKERS | _DATE_MARKERS_LATE or (word == "last" and i < at[0]):
            continue
        if re.fullmatch(r"[0-9]{1,2}", word) and day is None:
            day = int(word)
        elif re.fullmatch(r"[0-9]{4}", word) or (re.fullmatch(r"[0-9]{2}", word) and year is None):
            year = int(word) + (2000 if len(word) == 2 else 0)
        elif word not in _set("st nd rd th"):
            return None
    if day is None:  # plain "March" is the 1st, "mid March" the 15th, "end of March" the last day
        day = 15 if _set("mid middle") & set(words) else -1 if _DATE_MARKERS_LATE & set(words) else 1
    month = _MONTHS[words[at[0]]]
    if year is None:
        return _latest(answered_on, month, day, skip_this_month="last" in words[: at[0]])
    try:
        return date(year, month, calendar.monthrange(year, month)[1] if day == -1 else day)
    except ValueError:
        return None


_HALVES: Final = re.compile(r"(?:\b([0-9]+)\s*(?:and\s+)?(?:a\s+)?)?(?<![0-9/])1\s*/\s*2\s+(?:(?:a|an)\s+)?(?=[a-z])")


def _start_date(
    text: str, answered_on: date, discharge_date: date, referral_date: date
) -> date | Literal["clarify"] | None:
    """The start date a reply names, before the referral clamp and the future check."""
    text = re.sub(r"(?<=[0-9])ish\b|-ish\b", " ", text)
    text = _HALVES.sub(lambda m: f"{m[1]}.5 " if m[1] else "half a ", text)  # "2 1/2 months", "1/2 a year"
    if (numeric := _numeric_date(text, answered_on)) is not None:
        return numeric
    tokens = re.findall(r"[0-9]+(?:\.[0-9]+)?|[^\W\d_]+|[-/]", text.replace("'", ""))
    words = _understood(tokens, _DURATION_VOCABULARY, _DURATION_RULES)
    if not words:
        return None
    if _always(words):
        return referral_date
    if _since_discharge(words):
        return discharge_date
    relative = _RELATIVE_DAYS.get(" ".join(w for w in words if w not in _set("since from ever about around just")))
    if relative is not None:
        return _count_back(answered_on, relative)
    if (named := _named_date(words, answered_on)) is not None:
        return named
    words = [w for w in words if w not in _HEDGES]
    while words and words[-1] in _RANGE:  # a dangling "-" left by "3 weeks-ish"
        words.pop()
    if _is_bare_number(words):
        return "clarify"
    span = _read_span(words) if words else None
    return None if span is None else _count_back(answered_on, span)


def read_duration(
    text: str, answered_on: date, discharge_date: date, referral_date: date
) -> date | Literal["clarify"] | None:
    """When the client's current state began, from a reply to "how long have you been the way you are now?".

    Counted back from `answered_on` with calendar arithmetic (SPEC 3). A start before the referral is taken as
    the referral date; one after `answered_on` is unclear (None); a bare number is "clarify" (weeks or months?).
    """
    try:
        start = _start_date(_clean(text), answered_on, discharge_date, referral_date)
    except OverflowError:  # "a million years": long before any referral
        start = referral_date
    if start == "clarify" or start is None:
        return start
    start = max(start, referral_date)
    return start if start <= answered_on else None


for _vocabulary in (_CHANGE_VOCABULARY, _USUAL_VOCABULARY, _DURATION_VOCABULARY, _RISK_WORDS):
    _deletion_index(_vocabulary)  # built at import, not while the first reply waits
