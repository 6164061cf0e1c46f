"""Per check-in and per episode outcomes, as of a date (SPEC section 4, methodology version 1).

Pure: the database layer builds the input records below; nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any, Final, Generic, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from app.domain.protocol import RESPONSE_WINDOW

T = TypeVar("T")

ChangeValue = Literal["much_better", "a_little_better", "same", "a_little_worse", "much_worse"]
UsualSelfValue = Literal["yes", "mostly", "no"]
ProblemGroup = Literal["depression", "anxiety", "other"]
Disorder = Literal[
    "depression",
    "mixed_anxiety_depression",
    "generalised_anxiety",
    "panic",
    "agoraphobia",
    "social_phobia",
    "specific_phobia",
    "ocd",
    "ptsd",
    "health_anxiety",
    "other_anxiety",
    "other",
]
SessionsBand = Literal["0", "1", "2-6", "7+"]
Category = Literal[
    "durably_recovered",
    "relapsed",
    "improved",
    "unchanged",
    "worse",
    "opted_out",
    "unreachable",
    "no_response",
    "pending",
]

#: The nine categories in SPEC order; the first that applies wins.
CATEGORIES: Final[tuple[Category, ...]] = (
    "durably_recovered",
    "relapsed",
    "improved",
    "unchanged",
    "worse",
    "opted_out",
    "unreachable",
    "no_response",
    "pending",
)
#: Categories 1-8: the intention-to-treat denominator.
ELIGIBLE: Final[tuple[Category, ...]] = CATEGORIES[:8]
#: Categories 1-5: episodes with at least one answered check-in.
ANSWERED: Final[tuple[Category, ...]] = CATEGORIES[:5]
CHANGES: Final[tuple[ChangeValue, ...]] = (
    "much_better",
    "a_little_better",
    "same",
    "a_little_worse",
    "much_worse",
)
PROBLEM_GROUPS: Final[tuple[ProblemGroup, ...]] = ("depression", "anxiety", "other")
#: The disorders first presented with (SPEC section 8.1's `by_disorder`), in SPEC order.
DISORDERS: Final[tuple[Disorder, ...]] = (
    "depression",
    "mixed_anxiety_depression",
    "generalised_anxiety",
    "panic",
    "agoraphobia",
    "social_phobia",
    "specific_phobia",
    "ocd",
    "ptsd",
    "health_anxiety",
    "other_anxiety",
    "other",
)
#: ICD-10 code prefixes (upper case, no dot) and their disorder; the first that matches wins.
_DISORDER_CODES: Final[tuple[tuple[str, Disorder], ...]] = (
    ("F32", "depression"),
    ("F33", "depression"),
    ("F412", "mixed_anxiety_depression"),
    ("F411", "generalised_anxiety"),
    ("F410", "panic"),
    ("F400", "agoraphobia"),
    ("F401", "social_phobia"),
    ("F402", "specific_phobia"),
    ("F42", "ocd"),
    ("F431", "ptsd"),
    ("F452", "health_anxiety"),
    ("F40", "other_anxiety"),
    ("F41", "other_anxiety"),
    ("F43", "other_anxiety"),
)
SESSIONS_BANDS: Final[tuple[SessionsBand, ...]] = ("0", "1", "2-6", "7+")

#: Bruce et al. 2005: 8 consecutive weeks at PSR <= 2 for anxiety disorders.
ANXIETY_THRESHOLD: Final = timedelta(weeks=8)
#: Rush et al. 2006: recovery is remission lasting at least 4 months.
DEPRESSION_THRESHOLD_MONTHS: Final = 4

_CHANGE_INDEX: Final[dict[str, int]] = {value: i for i, value in enumerate(CHANGES)}
# Category index that L's change selects: improved (2), unchanged (3), worse (4).
_CHANGE_CATEGORY: Final = (2, 2, 3, 4, 4)
_WELLNESS: Final[dict[str, bool]] = {"yes": True, "mostly": True, "no": False}
#: Usual-self answers and the wellness they mean (any other answer: wellness unknown).
WELLNESS: Final = _WELLNESS
_MONTH_DAYS: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class Answer(Generic[T]):
    """One answer and the local date (service time zone) it arrived."""

    # Hand-written slots: dataclass(slots=True) breaks Answer[str](...) on Python 3.11.
    __slots__ = ("received_on", "value")
    value: T
    received_on: date


@dataclass(frozen=True, slots=True)
class CheckInFacts:
    """What happened to one planned contact, as recorded (dates local to the service)."""

    offset_weeks: int
    due_on: date
    skipped: bool = False
    first_sent_on: date | None = None
    withdrawn_on: date | None = None
    unreachable: bool = False
    closed_by_opt_out_on: date | None = None
    change: Answer[str] | None = None
    duration_start: Answer[date] | None = None
    usual_self: Answer[str] | None = None


@dataclass(frozen=True, slots=True)
class EpisodeFacts:
    """One discharged episode of care with its check-ins and its contact point's opt-outs."""

    service_code: str
    area_code: str
    referral_date: date
    discharge_date: date
    treatment_sessions: int
    problem_descriptor: str
    consented: bool
    assessment_date: date | None = None
    first_treatment_date: date | None = None
    phq9_first: int | None = None
    phq9_last: int | None = None
    gad7_first: int | None = None
    gad7_last: int | None = None
    opt_events: tuple[tuple[date, Literal["opt_out", "resume"]], ...] = ()
    check_ins: tuple[CheckInFacts, ...] = ()
    # The case-mix covariates of the service comparison (SPEC 8.1); None: not given at intake.
    intensity: str | None = None  # low | high | stepped
    age_band: str | None = None  # 16-17 ... 66+
    sex: str | None = None  # female | male | other | unknown
    imd_decile: int | None = None  # 1-10


