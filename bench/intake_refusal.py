"""Benchmark: how long a refused discharge list takes to answer (SPEC section 8.6: 200,000 bad rows under 10 s).

Builds a synthetic discharge list of N rows (default 200,000, about 20 MB), every row with one bad cell (a
date that does not exist, an email without a domain, a session count that is not a number or a score out
of range, in turn), and sends it the ways service staff do, on a fresh SQLite database (or --database-url):

- `POST /api/v1/submissions` with a bearer token (the whole request: reading, validating, recording the
  refusal in the history with its problem list, and the JSON answer);
- `POST /submit/upload` as a signed-in submitter (the page with the first 1,000 problems and the counts per
  column), then the download of the whole problem list as CSV.

    .venv/bin/python bench/intake_refusal.py [--rows 200000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import csv
import io
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
from app.services import demo, organisation
from app.services.access import api_tokens, users
from config import TestingConfig

TARGET_SECONDS = 10.0
PASSWORD = "a long bench password 1"
KEPT_COLUMNS = (
    "client_ref",
    "phone",
    "email",
    "consent_to_follow_up",
    "referral_date",
    "discharge_date",
    "treatment_sessions",
    "problem_descriptor",
    "phq9_first",
    "gad7_first",
)
BAD_CELLS = (
    ("discharge_date", "31/02/2026"),
    ("email", "nobody@"),
    ("treatment_sessions", "six"),
    ("phq9_first", "40"),
)


def bad_list(rows: int, today: datetime) -> bytes:
    """A discharge list of `rows` rows, each with exactly one bad cell."""
    good = demo.synthetic_discharge_csv(random.Random(1), rows, today.date(), "R").decode()
    reader = csv.reader(io.StringIO(good))
    header = next(reader)
    kept = [index for index, name in enumerate(header) if name in KEPT_COLUMNS]  # under the web's 20 MB
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header[index] for index in kept])
    for number, record in enumerate(reader):
        column, value = BAD_CELLS[number % len(BAD_CELLS)]
        record[header.index(column)] = value
        writer.writerow([record[index] for index in kept])
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000, help="bad rows in the list (default 200,000)")
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        app = create_app(TestingConfig, overrides={"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
        now = datetime.now(UTC)
        with app.app_context():
            db.drop_all()
            db.create_all()
            organisation.create_area("BENCH", "Bench area", actor="bench", now=now)
            organisation.create_service(
                "BENCH",
                "Bench service",
                "BENCH",
                organisation.ServiceSettings(short_name="Bench"),
                actor="bench",
                now=now,
            )
            user = users.create_user(
                "staff@example.org",
                "service_submitter",
                PASSWORD,
                service_code="BENCH",
                area_code=None,
                actor="bench",
                now=now,
            )
            secret = api_tokens.create_token(user.email, "bench", actor="bench", now=now).secret
        data = bad_list(args.rows, now)
        print(f"database: {url.split(':', 1)[0]}; bad rows: {args.rows:,} ({len(data) / 1e6:.1f} MB CSV)")
        client = app.test_client()
        started = time.perf_counter()
        response = client.post(
            "/api/v1/submissions",
            data=data,
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "text/csv"},
        )
        api_seconds = time.perf_counter() - started
        body = response.get_json()
        shown = len(body.get("errors", []))
        print(
            f"API refusal: {api_seconds:.1f} s -> {response.status_code}, "
            f"{body.get('problems', shown):,} problems, {shown:,} listed, by column {body.get('by_column')}"
        )
        page_seconds = download_seconds = float("nan")
        signed_in = client.post("/login", data={"email": "staff@example.org", "password": PASSWORD})
        assert signed_in.status_code == 302, f"sign-in failed: {signed_in.status_code}"
        started = time.perf_counter()
        page = client.post(
            "/submit/upload",
            data={"discharge_list": (io.BytesIO(data), "bad.csv")},
            content_type="multipart/form-data",
        )
        page_seconds = time.perf_counter() - started
        print(f"web refusal: {page_seconds:.1f} s -> {page.status_code}, page {len(page.data) / 1e6:.2f} MB")
        marker = b'href="/submit/submissions/'
        if marker in page.data:
            start = page.data.index(marker) + len(b'href="')
            link = page.data[start : page.data.index(b'"', start)].decode()
            started = time.perf_counter()
            download = client.get(link)
            download_seconds = time.perf_counter() - started
            print(
                f"problem list download: {download_seconds:.1f} s -> {download.status_code}, "
                f"{len(download.data) / 1e6:.1f} MB"
            )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        worst = max(api_seconds, page_seconds if page_seconds == page_seconds else 0.0)
        verdict = "MEETS" if worst < TARGET_SECONDS else "MISSES"
        print(
            f"peak memory: {peak_mb:.0f} MB; slowest answer {worst:.1f} s: {verdict} "
            f"(target under {TARGET_SECONDS:.0f} s)"
        )


if __name__ == "__main__":
    main()
