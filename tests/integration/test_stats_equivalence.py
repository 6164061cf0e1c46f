"""`statistics.summary` (the bulk reader, in one process or several) gives exactly what the pure
methodology gives for the same records: random cohorts are written to the database and the same
records are turned into `EpisodeFacts` here, in Python, for `summarise`. Synthetic data only."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from app.domain.comparison.cells import AGE_BANDS, IMD_DECILES, SEXES, CaseMixTally
from app.domain.discharge_columns import INTENSITIES
from app.domain.outcomes import (
    CHANGES,
    DISORDERS,
    PROBLEM_GROUPS,
    WELLNESS,
    Answer,
    CheckInFacts,
    EpisodeFacts,
    problem_group,
)
from app.domain.statistics import SummaryBuilder, summarise
from app.extensions import db
from app.models import Area, CheckIn, Client, ContactPoint, Episode, OptEvent, Service
from app.services.statistics import summaries as statistics

NO_FILTERS = statistics.NO_FILTERS

# Europe/London, plus zones with half-hour offsets and a half-hour daylight-saving shift
ZONES = ("Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns")
# every disorder of `by_disorder` (SPEC 8.1), in the spellings submitted, and look-alikes of other disorders
DESCRIPTORS = (
    "F32.1",
    "f33",
    "F41.1",
    "f411",
    "F41.2",
    "F41.0",
    "F40.0",
    "f40.1",
    "F402",
    " F42 ",
    "F43.1",
    "F43.2",
    "F45.2",
    "F45.0",
    "F41.9",
    "none",
    "Z63",
)
STATUSES = ("closed", "closed", "closed", "open", "skipped", "withdrawn", "scheduled")
REASONS = (None, "window_over", "unreachable", "opt_out", "contact_stopped", "not_sent_in_time")
STAMP = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class Cohort:
    """Rows per table, and the EpisodeFacts the same records mean."""

    rows: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)
    facts: list[tuple[str, str, EpisodeFacts]] = field(default_factory=list)  # service, area, facts
    edges: list[date] = field(default_factory=list)  # as-of dates on which some record changes standing
    midnight_edges: list[date] = field(default_factory=list)  # the same for instants at local midnight

    def add(self, table: Any, **values: Any) -> int:
        rows = self.rows.setdefault(table, [])
        rows.append({"id": len(rows) + 1, **values})
        return len(rows)


def local(instant: datetime, zone: str) -> date:
    return instant.astimezone(ZoneInfo(zone)).date()


MIDNIGHT_ONLY = False  # set by a test: every instant exactly at a local midnight, on every boundary


def instant_near(rng: random.Random, day: date, zone: str) -> datetime:
    """An instant on or around a local day, often close to local midnight or a clock change."""
    if MIDNIGHT_ONLY:
        return datetime.combine(day, time(0)).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    wall = rng.choice((time(0, 0), time(0, 20), time(23, 59, 59, 999999), time(1, 30), time(2, 30), time(12)))
    when = datetime.combine(day, wall).replace(tzinfo=ZoneInfo(zone), fold=rng.randint(0, 1))
    return (when + timedelta(seconds=rng.choice((0, 0, 1, -1, 1800)))).astimezone(UTC)


def build(rng: random.Random, episodes: int) -> Cohort:
    cohort = Cohort()
    for area in ("NE", "SW"):
        cohort.add(Area, code=area, name=f"Area {area}", created_at=STAMP)
    services = []
    for number, zone in enumerate(rng.sample(ZONES, rng.randint(1, len(ZONES)))):
        code, area = f"S{number}", rng.choice(("NE", "SW"))
        service_id = cohort.add(
            Service,
            code=code,
            name=code,
            area_id=1 if area == "NE" else 2,
            short_name=code,
            timezone=zone,
            created_at=STAMP,
        )
        services.append((service_id, code, area, zone))
    for _ in range(episodes):
        add_episode(rng, cohort, rng.choice(services))
    return cohort


def add_episode(
    rng: random.Random,
    cohort: Cohort,
    service: tuple[int, str, str, str],
    start: date = date(2025, 1, 1),
    *,
    consent: bool | None = None,
) -> None:
    service_id, code, area, zone = service
    discharge = start + timedelta(days=rng.randint(0, 700))
    referral = discharge - timedelta(days=rng.randint(0, 300))
    drawn = rng.random() < 0.9
    consent = drawn if consent is None else consent
    contact = {}
    events: list[tuple[datetime, str]] = []
    if consent and rng.random() < 0.2:
        contact_hash = f"{rng.getrandbits(128):032x}"
        contact = {rng.choice(("phone_hash", "email_hash")): contact_hash}
        point = cohort.add(ContactPoint, contact_hash=contact_hash, kind="phone", created_at=STAMP)
        for _ in range(rng.randint(1, 3)):
            events.append(
                (
                    instant_near(rng, discharge + timedelta(days=rng.randint(-30, 500)), zone),
                    rng.choice(("opt_out", "resume")),
                )
            )
        events.sort()
        for at, kind in events:
            cohort.add(OptEvent, contact_point_id=point, kind=kind, source="test", at=at)
    client = cohort.add(
        Client, service_id=service_id, client_ref=f"C{len(cohort.facts)}", created_at=STAMP, updated_at=STAMP, **contact
    )
    scores = [rng.choice((None, rng.randint(0, 27), rng.randint(0, 27))) for _ in range(4)]
    case_mix = case_mix_covariates(scores, len(cohort.facts), service_id)
    episode = cohort.add(
        Episode,
        client_id=client,
        service_id=service_id,
        consent=consent,
        referral_date=referral,
        assessment_date=referral if rng.random() < 0.8 else None,
        discharge_date=discharge,
        treatment_sessions=rng.choice((0, 1, 2, 5, 7, 12)),
        problem_descriptor=rng.choice(DESCRIPTORS),
        phq9_first=scores[0],
        phq9_last=scores[1],
        gad7_first=scores[2],
        gad7_last=scores[3],
        **case_mix,
        plan="4,8,18,26,52",
        row_fingerprint="x" * 64,
        created_at=STAMP,
        updated_at=STAMP,
    )
    check_ins = [
        add_check_in(rng, cohort, episode, client, zone, discharge, weeks)
        for weeks in (sorted(rng.sample((2, 4, 8, 18, 26, 52), rng.randint(0, 5))) if consent else ())
    ]
    facts = EpisodeFacts(
        service_code=code,
        area_code=area,
        referral_date=referral,
        discharge_date=discharge,
        treatment_sessions=cohort.rows[Episode][-1]["treatment_sessions"],
        problem_descriptor=cohort.rows[Episode][-1]["problem_descriptor"],
        consented=consent,
        assessment_date=cohort.rows[Episode][-1]["assessment_date"],
        phq9_first=scores[0],
        phq9_last=scores[1],
        gad7_first=scores[2],
        gad7_last=scores[3],
        opt_events=tuple((local(at, zone), kind) for at, kind in events),  # type: ignore[misc]
        check_ins=tuple(check_ins),
        **case_mix,
    )
    cohort.facts.append((code, area, facts))


def case_mix_covariates(scores: list[int | None], number: int, service_id: int) -> dict[str, Any]:
    """Intensity, age band, sex and IMD decile, each sometimes not given, and now and then a first score
    outside 0-254 (the bulk reader reads those as stored). Drawn apart from the cohort's own random numbers,
    so that the cohorts of the other tests stay as they were."""
    rng = random.Random(7919 * service_id + number)
    if rng.random() < 0.05:
        scores[rng.choice((0, 2))] = rng.choice((-3, 255, 400))
    return {
        "intensity": rng.choice((None, *INTENSITIES)),
        "age_band": rng.choice((None, *AGE_BANDS[:3])),
        "sex": rng.choice((None, *SEXES)),
        "imd_decile": rng.choice((None, *IMD_DECILES[:3])),
    }


def add_check_in(
    rng: random.Random, cohort: Cohort, episode: int, client: int, zone: str, discharge: date, weeks: int
) -> CheckInFacts:
    due = instant_near(rng, discharge + timedelta(weeks=weeks), zone)
    status, reason = rng.choice(STATUSES), rng.choice(REASONS)

    def later(instant: datetime, *days: int) -> datetime:  # on one of these local days after an instant
        return instant_near(rng, local(instant, zone) + timedelta(days=rng.choice(days)), zone)

    sent = later(due, 0, 0, 1, 2) if rng.random() < 0.7 else None
    closed = later(due, -3, 0, 1, 14, 20) if rng.random() < 0.7 else None
    answers: dict[str, Any] = {}
    if rng.random() < 0.75:
        t = later(due, 0, 1, 2, 5, 13)
        answers = {"change": rng.choice((*CHANGES, *CHANGES, "")), "change_at": t}
        if rng.random() < 0.8:
            answers |= {"usual_self": rng.choice((*WELLNESS, "unsure", "")), "usual_self_at": later(t, 0, 1, 3)}
        if rng.random() < 0.7:
            start = local(t, zone) - timedelta(days=rng.choice((0, 1, 55, 56, 57, 119, 120, 122, 123, 124, 300, -4)))
            answers |= {"duration_start": start, "duration_at": later(t, 0, 1)}
    return record_check_in(cohort, (episode, client, zone, weeks), due, (status, reason, sent, closed), answers)


def record_check_in(
    cohort: Cohort,
    owner: tuple[int, int, str, int],
    due: datetime,
    state: tuple[str, str | None, datetime | None, datetime | None],
    answers: dict[str, Any],
) -> CheckInFacts:
    """Store a check-in and say what it means (the facts, as `episode_facts` would read them)."""
    episode, client, zone, weeks = owner
    status, reason, sent, closed = state
    cohort.add(
        CheckIn,
        episode_id=episode,
        client_id=client,
        offset_weeks=weeks,
        due_at=due,
        status=status,
        first_sent_at=sent,
        closed_at=closed,
        close_reason=reason,
        **answers,
    )
    for instant in (due, sent, closed, *(answers.get(key) for key in ("change_at", "usual_self_at", "duration_at"))):
        if isinstance(instant, datetime):  # the last day before it counts, the first day it counts, 14 days on
            day = local(instant, zone)
            edges = [day - timedelta(days=1), day, day + timedelta(days=13), day + timedelta(days=14)]
            midnight = instant.astimezone(ZoneInfo(zone)).time() == time(0)
            (cohort.midnight_edges if midnight else cohort.edges).extend(edges)
    change, usual, start = answers.get("change"), answers.get("usual_self"), answers.get("duration_start")
    return CheckInFacts(
        offset_weeks=weeks,
        due_on=local(due, zone),
        skipped=status == "skipped",
        first_sent_on=local(sent, zone) if sent else None,
        withdrawn_on=local(max(due, closed or due), zone) if status == "withdrawn" else None,
        unreachable=reason == "unreachable",
        closed_by_opt_out_on=local(closed, zone) if reason == "opt_out" and closed else None,
        change=Answer(change, local(answers["change_at"], zone)) if change else None,
        duration_start=Answer(start, local(answers["duration_at"], zone)) if start else None,
        usual_self=Answer(usual, local(answers["usual_self_at"], zone)) if usual else None,
    )


def store(cohort: Cohort) -> None:
    for table in (Area, Service, ContactPoint, OptEvent, Client, Episode, CheckIn):
        rows = cohort.rows.get(table, [])
        if rows:
            columns = sorted({key for row in rows for key in row})
            db.session.execute(insert(table.__table__), [{key: row.get(key) for key in columns} for row in rows])
    db.session.commit()


def expected(
    cohort: Cohort,
    as_of: date,
    service: str | None = None,
    area: str | None = None,
    group: str | None = None,
    discharged: tuple[date | None, date | None] = (None, None),
) -> dict[str, Any]:
    low, high = discharged
    return summarise(
        (
            facts
            for code, area_code, facts in cohort.facts
            if service in (None, code)
            and area in (None, area_code)
            and group in (None, problem_group(facts.problem_descriptor))
            and (low is None or facts.discharge_date >= low)
            and (high is None or facts.discharge_date <= high)
        ),
        as_of,
    )


AS_OF = (date(2025, 3, 30), date(2025, 10, 26), date(2026, 4, 5), date(2026, 6, 30), date(2027, 6, 1))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_bulk_summary_equals_the_pure_methodology(app, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    cohort = build(rng, 70)
    store(cohort)
    monkeypatch.setattr(statistics, "BULK_CHUNK", 9)  # many chunks, with episodes split at their edges
    edges = rng.sample(cohort.edges, 6) + rng.sample(cohort.midnight_edges, min(10, len(cohort.midnight_edges)))
    for as_of in (*AS_OF, *edges):
        assert statistics.bulk_plan(as_of, None, None) is not None  # the bulk reader, not the fallback
        want = expected(cohort, as_of)
        assert statistics.summary(as_of, workers=1) == want, as_of
    # the last as-of date has every episode: each disorder is compared with episodes in it
    assert all(block["episodes"] for block in expected(cohort, AS_OF[-1])["by_disorder"].values())
    as_of = rng.choice(cohort.edges)
    assert statistics.summary(as_of, workers=2) == expected(cohort, as_of)  # worker processes, merged
    service = rng.choice(cohort.rows[Service])["code"]
    assert statistics.summary(as_of, service_code=service) == expected(cohort, as_of, service=service)
    assert statistics.summary(as_of, area_code="NE") == expected(cohort, as_of, area="NE")


@pytest.mark.parametrize("seed", [8, 9])
def test_both_readers_agree_with_problem_group_and_discharge_filters(
    app, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashboard's filters: the bulk reader, the reference reader and the pure methodology agree."""
    rng = random.Random(seed)
    cohort = build(rng, 80)
    store(cohort)
    monkeypatch.setattr(statistics, "BULK_CHUNK", 11)
    as_of = date(2026, 6, 30)
    periods = [
        (None, None),
        (date(2025, 4, 1), None),
        (None, date(2025, 12, 31)),
        (date(2025, 6, 1), date(2025, 9, 30)),
    ]
    for group in (None, *PROBLEM_GROUPS):
        for low, high in periods:
            filters = {"problem_group": group, "discharged_from": low, "discharged_to": high}
            want = expected(cohort, as_of, group=group, discharged=(low, high))
            assert statistics.summary(as_of, workers=1, **filters) == want, filters
            scope = statistics._scope_filters(None, None, statistics.EpisodeFilters(group, low, high))
            assert summarise(statistics.episode_facts(as_of, scope), as_of) == want, filters
    service = rng.choice(cohort.rows[Service])["code"]
    filters = {"problem_group": "anxiety", "discharged_from": date(2025, 3, 1)}
    assert statistics.summary(as_of, service_code=service, **filters) == expected(
        cohort, as_of, service=service, group="anxiety", discharged=(date(2025, 3, 1), None)
    )
    assert statistics.summary(as_of, area_code="NE", problem_group="depression") == expected(
        cohort, as_of, area="NE", group="depression"
    )
    narrowed = statistics.summary(as_of, problem_group="anxiety")
    assert narrowed["cohort"]["episodes"] == narrowed["by_problem_group"]["anxiety"]["episodes"]  # consented or not
    assert narrowed["by_problem_group"]["depression"]["episodes"] == 0
    assert list(narrowed["by_disorder"]) == list(DISORDERS)  # always all twelve
    outside = ("depression", "mixed_anxiety_depression", "other")
    assert all(narrowed["by_disorder"][name]["episodes"] == 0 for name in outside)
    assert sum(b["episodes"] for b in narrowed["by_disorder"].values()) == narrowed["cohort"]["episodes"]
    with pytest.raises(ValueError, match="unknown problem group"):
        statistics.summary(as_of, problem_group="sadness")