@dataclass(frozen=True, slots=True)
class CheckInOutcome:
    """An answered check-in as of A: its wellness, spell start `s` and recovery."""

    offset_weeks: int
    answered_on: date  # t
    change: ChangeValue
    wellness: bool | None  # True well, False not well, None unknown
    claimed_start: date | None
    spell_start: date | None  # s, for well check-ins only
    recovered: bool


@dataclass(frozen=True, slots=True)
class FollowUpStatus:
    """One check-in's standing at its follow-up point as of A."""

    offset_weeks: int
    closed: bool
    answered: bool
    recovered: bool


@dataclass(frozen=True, slots=True)
class WellnessSpell:
    """A Kaplan-Meier subject, in days from the first well check-in's spell start."""

    entry: int
    time: int
    event: bool


@dataclass(frozen=True, slots=True)
class EpisodeOutcome:
    """Everything methodology version 1 says about one consented episode as of A."""

    category: Category
    last_change: ChangeValue | None
    check_ins: tuple[CheckInOutcome, ...]
    follow_ups: tuple[FollowUpStatus, ...]
    wellness_spell: WellnessSpell | None


def icd10_code(descriptor: str) -> str:
    """A problem descriptor as problem groups and disorders read it: upper case, without dots or
    surrounding spaces ("f41.1 " -> "F411"); `none` and other text stay text."""
    return descriptor.strip().upper().replace(".", "")


@lru_cache(maxsize=4096)
def problem_group(descriptor: str) -> ProblemGroup:
    """ICD-10 problem descriptor -> problem group; case-insensitive, the dot optional."""
    code = icd10_code(descriptor)
    if code.startswith(("F32", "F33", "F412")):
        return "depression"
    if code.startswith(("F40", "F41", "F42", "F43", "F452")):
        return "anxiety"
    return "other"


@lru_cache(maxsize=4096)
def disorder(descriptor: str) -> Disorder:
    """ICD-10 problem descriptor -> the disorder first presented with (SPEC section 8.1), read as
    `problem_group` reads it; each disorder lies within one problem group."""
    code = icd10_code(descriptor)
    for prefix, found in _DISORDER_CODES:
        if code.startswith(prefix):
            return found
    return "other"


