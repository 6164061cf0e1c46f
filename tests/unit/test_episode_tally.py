"""Per-episode tallies (the outcome facts the database keeps, SPEC 8.5) add up to the full summary,
and `next_change` names a day before which nothing recorded can change an episode's figures."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.outcomes import EpisodeFacts, next_change
from app.domain.statistics import SummaryBuilder, episode_tally, summarise
from tests.factories.statistics import random_cohort, varied_episode

A = date(2026, 11, 30)


def folded(episodes: list[EpisodeFacts], as_of: date) -> SummaryBuilder:
    total: Counter[str] = Counter()
    for ep in episodes:
        total.update(episode_tally(ep, as_of))
    builder = SummaryBuilder(as_of)
    builder.add_tally(total)
    return builder


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 120), st.integers(-30, 200))
def test_tallies_add_up_to_the_full_summary(seed: int, size: int, days_back: int) -> None:
    rng = random.Random(seed)
    as_of = A - timedelta(days=days_back)
    episodes = [varied_episode(rng, A) for _ in range(size)]
    reference = SummaryBuilder(as_of)
    for ep in episodes:
        reference.add(ep)
    builder = folded(episodes, as_of)
    assert builder.result() == reference.result()
    assert builder.wellness_curve() == reference.wellness_curve()
    assert builder.wellness_curve().at_risk_by_day == reference.wellness_curve().at_risk_by_day


def test_tallies_add_up_on_a_plausible_cohort_with_many_spells() -> None:
    episodes = random_cohort(7, 3000)
    as_of = date(2027, 6, 30)
    result = folded(episodes, as_of).result()
    assert result == summarise(episodes, as_of)
    assert result["wellness"]["n"] > 500  # the Kaplan-Meier part is exercised, not empty


def test_added_in_parts_or_at_once_the_same() -> None:
    rng = random.Random(3)
    episodes = [varied_episode(rng, A) for _ in range(200)]
    builder = SummaryBuilder(A)
    for ep in episodes:
        builder.add_tally(episode_tally(ep, A))
    assert builder.result() == summarise(episodes, A)


def test_an_episode_discharged_after_the_date_counts_nothing() -> None:
    rng = random.Random(1)
    ep = next(e for e in (varied_episode(rng, A) for _ in range(500)) if e.discharge_date > A)
    assert episode_tally(ep, A) == {}
    assert next_change(ep, A) is not None and next_change(ep, A) <= ep.discharge_date


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32))
def test_the_figures_move_only_on_the_next_change(seed: int) -> None:
    """Day by day over an episode's whole follow-up: whenever its figures as of D + 1 differ from those as
    of D, `next_change(ep, D)` is D + 1 (so on no day before it can they have moved)."""
    rng = random.Random(seed)
    for ep in (varied_episode(rng, A) for _ in range(10)):
        day = ep.discharge_date - timedelta(days=3)
        tally = episode_tally(ep, day)
        while day < ep.discharge_date + timedelta(days=420):
            until = next_change(ep, day)
            assert until is None or until > day
            following = episode_tally(ep, day + timedelta(days=1))
            if following != tally:
                assert until == day + timedelta(days=1), (day, until)
            day, tally = day + timedelta(days=1), following


def test_the_next_change_is_the_first_date_that_moves_the_figures() -> None:
    """A check-in sent on day S closes unanswered on S + 14: the figures move then, not before."""
    rng = random.Random(11)
    for _ in range(2000):
        ep = varied_episode(rng, A)
        until = next_change(ep, A)
        if until is None or not ep.consented:
            continue
        if episode_tally(ep, until) != episode_tally(ep, A):
            break
    else:  # pragma: no cover - the generator always yields such an episode
        pytest.fail("no episode whose figures move on its next change")


@pytest.mark.parametrize(
    ("tally", "message"),
    [({"x|1": 1}, "unknown tally key"), ({"a": -1}, "counts episodes"), ({"ke|3": 1}, "spell ends")],
)
def test_a_malformed_tally_is_refused(tally: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SummaryBuilder(A).add_tally(tally)


def test_the_wellness_curve_is_fitted_once_until_more_episodes_come(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dashboard view asks for the summary and the curve: one Kaplan-Meier fit serves both, and a fit
    made before more episodes came is not reused for them."""
    import app.domain.statistics as statistics

    fits: list[int] = []
    real = statistics.kaplan_meier

    def counting(entry, time, event):  # type: ignore[no-untyped-def]
        fits.append(len(entry))
        return real(entry, time, event)

    monkeypatch.setattr(statistics, "kaplan_meier", counting)
    episodes = random_cohort(11, 400)
    as_of = date(2027, 6, 30)
    builder = SummaryBuilder(as_of)
    for ep in episodes[:300]:
        builder.add(ep)
    builder.result()
    builder.wellness_curve()
    builder.result()
    assert len(fits) == 1 and fits[0] > 0
    for ep in episodes[300:]:
        builder.add(ep)
    result, curve = builder.result(), builder.wellness_curve()
    assert len(fits) == 2 and fits[1] > fits[0]
    reference = SummaryBuilder(as_of)
    for ep in episodes:
        reference.add(ep)
    assert result == reference.result() == summarise(episodes, as_of)
    assert curve == reference.wellness_curve()
