"""Benchmark: import a synthetic discharge list of N rows (default 100,000) into a fresh SQLite database.

Target (issue: foundation): 100,000 rows in under a minute on SQLite. Run with `make bench` or
`.venv/bin/python bench/intake_import.py --rows 100000 [--database-url URL]`.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app
from app.extensions import db
from app.services import demo, intake, organisation
from config import TestingConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        app = create_app(TestingConfig, overrides={"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            db.drop_all()
            db.create_all()
            now = datetime.now(UTC)
            organisation.create_area("BENCH", "Bench area", actor="bench", now=now)
            organisation.create_service(
                "BENCH",
                "Bench service",
                "BENCH",
                organisation.ServiceSettings(short_name="Bench"),
                actor="bench",
                now=now,
            )
            started = time.perf_counter()
            data = demo.synthetic_discharge_csv(random.Random(1), args.rows, now.date(), "B")
            generated = time.perf_counter()
            result = intake.import_discharge_list(
                "BENCH", data, filename="bench.csv", actor="bench", now=now, today=now.date()
            )
            imported = time.perf_counter()
            again = intake.import_discharge_list(
                "BENCH", data, filename="bench.csv", actor="bench", now=now, today=now.date()
            )
            reimported = time.perf_counter()
            backend = db.engine.url.get_backend_name()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"database: {backend}; rows: {args.rows} ({len(data) / 1e6:.1f} MB CSV)")
        print(f"generate csv: {generated - started:.1f} s")
        print(f"first import: {imported - generated:.1f} s -> {result.summary()}")
        print(f"same file again: {reimported - imported:.1f} s -> {again.summary()}")
        print(f"peak memory: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
