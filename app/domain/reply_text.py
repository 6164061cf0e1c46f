"""Normalising SMS replies before any reader looks at them, and forgiving their typos (SPEC section 3).

Shared by every reader in app.domain.replies: folding (compatibility forms, apostrophes, no emoji), cleaning
(emoticons, greetings, pleasantries, surrounding punctuation), word tokens, number words, and typo
correction against a reader's vocabulary through an index of deletions. Phrase rules collapse multi-word
expressions into one signal word after correction. Pure: standard library only.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import Final, TypeAlias

Rules: TypeAlias = tuple[tuple[re.Pattern[str], str], ...]


def word_set(words: str) -> frozenset[str]:
    """The words of a space-separated list, as a set."""
    return frozenset(words.split())


_QUOTES: Final = str.maketrans(
    dict.fromkeys("\u2018\u2019\u201b\u02bc`\u00b4\u2032", "'") | {"%": " percent ", "\u2044": "/"}
)
# Emoji, pictographs, variation selectors, joiners and keycap marks carry no answer ("1️⃣" is "1").
_DROPPED: Final = word_set("So Sk Cs Co Cn Cf Mn Me")
_EMOTICON: Final = re.compile(r"(?<!\S)(?:[:;=]['^o-]?[()\[\]dpo/\\|3*$@x]+|[()]+-?[:;=]|<3+|\^_*\^|xd+)(?!\S)")
_PLEASANTRY: Final = (
    r"(?:and |but |many )?(?:(?:thanks?|thank (?:you|u|ya)|thankyou|thanku)"
    r"(?: (?:again|so much|very much|a lot|loads|lots))?(?: for (?:asking|checking(?: in| up)?))?"
    r"|thanx|thnx|thx|tnx|ty|tysm|cheers|ta|please|pls|plz|x+|xo+|lol|haha+|ha|mate|love|luv|hun|bye|god bless"
    r"|ok|okay"
    # Welsh: "diolch (yn fawr iawn)", "diolch am holi", "plis", "os gwelwch yn dda", "hwyl (fawr)".
    r"|diolch(?: yn fawr| o galon)?(?: iawn)?(?: am (?:ofyn|holi))?|dioch|diolc|plis|os gwelwch yn dda|hwyl(?: fawr)?)"
)
# Also the kisses on a number: "2x", "1xx".
_TRAILING_PLEASANTRY: Final = re.compile(rf"(?:(?:^|[\s,.;:!-]+){_PLEASANTRY}|(?<=[0-9])x+)$")
_LEADING_GREETING: Final = re.compile(
    r"^(?:hi+|hello|hey+|hiya|morning|good (?:morning|afternoon|evening)|um+|erm+|er|uh+|hmm+|ok|okay|oh|well"
    r"|please|pls|helo|haia|shwmae|shwmai|sut mae|bore da|prynhawn da|pnawn da|noswaith dda|wel|plis)"
    r"(?:$|(?:[\s,.;:!]|-(?![0-9]))+)"  # but "hi, -1" keeps its minus
)
# Keep a leading minus on a number so "-1" stays out of range instead of becoming "1".
_EDGES: Final = re.compile(r"^(?:(?!-\d)[\W_])+|[\W_]+$")
_TOKEN: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?|[^\W\d_]+")
NUMBER_WORDS: Final = {
    word: n
    for n, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
    if n
} | {word: 10 * n for n, word in enumerate("thirty forty fifty sixty seventy eighty ninety".split(), 3)}
# Everyday words one typo away from a known word with another meaning: never "corrected" into it.
EVERYDAY: Final = word_set(
    "some such chance bitter butter letter batter horse hope none note nose year your tour clearly nearby yearly "
    "dearly neatly costly match marsh jury duly sent tune dune fine weak that then this these those will mouth "
    "overdue overdo overdone overdoing overcome overuse overused overjoyed "
    # English words one typo from a Welsh answer word ("gwell" better, "bach" little, "sawl" several).
    "well back saw meds drop call mind find fund iron brown math bath path"
)


def strip_accents(text: str) -> str:
    """The text without diacritics: Welsh "ŵ", "ŷ", "â" are typed with and without them ("rŵan", "rwan")."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn"))


