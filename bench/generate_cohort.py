"""Fill a database with a synthetic national cohort for `bench/stats_summary.py`. Synthetic data only.

    .venv/bin/python bench/generate_cohort.py sqlite:////tmp/cohort.db [--episodes 1000000]
    .venv/bin/python bench/generate_cohort.py postgresql://postgres@127.0.0.1:PORT/stillwell_test

The schema is dropped and created with the app's `db.create_all()`. The cohort: N episodes (default
1,000,000) over 40 areas and 200 services (a few outside Europe/London, to exercise time-zone
arithmetic), discharged over four years up to `--today`; about 96% consented, each consented episode
with five check-ins (plan 4, 8, 18, 26, 52 weeks): about 91% of those due answered (change, usual
self, duration, each with its instant, some near local midnight), the rest skipped, withdrawn,
closed unanswered or unreachable; about 2% of consented clients opted out (some resumed). Clients
have no contact details: opted-out ones get a random contact hash only, for the opt-out join.
With the defaults, 1,000,000 episodes give about 4,000,000 answered check-ins.

Loading is bulk: PostgreSQL by `COPY ... FROM STDIN` (psycopg), SQLite by `executemany` in large
transactions with `PRAGMA synchronous=OFF, journal_mode=OFF`. Rows are generated in batches so
memory stays flat. Progress and timings go to stdout.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from app import create_app
from app.extensions import db
from config import TestingConfig, database_url

PLAN = (4, 8, 18, 26, 52)
DESCRIPTORS = ("F32.1", "F33.0", "F41.1", "F41.2", "F40.0", "F42", "F43.1", "F45.2", "none", "Z63")
CHANGES = ("much_better", "a_little_better", "same", "a_little_worse", "much_worse")
CHANGE_WEIGHTS = (25, 30, 25, 12, 8)
USUAL_SELF = ("yes", "mostly", "no")
OTHER_ZONES = ("America/St_Johns", "Asia/Kolkata", "Europe/Dublin", "Australia/Lord_Howe")
EPOCH = date(1970, 1, 1).toordinal()
BATCH = 20_000
STAMP = "2026-01-01 00:00:00.000000"  # created_at / updated_at of every generated row

CLIENT_COLUMNS = ("id", "service_id", "client_ref", "phone_hash", "phone_is_uk_mobile", "created_at", "updated_at")
EPISODE_COLUMNS = (
    "id",
    "client_id",
    "service_id",
    "consent",
    "referral_date",
    "assessment_date",
    "first_treatment_date",
    "discharge_date",
    "treatment_sessions",
    "problem_descriptor",
    "intensity",
    "phq9_first",
    "phq9_last",
    "gad7_first",
    "gad7_last",
    "ending_reason",
    "language",
    "age_band",
    "sex",
    "imd_decile",
    "plan",
    "row_fingerprint",
    "created_at",
    "updated_at",
)
CHECK_IN_COLUMNS = (
    "id",
    "episode_id",
    "client_id",
    "offset_weeks",
    "due_at",
    "status",
    "first_sent_at",
    "closed_at",
    "close_reason",
    "change",
    "change_at",
    "duration_start",
    "duration_at",
    "usual_self",
    "usual_self_at",
)
CONTACT_COLUMNS = ("id", "contact_hash", "kind", "opted_out_at", "created_at")
OPT_COLUMNS = ("id", "contact_point_id", "kind", "source", "at")


@dataclass
class Rows:
    """One batch of rows per table, as tuples in the column orders above."""

    clients: list[tuple[Any, ...]]
    episodes: list[tuple[Any, ...]]
    check_ins: list[tuple[Any, ...]]
    contacts: list[tuple[Any, ...]]
    opt_events: list[tuple[Any, ...]]


class Clock:
    """UTC instants as epoch seconds, formatted like SQLAlchemy stores them; 10:00 local per (zone, day) cached."""

    def __init__(self, zones: Sequence[str]) -> None:
        self.names = tuple(zones)
        self.zones = [ZoneInfo(name) for name in zones]
        self._ten: dict[tuple[int, int], int] = {}
        self._days: dict[int, str] = {}

    def ten_local(self, zone: int, day: int) -> int:
        key = (zone, day)
        found = self._ten.get(key)
        if found is None:
            local = datetime.combine(date.fromordinal(day), datetime.min.time()).replace(hour=10)
            found = self._ten[key] = int(local.replace(tzinfo=self.zones[zone]).timestamp())
        return found

    def local_day(self, zone: int, instant: int) -> int:
        return datetime.fromtimestamp(instant, self.zones[zone]).date().toordinal()

    def day(self, ordinal: int) -> str:
        found = self._days.get(ordinal)
        if found is None:
            found = self._days[ordinal] = date.fromordinal(ordinal).isoformat()
        return found

    def stamp(self, instant: int) -> str:
        days, seconds = divmod(instant, 86400)
        hours, seconds = divmod(seconds, 3600)
        minutes, seconds = divmod(seconds, 60)
        return f"{self.day(days + EPOCH)} {hours:02d}:{minutes:02d}:{seconds:02d}.000000"


@dataclass(frozen=True)
class Plan:
    """What every batch needs to generate itself independently (picklable for the worker pool)."""

    episodes: int
    seed: int
    today: int  # ordinal of the generation day
    zone_names: tuple[str, ...]
    service_zones: tuple[int, ...]  # zone index per service (service id - 1)


_clock: Clock | None = None


def batch(plan: Plan, start: int) -> Rows:
    """Episodes start..start+BATCH-1 (one client each), from a seed of their own; ids derive from episode ids."""
    global _clock
    if _clock is None or _clock.names != plan.zone_names:
        _clock = Clock(plan.zone_names)
    clock = _clock
    rng = random.Random(plan.seed * 1_000_003 + start)
    now = clock.ten_local(0, plan.today) + 8 * 3600  # 18:00 on the generation day: nothing after it happened
    rows = Rows([], [], [], [], [])
    for episode_id in range(start, min(start + BATCH, plan.episodes + 1)):
        service = rng.randrange(len(plan.service_zones))
        zone = plan.service_zones[service]
        discharge = plan.today - rng.randint(20, 1800)
        consent = rng.random() < 0.96
        opt_out_at = None
        phone_hash = None
        if consent and rng.random() < 0.02:
            opt_out_at = clock.ten_local(zone, discharge + rng.randint(10, 400)) + rng.randint(0, 36_000)
            phone_hash = f"{rng.getrandbits(256):064x}"
            rows.contacts.append((episode_id, phone_hash, "phone", None, STAMP))
            rows.opt_events.append((2 * episode_id, episode_id, "opt_out", "sms keyword", clock.stamp(opt_out_at)))
            if rng.random() < 0.3:
                resume_at = clock.stamp(opt_out_at + rng.randint(3600, 9_000_000))
                rows.opt_events.append((2 * episode_id + 1, episode_id, "resume", "sms keyword", resume_at))
        rows.clients.append((episode_id, service + 1, f"B{episode_id:08d}", phone_hash, False, STAMP, STAMP))
        rows.episodes.append(_episode(rng, episode_id, service, discharge, consent, clock))
        if not consent:
            continue
        unreachable = rng.random() < 0.01
        for i, weeks in enumerate(PLAN):
            ids = (episode_id * len(PLAN) + i, episode_id, zone, weeks, discharge)
            rows.check_ins.append(_check_in(rng, clock, ids, now, opt_out_at, unreachable))
    return rows


def batches(plan: Plan) -> Iterator[Rows]:
    """Every batch in id order, generated by a second process while this one loads."""
    starts = range(1, plan.episodes + 1, BATCH)
    with multiprocessing.get_context("fork").Pool(processes=max(1, min(2, (os.cpu_count() or 1)))) as pool:
        yield from pool.imap(functools.partial(batch, plan), starts)


def _episode(
    rng: random.Random, episode_id: int, service: int, discharge: int, consent: bool, clock: Clock
) -> tuple[Any, ...]:
    referral = discharge - rng.randint(60, 400)
    sessions = min(int(rng.expovariate(1 / 6)), 30)
    scores = rng.random() < 0.85
    phq_first, gad_first = rng.randint(0, 27), rng.randint(0, 21)
    return (
        episode_id,
        episode_id,
        service + 1,
        consent,
        clock.day(referral),
        clock.day(referral + 14) if rng.random() < 0.9 else None,
        clock.day(referral + 40) if sessions else None,
        clock.day(discharge),
        sessions,
        rng.choice(DESCRIPTORS),
        rng.choice(("low", "high")),
        phq_first if scores else None,
        max(0, phq_first - rng.randint(-5, 12)) if scores else None,
        gad_first if scores else None,
        max(0, gad_first - rng.randint(-4, 9)) if scores else None,
        "completed",
        "en",
        *_case_mix(episode_id),
        "4,8,18,26,52",
        f"{episode_id:064x}",
        STAMP,
        STAMP,
    )


AGE_BANDS = ("16-17", "18-25", "26-35", "36-45", "46-55", "56-65", "66+")
SEXES = ("female", "male", "other", "unknown")


def _case_mix(episode_id: int) -> tuple[str | None, str | None, int | None]:
    """Age band, sex and IMD decile, about one in ten not given, from the id alone (the random stream, and
    so every other figure of the cohort, stays as it was before these columns)."""
    mixed = (episode_id * 2654435761) & 0xFFFFFFFF
    age = AGE_BANDS[mixed % 7] if mixed % 10 else None
    sex = SEXES[(mixed >> 8) % 4] if (mixed >> 8) % 10 else None
    imd = 1 + (mixed >> 16) % 10 if (mixed >> 16) % 11 else None
    return age, sex, imd


def _check_in(
    rng: random.Random,
    clock: Clock,
    ids: tuple[int, int, int, int, int],
    now: int,
    opt_out_at: int | None,
    unreachable: bool,
) -> tuple[Any, ...]:
    check_in_id, episode_id, zone, weeks, discharge = ids
    due = clock.ten_local(zone, discharge + 7 * weeks)
    head = (check_in_id, episode_id, episode_id, weeks, clock.stamp(due))
    none7 = (None,) * 7
    if due > now:
        return (*head, "scheduled", None, None, None, *none7[:6])
    draw = rng.random()
    if opt_out_at is not None and due > opt_out_at:
        return (*head, "withdrawn", None, clock.stamp(due), "opt_out", *none7[:6])
    if unreachable:
        return (*head, "closed", None, clock.stamp(due + 86400), "unreachable", *none7[:6])
    if draw < 0.02:
        return (*head, "skipped", None, clock.stamp(due + 14 * 86400), "skipped", *none7[:6])
    if draw < 0.035:
        return (*head, "withdrawn", None, clock.stamp(due), "contact_stopped", *none7[:6])
    sent = due + rng.randint(0, 2 * 86400)
    closes = sent + 14 * 86400
    status, closed_at = ("closed", clock.stamp(closes)) if closes <= now else ("open", None)
    answered_at = sent + rng.randint(60, 6 * 86400)
    if draw < 0.08 or answered_at > now:
        return (*head, status, clock.stamp(sent), closed_at, "no_answer" if closed_at else None, *none7[:6])
    change = rng.choices(CHANGES, CHANGE_WEIGHTS)[0]
    usual: str | None = None
    start: str | None = None
    usual_at = start_at = 0
    if rng.random() < 0.9:
        usual, usual_at = rng.choice(USUAL_SELF), min(answered_at + rng.randint(30, 900), now)
        if rng.random() < 0.75:
            start_at = min(usual_at + rng.randint(30, 900), now)
            t = clock.local_day(zone, answered_at)
            start = clock.day(t + rng.randint(1, 10) if rng.random() < 0.05 else t - rng.randint(0, 420))
    return (
        *head,
        status,
        clock.stamp(sent),
        closed_at,
        "answered" if closed_at else None,
        change,
        clock.stamp(answered_at),
        start,
        clock.stamp(start_at) if start_at else None,
        usual,
        clock.stamp(usual_at) if usual_at else None,
    )


def organisation_rows(args: argparse.Namespace) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[str]]:
    """Areas A001.., services S0001.. round-robin over areas; every 50th service outside London."""
    areas = [(i, f"A{i:03d}", f"Synthetic area {i}", STAMP) for i in range(1, args.areas + 1)]
    services, zones = [], []
    for i in range(1, args.services + 1):
        zone = OTHER_ZONES[(i // 50) % len(OTHER_ZONES)] if i % 50 == 0 else "Europe/London"
        zones.append(zone)
        services.append(
            (
                i,
                f"S{i:04d}",
                f"Synthetic service {i}",
                (i - 1) % args.areas + 1,
                f"Service {i}",
                zone,
                "10:00-19:00",
                "mon-sat",
                "4,8,18,26,52",
                False,
                STAMP,
            )
        )
    return areas, services, zones


AREA_COLUMNS = ("id", "code", "name", "created_at")
SERVICE_COLUMNS = (
    "id",
    "code",
    "name",
    "area_id",
    "short_name",
    "timezone",
    "send_window",
    "send_days",
    "plan",
    "sms_links",
    "created_at",
)


def load(url: str, args: argparse.Namespace) -> None:
    app = create_app(TestingConfig, overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        started = time.perf_counter()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
        areas, services, zone_names = organisation_rows(args)
        unique = tuple(sorted(set(zone_names), key=zone_names.index))
        plan = Plan(
            args.episodes, args.seed, args.today.toordinal(), unique, tuple(unique.index(name) for name in zone_names)
        )
        raw = db.engine.raw_connection()
        try:
            writer = _postgres_writer if db.engine.dialect.name == "postgresql" else _sqlite_writer
            counts = writer(raw.driver_connection, areas, services, batches(plan), args.episodes, started)
        finally:
            raw.close()
        print(f"loaded in {time.perf_counter() - started:.1f} s: {counts}", flush=True)


Write = Callable[[str, Sequence[str], list[tuple[Any, ...]]], None]


def _load_all(
    write: Write,
    areas: list[tuple[Any, ...]],
    services: list[tuple[Any, ...]],
    rows: Iterator[Rows],
    total: int,
    started: float,
) -> dict[str, int]:
    write("area", AREA_COLUMNS, areas)
    write("service", SERVICE_COLUMNS, services)
    counts = dict.fromkeys(("episodes", "check_ins", "answered", "opt_events"), 0)
    for batch in rows:
        write("contact_point", CONTACT_COLUMNS, batch.contacts)
        write("opt_event", OPT_COLUMNS, batch.opt_events)
        write("client", CLIENT_COLUMNS, batch.clients)
        write("episode", EPISODE_COLUMNS, batch.episodes)
        write("check_in", CHECK_IN_COLUMNS, batch.check_ins)
        counts["episodes"] += len(batch.episodes)
        counts["check_ins"] += len(batch.check_ins)
        counts["answered"] += sum(1 for row in batch.check_ins if row[9] is not None)
        counts["opt_events"] += len(batch.opt_events)
        if counts["episodes"] % 100_000 == 0 or counts["episodes"] == total:
            print(
                f"  {counts['episodes']:>9} episodes, {counts['check_ins']:>9} check-ins"
                f" ({counts['answered']} answered) after {time.perf_counter() - started:.1f} s",
                flush=True,
            )
    return counts


def _postgres_writer(
    connection: Any,
    areas: list[tuple[Any, ...]],
    services: list[tuple[Any, ...]],
    rows: Iterator[Rows],
    total: int,
    started: float,
) -> dict[str, int]:
    with connection.cursor() as cursor:
        try:  # no foreign-key trigger per row (the rows are consistent by construction); needs a superuser
            cursor.execute("SET session_replication_role = replica")
        except Exception as error:
            connection.rollback()
            print(f"  (foreign keys stay checked per row: {error})", flush=True)

        def write(table: str, columns: Sequence[str], values: list[tuple[Any, ...]]) -> None:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)

        counts = _load_all(write, areas, services, rows, total, started)
        for table in ("area", "service", "client", "episode", "check_in", "contact_point", "opt_event"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
    connection.commit()
    connection.autocommit = True
    print(f"  VACUUM ANALYZE after {time.perf_counter() - started:.1f} s", flush=True)
    connection.execute("VACUUM ANALYZE")
    return counts


def _sqlite_writer(
    connection: Any,
    areas: list[tuple[Any, ...]],
    services: list[tuple[Any, ...]],
    rows: Iterator[Rows],
    total: int,
    started: float,
) -> dict[str, int]:
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA journal_mode=OFF")

    def write(table: str, columns: Sequence[str], values: list[tuple[Any, ...]]) -> None:
        if values:
            marks = ", ".join("?" * len(columns))
            connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)

    counts = _load_all(write, areas, services, rows, total, started)
    connection.commit()
    connection.execute("ANALYZE")
    connection.commit()
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA journal_mode=DELETE")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="sqlite:////tmp/cohort.db or postgresql://user@host:port/db (dropped and refilled)")
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--areas", type=int, default=40)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=date(2027, 1, 31),
        help="the generation day: nothing happens after it (default 2027-01-31)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.services < args.areas:
        parser.error("need at least one service per area")
    print(
        f"generating {args.episodes} episodes over {args.areas} areas / {args.services} services into {args.url}",
        flush=True,
    )
    load(database_url(args.url), args)


if __name__ == "__main__":
    main()