def sessions_band(sessions: int) -> SessionsBand:
    """Treatment sessions -> the breakdown band "0", "1", "2-6" or "7+"."""
    if sessions < 0:
        raise ValueError(f"treatment sessions cannot be negative (got {sessions})")
    if sessions >= 7:
        return "7+"
    if sessions >= 2:
        return "2-6"
    return "1" if sessions == 1 else "0"


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier, or the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    length = _MONTH_DAYS[month - 1]
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        length = 29
    return date(year, month, min(day.day, length))


def recovery_cutoff(answered_on: date, group: ProblemGroup) -> date:
    """The latest spell start that counts as recovered at `answered_on` for a problem group."""
    if group == "anxiety":
        return answered_on - ANXIETY_THRESHOLD
    return months_before(answered_on, DEPRESSION_THRESHOLD_MONTHS)


# A raw answered check-in, in the hot path kept as a list:
# [t, offset, change index, wellness, claimed_start, spell start, recovered]
_T, _OFFSET, _CHANGE, _WELL, _CLAIMED, _S, _RECOVERED = range(7)
_ORDER = itemgetter(_T, _OFFSET)
# Four calendar months span 120 to 123 days: outside that range no calendar is needed.
_SHORTEST_4_MONTHS, _LONGEST_4_MONTHS = 120, 123

#: What `evaluate_raw` returns: (category index, L's change index or -1, answered items ordered
#: by t then offset, follow-ups as (offset, closed, item or None) for check-ins due by A,
#: Kaplan-Meier subject as (entry, time, event) or None).
RawOutcome = tuple[int, int, list[list[Any]], list[tuple[int, bool, list[Any] | None]], tuple[int, int, bool] | None]


def evaluate_raw(ep: EpisodeFacts, as_of: date) -> RawOutcome:
    """Methodology version 1 for one consented episode in one pass, as raw lists and tuples.

    The summary builder's hot path; everyone else should call `assess_episode`.
    """
    answered: list[list[Any]] = []
    follow_ups: list[tuple[int, bool, list[Any] | None]] = []
    ordered = all_unreachable = True
    closed_unanswered = False
    due_count = 0
    last_t = date.min
    last_offset = -1
    window_start = as_of - RESPONSE_WINDOW  # a due or first-send date on/before this has closed
    for c in ep.check_ins:
        if c.skipped:
            continue  # never sent: in no figure
        item = None
        ch = c.change
        if ch is not None and ch.received_on <= as_of:
            t = ch.received_on
            offset = c.offset_weeks
            us = c.usual_self
            ds = c.duration_start
            change = _CHANGE_INDEX.get(ch.value)
            if change is None:
                raise ValueError(f"unknown change answer {ch.value!r} (expected one of {CHANGES})")
            item = [
                t,
                offset,
                change,
                _WELLNESS.get(us.value) if us is not None and us.received_on <= as_of else None,
                min(t, ds.value) if ds is not None and ds.received_on <= as_of else None,
                None,
                False,
            ]
            answered.append(item)
            if t < last_t or (t == last_t and offset < last_offset):
                ordered = False
            last_t, last_offset = t, offset
        due_on = c.due_on
        if due_on > as_of:
            continue
        due_count += 1
        if not c.unreachable:
            all_unreachable = False
        if item is not None:
            follow_ups.append((c.offset_weeks, True, item))
            continue
        withdrawn = c.withdrawn_on is not None and c.withdrawn_on <= as_of
        closed = (
            (c.first_sent_on is not None and c.first_sent_on <= window_start)
            or ((withdrawn or c.unreachable) and due_on <= window_start)
            or (c.closed_by_opt_out_on is not None and c.closed_by_opt_out_on <= as_of)
        )
        if closed or withdrawn:
            closed_unanswered = True
        follow_ups.append((c.offset_weeks, closed, None))

    if not answered:
        category = unanswered_category(ep.opt_events, as_of, due_count, all_unreachable, closed_unanswered)
        return category, -1, answered, follow_ups, None

    if not ordered:
        answered.sort(key=_ORDER)
    spell, k_recovered, any_recovered = _spells(answered, ep)
    last_change = answered[-1][_CHANGE]
    if k_recovered:
        category = 0
    elif any_recovered:
        category = 1
    else:
        category = _CHANGE_CATEGORY[last_change]
    return category, last_change, answered, follow_ups, spell


