"""Benchmark: one dispatch tick sends N due check-ins (default 100,000) to a fake Twilio with 100 ms latency.

Target (SPEC section 7): 100,000 in under 5 minutes from one process on PostgreSQL.

    scripts/pg-temp.sh start /tmp/bench-pg          # prints a URL (PostgreSQL as the postgres user)
    .venv/bin/python bench/dispatch_tick.py --database-url postgresql://postgres@127.0.0.1:PORT/stillwell_test
    scripts/pg-temp.sh stop /tmp/bench-pg

Without --database-url it uses a temporary SQLite file. The fake Twilio runs in its own process
(`python -m tests.fakes.fake_twilio`) so it does not share the interpreter lock with the tick.
"""

from __future__ import annotations

import argparse
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import CheckIn, CheckInStatus, OutboundMessage  # noqa: E402
from app.services import dispatch, organisation  # noqa: E402
from app.services.intake import importing  # noqa: E402
from bench.cohort import add_clients, batches  # noqa: E402
from config import TestingConfig  # noqa: E402
from tests.fakes.fake_twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN  # noqa: E402

NOW = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)  # Monday 10:00 BST, inside the default window


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fill(count: int) -> None:
    """Clients, episodes and one due check-in each, written with Core executemany in batches."""
    organisation.create_area("BENCH", "Bench", actor="bench", now=NOW)
    service = organisation.create_service(
        "BENCH",
        "Bench",
        "BENCH",
        organisation.ServiceSettings(short_name="Bench", safeguarding_email="safe@example.org"),
        actor="bench",
        now=NOW,
    )
    for numbers in batches(count):
        episodes = add_clients(
            service.id,
            numbers,
            ref_prefix="B",
            phone_prefix="+4474",
            referral=date(2026, 1, 5),
            discharge=date(2026, 9, 7),
            plan="4",
            now=NOW,
        )
        db.session.execute(
            insert(CheckIn.__table__),
            [
                {
                    "episode_id": e,
                    "client_id": c,
                    "offset_weeks": 4,
                    "due_at": NOW,
                    "status": CheckInStatus.SCHEDULED.value,
                    "send_attempts": 0,
                }
                for e, c, _ in episodes
            ],
        )
        db.session.commit()
    importing.refresh_planner_statistics()  # what an import of this size does (app/services/intake/importing.py)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--rate", type=float, default=1000, help="SEND_RATE_PER_SECOND")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    port = free_port()
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.fake_twilio", "--port", str(port), "--latency", str(args.latency)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            from config import database_url

            url = database_url(args.database_url) if args.database_url else f"sqlite:///{tmp}/bench.db"
            app = create_app(
                TestingConfig,
                overrides={
                    "SQLALCHEMY_DATABASE_URI": url,
                    "SMS_TRANSPORT": "twilio",
                    "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
                    "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
                    "TWILIO_FROM_NUMBER": "+447400000001",
                    "TWILIO_API_BASE": f"http://127.0.0.1:{port}",
                    "SEND_RATE_PER_SECOND": args.rate,
                },
            )
            with app.app_context():
                if db.engine.dialect.name == "postgresql":
                    with db.engine.begin() as connection:
                        connection.execute(text("DROP SCHEMA public CASCADE"))
                        connection.execute(text("CREATE SCHEMA public"))
                db.create_all()
                started = time.perf_counter()
                fill(args.count)
                filled = time.perf_counter()
                summary = dispatch.tick(NOW + timedelta(minutes=1))
                ticked = time.perf_counter()
                accepted = db.session.scalar(
                    select(func.count()).select_from(OutboundMessage).where(OutboundMessage.status == "accepted")
                )
                backend = db.engine.dialect.name
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"database: {backend}; due check-ins: {args.count}; fake Twilio latency {args.latency * 1000:.0f} ms")
            print(f"fill: {filled - started:.1f} s")
            print(f"one tick: {ticked - filled:.1f} s ({args.count / (ticked - filled):.0f} messages/s) -> {summary}")
            print(f"accepted messages recorded: {accepted}; peak memory {peak:.0f} MB")
    finally:
        fake.terminate()
        fake.wait()


if __name__ == "__main__":
    main()