def fold(text: str) -> str:
    """Lower-case text with compatibility forms (NFKC), no diacritics, straight apostrophes and no emoji."""
    folded = unicodedata.normalize("NFKC", text.replace("\u00bd", " 1/2 ")).translate(_QUOTES).lower()
    return "".join(" " if unicodedata.category(ch) in _DROPPED else ch for ch in strip_accents(folded))


def clean(text: str) -> str:
    """The reply without emoji, emoticons, greetings, trailing pleasantries or surrounding punctuation."""
    text = _EMOTICON.sub(" ", fold(text))
    text = " ".join(re.sub(r"([^\W\d_])\1{2,}", r"\1\1", text).split())  # "soooo much betterrr"
    previous = None
    while text != previous:  # "Much better, thanks! x :)" takes several passes
        previous = text
        text = _LEADING_GREETING.sub("", _TRAILING_PLEASANTRY.sub("", _EDGES.sub("", text)))
    return text


def word_tokens(text: str) -> list[str]:
    """Word and number tokens; apostrophes vanish so "don't" and "dont" read alike."""
    return _TOKEN.findall(text.replace("'", ""))


def osa_distance(a: str, b: str, limit: int = 99) -> int:
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


def typos_allowed(target: str) -> int:
    """How many typos a reply may make in `target` and still mean it."""
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
def deletion_index(vocabulary: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Every vocabulary word by the strings its allowed typos can shrink to (built once per vocabulary).

    Two words within k edits (insertions, deletions, substitutions, swaps of neighbours) both shrink to a common
    string with at most k deletions each, so looking up the deletions of a typed word finds every word it may be
    a typo of; the exact distance is then checked on those few. This keeps a reply's unknown words cheap.
    """
    index: dict[str, list[str]] = {}
    for target in vocabulary:
        for shrunk in _deletions(target, typos_allowed(target)):
            index.setdefault(shrunk, []).append(target)
    return {shrunk: tuple(targets) for shrunk, targets in index.items()}


@functools.lru_cache(maxsize=4096)
def correct(word: str, vocabulary: frozenset[str]) -> str:
    """The vocabulary word `word` is a typo of, or `word` itself when none (or several) fit."""
    if word in vocabulary or word in EVERYDAY or not word.isalpha() or len(word) < 3 or len(word) > 24:
        return word
    index = deletion_index(vocabulary)
    candidates = {target for shrunk in _deletions(word, 2) for target in index.get(shrunk, ())}
    best: list[str] = []
    best_distance = 99
    for target in sorted(candidates):
        allowed = typos_allowed(target)
        if abs(len(target) - len(word)) > allowed or (distance := osa_distance(word, target, allowed)) > allowed:
            continue
        if distance < best_distance:
            best, best_distance = [target], distance
        elif distance == best_distance:
            best.append(target)
    # Between equally near words prefer the full one ("moths" is "months", not "mths"); a true tie stays.
    longest = max(map(len, best), default=0)
    best = [target for target in best if len(target) == longest]
    return best[0] if len(best) == 1 else word


def phrase_rules(*pairs: tuple[str, str]) -> Rules:
    """Phrase rules: each regular expression (matched on whole words) and the word it becomes."""
    return tuple((re.compile(rf"\b(?:{pattern})\b"), replacement) for pattern, replacement in pairs)


def rule_words(rules: Rules) -> frozenset[str]:
    """Every word the phrase rules mention, so that none of them is "corrected" into another."""
    return frozenset(w for pattern, out in rules for w in re.findall(r"[a-z]+", pattern.pattern + " " + out))


def understood(words: Iterable[str], vocabulary: frozenset[str], rules: Rules) -> list[str]:
    """Typos corrected, then multi-word expressions ("pretty much") collapsed into one signal word."""
    text = " ".join(correct(word, vocabulary) for word in words)
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text.split()