def _spells(answered: list[list[Any]], ep: EpisodeFacts) -> tuple[tuple[int, int, bool] | None, bool, bool]:
    """Fill in spell starts and recovery on ordered answered items.

    Returns the Kaplan-Meier subject (entry, time, event) or None, whether K is recovered and
    whether any check-in is.
    """
    referral = ep.referral_date
    anxiety = problem_group(ep.problem_descriptor) == "anxiety"
    has_p = p_well = False
    p_t = p_s = origin = referral  # origin: spell start of the first well check-in
    k_recovered = any_recovered = False
    has_origin = open_spell = event = False
    entry = end = 0
    for item in answered:
        well = item[_WELL]
        if well is None:
            continue  # unknown wellness: never p, never K
        t = item[_T]
        if well:
            claimed = item[_CLAIMED]
            if not has_p:
                s = t if claimed is None else claimed
            elif p_well:
                if claimed is not None and claimed > p_t:
                    s = claimed  # a new spell began: wellness had ended before it
                    if open_spell:
                        end, event, open_spell = (claimed - origin).days, True, False
                else:
                    s = p_s  # the spell continues
            else:
                # A report made at the time beats a later recollection.
                s = t if claimed is None else claimed
                s = max(s, p_t)
            s = max(s, referral)
            if anxiety:
                recovered = s <= t - ANXIETY_THRESHOLD
            else:
                days = (t - s).days
                recovered = days >= _LONGEST_4_MONTHS or (
                    days >= _SHORTEST_4_MONTHS and s <= months_before(t, DEPRESSION_THRESHOLD_MONTHS)
                )
            item[_S] = p_s = s
            item[_RECOVERED] = recovered
            if recovered:
                any_recovered = True
            if not has_origin:
                has_origin = open_spell = True
                origin, entry = s, (t - s).days
        else:
            recovered = False
            if open_spell:
                end, event, open_spell = (t - origin).days, True, False
        k_recovered = recovered
        has_p, p_t, p_well = True, t, well
    if not has_origin:
        return None, k_recovered, any_recovered
    if open_spell:
        end = (p_t - origin).days  # censored at the last check-in with known wellness
    return (entry, end, event), k_recovered, any_recovered


# The bulk path: the same methodology over arrays of check-ins of many episodes at once, with
# dates as day numbers (date.toordinal()), for the database reader that never builds EpisodeFacts.
# `evaluate_raw` and `_spells` stay the reference; tests show both give identical summaries.
_ANXIETY_DAYS: Final = ANXIETY_THRESHOLD.days


@dataclass(frozen=True)
class AnsweredArrays:
    """Answered check-ins (as of A, none skipped) of episodes 0..n-1: one entry per check-in.

    Dates are day numbers; `claimed` is the duration answer's start (-1 when missing), not yet
    capped at t; `well` is 1 well, 2 not well, 0 unknown; `change` indexes CHANGES.
    """

    episode: NDArray[np.int64]
    t: NDArray[np.int64]
    offset: NDArray[np.int64]
    change: NDArray[np.int64]
    well: NDArray[np.int64]
    claimed: NDArray[np.int64]


@dataclass(frozen=True)
class AnsweredOutcomes:
    """Per episode: category index (-1 without an answered check-in) and L's change (-1); per check-in
    (in the order given): recovered; the Kaplan-Meier subjects with entry < time."""

    category: NDArray[np.int64]
    last_change: NDArray[np.int64]
    recovered: NDArray[np.bool_]
    entry: NDArray[np.int64]
    time: NDArray[np.int64]
    event: NDArray[np.bool_]


