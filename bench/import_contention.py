"""Benchmark: the SMS webhook's latency while a large discharge list is imported, on SQLite (issue 14).

SQLite has one writer at a time: while an import holds the write lock, a webhook that must store its message
waits. The import validates and prepares the whole list (parsing, phones, encryption, the check-in plan)
before it takes the lock, so the write phase is short. This measures what a webhook sees:

1. a fresh SQLite file with the schema, one service and a 2,000-row list already imported;
2. `flask intake import` of a new synthetic list of --rows rows (default 100,000) in a child process;
3. meanwhile, in this process, a signed inbound SMS from an unknown number (which stores the message and
   answers once) every --interval seconds through the WSGI app, timing each until the import ends;
4. meanwhile, in a thread, a probe that tries to take the write lock (BEGIN IMMEDIATE, no waiting) every 5 ms
   on its own connection: the longest stretch it could not is the import's write phase;
5. prints the import's time, the write phase, and the webhook's p50/p95/max during the import, and how many
   took over 1 s or failed.

    .venv/bin/python bench/import_contention.py [--rows 100000] [--interval 0.05]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twilio.request_validator import RequestValidator

from app import create_app
from app.extensions import db
from app.services import demo, intake, organisation
from config import TestingConfig

ROOT = Path(__file__).resolve().parents[1]
AUTH_TOKEN = "bench-twilio-auth-token-0123456789"
BASE_URL = "http://127.0.0.1:5000"
SMS_PATH = "/webhooks/twilio/sms"


def probe_write_lock(path: str, stop: threading.Event, held: list[float]) -> None:
    """Append to `held` the length of each stretch during which the write lock could not be taken."""
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    since: float | None = None
    while not stop.is_set():
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            if since is not None:
                held.append(time.perf_counter() - since)
                since = None
        except sqlite3.OperationalError:  # database is locked
            since = since or time.perf_counter()
        time.sleep(0.005)
    if since is not None:
        held.append(time.perf_counter() - since)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the list imported meanwhile")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between webhook requests")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        settings = {
            "SQLALCHEMY_DATABASE_URI": url,
            "PUBLIC_BASE_URL": BASE_URL,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "RATELIMIT_ENABLED": False,
        }
        app = create_app(TestingConfig, overrides=settings)
        logging.getLogger("stillwell").setLevel(logging.WARNING)  # one line per webhook otherwise
        now = datetime.now(UTC)
        with app.app_context():
            db.create_all()
            organisation.create_area("BENCH", "Bench area", actor="bench", now=now)
            organisation.create_service(
                "BENCH", "Bench", "BENCH", organisation.ServiceSettings(short_name="Bench"), actor="bench", now=now
            )
            small = demo.synthetic_discharge_csv(random.Random(2), 2000, now.date(), "S")
            intake.import_discharge_list("BENCH", small, filename="s.csv", actor="bench", now=now, today=now.date())
        big = Path(tmp) / "big.csv"
        big.write_bytes(demo.synthetic_discharge_csv(random.Random(1), args.rows, now.date(), "B"))
        env = {**os.environ, "DATABASE_URL": url, "STILLWELL_ENV": "development"}
        validator = RequestValidator(AUTH_TOKEN)
        client = app.test_client()
        latencies: list[float] = []
        failures = 0
        held: list[float] = []
        stop = threading.Event()
        probe = threading.Thread(target=probe_write_lock, args=(f"{tmp}/bench.db", stop, held), daemon=True)
        probe.start()
        started = time.perf_counter()
        child = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "flask"),
                "--app",
                "wsgi",
                "intake",
                "import",
                str(big),
                "--service",
                "BENCH",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        while child.poll() is None:
            params = {
                "MessageSid": "SM" + uuid.uuid4().hex,
                "AccountSid": "AC" + "0" * 32,
                "From": f"+4479{random.randrange(10**8):08d}",
                "To": "+447700900000",
                "Body": "better",
                "NumMedia": "0",
            }
            signature = validator.compute_signature(BASE_URL + SMS_PATH, params)
            sent = time.perf_counter()
            response = client.post(SMS_PATH, data=params, headers={"X-Twilio-Signature": signature})
            latencies.append(time.perf_counter() - sent)
            failures += response.status_code != 200
            time.sleep(args.interval)
        import_seconds = time.perf_counter() - started
        stop.set()
        probe.join()
        out, err = child.communicate()
        print(f"import of {args.rows:,} rows: {import_seconds:.1f} s -> {out.strip() or err.strip()[-200:]}")
        print(
            f"write lock held by others: longest {max(held, default=0):.2f} s (the write phase), "
            f"{sum(held):.2f} s in all, {len(held)} stretches"
        )
        if not latencies:
            print("no webhook request was sent during the import")
            return
        ordered = sorted(latencies)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        slow = sum(1 for value in latencies if value > 1)
        print(
            f"webhooks during the import: {len(latencies)}, p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms, over 1 s: {slow}, failed: {failures}"
        )


if __name__ == "__main__":
    main()
