"""The bulk path (`evaluate_answered`, on arrays of day numbers) agrees with the reference `evaluate_raw`."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.outcomes import (
    CHANGES,
    WELLNESS,
    Answer,
    AnsweredArrays,
    CheckInFacts,
    EpisodeFacts,
    evaluate_answered,
    evaluate_raw,
    problem_group,
)

A = date(2027, 1, 31)
DESCRIPTORS = ("F32.1", "F41.1", "F41.2", "F42", "none", "F45.2")


def random_episode(rng: random.Random) -> EpisodeFacts:
    """A consented episode whose answers crowd around the 8-week and 4-month thresholds."""
    discharge = A - timedelta(days=rng.randint(0, 500))
    referral = discharge - timedelta(days=rng.randint(0, 200))
    check_ins = []
    for weeks in sorted(rng.sample(range(1, 60), rng.randint(0, 6))):
        due = discharge + timedelta(weeks=weeks)
        answered = rng.random() < 0.8
        t = due + timedelta(days=rng.choice((0, 1, 3, 30, -3)))
        late = timedelta(days=rng.choice((0, 0, 0, 400)))  # some answers arrive after A
        usual = rng.choice((*WELLNESS, "unsure", None))
        start = t - timedelta(days=rng.choice((0, 1, 55, 56, 57, 119, 120, 121, 122, 123, 124, 200, -5)))
        check_ins.append(CheckInFacts(
            offset_weeks=weeks,
            due_on=due,
            skipped=rng.random() < 0.05,
            change=Answer(rng.choice(CHANGES), t + late) if answered else None,
            usual_self=Answer(usual, t + rng.choice((late, timedelta(0)))) if answered and usual else None,
            duration_start=Answer(start, t) if answered and rng.random() < 0.7 else None,
        ))
    rng.shuffle(check_ins)  # the reference orders answers itself
    return EpisodeFacts(
        service_code="S", area_code="A", referral_date=referral, discharge_date=discharge, treatment_sessions=3,
        problem_descriptor=rng.choice(DESCRIPTORS), consented=True, check_ins=tuple(check_ins),
    )


def arrays(episodes: list[EpisodeFacts], as_of: date) -> AnsweredArrays:
    columns: list[list[int]] = [[], [], [], [], [], []]
    for number, ep in enumerate(episodes):
        for c in ep.check_ins:
            if c.skipped or c.change is None or c.change.received_on > as_of:
                continue
            us, ds = c.usual_self, c.duration_start
            well = WELLNESS.get(us.value) if us is not None and us.received_on <= as_of else None
            values = (number, c.change.received_on.toordinal(), c.offset_weeks, CHANGES.index(c.change.value),
                      0 if well is None else 1 if well else 2,
                      ds.value.toordinal() if ds is not None and ds.received_on <= as_of else -1)
            for column, value in zip(columns, values, strict=True):
                column.append(value)
    return AnsweredArrays(*(np.asarray(column, dtype=np.int64) for column in columns))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40))
def test_array_path_matches_the_reference(seed: int, size: int) -> None:
    rng = random.Random(seed)
    episodes = [random_episode(rng) for _ in range(size)]
    rows = arrays(episodes, A)
    referral = np.asarray([ep.referral_date.toordinal() for ep in episodes], dtype=np.int64)
    anxiety = np.asarray([problem_group(ep.problem_descriptor) == "anxiety" for ep in episodes])
    outcome = evaluate_answered(rows, referral, anxiety)
    subjects = []
    for number, ep in enumerate(episodes):
        category, last_change, answered, _, spell = evaluate_raw(ep, A)
        if answered:
            assert outcome.category[number] == category
            assert outcome.last_change[number] == last_change
        else:
            assert outcome.category[number] == -1
        mine = sorted((int(rows.t[i]), int(rows.offset[i]), bool(outcome.recovered[i]))
                      for i in np.flatnonzero(rows.episode == number))
        assert mine == [(item[0].toordinal(), item[1], item[6]) for item in answered]
        if spell is not None and spell[0] < spell[1]:
            subjects.append((spell[0], spell[1], bool(spell[2])))
    found = zip(outcome.entry.tolist(), outcome.time.tolist(), outcome.event.tolist(), strict=True)
    assert sorted(found) == sorted(subjects)


def test_no_answers_at_all() -> None:
    empty = np.zeros(0, dtype=np.int64)
    outcome = evaluate_answered(AnsweredArrays(empty, empty, empty, empty, empty, empty),
                                np.asarray([700_000, 700_001], dtype=np.int64), np.asarray([False, True]))
    assert outcome.category.tolist() == [-1, -1] and outcome.last_change.tolist() == [-1, -1]
    assert len(outcome.entry) == 0