def evaluate_answered(
    rows: AnsweredArrays, referral: NDArray[np.int64], anxiety: NDArray[np.bool_]
) -> AnsweredOutcomes:
    """`evaluate_raw`'s categories, recovery and Kaplan-Meier subjects for many episodes at once.

    `referral` and `anxiety` (problem group is anxiety) are per episode.
    """
    n = len(referral)
    order = np.lexsort((rows.offset, rows.t, rows.episode))  # by episode, then t, then offset
    ep, t, change = rows.episode[order], rows.t[order], rows.change[order]
    claimed = np.where(rows.claimed[order] > t, t, rows.claimed[order])
    category = np.full(n, -1, dtype=np.int64)
    last_change = np.full(n, -1, dtype=np.int64)
    if len(ep):
        last = np.r_[ep[1:] != ep[:-1], True]
        last_change[ep[last]] = change[last]
        category[ep[last]] = np.asarray(_CHANGE_CATEGORY)[change[last]]
    known = np.flatnonzero(rows.well[order] != 0)
    k_ep, k_t, k_claimed = ep[known], t[known], claimed[known]
    well = rows.well[order][known] == 1
    same = np.r_[False, k_ep[1:] == k_ep[:-1]]  # has a previous known check-in p
    p_t = np.r_[0, k_t[:-1]]
    p_well = same & np.r_[False, well[:-1]]
    has_claim = k_claimed >= 0
    claim_or_t = np.where(has_claim, k_claimed, k_t)
    new_spell = well & p_well & has_claim & (k_claimed > p_t)
    continues = well & p_well & ~new_spell
    start = np.where(same & ~p_well, np.maximum(claim_or_t, p_t), claim_or_t)
    start = np.maximum(start, referral[k_ep])
    # s of a continuing check-in is the s of the latest check-in that began its spell
    began = np.where(well & ~continues, np.arange(len(known)), 0)
    s = start[np.maximum.accumulate(began)] if len(known) else start
    days = k_t - s
    anxious = anxiety[k_ep]
    recovered = well & np.where(anxious, days >= _ANXIETY_DAYS, days >= _LONGEST_4_MONTHS)
    for i in np.flatnonzero(well & ~anxious & (days >= _SHORTEST_4_MONTHS) & (days < _LONGEST_4_MONTHS)):
        cutoff = months_before(date.fromordinal(int(k_t[i])), DEPRESSION_THRESHOLD_MONTHS).toordinal()
        recovered[i] = s[i] <= cutoff
    any_recovered = np.zeros(n, dtype=bool)
    any_recovered[k_ep[recovered]] = True
    k_last = np.r_[k_ep[1:] != k_ep[:-1], True] if len(known) else np.zeros(0, dtype=bool)
    category[k_ep[k_last][~recovered[k_last] & any_recovered[k_ep[k_last]]]] = 1
    category[k_ep[k_last][recovered[k_last]]] = 0
    entry, end, event = _spell_arrays(k_ep, k_t, k_claimed, well, new_spell, s)
    recovered_rows = np.zeros(len(order), dtype=bool)
    recovered_rows[order[known]] = recovered
    return AnsweredOutcomes(category, last_change, recovered_rows, entry, end, event)


