"""The independent telephone assessment's pure rules (SPEC 8.4): drawing a stratified sample, the call's
attempts, and the presenting problem in words an assessor can say on the phone.

The sample is stratified by service and by the texted outcome category, with proportional allocation
by largest remainder (so it is close to self-weighting: each stratum's share of the sample is its share
of the eligible episodes), at least one episode from every stratum present whenever the size allows, and
else at least one from every texted category present whenever the size allows that.
Within a stratum, episodes are drawn by `random.Random(seed)` from their ids in ascending order: the same
seed and the same eligible episodes give the same sample.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Final, TypeVar

K = TypeVar("K", bound=Hashable)

#: After this many calls without reaching the client, the call is given up (status not_reached).
MAX_ATTEMPTS: Final = 3
#: Seeds are stored in a 32-bit signed integer column.
SEED_MAX: Final = 2**31 - 1


class SampleError(ValueError):
    """A sample that cannot be drawn as asked (the message says why)."""


def allocate(
    strata: Mapping[K, int],
    size: int,
    order: Sequence[K] | None = None,
    group: Callable[[K], Hashable] | None = None,
) -> dict[K, int]:
    """How many to draw from each stratum, given how many each holds: proportional, by largest remainder.

    Every stratum gets at least one when `size` is at least the number of (non-empty) strata; none gets
    more than it holds. With `group` (a stratum's key -> its group, the texted category), every group gets
    at least one when `size` is at least the number of groups, even when there are too many strata for one
    each (SPEC 8.4: every category represented). Ties go to the stratum earlier in `order` (default: the
    mapping's order).
    """
    if size < 1:
        raise SampleError(f"the sample size must be at least 1, not {size}")
    keys = [key for key in (order if order is not None else list(strata)) if strata.get(key, 0) > 0]
    total = sum(strata[key] for key in keys)
    if total <= size:
        return {key: strata[key] for key in keys}
    rank = {key: index for index, key in enumerate(keys)}
    quota = {key: Fraction(size * strata[key], total) for key in keys}
    floor = 1 if size >= len(keys) else 0
    counts = {key: min(strata[key], max(floor, int(quota[key]))) for key in keys}
    group_of: dict[K, Hashable] = {}
    groups: dict[Hashable, list[K]] = {}
    if group is not None:
        for key in keys:
            group_of[key] = group(key)
            groups.setdefault(group_of[key], []).append(key)
    by_group = group is not None and size >= len(groups)
    if by_group:
        for members in groups.values():  # a group left out: one from its stratum with the largest quota
            if not any(counts[key] for key in members):
                counts[max(members, key=lambda k: (quota[k], -rank[k]))] = 1

    def may_give_one(key: K) -> bool:
        if counts[key] <= floor:
            return False
        return not by_group or sum(counts[k] for k in groups[group_of[key]]) > 1

    while sum(counts.values()) > size:  # a minimum pushed the total over: take from the most over quota
        over = [key for key in keys if may_give_one(key)]
        key = max(over, key=lambda k: (counts[k] - quota[k], -rank[k]))
        counts[key] -= 1
    while sum(counts.values()) < size:  # the largest remainders first
        under = [key for key in keys if counts[key] < strata[key]]
        key = max(under, key=lambda k: (quota[k] - counts[k], -rank[k]))
        counts[key] += 1
    return counts


def draw(
    strata: Mapping[K, Sequence[int]],
    size: int,
    seed: int,
    order: Sequence[K] | None = None,
    group: Callable[[K], Hashable] | None = None,
) -> dict[K, list[int]]:
    """The ids drawn from each stratum (ids in ascending order), reproducible from `seed`.

    One `random.Random(seed)` draws the strata one after another in `order`, each from its ids sorted;
    `group` as for `allocate`.
    """
    keys = list(order if order is not None else strata)
    counts = allocate({key: len(strata.get(key, ())) for key in keys}, size, keys, group)
    rng = random.Random(seed)
    drawn: dict[K, list[int]] = {}
    for key in keys:
        if counts.get(key):
            drawn[key] = sorted(rng.sample(sorted(strata[key]), counts[key]))
    return drawn


def call_order(drawn: Mapping[K, Sequence[int]], seed: int) -> list[int]:
    """Every drawn id once, in a random order reproducible from `seed`: the calls are stored and listed in
    this order, so neither a call's number nor its place on the list says which stratum it came from."""
    ids = sorted(episode_id for ids in drawn.values() for episode_id in ids)
    random.Random(f"{seed}:call order").shuffle(ids)
    return ids


def fresh_seed(rng: random.Random | None = None) -> int:
    """A new seed to store with a sample (the caller passes its own randomness in tests)."""
    return (rng or random.SystemRandom()).randint(1, SEED_MAX)


# --- the call -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What a not-reached call becomes: its attempts, and when to try next (None: given up)."""

    attempts: int
    next_try_at: datetime | None
    given_up: bool


def not_reached(attempts: int, now: datetime, next_try_at: datetime | None = None) -> Attempt:
    """One more attempt without reaching the client: try again at `next_try_at` (default: tomorrow at the
    same time), or give up after `MAX_ATTEMPTS`."""
    made = attempts + 1
    if made >= MAX_ATTEMPTS:
        return Attempt(made, None, True)
    return Attempt(made, next_try_at or now + timedelta(days=1), False)


# --- the presenting problem in plain words -----------------------------------------------------------

#: ICD-10 codes (most specific first) and what an assessor calls them on the phone.
_PLAIN_WORDS: Final[tuple[tuple[str, str], ...]] = (
    ("F41.0", "panic disorder"),
    ("F41.1", "generalised anxiety"),
    ("F41.2", "mixed anxiety and depression"),
    ("F40.0", "agoraphobia"),
    ("F40.1", "social anxiety"),
    ("F40.2", "a specific phobia"),
    ("F43.1", "post-traumatic stress disorder"),
    ("F43.2", "an adjustment disorder"),
    ("F45.2", "health anxiety"),
    ("F32", "depression"),
    ("F33", "recurrent depression"),
    ("F40", "a phobia"),
    ("F41", "anxiety"),
    ("F42", "obsessive-compulsive disorder"),
    ("F43", "a reaction to severe stress"),
    ("F50", "an eating disorder"),
)
#: What the call shows when the discharge list gave no problem (`none`, empty, or not a chapter F code).
NOT_RECORDED: Final = "no presenting problem recorded"
#: A well-formed chapter F code Stillwell has no plain words for: the code itself, said to be unlisted.
NOT_LISTED: Final = "{code} (not in Stillwell's list of plain words)"
_CODE: Final = re.compile(r"^(F\d\d)\.?(\d*)$")


def _code(descriptor: str | None) -> str | None:
    """The ICD-10 chapter F code in its dotted form ("f411" -> "F41.1"), or None for `none`, empty or other text."""
    match = _CODE.match((descriptor or "").strip().upper())
    if not match:
        return None
    category, detail = match.groups()
    return f"{category}.{detail}" if detail else category


def _plain_words(code: str) -> str | None:
    for prefix, words in _PLAIN_WORDS:
        if code == prefix or (code.startswith(prefix) and (len(prefix) == 3 or code[len(prefix)] in ".0123456789")):
            return words
    return None


def presenting_problem(descriptor: str | None) -> str:
    """The presenting problem in plain words from its ICD-10 code (any case, the dot optional): NOT_RECORDED
    for `none`, empty or anything not a chapter F code, and the code itself (NOT_LISTED) for an F code
    without plain words."""
    code = _code(descriptor)
    if code is None:
        return NOT_RECORDED
    return _plain_words(code) or NOT_LISTED.format(code=code)


def criteria_hint(descriptor: str | None) -> str:
    """The hint under "does the presenting problem still meet diagnostic criteria?", right in every case."""
    code = _code(descriptor)
    if code is None:
        return (
            "No presenting problem was recorded at discharge: ask about the problem the client was treated for, "
            "by the standardised interview."
        )
    words = _plain_words(code)
    if words is None:
        return f"For the problem coded {code} at discharge, by the standardised interview."
    return f"For {words}, by the standardised interview."


def interview_date_problem(interview: date, today: date, discharge: date) -> str | None:
    """Why an interview date cannot be right, or None: not in the future, not before discharge."""
    if interview > today:
        return f"{interview.isoformat()} is in the future: give the date of the call"
    if interview < discharge:
        return f"{interview.isoformat()} is before the discharge date ({discharge.isoformat()})"
    return None
