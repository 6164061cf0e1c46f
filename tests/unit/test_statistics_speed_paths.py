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
        check_ins.append(
            CheckInFacts(
                offset_weeks=weeks,
                due_on=due,
                skipped=rng.random() < 0.05,
                change=Answer(rng.choice(CHANGES), t + late) if answered else None,
                usual_self=Answer(usual, t + rng.choice((late, timedelta(0)))) if answered and usual else None,
                duration_start=Answer(start, t) if answered and rng.random() < 0.7 else None,
            )
        )
    rng.shuffle(check_ins)  # the reference orders answers itself
    return EpisodeFacts(
        service_code="S",
        area_code="A",
        referral_date=referral,
        discharge_date=discharge,
        treatment_sessions=3,
        problem_descriptor=rng.choice(DESCRIPTORS),
        consented=True,
        check_ins=tuple(check_ins),
    )


def arrays(episodes: list[EpisodeFacts], as_of: date) -> AnsweredArrays:
    columns: list[list[int]] = [[], [], [], [], [], []]
    for number, ep in enumerate(episodes):
        for c in ep.check_ins:
            if c.skipped or c.change is None or c.change.received_on > as_of:
                continue
            us, ds = c.usual_self, c.duration_start
            well = WELLNESS.get(us.value) if us is not None and us.received_on <= as_of else None
            values = (
                number,
                c.change.received_on.toordinal(),
                c.offset_weeks,
                CHANGES.index(c.change.value),
                0 if well is None else 1 if well else 2,
                ds.value.toordinal() if ds is not None and ds.received_on <= as_of else -1,
            )
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
        mine = sorted(
            (int(rows.t[i]), int(rows.offset[i]), bool(outcome.recovered[i]))
            for i in np.flatnonzero(rows.episode == number)
        )
        assert mine == [(item[0].toordinal(), item[1], item[6]) for item in answered]
        if spell is not None and spell[0] < spell[1]:
            subjects.append((spell[0], spell[1], bool(spell[2])))
    found = zip(outcome.entry.tolist(), outcome.time.tolist(), outcome.event.tolist(), strict=True)
    assert sorted(found) == sorted(subjects)


def test_no_answers_at_all() -> None:
    empty = np.zeros(0, dtype=np.int64)
    outcome = evaluate_answered(
        AnsweredArrays(empty, empty, empty, empty, empty, empty),
        np.asarray([700_000, 700_001], dtype=np.int64),
        np.asarray([False, True]),
    )
    assert outcome.category.tolist() == [-1, -1] and outcome.last_change.tolist() == [-1, -1]
    assert len(outcome.entry) == 0


# The summary path no longer imports scipy.stats or statsmodels (seconds of start-up, pandas included);
# these prove its own arithmetic gives the same floats, bit for bit, as the libraries it replaced.


def test_wilson_quantile_is_the_one_statsmodels_uses() -> None:
    from scipy.stats import norm

    from app.domain.statistics import WILSON_Z
    from app.domain.survival import Z95

    alpha = float(2 * norm.sf(Z95))  # what the summary passed to statsmodels
    assert float(norm.isf(alpha / 2.0)) == WILSON_Z
    assert float(norm.isf(alpha / 2.0) ** 2) == WILSON_Z**2


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5_000_000), st.floats(0, 1))
def test_wilson_interval_is_statsmodels_bit_for_bit(denominator: int, share: float) -> None:
    from scipy.stats import norm
    from statsmodels.stats.proportion import proportion_confint

    from app.domain.statistics import wilson_interval, wilson_rate
    from app.domain.survival import Z95

    for numerator in {0, 1, denominator - 1, denominator, round(share * denominator)} - {-1}:
        expected = proportion_confint(numerator, denominator, alpha=float(2 * norm.sf(Z95)), method="wilson")
        assert wilson_interval(numerator, denominator) == expected
        assert wilson_rate(numerator, denominator)["ci95"] == list(expected)


def test_wilson_interval_small_denominators_exhaustively() -> None:
    from scipy.stats import norm
    from statsmodels.stats.proportion import proportion_confint

    from app.domain.statistics import wilson_interval
    from app.domain.survival import Z95

    alpha = float(2 * norm.sf(Z95))
    for denominator in range(1, 120):
        for numerator in range(denominator + 1):
            expected = proportion_confint(numerator, denominator, alpha=alpha, method="wilson")
            assert wilson_interval(numerator, denominator) == expected, (numerator, denominator)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 10_000), st.integers(0, 10**9), st.integers(0, 10**9))
def test_u3_is_scipy_norm_cdf(n: int, a: int, b: int) -> None:
    from scipy.stats import norm

    from app.domain.statistics import effect_size_from_sums

    rng = random.Random(a ^ b)
    first = [rng.randint(0, 27) for _ in range(min(n, 300))]
    last = [rng.randint(0, 27) for _ in first]
    size = len(first)
    figures = effect_size_from_sums(size, sum(first), sum(x * x for x in first), sum(last), sum(x * x for x in last))
    if figures["d"] is not None:
        assert figures["u3"] == float(norm.cdf(figures["d"]))


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 400), st.integers(1, 60))
def test_risk_table_is_statsmodels_survfunc(seed: int, size: int, spread: int) -> None:
    from statsmodels.duration.survfunc import SurvfuncRight

    from app.domain.survival import risk_table

    rng = np.random.default_rng(seed)
    entry = rng.integers(-5, spread, size)
    time = entry + rng.integers(1, spread + 1, size)  # many ties among entries, times and between them
    event = rng.integers(0, 2, size)
    if not event.any():
        event[0] = 1
    fit = SurvfuncRight(time, event, entry=entry)
    times, at_risk, deaths = risk_table(entry, time, event)
    assert times.tolist() == [int(t) for t in fit.surv_times]
    assert at_risk.tolist() == np.asarray(fit.n_risk, dtype=np.float64).tolist()
    assert deaths.tolist() == np.asarray(fit.n_events, dtype=np.float64).tolist()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 300), st.integers(1, 60))
def test_risk_table_counts_the_same_on_every_day_or_on_the_distinct_times(seed: int, size: int, spread: int) -> None:
    """Counting on every day of the span (fast) and on the distinct times only (for a span too wide to
    count day by day) give the same table."""
    from app.domain import survival

    rng = np.random.default_rng(seed)
    entry = rng.integers(-5, spread, size)
    time = entry + rng.integers(1, spread + 1, size)
    event = rng.integers(0, 2, size)
    dense = survival.risk_table(entry, time, event)
    limit = survival._DENSE_SPAN_LIMIT
    try:
        survival._DENSE_SPAN_LIMIT = 0  # every span is too wide
        sparse = survival.risk_table(entry, time, event)
    finally:
        survival._DENSE_SPAN_LIMIT = limit
    for a, b in zip(dense, sparse, strict=True):
        assert a.tolist() == b.tolist()


def test_risk_table_with_times_too_far_apart_to_count_day_by_day() -> None:
    from app.domain.survival import _DENSE_SPAN_LIMIT, risk_table

    far = _DENSE_SPAN_LIMIT * 3
    entry = np.array([0, 0, far - 10])
    time = np.array([5, 7, far])
    event = np.array([1, 0, 1])
    times, at_risk, deaths = risk_table(entry, time, event)
    assert times.tolist() == [5, far] and at_risk.tolist() == [2.0, 1.0] and deaths.tolist() == [1.0, 1.0]
    empty = risk_table(np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    assert [part.tolist() for part in empty] == [[], [], []]