def _spell_arrays(
    ep: NDArray[np.int64],
    t: NDArray[np.int64],
    claimed: NDArray[np.int64],
    well: NDArray[np.bool_],
    new_spell: NDArray[np.bool_],
    s: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
    """Kaplan-Meier subjects (entry, time, event) with entry < time, from the known-wellness check-ins
    ordered by episode, t and offset."""
    size = len(ep)
    if not size:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    index = np.arange(size)
    starts = np.flatnonzero(np.r_[True, ep[1:] != ep[:-1]])
    ends = np.r_[starts[1:], size]
    segment = np.repeat(np.arange(len(starts)), ends - starts)
    first = np.minimum.reduceat(np.where(well, index, size), starts)  # first well check-in, or size
    # the first later check-in that is not well, or well and starting a new spell, ends the spell
    closing = (index > first[segment]) & (~well | new_spell)
    close = np.minimum.reduceat(np.where(closing, index, size), starts)
    has = first < size
    first, close, last = first[has], close[has], ends[has] - 1
    origin = s[first]
    entry = t[first] - origin
    event = close < size
    close = np.where(event, close, 0)
    time = np.where(event, np.where(well[close], claimed[close], t[close]), t[last]) - origin
    keep = entry < time
    return entry[keep], time[keep], event[keep]


def unanswered_category(
    opt_events: Sequence[tuple[date, str]], as_of: date, due_count: int, all_unreachable: bool, closed: bool
) -> int:
    """Categories 6-9 (as indexes 5-8) for an episode with no answered check-in by A.

    `opt_events` are the client's opt-outs and resumes, oldest first, as (local date, kind).
    """
    latest_kind = None
    latest_on: date | None = None
    for on, kind in opt_events:
        if on <= as_of and (latest_on is None or on >= latest_on):
            latest_on, latest_kind = on, kind
    if latest_kind == "opt_out":
        return 5
    if due_count and all_unreachable:
        return 6
    return 7 if closed else 8


def next_change(ep: EpisodeFacts, as_of: date) -> date | None:
    """The first day after A on which the episode's figures as of that day may differ from those as of A
    with nothing recorded in between (None: never, until something is recorded).

    As of a day D, the methodology compares recorded dates with D only as "on or before D" (an answer
    received, a check-in due, withdrawn or closed by an opt-out, an opt-out or resume, the discharge
    itself) or "on or before D - RESPONSE_WINDOW" (a first send or a due date whose window has closed):
    the figures are the same for every D between two such dates, so the next one after A is the first
    day they can change. A spell's recovery depends on the answers' dates, not on D.
    """
    window = RESPONSE_WINDOW
    candidates: list[date] = [ep.discharge_date]
    candidates.extend(on for on, _ in ep.opt_events)
    for c in ep.check_ins:
        candidates.append(c.due_on)
        candidates.append(c.due_on + window)
        if c.first_sent_on is not None:
            candidates.append(c.first_sent_on + window)
        if c.withdrawn_on is not None:
            candidates.append(c.withdrawn_on)
        if c.closed_by_opt_out_on is not None:
            candidates.append(c.closed_by_opt_out_on)
        for answer in (c.change, c.duration_start, c.usual_self):
            if answer is not None:
                candidates.append(answer.received_on)
    later = [day for day in candidates if day > as_of]
    return min(later) if later else None


def assess_episode(ep: EpisodeFacts, as_of: date) -> EpisodeOutcome | None:
    """Classify a consented episode as of A (None when it has no consent: never classified)."""
    if not ep.consented:
        return None
    category, last_change, answered, follow_ups, spell = evaluate_raw(ep, as_of)
    return EpisodeOutcome(
        category=CATEGORIES[category],
        last_change=CHANGES[last_change] if last_change >= 0 else None,
        check_ins=tuple(
            CheckInOutcome(
                offset_weeks=i[_OFFSET],
                answered_on=i[_T],
                change=CHANGES[i[_CHANGE]],
                wellness=i[_WELL],
                claimed_start=i[_CLAIMED],
                spell_start=i[_S],
                recovered=i[_RECOVERED],
            )
            for i in answered
        ),
        follow_ups=tuple(
            FollowUpStatus(
                offset_weeks=offset,
                closed=closed,
                answered=item is not None,
                recovered=item is not None and item[_RECOVERED],
            )
            for offset, closed, item in sorted(follow_ups, key=itemgetter(0))
        ),
        wellness_spell=WellnessSpell(*spell) if spell is not None else None,
    )


def classify_episode(ep: EpisodeFacts, as_of: date) -> Category | None:
    """The episode's category as of A (first of the nine that applies); None without consent."""
    outcome = assess_episode(ep, as_of)
    return outcome.category if outcome is not None else None


def assess_check_ins(ep: EpisodeFacts, as_of: date) -> tuple[CheckInOutcome, ...]:
    """The answered check-ins as of A, ordered by t then offset, with spell starts."""
    outcome = assess_episode(ep, as_of) if ep.consented else None
    return outcome.check_ins if outcome is not None else ()
