"""Reading durations: the start date of the current state, counted back from the day the answer arrived.

"3 weeks", "a month or two", "since I finished", "as long as I can remember", "since March": counted back with
calendar arithmetic, a range takes the lower number, a start before the referral is the referral date, and a
bare number is "clarify" (weeks or months?) (SPEC section 3). Pure: dates are passed in.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from fractions import Fraction
from typing import Final, Literal, TypeAlias

from app.domain.reply_dates import DATE_MARKERS, DATE_MARKERS_LATE, MONTHS, named_date, numeric_date
from app.domain.reply_text import NUMBER_WORDS, clean, deletion_index, phrase_rules, rule_words, understood, word_set
from app.domain.reply_welsh import WELSH_DURATION_RULES

_Span: TypeAlias = tuple[int, int]  # (calendar months, days) to count back

# A lone "m" (months or minutes?) is deliberately not a unit: "3m" is unclear, not guessed.
_UNITS: Final = (
    dict.fromkeys(word_set("day days dy dys d"), "day")
    | dict.fromkeys(word_set("week weeks wk wks wek weks w"), "week")
    | dict.fromkeys(word_set("fortnight fortnights"), "fortnight")
    | dict.fromkeys(word_set("month months mth mths mnth mnths mon mons mo mos"), "month")
    | dict.fromkeys(word_set("year years yr yrs y"), "year")
    | dict.fromkeys(word_set("hour hours hr hrs"), "hour")
    | dict.fromkeys(word_set("minute minutes min mins"), "minute")
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
_SINGULAR_UNITS: Final = word_set("day week fortnight month year wk mth yr mnth")
_RANGE: Final = word_set("- to or /")
_HEDGES: Final = word_set(
    "about around round roughly approximately approx aprox nearly almost over under maybe probably possibly perhaps "
    "prob probs ish odd plus ago now for the past last this since been its it has have ive i id im say think guess "
    "reckon so far well just only already like feeling felt feel way yeah yes yep least at than more less that was "
    "am within total longer good"
)
# Welsh first: "3 wythnos", "dau fis", "ers i mi orffen", "ers mis Mawrth" become their English words.
_DURATION_RULES: Final = WELSH_DURATION_RULES + phrase_rules(
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
_REFERRAL_FILLERS: Final = word_set(
    "i ive been like this that way its it has have had was pretty much basically just honestly literally feel felt "
    "feeling the same for since ever really yeah yes well am im more or less almost nearly think"
)
_DISCHARGE_LEADS: Final = word_set("since after from when ever")
_DISCHARGE_EVENTS: Final = word_set(
    "discharge discharged discharging finish finished finishing ended end ending completed completing stopped "
    "stopping left leaving"
)
_DISCHARGE_FILLERS: Final = word_set(
    "i we you they was were got get being been had have ive did my the our your of with it therapy treatment "
    "sessions session course counselling counseling appointments appointment cbt service programme program support "
    "seeing them team that right just a an properly officially me us therapist last going attending"
)
_SESSIONS: Final = word_set("session sessions appointment appointments")
_RELATIVE_DAYS: Final[dict[str, _Span]] = {
    "today": (0, 0), "this morning": (0, 0), "this afternoon": (0, 0), "this evening": (0, 0), "tonight": (0, 0),
    "yesterday": (0, 1), "last night": (0, 1), "last week": (0, 7), "last month": (1, 0), "last year": (12, 0),
}  # fmt: skip
_DURATION_VOCABULARY: Final = (
    (frozenset(_UNITS) | frozenset(NUMBER_WORDS) | frozenset(MONTHS) | _HEDGES | _REFERRAL_FILLERS)
    | (_DISCHARGE_LEADS | _DISCHARGE_EVENTS | _DISCHARGE_FILLERS | DATE_MARKERS | DATE_MARKERS_LATE)
    | (
        word_set(" ".join(_RELATIVE_DAYS) + " a an and couple few several half between st nd rd th")
        | rule_words(_DURATION_RULES)
        | frozenset(re.findall(r"[a-z]{2,}", _REFERRAL_PHRASE.pattern))
    )
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
    return re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", word) is not None or word in NUMBER_WORDS


def _quantity(words: list[str], i: int) -> tuple[Fraction, int] | None:
    """The count at words[i] ("3", "2.5", "twenty-one", "a", "a couple of", "a few", "half a"), and where it ends."""
    word = words[i] if i < len(words) else ""
    following = words[i + 1] if i + 1 < len(words) else ""
    if word in ("a", "an") and (following in ("couple", "cpl", "few", "half") or _is_number(following)):
        return _quantity(words, i + 1)  # "a couple of", or "a good 3 weeks" once "good" has gone
    if _is_number(word):
        value = Fraction(NUMBER_WORDS[word]) if word in NUMBER_WORDS else Fraction(word)
        i += 1
        j = i + 1 if words[i : i + 1] == ["-"] else i
        if word in NUMBER_WORDS and value >= 20 and NUMBER_WORDS.get(words[j] if j < len(words) else "", 10) < 10:
            value, i = value + NUMBER_WORDS[words[j]], j + 1  # "twenty one", "twenty-one"
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


_HALVES: Final = re.compile(r"(?:\b([0-9]+)\s*(?:and\s+)?(?:a\s+)?)?(?<![0-9/])1\s*/\s*2\s+(?:(?:a|an)\s+)?(?=[a-z])")


def _start_date(
    text: str, answered_on: date, discharge_date: date, referral_date: date
) -> date | Literal["clarify"] | None:
    """The start date a reply names, before the referral clamp and the future check."""
    text = re.sub(r"(?<=[0-9])ish\b|-ish\b", " ", text)
    text = _HALVES.sub(lambda m: f"{m[1]}.5 " if m[1] else "half a ", text)  # "2 1/2 months", "1/2 a year"
    if (numeric := numeric_date(text, answered_on)) is not None:
        return numeric
    tokens = re.findall(r"[0-9]+(?:\.[0-9]+)?|[^\W\d_]+|[-/]", text.replace("'", ""))
    words = understood(tokens, _DURATION_VOCABULARY, _DURATION_RULES)
    if not words:
        return None
    if _always(words):
        return referral_date
    if _since_discharge(words):
        return discharge_date
    relative = _RELATIVE_DAYS.get(" ".join(w for w in words if w not in word_set("since from ever about around just")))
    if relative is not None:
        return _count_back(answered_on, relative)
    if (named := named_date(words, answered_on)) is not None:
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
        start = _start_date(clean(text), answered_on, discharge_date, referral_date)
    except OverflowError:  # "a million years": long before any referral
        start = referral_date
    if start == "clarify" or start is None:
        return start
    start = max(start, referral_date)
    return start if start <= answered_on else None


deletion_index(_DURATION_VOCABULARY)  # built at import, not while the first reply waits
