"""Benchmark `flask stats compare` (SPEC section 8.1): target 1,000,000 episodes over 150 services in under 30 s.

For each database URL this prints its size, then, in a fresh process, the wall time, CPU time and peak memory
(the process and its worker processes) of `statistics.compare(as_of)` with its two phases timed: the
case-mix tally (the statistics readers), then the logistic regression with the limits and positions; then the
same for `flask --app wsgi stats compare --format json`, checking that both gave the same figures.

Usage (from the repository root):

    # fill a database with 1,000,000 synthetic episodes over 150 services (a few minutes) and time it
    .venv/bin/python bench/stats_compare.py --episodes 1000000 --services 150 sqlite:////tmp/compare.db

    # or time a database filled before (bench/generate_cohort.py URL --services 150)
    .venv/bin/python bench/stats_compare.py sqlite:////tmp/compare.db "$URL"

Options: `--as-of` (default 2027-01-31, the generator's day, or today while that is to come), `--repeat N`,
`--no-cli`. Keep databases out of the repository: use /tmp. A PostgreSQL server for it: see
bench/stats_summary.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from stats_summary import PYTHON, sizes, timed  # noqa: E402  (the bench scripts' shared measuring)


def measure(url: str, as_of: date) -> None:
    """In a fresh process: time `statistics.compare` phase by phase and print JSON."""
    from app import create_app
    from app.services import statistics
    from config import TestingConfig, database_url

    app = create_app(TestingConfig, overrides={"SQLALCHEMY_DATABASE_URI": database_url(url)})
    with app.app_context():
        started, cpu = time.perf_counter(), time.process_time()
        cells = statistics.case_mix_tally(as_of)
        tallied = time.perf_counter()
        result = statistics.comparisons.comparison_from_cells(as_of, cells, _codes())
        done = time.perf_counter()
        cpu = time.process_time() - cpu
    children = os.times()
    print(
        json.dumps(
            {
                "seconds": done - started,
                "tally": tallied - started,
                "rest": done - tallied,
                "cells": len(cells),
                "episodes": result["case_mix"]["episodes"],
                "cpu": cpu + children.children_user + children.children_system,
                "result": result,
            }
        )
    )


def _codes() -> list[str]:
    from app.services.organisation import directory

    return [service.code for service in directory.list_services()]


def bench(url: str, args: argparse.Namespace) -> None:
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    if args.episodes:
        command = [PYTHON, "bench/generate_cohort.py", url, "--episodes", str(args.episodes)]
        wall, _, _ = timed([*command, "--services", str(args.services)])
        print(f"[{backend}] generated {args.episodes} episodes over {args.services} services in {wall:.0f} s")
    size = sizes(url)
    print(f"[{backend}] {size['episodes']} episodes, {size['check_ins']} check-ins, {size['answered']} answered")
    figures = None
    for _ in range(args.repeat):
        load = os.getloadavg()[0]
        wall, peak, out = timed([PYTHON, __file__, "--measure", url, "--as-of", args.as_of.isoformat()])
        report = json.loads(out)
        figures = figures or report["result"]
        print(
            f"[{backend}] compare(): {report['seconds']:.1f} s in the call ({wall:.1f} s with start-up):"
            f" tally {report['tally']:.1f} s ({report['cells']} cells), then the regression"
            f" ({report['episodes']} eligible episodes), limits and positions {report['rest']:.1f} s;"
            f" {report['cpu']:.1f} s CPU, peak {peak:.0f} MB"
            f" (load average before: {load:.2f}); {len(report['result']['services'])} services",
            flush=True,
        )
    if not args.no_cli:
        env = {**os.environ, "DATABASE_URL": url, "STILLWELL_ENV": "development"}
        cli = [str(Path(PYTHON).parent / "flask"), "--app", "wsgi", "stats", "compare"]
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            wall, peak, out = timed([*cli, "--as-of", args.as_of.isoformat(), "--format", "json"], env)
            same = json.loads(out) == figures
            print(
                f"[{backend}] flask stats compare --format json: {wall:.1f} s, peak {peak:.0f} MB"
                f" (load average before: {load:.2f}); same figures as compare(): {same}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("urls", nargs="+", metavar="URL", help="sqlite:////tmp/x.db or postgresql://...")
    parser.add_argument("--episodes", type=int, help="first fill each database with this many episodes")
    parser.add_argument("--services", type=int, default=150, help="services of the generated cohort (150)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=min(date(2027, 1, 31), date.today()))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.urls[0], args.as_of)
        return
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}", flush=True)
    for url in args.urls:
        bench(url, args)


if __name__ == "__main__":
    main()
