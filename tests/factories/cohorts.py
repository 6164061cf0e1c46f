"""Cohorts written into the database: answered check-ins, the small summary cohort, a releasable pair of
areas. Synthetic data only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Final, NamedTuple

from sqlalchemy import select

from app.extensions import db
from app.models import CheckIn, CheckInStatus, Client, Episode
from tests.factories import NOW, csv_bytes, make_service, row, run_import


def check_in(ref: str, weeks: int) -> CheckIn:
    return db.session.scalars(
        select(CheckIn).join(Episode).join(Client).where(Client.client_ref == ref, CheckIn.offset_weeks == weeks)
    ).one()


def answer(
    ref: str, weeks: int, at: datetime, change: str | None, usual_self: str | None = None, start: date | None = None
) -> None:
    item = check_in(ref, weeks)
    item.status = CheckInStatus.CLOSED.value
    item.first_sent_at = at - timedelta(hours=2)
    item.closed_at = at + timedelta(days=14)
    if change:
        item.change, item.change_at = change, at
    if usual_self:
        item.usual_self, item.usual_self_at = usual_self, at
    if start:
        item.duration_start, item.duration_at = start, at


def seed_cohort() -> None:
    make_service()
    run_import(
        csv_bytes(
            [
                row(client_ref="R1", discharge_date="2026-03-01", problem_descriptor="F32.1"),
                row(client_ref="R2", discharge_date="2026-03-01", problem_descriptor="F41.1"),
                row(client_ref="R3", discharge_date="2026-03-01", problem_descriptor="none"),
                row(client_ref="R4", discharge_date="2026-03-01", consent_to_follow_up="no"),
            ]
        ),
        now=datetime(2026, 11, 20, tzinfo=UTC),
    )
    # R1 (depression): at 26 weeks well since 5 months before -> recovered (4 months needed).
    answer("R1", 26, datetime(2026, 8, 30, 12, tzinfo=UTC), "much_better", "yes", date(2026, 3, 30))
    # R2 (anxiety): same, not well.
    answer("R2", 26, datetime(2026, 8, 30, 12, tzinfo=UTC), "same", "no")
    # R3: sent and never answered: a non-response once closed.
    answer("R3", 26, datetime(2026, 8, 30, 12, tzinfo=UTC), None)
    db.session.commit()


AS_OF = date(2026, 10, 31)
#: TYNE (area NE): 12 consented episodes, 10 durably recovered, 2 never answered.
TYNE_RECOVERED = 10
TYNE_EPISODES = 12


def seed_releasable() -> None:
    """Two areas; TYNE has enough people to publish, MERSEY (area NW) only 3 (suppressed)."""
    make_service("TYNE", "NE")
    make_service("MERSEY", "NW", short_name="Mersey Wellbeing")
    refs = [f"T{i:02d}" for i in range(TYNE_EPISODES)]
    run_import(
        csv_bytes(row(client_ref=ref, discharge_date="2026-03-01", problem_descriptor="F32.1") for ref in refs),
        now=NOW,
    )
    run_import(
        csv_bytes(row(client_ref=f"M{i}", discharge_date="2026-03-01") for i in range(3)), service="MERSEY", now=NOW
    )
    answered_at = datetime(2026, 8, 30, 12, tzinfo=UTC)
    for ref in refs[:TYNE_RECOVERED]:
        answer(ref, 26, answered_at, "much_better", "yes", date(2026, 3, 30))
    for ref in refs[TYNE_RECOVERED:]:
        answer(ref, 26, answered_at, None)
    for i in range(3):
        answer(f"M{i}", 26, answered_at, "same", "no")
    db.session.commit()


#: The comparison cohort: eleven services of 40 episodes (S01 truly better, S02 worse, the rest recovering half
#: their people) and S12 with 10 (too few to judge), over areas NE (S01-S06) and NW (S07-S12).
COMPARED: dict[str, tuple[int, int]] = {
    "S01": (40, 36),
    "S02": (40, 4),
    **{f"S{i:02d}": (40, 20) for i in range(3, 12)},
    "S12": (10, 5),
}


class Group(NamedTuple):
    """Episodes of one service alike in their first scores: how many, and how many durably recover."""

    episodes: int
    recovered: int
    phq9_first: int = 18
    gad7_first: int = 15


def seed_services(groups: Mapping[str, Sequence[Group]], *, nw_from: int = 7) -> None:
    """Each service of `groups` (the `nw_from`-th and later in area NW, those before in NE) with its
    episodes imported from a discharge list, group by group; in each group the first `recovered` people
    answer the 4-week check-in well since discharge (durably recovered), the rest never answer.
    Every episode is at caseness and recovered by its last scores (the service claims 100%)."""
    answered_at = datetime(2026, 8, 30, 12, tzinfo=UTC)
    serial = 0
    for number, (code, service_groups) in enumerate(groups.items(), start=1):
        make_service(code, "NE" if number < nw_from else "NW", short_name=f"Service {code}")
        rows, recovered_refs, silent_refs = [], [], []
        for group in service_groups:
            refs = [f"{code}-{len(rows) + i:03d}" for i in range(group.episodes)]
            for ref in refs:
                serial += 1
                rows.append(
                    row(
                        client_ref=ref,
                        phone=f"07400 {100000 + serial}",
                        email=f"p{serial}@example.org",
                        phq9_first=str(group.phq9_first),
                        gad7_first=str(group.gad7_first),
                    )
                )
            recovered_refs += refs[: group.recovered]
            silent_refs += refs[group.recovered :]
        run_import(csv_bytes(rows), service=code, now=NOW)
        for ref in recovered_refs:
            answer(ref, 4, answered_at, "much_better", "yes", date(2026, 3, 1))
        for ref in silent_refs:
            answer(ref, 4, answered_at, None)
    db.session.commit()


def seed_comparison() -> None:
    """Every service of COMPARED with its episodes (episodes, durably recovered); the rest never answer.
    S03's people are more severe (PHQ-9 first 24) than the others' (18); nobody's recovery depends on it."""
    seed_services({code: [Group(n, r, phq9_first=24 if code == "S03" else 18)] for code, (n, r) in COMPARED.items()})


#: First scores of the case-mix cohort: moderate and severe (PHQ-9 and GAD-7 both high).
MODERATE: Final = {"phq9_first": 12, "gad7_first": 10}
SEVERE: Final = {"phq9_first": 24, "gad7_first": 18}

#: The case-mix cohort: 60 episodes a service. Ten ordinary services (C03-C12) of 45 moderate people, 27
#: recovering (60%), and 15 severe, 3 recovering (20%); C01 truly better and C02 truly worse with that same
#: case mix; C13 all severe, recovering 12 of 60 (20%) as severe people do everywhere else: it only looks worse.
CASE_MIX_COMPARED: dict[str, list[Group]] = {
    "C01": [Group(45, 44, **MODERATE), Group(15, 12, **SEVERE)],
    "C02": [Group(45, 4, **MODERATE), Group(15, 0, **SEVERE)],
    **{f"C{i:02d}": [Group(45, 27, **MODERATE), Group(15, 3, **SEVERE)] for i in range(3, 13)},
    "C13": [Group(60, 12, **SEVERE)],
}


def seed_case_mix_comparison() -> None:
    """The services of CASE_MIX_COMPARED, all in area NE."""
    seed_services(CASE_MIX_COMPARED, nw_from=len(CASE_MIX_COMPARED) + 1)
