"""The telephone assessment's pure rules (app.domain.assessment): allocation, the draw, the call, the words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.assessment import (
    MAX_ATTEMPTS,
    NOT_LISTED,
    NOT_RECORDED,
    SampleError,
    allocate,
    call_order,
    criteria_hint,
    draw,
    fresh_seed,
    interview_date_problem,
    not_reached,
    presenting_problem,
)


def test_allocation_is_proportional_by_largest_remainder() -> None:
    # quotas 5.0, 3.0, 2.0 exactly
    assert allocate({"a": 50, "b": 30, "c": 20}, 10) == {"a": 5, "b": 3, "c": 2}
    # quotas 3.6, 2.4, 1.0: floors 3, 2, 1, and the one left to the largest remainder (a, .6)
    assert allocate({"a": 36, "b": 24, "c": 10}, 7) == {"a": 4, "b": 2, "c": 1}


def test_every_stratum_present_gets_one_when_the_size_allows() -> None:
    counts = allocate({"big": 1000, "small": 1, "tiny": 2}, 5)
    assert counts == {"big": 3, "small": 1, "tiny": 1}
    assert sum(counts.values()) == 5


def test_a_size_below_the_number_of_strata_goes_to_the_largest() -> None:
    assert allocate({"a": 10, "b": 50, "c": 40}, 2) == {"a": 0, "b": 1, "c": 1}


def test_ties_go_to_the_earlier_stratum() -> None:
    assert allocate({"a": 10, "b": 10}, 1, ["b", "a"]) == {"b": 1, "a": 0}


def test_a_size_of_at_least_everything_takes_everything_and_empty_strata_are_left_out() -> None:
    assert allocate({"a": 3, "b": 0, "c": 2}, 10) == {"a": 3, "c": 2}


def test_every_category_gets_one_when_there_are_too_many_strata_for_one_each() -> None:
    # 6 services x 3 categories = 18 strata for 5 places; "relapsed" is rare in every service
    strata = {
        (service, category): 1 if category == "relapsed" else 40
        for service in range(6)
        for category in ("recovered", "not_recovered", "relapsed")
    }
    plain = allocate(strata, 5)
    assert sum(n for (_, category), n in plain.items() if category == "relapsed") == 0  # what went wrong before
    counts = allocate(strata, 5, group=lambda key: key[1])
    assert sum(counts.values()) == 5
    for category in ("recovered", "not_recovered", "relapsed"):
        assert sum(n for (_, c), n in counts.items() if c == category) >= 1
    # fewer places than categories: no minimum, the largest quotas
    assert sum(allocate(strata, 2, group=lambda key: key[1]).values()) == 2


@given(
    st.dictionaries(st.tuples(st.integers(0, 9), st.integers(0, 5)), st.integers(0, 60), min_size=1, max_size=30),
    st.integers(1, 120),
)
def test_every_category_present_is_covered_when_the_size_allows(strata: dict[tuple[int, int], int], size: int) -> None:
    counts = allocate(strata, size, group=lambda key: key[1])
    present = [key for key, n in strata.items() if n > 0]
    categories = {key[1] for key in present}
    assert sum(counts.values()) == min(size, sum(strata.values()))
    assert all(0 <= counts[key] <= strata[key] for key in present)
    if size >= len(present):
        assert all(counts[key] >= 1 for key in present)
    if size >= len(categories):
        for category in categories:
            assert sum(n for key, n in counts.items() if key[1] == category) >= 1


def test_a_size_below_one_is_refused() -> None:
    with pytest.raises(SampleError, match="at least 1"):
        allocate({"a": 3}, 0)


@given(st.lists(st.integers(0, 60), min_size=1, max_size=8), st.integers(1, 200))
def test_allocation_adds_up_never_exceeds_a_stratum_and_covers_every_stratum_when_it_can(
    sizes: list[int], size: int
) -> None:
    strata = {f"s{i}": n for i, n in enumerate(sizes)}
    counts = allocate(strata, size)
    present = [key for key, n in strata.items() if n > 0]
    total = sum(strata.values())
    assert sum(counts.values()) == min(size, total)
    assert all(0 <= counts[key] <= strata[key] for key in present)
    if size >= len(present):
        assert all(counts[key] >= 1 for key in present)
    # close to proportional: within one of the quota, unless the minimum of one moved it
    for key in present:
        quota = min(size, total) * strata[key] / total if total else 0
        assert counts[key] <= max(quota + 1, 1) + len(present)


def test_the_draw_is_reproducible_by_seed_and_the_order_of_the_ids_given_does_not_matter() -> None:
    strata = {"a": list(range(1, 101)), "b": list(range(101, 131))}
    first = draw(strata, 13, seed=42)
    shuffled = {"a": list(reversed(strata["a"])), "b": strata["b"][::2] + strata["b"][1::2]}
    assert draw(shuffled, 13, seed=42) == first
    assert {key: len(ids) for key, ids in first.items()} == {"a": 10, "b": 3}
    assert draw(strata, 13, seed=43) != first
    assert all(set(ids) <= set(strata[key]) for key, ids in first.items())


def test_the_call_order_is_every_drawn_id_once_shuffled_reproducibly() -> None:
    drawn = {"recovered": list(range(1, 21)), "worse": list(range(21, 41))}
    order = call_order(drawn, 9)
    assert sorted(order) == list(range(1, 41)) and order == call_order(drawn, 9)
    assert order != list(range(1, 41)) and call_order(drawn, 10) != order
    assert set(order[:20]) != set(range(1, 21))  # the strata are mixed


def test_a_fresh_seed_fits_the_column() -> None:
    import random

    assert 1 <= fresh_seed(random.Random(1)) <= 2**31 - 1


NOW = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)


def test_not_reached_tries_again_tomorrow_at_the_same_time_or_on_the_chosen_day() -> None:
    assert not_reached(0, NOW) == not_reached(0, NOW, None)
    first = not_reached(0, NOW)
    assert (first.attempts, first.next_try_at, first.given_up) == (1, NOW + timedelta(days=1), False)
    chosen = NOW + timedelta(days=4)
    assert not_reached(1, NOW, chosen).next_try_at == chosen


def test_the_last_attempt_gives_up() -> None:
    last = not_reached(MAX_ATTEMPTS - 1, NOW)
    assert (last.attempts, last.next_try_at, last.given_up) == (MAX_ATTEMPTS, None, True)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("F32", "depression"),
        ("F32.1", "depression"),
        ("f321", "depression"),
        ("F33.0", "recurrent depression"),
        ("F41.1", "generalised anxiety"),
        ("F411", "generalised anxiety"),
        ("F41.2", "mixed anxiety and depression"),
        ("F41.0", "panic disorder"),
        ("F41.9", "anxiety"),
        ("F40.1", "social anxiety"),
        ("F40.10", "social anxiety"),
        ("F42", "obsessive-compulsive disorder"),
        ("F42.2", "obsessive-compulsive disorder"),
        ("F43.1", "post-traumatic stress disorder"),
        ("F45.2", "health anxiety"),
    ],
)
def test_the_presenting_problem_in_plain_words(code: str | None, words: str) -> None:
    assert presenting_problem(code) == words
    assert criteria_hint(code) == f"For {words}, by the standardised interview."


@pytest.mark.parametrize(
    ("code", "shown"),
    [("F45.1", "F45.1"), ("f451", "F45.1"), ("F44.1", "F44.1"), ("F99", "F99"), (" F60.31 ", "F60.31")],
)
def test_an_f_code_without_plain_words_is_shown_as_its_code_and_said_to_be_unlisted(code: str, shown: str) -> None:
    assert presenting_problem(code) == f"{shown} (not in Stillwell's list of plain words)"
    assert presenting_problem(code) == NOT_LISTED.format(code=shown)
    assert criteria_hint(code) == f"For the problem coded {shown} at discharge, by the standardised interview."


@pytest.mark.parametrize("code", ["none", "NONE", " None ", "", "   ", None, "depression", "G47.0", "F", "F4", "F41.x"])
def test_no_problem_or_an_unreadable_one_is_said_to_be_not_recorded(code: str | None) -> None:
    assert presenting_problem(code) == NOT_RECORDED == "no presenting problem recorded"
    hint = criteria_hint(code)
    assert hint.startswith("No presenting problem was recorded at discharge") and "For " not in hint


def test_an_interview_date_is_not_in_the_future_nor_before_discharge() -> None:
    today, discharge = date(2026, 12, 1), date(2026, 9, 7)
    assert interview_date_problem(today, today, discharge) is None
    assert interview_date_problem(discharge, today, discharge) is None
    assert "in the future" in (interview_date_problem(date(2026, 12, 2), today, discharge) or "")
    assert "before the discharge date (2026-09-07)" in (
        interview_date_problem(date(2026, 9, 6), today, discharge) or ""
    )
