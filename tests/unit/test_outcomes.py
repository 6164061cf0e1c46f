"""Hand-worked cases for every rule of SPEC section 4's per check-in and per episode outcomes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.outcomes import (
    DISORDERS,
    PROBLEM_GROUPS,
    Answer,
    CheckInFacts,
    EpisodeFacts,
    WellnessSpell,
    assess_check_ins,
    assess_episode,
    classify_episode,
    disorder,
    months_before,
    problem_group,
    recovery_cutoff,
    sessions_band,
)

D = date.fromisoformat
REFERRAL = D("2026-01-05")
DISCHARGE = D("2026-06-01")
LATER = D("2030-01-01")  # an as-of date after everything


def answered(
    offset: int,
    t: str,
    change: str = "same",
    usual: str | None = None,
    start: str | None = None,
    *,
    usual_on: str | None = None,
    start_on: str | None = None,
) -> CheckInFacts:
    """A check-in answered on `t` (all items the same day unless said otherwise)."""
    on = D(t)
    return CheckInFacts(
        offset_weeks=offset,
        due_on=min(on, DISCHARGE + timedelta(weeks=offset)),
        first_sent_on=min(on, DISCHARGE + timedelta(weeks=offset)),
        change=Answer(change, on),
        usual_self=Answer(usual, D(usual_on) if usual_on else on) if usual else None,
        duration_start=Answer(D(start), D(start_on) if start_on else on) if start else None,
    )


def unanswered(offset: int, **facts: object) -> CheckInFacts:
    facts.setdefault("due_on", DISCHARGE + timedelta(weeks=offset))
    return CheckInFacts(offset_weeks=offset, **facts)  # type: ignore[arg-type]


def episode(*check_ins: CheckInFacts, descriptor: str = "F32", **facts: object) -> EpisodeFacts:
    values: dict[str, object] = {
        "service_code": "SVC",
        "area_code": "AREA",
        "referral_date": REFERRAL,
        "discharge_date": DISCHARGE,
        "treatment_sessions": 8,
        "problem_descriptor": descriptor,
        "consented": True,
        "check_ins": check_ins,
    }
    values.update(facts)
    return EpisodeFacts(**values)  # type: ignore[arg-type]


def spell_starts(ep: EpisodeFacts, as_of: date = LATER) -> list[date | None]:
    return [c.spell_start for c in assess_check_ins(ep, as_of)]


def recovered(ep: EpisodeFacts, as_of: date = LATER) -> list[bool]:
    return [c.recovered for c in assess_check_ins(ep, as_of)]


# Problem groups and sessions bands


@pytest.mark.parametrize(
    ("descriptor", "group"),
    [
        ("F32", "depression"),
        ("F32.1", "depression"),
        ("f321", "depression"),
        ("F33.2", "depression"),
        ("F41.2", "depression"),
        ("f412", "depression"),
        ("F41.1", "anxiety"),
        ("f411", "anxiety"),
        ("F41.0", "anxiety"),
        ("F41", "anxiety"),
        ("F40.1", "anxiety"),
        ("F42", "anxiety"),
        ("F43.1", "anxiety"),
        ("F45.2", "anxiety"),
        ("f452", "anxiety"),
        ("F45.0", "other"),
        ("F50.0", "other"),
        ("F31", "other"),
        ("F3", "other"),
        ("none", "other"),
        ("NONE", "other"),
        (" F32.0 ", "depression"),
    ],
)
def test_problem_group(descriptor: str, group: str) -> None:
    assert problem_group(descriptor) == group


# Disorders first presented with (SPEC section 8.1)

DISORDER_CASES = [
    ("F32", "depression"),
    ("F32.1", "depression"),
    ("f321", "depression"),
    ("F33.2", "depression"),
    ("f33", "depression"),
    ("F41.2", "mixed_anxiety_depression"),
    ("f412", "mixed_anxiety_depression"),
    ("F41.1", "generalised_anxiety"),
    ("f41.1", "generalised_anxiety"),
    ("F411", "generalised_anxiety"),
    ("F41.0", "panic"),
    ("f410", "panic"),
    ("F40.0", "agoraphobia"),
    ("F40.01", "agoraphobia"),
    ("f400", "agoraphobia"),
    ("F40.1", "social_phobia"),
    ("f401", "social_phobia"),
    ("F40.2", "specific_phobia"),
    ("F402", "specific_phobia"),
    ("F42", "ocd"),
    ("F42.1", "ocd"),
    ("f422", "ocd"),
    ("F43.1", "ptsd"),
    ("f431", "ptsd"),
    ("F45.2", "health_anxiety"),
    ("f452", "health_anxiety"),
    ("F40", "other_anxiety"),
    ("F40.8", "other_anxiety"),
    ("F40.9", "other_anxiety"),
    ("F41", "other_anxiety"),
    ("F41.3", "other_anxiety"),
    ("f41.8", "other_anxiety"),
    ("F41.9", "other_anxiety"),
    ("F43", "other_anxiety"),
    ("F43.0", "other_anxiety"),
    ("F43.2", "other_anxiety"),
    ("f432", "other_anxiety"),
    ("F43.9", "other_anxiety"),
    ("F45.0", "other"),
    ("F45", "other"),
    ("F45.1", "other"),
    ("F31", "other"),
    ("F3", "other"),
    ("F4", "other"),
    ("F50.0", "other"),
    ("Z63", "other"),
    ("none", "other"),
    ("NONE", "other"),
    ("", "other"),
    (" F41.2 ", "mixed_anxiety_depression"),
    (" f43.1 ", "ptsd"),
]


@pytest.mark.parametrize(("descriptor", "expected"), DISORDER_CASES)
def test_disorder(descriptor: str, expected: str) -> None:
    assert disorder(descriptor) == expected


def test_every_disorder_has_a_case_and_lies_within_one_problem_group() -> None:
    assert {expected for _, expected in DISORDER_CASES} == set(DISORDERS)
    assert len(DISORDERS) == 12 and DISORDERS[-1] == "other"
    groups: dict[str, set[str]] = {}
    for descriptor, _ in DISORDER_CASES:
        groups.setdefault(disorder(descriptor), set()).add(problem_group(descriptor))
    assert groups == {
        "depression": {"depression"},
        "mixed_anxiety_depression": {"depression"},
        **{d: {"anxiety"} for d in DISORDERS[2:11]},
        "other": {"other"},
    }
    assert set().union(*groups.values()) == set(PROBLEM_GROUPS)


@pytest.mark.parametrize(
    ("sessions", "band"),
    [(0, "0"), (1, "1"), (2, "2-6"), (6, "2-6"), (7, "7+"), (40, "7+")],
)
def test_sessions_band(sessions: int, band: str) -> None:
    assert sessions_band(sessions) == band


def test_negative_sessions_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        sessions_band(-1)


# Calendar months


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2027-06-30", 4, "2027-02-28"),  # clamped to the end of a shorter month
        ("2028-06-30", 4, "2028-02-29"),  # leap year
        ("2027-06-28", 4, "2027-02-28"),
        ("2027-01-15", 4, "2026-09-15"),  # across a year end
        ("2027-03-31", 1, "2027-02-28"),
        ("2027-12-31", 12, "2026-12-31"),
        ("2100-06-29", 4, "2100-02-28"),  # 2100 is not a leap year
    ],
)
def test_months_before(day: str, months: int, expected: str) -> None:
    assert months_before(D(day), months) == D(expected)


def test_recovery_cutoffs() -> None:
    assert recovery_cutoff(D("2027-06-30"), "depression") == D("2027-02-28")
    assert recovery_cutoff(D("2027-06-30"), "other") == D("2027-02-28")
    assert recovery_cutoff(D("2027-06-30"), "anxiety") == D("2027-05-05")


# Spell starts


def test_first_well_check_in_starts_at_its_claimed_start() -> None:
    ep = episode(answered(4, "2026-07-01", usual="yes", start="2026-06-10"))
    assert spell_starts(ep) == [D("2026-06-10")]


def test_first_well_check_in_without_duration_starts_at_t() -> None:
    ep = episode(answered(4, "2026-07-01", usual="mostly"))
    assert spell_starts(ep) == [D("2026-07-01")]


def test_spell_continues() -> None:
    ep = episode(
        answered(4, "2026-07-01", usual="yes", start="2026-06-01"),
        answered(22, "2026-11-01", usual="yes", start="2026-06-20"),  # on or before t_p
    )
    assert spell_starts(ep) == [D("2026-06-01"), D("2026-06-01")]
    # 2026-06-01 <= 2026-11-01 - 4 months = 2026-07-01
    assert recovered(ep) == [False, True]
    assert classify_episode(ep, LATER) == "durably_recovered"


def test_spell_continues_with_a_missing_duration() -> None:
    ep = episode(
        answered(4, "2026-07-01", usual="yes", start="2026-06-01"),
        answered(22, "2026-11-01", usual="mostly"),
    )
    assert spell_starts(ep) == [D("2026-06-01"), D("2026-06-01")]
    assert recovered(ep) == [False, True]


def test_claimed_start_equal_to_previous_t_continues() -> None:
    ep = episode(
        answered(4, "2026-07-01", usual="yes", start="2026-06-01"),
        answered(22, "2026-11-01", usual="yes", start="2026-07-01"),
    )
    assert spell_starts(ep) == [D("2026-06-01"), D("2026-06-01")]


def test_new_spell() -> None:
    ep = episode(
        answered(4, "2026-07-01", usual="yes", start="2026-06-01"),
        answered(22, "2026-11-01", usual="yes", start="2026-08-01"),  # after t_p
    )
    assert spell_starts(ep) == [D("2026-06-01"), D("2026-08-01")]
    assert recovered(ep) == [False, False]
    assert classify_episode(ep, LATER) == "unchanged"
    outcome = assess_episode(ep, LATER)
    assert outcome is not None
    # Wellness ended before the new spell: an event at its claimed start.
    assert outcome.wellness_spell == WellnessSpell(entry=30, time=61, event=True)


def test_earlier_report_beats_later_recollection() -> None:
    ep = episode(
        answered(4, "2026-07-01", usual="no"),
        answered(18, "2026-10-15", usual="yes", start="2026-05-01"),
    )
    # The client now recalls being well since May, but said "no" on 1 July.
    assert spell_starts(ep) == [None, D("2026-07-01")]
    # 2026-07-01 > 2026-10-15 - 4 months = 2026-06-15: not recovered (the recollection would be).
    assert recovered(ep) == [False, False]


def test_after_not_well_a_missing_duration_starts_at_t() -> None:
    ep = episode(answered(4, "2026-07-01", usual="no"), answered(18, "2026-10-15", usual="yes"))
    assert spell_starts(ep) == [None, D("2026-10-15")]


def test_after_not_well_a_later_claimed_start_is_kept() -> None:
    ep = episode(
        answered(4, "2026-07-01", usual="no"),
        answered(18, "2026-10-15", usual="yes", start="2026-08-01"),
    )
    assert spell_starts(ep) == [None, D("2026-08-01")]


def test_unknown_wellness_is_skipped_when_finding_p() -> None:
    ep = episode(
        answered(4, "2026-07-01", usual="yes", start="2026-06-01"),
        answered(13, "2026-09-01"),  # usual self unanswered: wellness unknown
        answered(20, "2026-10-20", usual="yes", start="2026-08-15"),
    )
    # p is the 1 July check-in: 15 August is after it, so a new spell (were p the unknown
    # 1 September check-in, the spell would have continued).
    assert spell_starts(ep) == [D("2026-06-01"), None, D("2026-08-15")]


def test_unknown_wellness_between_not_well_and_well() -> None:
    ep = episode(
        answered(4, "2026-07-01", usual="no"),
        answered(9, "2026-08-01"),
        answered(26, "2026-12-01", usual="yes", start="2026-05-01"),
    )
    assert spell_starts(ep) == [None, None, D("2026-07-01")]
    assert recovered(ep) == [False, False, True]  # 2026-07-01 <= 2026-08-01


def test_spell_start_is_clipped_at_the_referral_date() -> None:
    ep = episode(answered(4, "2026-07-01", usual="yes", start="2025-06-01"))
    assert spell_starts(ep) == [REFERRAL]
    assert assess_check_ins(ep, LATER)[0].claimed_start == D("2025-06-01")


def test_claimed_start_is_capped_at_t() -> None:
    ep = episode(answered(4, "2026-07-01", usual="yes", start="2026-07-03", start_on="2026-07-03"))
    assert assess_check_ins(ep, LATER)[0].claimed_start == D("2026-07-01")
    assert spell_starts(ep) == [D("2026-07-01")]


def test_check_ins_are_ordered_by_t_then_offset() -> None:
    ep = episode(
        answered(8, "2026-07-01", usual="no"),
        answered(4, "2026-07-01", usual="yes", start="2026-01-10"),
        answered(18, "2026-06-20", usual="yes", start="2026-02-01"),
    )
    outcomes = assess_check_ins(ep, LATER)
    assert [c.offset_weeks for c in outcomes] == [18, 4, 8]
    # K is the offset-8 check-in (not well) though offset 4 was recovered: relapsed.
    assert [c.recovered for c in outcomes] == [True, True, False]
    assert classify_episode(ep, LATER) == "relapsed"


# Thresholds


@pytest.mark.parametrize(
    ("descriptor", "start", "expected"),
    [
        ("F32", "2027-02-28", True),  # t - 4 calendar months = 2027-02-28
        ("F32", "2027-03-01", False),
        ("none", "2027-02-28", True),
        ("none", "2027-03-01", False),
        ("F41.1", "2027-05-05", True),  # t - 8 weeks = 2027-05-05
        ("F41.1", "2027-05-06", False),
        ("F41.1", "2027-04-01", True),  # 90 days: enough for anxiety ...
        ("F32", "2027-04-01", False),  # ... not for depression
    ],
)
def test_recovery_threshold_at_the_boundary(descriptor: str, start: str, expected: bool) -> None:
    ep = episode(
        answered(52, "2027-06-30", usual="yes", start=start),
        descriptor=descriptor,
        referral_date=D("2026-10-01"),
        discharge_date=D("2026-12-31"),
    )
    assert recovered(ep) == [expected]


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-07-30", True),  # 2026-11-30 - 4 months = 2026-07-30: 123 days
        ("2026-07-31", False),
    ],
)
def test_four_months_spanning_two_long_months(start: str, expected: bool) -> None:
    ep = episode(answered(26, "2026-11-30", usual="yes", start=start))
    assert recovered(ep) == [expected]


# Categories


def test_relapsed_when_not_well_after_recovery() -> None:
    ep = episode(
        answered(26, "2026-12-01", "much_better", usual="yes", start="2026-06-01"),
        answered(52, "2027-05-31", "much_better", usual="no"),
    )
    assert recovered(ep) == [True, False]
    assert classify_episode(ep, LATER) == "relapsed"


def test_relapsed_when_a_new_spell_is_too_young() -> None:
    ep = episode(
        answered(26, "2026-12-01", usual="yes", start="2026-06-01"),
        answered(52, "2027-05-31", usual="yes", start="2027-05-01"),
    )
    assert recovered(ep) == [True, False]
    assert classify_episode(ep, LATER) == "relapsed"


def test_durably_recovered_when_k_is_recovered_and_l_has_unknown_wellness() -> None:
    ep = episode(
        answered(26, "2026-12-01", usual="yes", start="2026-06-01"),
        answered(52, "2027-05-31", "much_worse"),  # L, but wellness unknown: K is the earlier one
    )
    assert classify_episode(ep, LATER) == "durably_recovered"


@pytest.mark.parametrize(
    ("change", "category"),
    [
        ("much_better", "improved"),
        ("a_little_better", "improved"),
        ("same", "unchanged"),
        ("a_little_worse", "worse"),
        ("much_worse", "worse"),
    ],
)
def test_l_change_decides_when_nothing_was_recovered(change: str, category: str) -> None:
    ep = episode(
        answered(4, "2026-07-01", "much_worse" if change != "much_worse" else "much_better"),
        answered(8, "2026-07-29", change, usual="yes"),  # well, but only since t
    )
    assert classify_episode(ep, LATER) == category
    outcome = assess_episode(ep, LATER)
    assert outcome is not None and outcome.last_change == change


def test_opted_out() -> None:
    ep = episode(
        unanswered(4, first_sent_on=D("2026-06-29"), closed_by_opt_out_on=D("2026-06-30")),
        unanswered(8, withdrawn_on=D("2026-07-27")),
        opt_events=((D("2026-06-30"), "opt_out"),),
    )
    assert classify_episode(ep, LATER) == "opted_out"


def test_opted_out_then_resumed_is_a_non_response() -> None:
    ep = episode(
        unanswered(4, first_sent_on=D("2026-06-29"), closed_by_opt_out_on=D("2026-06-30")),
        opt_events=((D("2026-06-30"), "opt_out"), (D("2026-08-01"), "resume")),
    )
    assert classify_episode(ep, LATER) == "no_response"
    # As of a date between the two, the latest event is the opt-out.
    assert classify_episode(ep, D("2026-07-15")) == "opted_out"


def test_same_day_opt_out_and_resume_takes_the_later_one() -> None:
    ep = episode(opt_events=((D("2026-06-30"), "opt_out"), (D("2026-06-30"), "resume")))
    assert classify_episode(ep, LATER) == "pending"


def test_an_answer_beats_an_opt_out() -> None:
    ep = episode(answered(4, "2026-06-29", "same"), opt_events=((D("2026-06-30"), "opt_out"),))
    assert classify_episode(ep, LATER) == "unchanged"


def test_unreachable() -> None:
    ep = episode(
        unanswered(4, unreachable=True),
        unanswered(8, skipped=True),  # skipped: not a due check-in that counts
        unanswered(26, unreachable=True),
        unanswered(52),  # not due yet
    )
    assert classify_episode(ep, D("2026-12-15")) == "unreachable"


def test_not_unreachable_when_one_due_check_in_was_sent() -> None:
    ep = episode(
        unanswered(4, unreachable=True),  # due 2026-06-29
        unanswered(5, due_on=D("2026-07-01"), first_sent_on=D("2026-07-01")),
    )
    assert classify_episode(ep, D("2026-06-30")) == "unreachable"
    assert classify_episode(ep, D("2026-07-12")) == "pending"  # both still open
    # An unreachable check-in closes 14 days after its due date: a non-response.
    assert classify_episode(ep, D("2026-07-13")) == "no_response"


def test_no_response_when_a_check_in_closed_unanswered() -> None:
    ep = episode(unanswered(4, first_sent_on=D("2026-06-29")), unanswered(8))
    assert classify_episode(ep, D("2026-07-12")) == "pending"  # 13 days after the first send
    assert classify_episode(ep, D("2026-07-13")) == "no_response"  # 14 days


def test_a_withdrawn_check_in_is_a_non_response_at_once() -> None:
    ep = episode(unanswered(4, withdrawn_on=D("2026-06-29")))
    assert classify_episode(ep, D("2026-06-29")) == "no_response"
    assert classify_episode(ep, D("2026-06-28")) == "pending"


def test_pending_when_every_check_in_was_skipped() -> None:
    ep = episode(unanswered(4, skipped=True), unanswered(8, skipped=True))
    assert classify_episode(ep, LATER) == "pending"


def test_pending_when_nothing_is_due() -> None:
    ep = episode(unanswered(4), unanswered(8))
    assert classify_episode(ep, D("2026-06-15")) == "pending"


def test_episodes_without_consent_are_not_classified() -> None:
    ep = episode(answered(4, "2026-06-29"), consented=False)
    assert classify_episode(ep, LATER) is None
    assert assess_episode(ep, LATER) is None
    assert assess_check_ins(ep, LATER) == ()


def test_unknown_change_answer_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown change answer"):
        classify_episode(episode(answered(4, "2026-06-29", "better")), LATER)


# As-of scoping


def test_answers_after_as_of_are_ignored() -> None:
    ep = episode(
        answered(4, "2026-07-01", usual="yes", start="2026-06-01"),
        answered(26, "2026-12-01", "much_better", usual="yes"),
    )
    assert classify_episode(ep, D("2026-12-01")) == "durably_recovered"
    as_of = D("2026-11-30")  # the second answer has not arrived
    assert [c.offset_weeks for c in assess_check_ins(ep, as_of)] == [4]
    assert classify_episode(ep, as_of) == "unchanged"


def test_usual_self_and_duration_after_as_of_are_ignored() -> None:
    ep = episode(
        answered(4, "2026-07-01", usual="yes", start="2026-06-01"),
        answered(26, "2026-12-01", usual="yes", start="2026-06-20", usual_on="2026-12-03", start_on="2026-12-02"),
    )
    late = assess_check_ins(ep, D("2026-12-01"))[1]
    assert late.wellness is None and late.claimed_start is None
    between = assess_check_ins(ep, D("2026-12-02"))[1]
    assert between.wellness is None and between.claimed_start == D("2026-06-20")
    assert assess_check_ins(ep, D("2026-12-03"))[1].recovered is True


def test_sends_withdrawals_and_opt_outs_after_as_of_are_ignored() -> None:
    ep = episode(
        unanswered(4, first_sent_on=D("2026-06-29"), closed_by_opt_out_on=D("2026-07-05")),
        opt_events=((D("2026-07-05"), "opt_out"),),
    )
    assert classify_episode(ep, D("2026-07-04")) == "pending"
    assert classify_episode(ep, D("2026-07-05")) == "opted_out"


# Follow-up points


def follow_ups(ep: EpisodeFacts, as_of: date) -> list[tuple[int, bool, bool, bool]]:
    outcome = assess_episode(ep, as_of)
    assert outcome is not None
    return [(f.offset_weeks, f.closed, f.answered, f.recovered) for f in outcome.follow_ups]


def test_follow_up_points_closed_answered_recovered() -> None:
    as_of = D("2027-06-30")
    ep = episode(
        answered(4, "2026-06-29", usual="yes", start="2026-01-01"),  # s = referral 2026-01-05
        answered(8, "2026-07-27", usual="no"),
        unanswered(18, first_sent_on=D("2027-06-16")),  # 14 days before A: closed
        unanswered(26, first_sent_on=D("2027-06-17")),  # 13 days: still open
        unanswered(52, skipped=True),
        unanswered(60, withdrawn_on=D("2027-06-16"), due_on=D("2027-06-16")),
        unanswered(61, withdrawn_on=D("2027-06-17"), due_on=D("2027-06-17")),
        unanswered(62, unreachable=True, due_on=D("2027-06-16")),
        unanswered(63, unreachable=True, due_on=D("2027-06-17")),
        unanswered(64, first_sent_on=D("2027-06-28"), closed_by_opt_out_on=D("2027-06-29"), due_on=D("2027-06-28")),
        unanswered(70, due_on=D("2027-07-01")),  # not due by A
        opt_events=((D("2027-06-29"), "opt_out"), (D("2027-06-30"), "resume")),
    )
    assert follow_ups(ep, as_of) == [
        (4, True, True, True),
        (8, True, True, False),
        (18, True, False, False),
        (26, False, False, False),
        (60, True, False, False),
        (61, False, False, False),
        (62, True, False, False),
        (63, False, False, False),
        (64, True, False, False),
    ]
    assert classify_episode(ep, as_of) == "relapsed"


# Wellness spells (Kaplan-Meier subjects)


def spell(ep: EpisodeFacts) -> WellnessSpell | None:
    outcome = assess_episode(ep, LATER)
    assert outcome is not None
    return outcome.wellness_spell


def test_no_spell_without_a_well_check_in() -> None:
    assert spell(episode(answered(4, "2026-07-01", usual="no"), answered(8, "2026-07-29"))) is None


def test_a_single_well_check_in_has_entry_equal_to_time() -> None:
    ep = episode(answered(4, "2026-07-01", usual="yes", start="2026-06-21"))
    assert spell(ep) == WellnessSpell(entry=10, time=10, event=False)


def test_spell_ends_at_the_first_later_not_well_check_in() -> None:
    ep = episode(
        answered(4, "2026-06-29", usual="no"),
        answered(8, "2026-07-27", usual="yes", start="2026-07-07"),  # origin 2026-07-07
        answered(18, "2026-10-05", usual="yes"),
        answered(26, "2026-11-30", usual="no"),
        answered(52, "2027-05-31", usual="yes"),
    )
    assert spell(ep) == WellnessSpell(entry=20, time=146, event=True)


def test_spell_is_censored_at_the_last_check_in_with_known_wellness() -> None:
    ep = episode(
        answered(4, "2026-06-29", usual="yes", start="2026-06-09"),
        answered(8, "2026-07-27", usual="mostly"),
        answered(18, "2026-10-05"),  # unknown wellness: not a censoring time
    )
    assert spell(ep) == WellnessSpell(entry=20, time=48, event=False)


def test_four_calendar_months_on_every_day_of_four_years() -> None:
    """The day-count shortcut for 4 months agrees with calendar arithmetic on every day."""
    day = D("2026-01-01")
    while day < D("2030-01-01"):
        for gap in range(117, 127):
            start = day - timedelta(days=gap)
            ep = episode(
                answered(4, day.isoformat(), usual="yes", start=start.isoformat()),
                referral_date=D("2025-01-01"),
            )
            assert recovered(ep) == [start <= months_before(day, 4)], (day, start)
        day += timedelta(days=1)