def test_curve_matches_the_wellness_summary(app) -> None:
    rng = random.Random(10)
    cohort = build(rng, 120)
    store(cohort)
    as_of = date(2027, 6, 1)
    result, curve = statistics.summary_and_curve(as_of)
    assert result == expected(cohort, as_of)
    wellness = result["wellness"]
    assert (curve[0].days, curve[0].survival) == (0, 1.0)
    assert sum(point.events for point in curve) == wellness["events"]
    days = [point.days for point in curve]
    assert days == sorted(days)
    # the numbers at risk beside the curve are the fit's own at each step (just before it: the day before)
    assert [curve.at_risk(p.days - 1) for p in curve if p.at_risk is not None] == [
        p.at_risk for p in curve if p.at_risk is not None
    ]
    assert len(curve.at_risk_by_day) == curve[-1].days and curve.at_risk(curve[-1].days) == 0
    most = max(curve.at_risk_by_day)
    assert curve.drawable_until(most + 1) is None and curve.drawn(most + 1) == []
    minimum = max(2, most // 2)  # this small cohort never has 10 at risk at once
    until = curve.drawable_until(minimum)
    assert until is not None and all(point.days <= until for point in curve.drawn(minimum))
    assert curve.drawn(minimum)[-1].days == until
    assert curve.at_risk(until - 1) >= minimum and all(n < minimum for n in curve.at_risk_by_day[until:])
    for key, weeks in (("26", 182), ("52", 364)):
        estimate = wellness["still_well"][key]["estimate"]
        if estimate is not None:
            assert [p.survival for p in curve if p.days <= weeks][-1] == pytest.approx(estimate)


@pytest.mark.parametrize("seed", [5, 6])
def test_every_instant_on_a_midnight(app, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Instants exactly at local midnight, as-of dates on each side of each: "on or before A" is exact."""
    monkeypatch.setattr(sys.modules[__name__], "MIDNIGHT_ONLY", True)
    rng = random.Random(seed)
    cohort = build(rng, 30)
    store(cohort)
    edges = sorted(set(cohort.edges + cohort.midnight_edges))
    for as_of in rng.sample(edges, min(40, len(edges))):
        assert statistics.summary(as_of, workers=1) == expected(cohort, as_of), as_of


def test_each_instant_exactly_at_the_first_moment_after_a(app) -> None:
    """One episode per boundary: an instant at local midnight starting A + 1 (or A - 13) does not count."""
    cohort = Cohort()
    cohort.add(Area, code="NE", name="Area NE", created_at=STAMP)
    service = cohort.add(Service, code="TYNE", name="Tyne", area_id=1, short_name="Tyne", created_at=STAMP)
    zone, as_of = "Europe/London", date(2026, 6, 30)
    london = ZoneInfo(zone)
    after = datetime(2026, 7, 1, tzinfo=london).astimezone(UTC)  # 23:00 UTC on 30 June
    window = datetime(2026, 6, 17, tzinfo=london).astimezone(UTC)  # A - 13
    noon, tick = datetime(2026, 6, 30, 12, tzinfo=london).astimezone(UTC), timedelta(microseconds=1)
    due, sent = datetime(2026, 5, 1, 9, tzinfo=UTC), datetime(2026, 5, 1, 10, tzinfo=UTC)
    well = {"change": "much_better", "change_at": noon, "usual_self": "yes", "usual_self_at": noon}
    claim = {"duration_start": date(2025, 12, 1)}
    cases = [
        (due, ("closed", None, sent, None), {**well, **claim, "duration_at": after}),  # claim too late
        (due, ("closed", None, sent, None), {**well, **claim, "duration_at": after - tick}),
        (due, ("closed", None, sent, None), {**well, **claim, "duration_at": noon, "usual_self_at": after}),
        (due, ("closed", None, sent, None), {"change": "same", "change_at": after}),  # not answered by A
        (after, ("closed", "unreachable", None, None), {}),  # not due by A
        (after - tick, ("closed", "unreachable", None, None), {}),
        (due, ("open", None, window, None), {}),  # sent too late to be closed
        (due, ("open", None, window - tick, None), {}),
        (due, ("withdrawn", "contact_stopped", None, after), {}),  # withdrawn after A
        (due, ("withdrawn", "contact_stopped", None, after - tick), {}),
        (due, ("closed", "opt_out", None, after), {}),  # closed by an opt-out after A
        (due, ("closed", "opt_out", None, after - tick), {}),
    ]
    for number, (due_at, state, answers) in enumerate(cases):
        client = cohort.add(Client, service_id=service, client_ref=f"B{number}", created_at=STAMP, updated_at=STAMP)
        episode = cohort.add(
            Episode,
            client_id=client,
            service_id=service,
            consent=True,
            referral_date=date(2025, 11, 1),
            discharge_date=date(2026, 1, 1),
            treatment_sessions=8,
            problem_descriptor="F41.1",
            plan="26",
            row_fingerprint="x" * 64,
            created_at=STAMP,
            updated_at=STAMP,
        )
        facts = record_check_in(cohort, (episode, client, zone, 26), due_at, state, answers)
        cohort.facts.append(
            (
                "TYNE",
                "NE",
                EpisodeFacts(
                    service_code="TYNE",
                    area_code="NE",
                    referral_date=date(2025, 11, 1),
                    discharge_date=date(2026, 1, 1),
                    treatment_sessions=8,
                    problem_descriptor="F41.1",
                    consented=True,
                    check_ins=(facts,),
                ),
            )
        )
    store(cohort)
    result = statistics.summary(as_of)
    assert result == expected(cohort, as_of)
    outcomes = result["outcomes"]
    assert (outcomes["durably_recovered"], outcomes["improved"], outcomes["unchanged"]) == (1, 2, 0)
    assert (outcomes["unreachable"], outcomes["no_response"]) == (1, 4)


def test_one_time_zone_and_empty_scopes(app) -> None:
    rng = random.Random(7)
    cohort = Cohort()
    for area in ("NE", "SW"):
        cohort.add(Area, code=area, name=f"Area {area}", created_at=STAMP)
    service = cohort.add(Service, code="TYNE", name="Tyne", area_id=1, short_name="Tyne", created_at=STAMP)
    for _ in range(40):
        add_episode(rng, cohort, (service, "TYNE", "NE", "Europe/London"))
    store(cohort)
    for as_of in (date(2024, 12, 31), *AS_OF):  # the first: nothing discharged yet
        assert statistics.summary(as_of) == expected(cohort, as_of)
    assert statistics.summary(AS_OF[-1], area_code="SW") == expected(cohort, AS_OF[-1], area="SW")  # no services


def test_a_zone_whose_dates_go_back_falls_back_to_the_reference_reader(app) -> None:
    # Antarctica/Casey turned its clocks back from 02:00 on 5 March 2010 to 23:00 on the 4th.
    assert statistics.day_start_utc(date(2025, 6, 1), ZoneInfo("Europe/London")) == datetime(2025, 5, 31, 23, 0)
    assert statistics.day_start_utc(date(2010, 3, 5), ZoneInfo("Antarctica/Casey")) is None
    rng = random.Random(3)
    cohort = Cohort()
    cohort.add(Area, code="NE", name="Area NE", created_at=STAMP)
    service = cohort.add(
        Service,
        code="CASEY",
        name="Casey",
        area_id=1,
        short_name="Casey",
        timezone="Antarctica/Casey",
        created_at=STAMP,
    )
    for _ in range(20):
        add_episode(rng, cohort, (service, "CASEY", "NE", "Antarctica/Casey"), start=date(2009, 1, 1))
    store(cohort)
    as_of = date(2010, 3, 4)
    assert statistics.bulk_plan(as_of, None, None) is None
    assert statistics.summary(as_of) == expected(cohort, as_of)


BREAKDOWN_KEYS = ("by_problem_group", "by_disorder", "by_sessions", "by_service", "by_area", "by_discharge_month")


def assert_breakdowns_add_up(result: dict[str, Any], path: str) -> None:
    """SPEC section 5: a BLOCK's episodes count every episode of its group, consented or not."""
    cohort = result["cohort"]
    assert cohort["consented"] < cohort["episodes"], "the cohort needs episodes without consent"
    for key in BREAKDOWN_KEYS:
        blocks = result[key].values()
        assert sum(block["episodes"] for block in blocks) == cohort["episodes"], (path, key)
        assert sum(block["eligible"] for block in blocks) == cohort["eligible"], (path, key)


def test_breakdown_episodes_add_up_to_the_cohort_on_every_path(app, monkeypatch: pytest.MonkeyPatch) -> None:
    """Episodes without consent count in their groups' `episodes` on each path: the bulk reader in one
    process and in worker processes, the reference reader, and the pure methodology."""
    rng = random.Random(21)
    cohort = build(rng, 90)
    # a service whose only episodes have no consent still has its group, with nothing eligible
    service = cohort.add(
        Service, code="NOCON", name="NOCON", area_id=2, short_name="NOCON", timezone="Europe/London", created_at=STAMP
    )
    for _ in range(3):
        add_episode(rng, cohort, (service, "NOCON", "SW", "Europe/London"), consent=False)
    store(cohort)
    monkeypatch.setattr(statistics, "BULK_CHUNK", 13)
    as_of = date(2027, 6, 1)
    want = expected(cohort, as_of)
    assert want["by_service"]["NOCON"]["episodes"] == 3 and want["by_service"]["NOCON"]["eligible"] == 0
    assert_breakdowns_add_up(want, "pure methodology")
    assert statistics.bulk_plan(as_of, None, None) is not None
    bulk = statistics.summary(as_of, workers=1)
    assert_breakdowns_add_up(bulk, "bulk reader")
    assert bulk == want
    parallel = statistics.summary(as_of, workers=2)
    assert_breakdowns_add_up(parallel, "bulk reader, worker processes")
    assert parallel == want
    reference = summarise(statistics.episode_facts(as_of, statistics._scope_filters(None, None, NO_FILTERS)), as_of)
    assert_breakdowns_add_up(reference, "reference reader")
    assert reference == want
    narrowed = statistics.summary(as_of, area_code="SW", problem_group="anxiety", workers=1)
    assert narrowed == expected(cohort, as_of, area="SW", group="anxiety")
    assert sum(block["episodes"] for block in narrowed["by_service"].values()) == narrowed["cohort"]["episodes"]


def expected_tally(cohort: Cohort, as_of: date, area: str | None = None) -> CaseMixTally:
    """The case-mix tally of the pure methodology for the same records."""
    builder = SummaryBuilder(as_of, case_mix=True)
    for _, area_code, facts in cohort.facts:
        if area in (None, area_code):
            builder.add(facts)
    return builder.case_mix()


@pytest.mark.parametrize("seed", [31, 32, 33])
def test_bulk_case_mix_tally_equals_the_pure_methodology(app, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """`case_mix_tally`'s bulk reader (one process, worker processes, an area), the reference reader and the pure
    methodology give the same cells with the same counts; a builder keeping the tally gives the same summary."""
    rng = random.Random(seed)
    cohort = build(rng, 90)
    store(cohort)
    monkeypatch.setattr(statistics, "BULK_CHUNK", 9)
    edges = rng.sample(cohort.edges, 4)
    for as_of in (*AS_OF, *edges):
        assert statistics.bulk_plan(as_of, None, None, case_mix=True) is not None  # the bulk reader
        want = expected_tally(cohort, as_of)
        assert statistics.case_mix_tally(as_of, workers=1) == want, as_of
    as_of = AS_OF[-1]
    want = expected_tally(cohort, as_of)
    assert sum(counts[0] for counts in want.values()) > 0 and sum(counts[1] for counts in want.values()) > 0
    assert sum(counts[2] for counts in want.values()) >= sum(counts[3] for counts in want.values())
    assert sum(counts[2] for counts in want.values()) > 0
    assert any(None in key for key in want) and any(key.phq9_first in (-3, 255, 400) for key in want)
    assert statistics.case_mix_tally(as_of, workers=2) == want  # worker processes, merged
    assert statistics.case_mix_tally(as_of, area_code="NE") == expected_tally(cohort, as_of, area="NE")
    reference = SummaryBuilder(as_of, case_mix=True)
    for facts in statistics.episode_facts(as_of, statistics._scope_filters(None, None, NO_FILTERS)):
        reference.add(facts)
    assert reference.case_mix() == want
    builder = statistics.bulk_summary_builder(as_of, None, None, 1, case_mix=True)
    assert builder is not None and builder.result() == expected(cohort, as_of)


def test_case_mix_tally_falls_back_to_the_reference_reader(app) -> None:
    """A time zone the bulk reader cannot cut (Antarctica/Casey, 2010): the reference reader tallies the cells."""
    rng = random.Random(34)
    cohort = Cohort()
    cohort.add(Area, code="NE", name="Area NE", created_at=STAMP)
    casey = {"name": "Casey", "short_name": "Casey", "timezone": "Antarctica/Casey"}
    service = cohort.add(Service, code="CASEY", area_id=1, created_at=STAMP, **casey)
    for _ in range(20):
        add_episode(rng, cohort, (service, "CASEY", "NE", "Antarctica/Casey"), start=date(2009, 1, 1))
    store(cohort)
    as_of = date(2010, 3, 4)
    assert statistics.bulk_plan(as_of, None, None, case_mix=True) is None
    assert statistics.case_mix_tally(as_of) == expected_tally(cohort, as_of)


# Outcome facts (SPEC 8.5): the dashboard's figures from the kept tallies equal a full `stats summary`
# after every change, folded or not, and as the days move on.


def live(as_of: date, **scope: Any) -> dict[str, Any] | None:
    from app.services.statistics import facts

    found = facts.live_summary_and_curve(as_of, **scope)
    return None if found is None else found[0]


def full(as_of: date, **scope: Any) -> dict[str, Any]:
    return statistics.summary(as_of, workers=1, **scope)


def views(rng: random.Random, cohort: Cohort, as_of: date) -> list[dict[str, Any]]:
    """A few dashboard views: everything, a problem group, a discharge period, a service, an area."""
    low = as_of - timedelta(days=rng.randint(0, 400))
    high = low + timedelta(days=rng.randint(0, 200))
    service = rng.choice(cohort.rows[Service])["code"]
    return [
        {},
        {"problem_group": rng.choice(PROBLEM_GROUPS)},
        {"discharged_from": low, "discharged_to": high},
        {"discharged_from": low, "problem_group": rng.choice(PROBLEM_GROUPS)},
        {"discharged_to": high},
        {"service_code": service},
        {"area_code": rng.choice(("NE", "SW")), "discharged_from": low},
    ]


@pytest.mark.parametrize("seed", [21, 22])
def test_outcome_facts_equal_the_full_summary(app, seed: int) -> None:
    from app.services.statistics import facts

    rng = random.Random(seed)
    cohort = build(rng, 60)
    store(cohort)
    as_of = date(2026, 3, 1)
    assert live(as_of) is None  # not built yet: the full computation serves
    facts.rebuild(as_of, STAMP)
    for view in views(rng, cohort, as_of):
        assert live(as_of, **view) == full(as_of, **view), view


KINDS = ("opt_out", "resume")


def change_something(rng: random.Random, today: date) -> str:
    """One random change, written as the app's code paths write it (SQL, so that no ORM hook helps)."""
    from sqlalchemy import text

    def one(query: str) -> Any:
        return db.session.execute(text(query)).scalar()

    def pick(query: str) -> Any:
        """A row of the query chosen by the seeded rng (ORDER BY random() would make a failure unrepeatable)."""
        rows = db.session.execute(text(query + " ORDER BY 1")).all()
        return rng.choice(rows) if rows else None

    def pick_id(query: str) -> Any:
        row = pick(query)
        return row[0] if row else None

    stamp = datetime.combine(today, time(12), tzinfo=UTC)
    kind = rng.choice(("answer", "answer", "close", "send", "opt", "withdraw", "erase", "import", "recode", "skip"))
    check_in = pick_id("SELECT id FROM check_in")
    episode = pick_id("SELECT id FROM episode")
    if kind == "answer" and check_in:
        db.session.execute(
            text(
                "UPDATE check_in SET change = :c, change_at = :t, usual_self = :u, usual_self_at = :t,"
                " duration_start = :s, duration_at = :t WHERE id = :id"
            ),
            {
                "c": rng.choice(CHANGES),
                "u": rng.choice(tuple(WELLNESS)),
                "s": today - timedelta(days=rng.choice((0, 56, 130))),
                "t": stamp,
                "id": check_in,
            },
        )
    elif kind == "close" and check_in:
        reason = rng.choice(("window_over", "unreachable", "opt_out"))
        db.session.execute(
            text("UPDATE check_in SET status = 'closed', closed_at = :t, close_reason = :r WHERE id = :id"),
            {"t": stamp, "r": reason, "id": check_in},
        )
    elif kind == "send" and check_in:
        db.session.execute(text("UPDATE check_in SET first_sent_at = :t WHERE id = :id"), {"t": stamp, "id": check_in})
    elif kind == "skip" and check_in:
        db.session.execute(text("UPDATE check_in SET status = 'skipped' WHERE id = :id"), {"id": check_in})
    elif kind == "opt" and episode:
        # an opt-out or resume of a contact point some client already has (the opt_event trigger alone
        # queues its episodes), or of a new one given to a client (the client trigger too)
        point = pick_id(
            "SELECT DISTINCT p.id FROM contact_point p JOIN client c ON c.phone_hash = p.contact_hash"
            " OR c.email_hash = p.contact_hash"
        )
        if point is None or rng.random() < 0.3:
            client = one(f"SELECT client_id FROM episode WHERE id = {episode}")
            contact_hash = f"{rng.getrandbits(64):016x}"
            db.session.execute(
                text("UPDATE client SET phone_hash = :h WHERE id = :c"), {"h": contact_hash, "c": client}
            )
            point = (one("SELECT max(id) FROM contact_point") or 0) + 1  # the cohort's ids are explicit
            db.session.execute(
                text("INSERT INTO contact_point (id, contact_hash, kind, created_at) VALUES (:p, :h, 'phone', :t)"),
                {"p": point, "h": contact_hash, "t": stamp},
            )
        db.session.execute(
            text("INSERT INTO opt_event (id, contact_point_id, kind, source, at) VALUES (:i, :p, :k, 'test', :t)"),
            {"i": (one("SELECT max(id) FROM opt_event") or 0) + 1, "p": point, "k": rng.choice(KINDS), "t": stamp},
        )
    elif kind == "withdraw" and episode:
        db.session.execute(
            text("UPDATE episode SET answers_withdrawn_at = :t WHERE id = :e"), {"t": stamp, "e": episode}
        )
    elif kind == "erase" and episode:
        db.session.execute(text(f"DELETE FROM check_in WHERE episode_id = {episode}"))
        db.session.execute(text(f"DELETE FROM episode WHERE id = {episode}"))
    elif kind == "recode" and episode:
        db.session.execute(
            text("UPDATE episode SET problem_descriptor = :d, discharge_date = :day WHERE id = :e"),
            {"d": rng.choice(DESCRIPTORS), "day": today - timedelta(days=rng.randint(0, 90)), "e": episode},
        )
    elif kind == "import":
        more = Cohort()
        base = {table: (one(f"SELECT max(id) FROM {table.__tablename__}") or 0) for table in (Client, Episode, CheckIn)}
        service = pick("SELECT id, code, timezone FROM service")
        add_episode(rng, more, (service[0], service[1], "NE", service[2]), today - timedelta(days=400))
        for table in (Client, Episode, CheckIn):
            for row in more.rows.get(table, []):
                row["id"] += base[table]
                if table is not Client:
                    row["client_id"] += base[Client]
                if table is CheckIn:
                    row["episode_id"] += base[Episode]
        for table in (ContactPoint, OptEvent):
            more.rows.pop(table, None)
        for row in more.rows[Client]:
            row.pop("phone_hash", None)
            row.pop("email_hash", None)
            row["client_ref"] = f"N{row['id']}"
        store(more)
    db.session.commit()
    return kind


@pytest.mark.parametrize("seed", [31, 32, 33])
def test_outcome_facts_follow_every_change_and_every_day(app, seed: int) -> None:
    """Random changes one after another, folded in part or not at all, while the days move on: every
    view from the facts equals the full computation at every step."""
    from app.services.statistics import facts

    rng = random.Random(seed)
    cohort = build(rng, 50)
    store(cohort)
    today = date(2026, 2, 1)
    facts.rebuild(today, STAMP)
    kinds = set()
    for step in range(40):
        kinds.add(change_something(rng, today))
        if rng.random() < 0.3:
            today += timedelta(days=rng.choice((1, 1, 3, 14, 30)))
            if rng.random() < 0.5:
                facts.advance(today)
        if rng.random() < 0.5:
            facts.fold(limit=rng.randint(1, 10))
        for view in rng.sample(views(rng, cohort, today), 3):
            assert live(today, **view) == full(today, **view), (step, view)
    facts.advance(today)
    facts.fold_all()
    assert facts.status().stale == 0 and facts.status().expired == 0
    for view in views(rng, cohort, today):
        assert live(today, **view) == full(today, **view), view
    assert len(kinds) >= 6  # the changes were varied


def test_an_opt_out_alone_moves_the_facts(app) -> None:
    """The opt_event trigger by itself: an opt-out of a contact point the client already had, nothing else
    written, turns an unanswered episode into opted_out in the facts' figures as in the full ones."""
    from sqlalchemy import text

    from app.services.statistics import facts

    rng = random.Random(5)
    cohort = build(rng, 30)
    store(cohort)
    today = date(2027, 6, 1)
    episode, client = db.session.execute(
        text("SELECT id, client_id FROM episode WHERE consent ORDER BY id LIMIT 1")
    ).one()
    db.session.execute(text(f"UPDATE check_in SET change = NULL, change_at = NULL WHERE episode_id = {episode}"))
    db.session.execute(text(f"UPDATE episode SET answers_withdrawn_at = NULL WHERE id = {episode}"))
    db.session.execute(text(f"UPDATE client SET phone_hash = 'feedface', email_hash = NULL WHERE id = {client}"))
    db.session.execute(
        text("INSERT INTO contact_point (id, contact_hash, kind, created_at) VALUES (9999, 'feedface', 'phone', :t)"),
        {"t": STAMP},
    )
    db.session.commit()
    facts.rebuild(today, STAMP)
    before = full(today)
    stamp = datetime.combine(today, time(12), tzinfo=UTC)
    db.session.execute(
        text("INSERT INTO opt_event (id, contact_point_id, kind, source, at) VALUES (9999, 9999, 'opt_out', 't', :t)"),
        {"t": stamp},
    )
    db.session.commit()
    after = full(today)
    assert after["outcomes"]["opted_out"] == before["outcomes"]["opted_out"] + 1
    assert facts.status().stale == 1
    assert live(today) == after
    facts.fold_all()
    assert live(today) == after
