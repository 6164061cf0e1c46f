"""Benchmark: why gunicorn.conf.py sets the interpreter's switch interval to 1 ms (issue 16, SPEC 8.5).

A webhook thread gives up the interpreter lock at every database round trip and must get it back from
whatever else runs in its worker: beside a dashboard view computing in another thread, each wait can
last the whole switch interval (Python's default 5 ms). This measures a dozen round trips (about a reply's)
beside one busy pure-Python thread, at each interval asked for, in one process.

    .venv/bin/python bench/switch_interval.py sqlite:////tmp/x.db
    .venv/bin/python bench/switch_interval.py postgresql://postgres@127.0.0.1:PORT/stillwell_test

Prints p50/p95/max of the dozen round trips at each interval, alternating the intervals (`--rounds`) so
that other work on the machine falls on both alike. Reads nothing and writes nothing (`SELECT 1`).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import threading
import time
from collections.abc import Callable


def _connect(url: str) -> tuple[Callable[[], object], Callable[[], None]]:
    """A `SELECT 1` round trip on the database at `url`, and how to close it."""
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), check_same_thread=False)
        return (lambda: conn.execute("SELECT 1").fetchone()), conn.close
    import psycopg

    pg = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    return (lambda: pg.execute("SELECT 1").fetchone()), pg.close


def _busy(stop: threading.Event) -> None:
    total = 0
    while not stop.is_set():
        for i in range(10_000):
            total += i * i


def measure(url: str, interval: float, requests: int, trips: int) -> list[float]:
    """Milliseconds for `trips` round trips, `requests` times, beside one busy thread."""
    round_trip, close = _connect(url)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    stop = threading.Event()
    worker = threading.Thread(target=_busy, args=(stop,), daemon=True)
    worker.start()
    took = []
    try:
        for _ in range(requests):
            start = time.perf_counter()
            for _ in range(trips):
                round_trip()
            took.append((time.perf_counter() - start) * 1000)
            time.sleep(0.01)
    finally:
        stop.set()
        worker.join()
        sys.setswitchinterval(previous)
        close()
    return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="sqlite:////path.db or postgresql://... (only SELECT 1 is run)")
    parser.add_argument("--intervals", default="0.005,0.001", help="switch intervals in seconds, comma-separated")
    parser.add_argument("--requests", type=int, default=100, help="requests per interval and round")
    parser.add_argument("--trips", type=int, default=12, help="database round trips per request")
    parser.add_argument("--rounds", type=int, default=2, help="times each interval is measured, alternating")
    args = parser.parse_args(argv)
    intervals = [float(x) for x in args.intervals.split(",")]
    results: dict[float, list[float]] = {i: [] for i in intervals}
    for _ in range(args.rounds):
        for interval in intervals:
            results[interval] += measure(args.url, interval, args.requests, args.trips)
    for interval, took in results.items():
        took.sort()
        p95 = took[min(len(took) - 1, int(0.95 * len(took)))]
        print(
            f"switch interval {interval * 1000:g} ms: {args.trips} round trips beside a busy thread, "
            f"n {len(took)}  p50 {statistics.median(took):6.1f} ms  p95 {p95:6.1f} ms  max {took[-1]:6.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
