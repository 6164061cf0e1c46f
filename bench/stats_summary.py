"""Benchmark `flask stats summary` on SQLite and PostgreSQL (SPEC section 7).

Target: 1,000,000 episodes with 4,000,000 answered check-ins in under 15 s, under 2 GB peak memory,
on the 2-core machine with the database on it too. For each database URL this prints its size, the
floor (a plain `SELECT count(*) FROM check_in`), then wall time, CPU time and peak memory (the sum
of the resident sets of the process and its worker processes, sampled every 50 ms; the database
server's own memory is not counted) of `app.services.statistics.summaries.summary(as_of)` in a fresh
process, and of `flask --app wsgi stats summary --format json` with DATABASE_URL set (with the CPU
seconds of the command and its workers, which move less with other load), and checks
that both printed the same figures. The load average is printed too: other processes sharing the
cores slow every figure down.

Usage (from the repository root):

    # a throw-away PostgreSQL server: `start` prints its URL, `stop` removes it and its data
    mkdir -p /tmp/pgbench && chmod 755 /tmp/pgbench
    URL=$(scripts/pg-temp.sh start /tmp/pgbench/pg)

    # fill both databases with 1,000,000 synthetic episodes (a few minutes each) ...
    .venv/bin/python bench/generate_cohort.py sqlite:////tmp/cohort.db
    .venv/bin/python bench/generate_cohort.py "$URL"
    # ... and time them
    .venv/bin/python bench/stats_summary.py sqlite:////tmp/cohort.db "$URL"

    # or generate a smaller cohort and time it in one go
    .venv/bin/python bench/stats_summary.py --episodes 100000 sqlite:////tmp/small.db "$URL"

    scripts/pg-temp.sh stop /tmp/pgbench/pg; rm -f /tmp/cohort.db /tmp/small.db

Options: `--as-of` (default 2027-01-31, the generator's day, or today while that is to come),
`--workers N` (default: the
application's choice), `--repeat N` runs of each measurement (the best is reported),
`--no-cli` to skip the command, `--reference` to time the reference reader too (slow: for small
cohorts). Keep databases out of the repository: use /tmp.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


class PeakMemory:
    """Samples the summed resident set of a process and its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid))
            self._stop.wait(self.interval)

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def tree_rss_kb(root: int) -> int:
    """Resident set of a process and its descendants, in kB (0 once it has gone)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE_KB
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    todo += [int(child) for child in children.read().split()]
        except (OSError, ValueError):
            continue
    return total


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children and their reaped descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a command: (wall seconds, peak MB of its process tree, stdout)."""
    global last_cpu
    started, cpu = time.perf_counter(), children_cpu()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    memory = PeakMemory(process.pid)
    out, err = process.communicate()
    wall = time.perf_counter() - started
    peak = memory.stop()
    last_cpu = children_cpu() - cpu
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{err[-3000:]}")
    return wall, peak, out


#: CPU seconds of the last `timed` command and its worker processes (not the database server's): it moves
#: less than wall time with other work on the machine, for comparing changes.
last_cpu = 0.0


def measure(url: str, as_of: date, workers: int | None, reference: bool) -> None:
    """In a fresh process: time `statistics.summary` (or the reference reader) and print JSON."""
    from app import create_app
    from app.domain.statistics import SummaryBuilder
    from app.services import statistics
    from config import TestingConfig, database_url

    app = create_app(TestingConfig, overrides={"SQLALCHEMY_DATABASE_URI": database_url(url)})
    with app.app_context():
        wall, cpu = time.perf_counter(), time.process_time()
        if reference:
            builder = SummaryBuilder(as_of)
            for facts in statistics.episode_facts(as_of, []):
                builder.add(facts)
            result = builder.result()
        else:
            result = statistics.summary(as_of, workers=workers)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    children = os.times()
    print(
        json.dumps({"seconds": wall, "cpu": cpu + children.children_user + children.children_system, "result": result})
    )


def sizes(url: str) -> dict[str, Any]:
    """Episodes, check-ins and answered check-ins, and the seconds of a plain count(*) of check-ins."""
    from sqlalchemy import create_engine, text

    from config import database_url

    engine = create_engine(database_url(url))
    with engine.connect() as connection:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            check_ins = connection.execute(text("SELECT count(*) FROM check_in")).scalar_one()
            best = min(best, time.perf_counter() - started)
        episodes = connection.execute(text("SELECT count(*) FROM episode")).scalar_one()
        answered = connection.execute(text("SELECT count(*) FROM check_in WHERE change IS NOT NULL")).scalar_one()
    engine.dispose()
    return {"episodes": episodes, "check_ins": check_ins, "answered": answered, "count_seconds": best}


def bench(url: str, args: argparse.Namespace) -> None:
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    if args.episodes:
        wall, _, _ = timed([PYTHON, "bench/generate_cohort.py", url, "--episodes", str(args.episodes)])
        print(f"[{backend}] generated {args.episodes} episodes in {wall:.0f} s", flush=True)
    size = sizes(url)
    print(
        f"[{backend}] {size['episodes']} episodes, {size['check_ins']} check-ins, {size['answered']} answered;"
        f" floor: SELECT count(*) FROM check_in {size['count_seconds']:.3f} s",
        flush=True,
    )
    command = [PYTHON, __file__, "--measure", url, "--as-of", args.as_of.isoformat()]
    if args.workers:
        command += ["--workers", str(args.workers)]
    runs = [("summary()", command)]
    if args.reference:
        runs.append(("reference reader", [*command, "--reference"]))
    figures = None
    for name, run in runs:
        best: tuple[float, float, float] | None = None
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            wall, peak, out = timed(run)
            report = json.loads(out)
            figures = figures or report["result"]
            if report["result"] != figures:
                raise SystemExit(f"{name} gave different figures")
            print(
                f"[{backend}] {name}: {report['seconds']:.1f} s in the call ({wall:.1f} s with start-up),"
                f" {report['cpu']:.1f} s CPU, peak {peak:.0f} MB (load average before: {load:.2f})",
                flush=True,
            )
            best = min(best or (wall, peak, report["seconds"]), (wall, peak, report["seconds"]))
    if not args.no_cli:
        env = {**os.environ, "DATABASE_URL": url, "STILLWELL_ENV": "development"}
        cli = [
            str(Path(PYTHON).parent / "flask"),
            "--app",
            "wsgi",
            "stats",
            "summary",
            "--as-of",
            args.as_of.isoformat(),
            "--format",
            "json",
        ]
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            wall, peak, out = timed(cli, env)
            same = json.loads(out) == figures
            print(
                f"[{backend}] flask stats summary --format json: {wall:.1f} s, {last_cpu:.1f} s CPU,"
                f" peak {peak:.0f} MB (load average before: {load:.2f}); same figures as summary(): {same}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("urls", nargs="+", metavar="URL", help="sqlite:////tmp/x.db or postgresql://...")
    parser.add_argument("--episodes", type=int, help="first fill each database with this many episodes")
    # The generator's day, unless it is still to come: `stats summary` refuses an as-of date after today.
    parser.add_argument("--as-of", type=date.fromisoformat, default=min(date(2027, 1, 31), date.today()))
    parser.add_argument("--workers", type=int)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument("--reference", action="store_true")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.urls[0], args.as_of, args.workers, args.reference)
        return
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}", flush=True)
    for url in args.urls:
        bench(url, args)


if __name__ == "__main__":
    main()
