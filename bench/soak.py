"""Soak: inbound SMS at a constant rate for ten minutes with dispatch sending beside it, on PostgreSQL.

Target (issue 7): ten minutes at 200 inbound requests/s with dispatch running beside it: no errors, no lost
or duplicated message, memory flat.

    .venv/bin/python bench/soak.py                                  # 600 s at 200/s, own temporary PostgreSQL
    .venv/bin/python bench/soak.py --duration 60                    # a one-minute try
    .venv/bin/python bench/soak.py --database-url postgresql://postgres@127.0.0.1:PORT/NAME   # WIPED

What runs, each in its own process, all on this machine:
1. PostgreSQL (given, or a temporary server from scripts/pg-temp.sh); the schema by `flask db upgrade`;
2. an inbound cohort (bench/webhook_load.py's: N clients with an OPEN check-in each) and a dispatch cohort:
   `--dispatch-rate` x duration clients of a service open all day, each with one check-in falling due at an
   even pace across the run (so dispatch has a steady trickle of work, as in production, not one backlog);
3. the fake Twilio (`python -m tests.fakes.fake_twilio`, `--twilio-latency` per call);
4. gunicorn with the production settings file (`-c gunicorn.conf.py`), `--workers` workers;
5. a dispatch process calling `services.dispatch.tick(now)` (what the scheduler's job calls) every
   `--tick-interval` seconds on the real clock, against the fake Twilio;
6. the open-loop load generator of bench/webhook_load.py: pre-signed Twilio posts (unique MessageSid each)
   sent at a constant rate, latency measured from each request's scheduled instant.
Every 10 s it samples the resident memory (RSS) of each gunicorn worker and of the dispatcher; the baseline is
the sample 30 s into the load, so imports and warm caches are not counted as growth.

It reports requests, errors (non-2xx and failed requests), p50/p95/p99 latency, RSS baseline/last/max per
process, check-ins claimed vs first messages (duplicates: check-ins with more than one first message, numbers
the fake Twilio texted more than once; lost: check-ins due before the last tick and not sent), and inbound
messages stored vs distinct MessageSids answered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.webhook_load import (  # noqa: E402  (after the path is set)
    bench_env,
    build_requests,
    fill_cohort,
    fire,
    free_port,
    load_average,
    percentile,
    reset_schema,
    stop_gunicorn,
    warm_up_workers,
)

VENV_BIN = ROOT / ".venv" / "bin"
DISPATCH_PREFIX = "+4473"  # the dispatch cohort's numbers; the inbound cohort uses +4474 (webhook_load)

FILL_DISPATCH = r"""
import sys
from datetime import datetime, timedelta
from sqlalchemy import insert
from app import create_app
from app.extensions import db
from app.models import CheckIn, CheckInStatus
from app.services import organisation
from bench.cohort import add_clients, batches

count, first_due, spacing = int(sys.argv[1]), datetime.fromisoformat(sys.argv[2]), float(sys.argv[3])
now = first_due
app = create_app()
with app.app_context():
    organisation.create_area("SOAK", "Soak", actor="bench", now=now)
    service = organisation.create_service("SOAK", "Soak", "SOAK", organisation.ServiceSettings(
        short_name="Soak", plan="4", timezone="UTC", send_window="00:00-23:59", send_days="mon-sun",
        safeguarding_email="safeguarding@example.org"), actor="bench", now=now)
    discharge = (now - timedelta(weeks=4)).date()
    for numbers in batches(count):
        episodes = add_clients(service.id, numbers, ref_prefix="D", phone_prefix="+4473",
                               referral=discharge - timedelta(days=120), discharge=discharge, plan="4", now=now,
                               descriptor="F32.1")
        db.session.execute(insert(CheckIn.__table__), [
            {"episode_id": e, "client_id": c, "offset_weeks": 4, "due_at": first_due + timedelta(seconds=spacing * n),
             "status": CheckInStatus.SCHEDULED.value, "send_attempts": 0} for e, c, n in episodes])
        db.session.commit()
"""

DISPATCHER = r"""
import json, signal, sys, time
from datetime import UTC, datetime
from app import create_app
from app.extensions import db
from app.services import dispatch

interval = float(sys.argv[1])
app = create_app()
stopping = False
def stop(signum, frame):
    global stopping
    stopping = True
signal.signal(signal.SIGTERM, stop)
totals = {}
last = None
while not stopping:
    started = time.monotonic()
    now = datetime.now(UTC)
    with app.app_context():
        try:
            summary = dispatch.tick(now)
        finally:
            db.session.remove()
    last = now
    for key, value in summary.items():
        totals[key] = totals.get(key, 0) + value
    print(json.dumps({"tick": now.isoformat(), **summary}), flush=True)
    time.sleep(max(0.0, interval - (time.monotonic() - started)))
print(json.dumps({"totals": totals, "last_tick": last.isoformat() if last else None}), flush=True)
"""


@dataclass
class MemorySamples:
    """RSS in MB per labelled process, sampled every `every` seconds in a thread."""

    every: float = 10.0
    samples: dict[str, list[float]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self, gunicorn_master: int, dispatcher: int) -> threading.Thread:
        thread = threading.Thread(target=self._run, args=(gunicorn_master, dispatcher), daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def _run(self, master: int, dispatcher: int) -> None:
        while True:
            for label, pid in [*((f"web worker {pid}", pid) for pid in children(master)), ("dispatcher", dispatcher)]:
                rss = rss_mb(pid)
                if rss is not None:
                    self.samples.setdefault(label, []).append(rss)
            if self._stop.wait(self.every):
                return


def children(pid: int) -> list[int]:
    """Child process ids of `pid` (gunicorn's workers), from /proc."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def start_fake_twilio(port: int, latency: float, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(VENV_BIN / "python"), "-m", "tests.fakes.fake_twilio", "--port", str(port), "--latency", str(latency)],
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for(lambda: log.read_text().startswith("fake Twilio"), "the fake Twilio", process)
    return process


def wait_for(ready: object, what: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if ready():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {seconds:g} s")


def healthy(port: int) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
        return bool(response.status == 200)


def fake_twilio_recipients(api_base: str, account: str, token: str) -> Counter[str]:
    """How many messages the fake Twilio accepted for each number (its Messages list, paged)."""
    import base64

    auth = "Basic " + base64.b64encode(f"{account}:{token}".encode()).decode()
    recipients: Counter[str] = Counter()
    uri: str | None = f"/2010-04-01/Accounts/{account}/Messages.json?PageSize=1000"
    while uri:
        request = urllib.request.Request(api_base + uri, headers={"Authorization": auth})
        with urllib.request.urlopen(request, timeout=60) as response:
            page = json.load(response)
        recipients.update(message["to"] for message in page["messages"])
        uri = page["next_page_uri"]
    return recipients


def dispatch_figures(database_url: str, last_tick: datetime) -> dict[str, int]:
    """Claimed, sent, duplicated and lost check-ins of the dispatch cohort, from the database."""
    import psycopg

    with psycopg.connect(database_url) as connection:

        def one(sql: str, *params: object) -> int:
            return int(connection.execute(sql, params).fetchone()[0])  # type: ignore[index]

        soak_check_ins = (
            "SELECT ci.id FROM check_in ci JOIN episode e ON e.id = ci.episode_id"
            " JOIN service s ON s.id = e.service_id WHERE s.code = 'SOAK'"
        )
        return {
            "due_by_last_tick": one(
                f"SELECT count(*) FROM check_in WHERE id IN ({soak_check_ins}) AND due_at <= %s", last_tick
            ),
            "claimed": one(f"SELECT count(*) FROM check_in WHERE id IN ({soak_check_ins}) AND status <> 'scheduled'"),
            "first_messages": one(
                f"SELECT count(*) FROM outbound_message WHERE purpose = 'first' AND check_in_id IN ({soak_check_ins})"
            ),
            "check_ins_with_two_firsts": one(
                "SELECT count(*) FROM (SELECT check_in_id FROM outbound_message WHERE purpose = 'first'"
                " GROUP BY check_in_id HAVING count(*) > 1) AS twice"
            ),
            "due_not_sent": one(
                f"SELECT count(*) FROM check_in WHERE id IN ({soak_check_ins}) AND due_at <= %s"
                " AND (status IN ('scheduled', 'sending') OR first_sent_at IS NULL)",
                last_tick - timedelta(seconds=5),
            ),
            "messages_left_sending": one("SELECT count(*) FROM outbound_message WHERE status = 'sending'"),
        }


def inbound_stored(database_url: str, sids: list[str]) -> int:
    import psycopg

    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT count(*) FROM inbound_message WHERE provider_id = ANY(%s)", (sids,)).fetchone()
    return int(row[0]) if row else 0


def run(args: argparse.Namespace, database_url: str, tmp: Path) -> dict[str, object]:
    web_port, twilio_port = free_port(), free_port()
    env = bench_env(database_url, web_port)
    api_base = f"http://127.0.0.1:{twilio_port}"
    account, token = "AC" + "f" * 32, "fake-twilio-auth-token"
    reset_schema(env)
    fill_cohort(env, args.clients)
    dispatch_count = int(args.dispatch_rate * args.duration)
    first_due = datetime.now(UTC) + timedelta(seconds=args.warmup + 20)
    subprocess.run(
        [sys.executable, "-c", FILL_DISPATCH, str(dispatch_count), first_due.isoformat(), str(1 / args.dispatch_rate)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    warm, measured = int(args.rate * args.warmup), int(args.rate * args.duration)
    bodies, signatures, kinds = build_requests(warm + measured, args.clients, f"http://127.0.0.1:{web_port}", args.seed)
    sids = [body.decode().split("MessageSid=", 1)[1].split("&", 1)[0] for body in bodies]
    print(
        f"cohorts: {args.clients} inbound clients, {dispatch_count} check-ins falling due over the run; {dict(kinds)}"
    )

    fake = start_fake_twilio(twilio_port, args.twilio_latency, tmp / "fake-twilio.log")
    web_env = {**env, "WEB_CONCURRENCY": str(args.workers)}
    web_env |= {"GUNICORN_WORKER_CLASS": args.worker_class, "GUNICORN_THREADS": str(args.threads)}
    web_log = tmp / "gunicorn.log"
    web = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{web_port}", "--backlog", "2048"],
        cwd=ROOT,
        env=web_env,
        stdout=web_log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    dispatch_env = {**env, "SMS_TRANSPORT": "twilio", "TWILIO_ACCOUNT_SID": account, "TWILIO_AUTH_TOKEN": token}
    dispatch_env |= {"TWILIO_FROM_NUMBER": "+447700900000", "TWILIO_API_BASE": api_base}
    dispatch_env |= {"SEND_RATE_PER_SECOND": str(max(10.0, args.dispatch_rate * 4))}
    dispatcher: subprocess.Popen[str] | None = None
    memory = MemorySamples()
    try:
        wait_for(lambda: healthy(web_port), "gunicorn", web)
        warm_up_workers(f"http://127.0.0.1:{web_port}", args.workers)
        dispatcher = subprocess.Popen(
            [str(VENV_BIN / "python"), "-c", DISPATCHER, str(args.tick_interval)],
            cwd=ROOT,
            env=dispatch_env,
            stdout=subprocess.PIPE,
            stderr=(tmp / "dispatcher.log").open("wb"),
            text=True,
            start_new_session=True,
        )
        memory.start(web.pid, dispatcher.pid)
        load_before = load_average()
        print(
            f"gunicorn -w {args.workers} -k {args.worker_class} on {web_port};"
            f" dispatcher every {args.tick_interval:g} s;"
            f" {args.rate:g} requests/s for {args.duration:g} s (+{args.warmup:g} s warm-up); load {load_before}"
        )
        results = asyncio.run(
            fire(f"http://127.0.0.1:{web_port}", bodies, signatures, args.rate, args.timeout, args.max_connections)
        )
        # Let the last check-ins of the run fall due and be sent; stop the web (it finishes what it holds),
        # then give the dispatcher one more tick for alert emails queued by the last requests.
        time.sleep(args.tick_interval * 2 + 5)
        load_after = load_average()
    finally:
        memory.stop()
        stop_gunicorn(web)
        if dispatcher is not None and dispatcher.poll() is None:
            time.sleep(args.tick_interval + 2)
            dispatcher.send_signal(signal.SIGTERM)
        output = dispatcher.communicate(timeout=300)[0] if dispatcher is not None else ""
    final = json.loads(output.strip().splitlines()[-1]) if output.strip() else {"totals": {}, "last_tick": None}
    ticks = sum(1 for line in output.splitlines() if line.startswith('{"tick"'))
    recipients = fake_twilio_recipients(api_base, account, token)
    fake.send_signal(signal.SIGINT)
    fake.wait(timeout=20)
    last_tick = datetime.fromisoformat(final["last_tick"]) if final["last_tick"] else datetime.now(UTC)
    figures = dispatch_figures(env["DATABASE_URL"], last_tick)
    answered_sids = [sid for sid, status in zip(sids, results.latency, strict=True) if status is not None]
    stored = inbound_stored(env["DATABASE_URL"], sids)

    measured_slice = slice(warm, None)
    latency = sorted(x * 1000 if x is not None else float("inf") for x in results.latency[measured_slice])
    non_2xx = sum(count for status, count in results.status.items() if not 200 <= status < 300)
    failed = sum(results.errors.values())
    texted_twice = sum(1 for number, count in recipients.items() if number.startswith(DISPATCH_PREFIX) and count > 1)
    texted = sum(1 for number in recipients if number.startswith(DISPATCH_PREFIX))
    report: dict[str, object] = {
        "duration_s": args.duration,
        "rate": args.rate,
        "requests": len(results.lag),
        "achieved_rate": len(results.lag) / results.wall if results.wall else None,
        "non_2xx": non_2xx,
        "failed_requests": failed,
        "statuses": dict(results.status),
        "p50_ms": percentile(latency, 50),
        "p95_ms": percentile(latency, 95),
        "p99_ms": percentile(latency, 99),
        "max_ms": latency[-1] if latency else None,
        # The baseline is the sample taken 30 s into the load (imports done, pools and caches warm).
        "rss_mb": {
            label: {
                "baseline": values[min(3, len(values) - 1)],
                "last": values[-1],
                "max": max(values),
                "samples": len(values),
            }
            for label, values in memory.samples.items()
        },
        "errors": dict(results.errors),
        "dispatch_ticks": ticks,
        "dispatch_totals": final["totals"],
        **figures,
        "dispatch_numbers_texted": texted,
        "dispatch_numbers_texted_twice": texted_twice,
        "inbound_distinct_sids_sent": len(set(sids)),
        "inbound_answered_200": len(answered_sids),
        "inbound_stored": stored,
        "load_before": load_before,
        "load_after": load_after,
    }
    errors_in_log = [line for line in web_log.read_text(errors="replace").splitlines() if "Traceback" in line]
    report["web_log_tracebacks"] = len(errors_in_log)
    print_report(report)
    return report


def print_report(report: dict[str, object]) -> None:
    print("\n== soak")
    print(
        f"requests {report['requests']} at {report['achieved_rate']:.1f}/s (asked {report['rate']:g}/s); "
        f"non-2xx {report['non_2xx']} {report['statuses']}; failed requests {report['failed_requests']} "
        f"{report['errors']}; "
        f"tracebacks in the web log {report['web_log_tracebacks']}"
    )
    print(
        f"latency from the scheduled instant (ms): p50 {report['p50_ms']:.1f}  p95 {report['p95_ms']:.1f}  "
        f"p99 {report['p99_ms']:.1f}  max {report['max_ms']:.1f}"
    )
    print("resident memory (MB), baseline (30 s in) / last / max sample:")
    rss = report["rss_mb"]
    assert isinstance(rss, dict)
    for label, values in rss.items():
        growth = values["last"] - values["baseline"]
        print(
            f"  {label}: {values['baseline']:.1f} / {values['last']:.1f} / {values['max']:.1f}"
            f" ({growth:+.1f} MB over {values['samples']} samples)"
        )
    print(
        f"dispatch: {report['dispatch_ticks']} ticks {report['dispatch_totals']}; check-ins due by the last tick "
        f"{report['due_by_last_tick']}, claimed {report['claimed']}, first messages {report['first_messages']}; "
        f"numbers texted {report['dispatch_numbers_texted']}; duplicates: check-ins with two first messages "
        f"{report['check_ins_with_two_firsts']}, numbers texted twice {report['dispatch_numbers_texted_twice']}; "
        f"lost (due, not sent) {report['due_not_sent']}; messages left in sending {report['messages_left_sending']}"
    )
    print(
        f"inbound: {report['inbound_distinct_sids_sent']} distinct MessageSids sent, {report['inbound_answered_200']} "
        f"answered 200, {report['inbound_stored']} stored"
    )
    print(f"load average before / after: {report['load_before']} / {report['load_after']}")
    clean = (
        report["non_2xx"] == 0
        and report["failed_requests"] == 0
        and report["check_ins_with_two_firsts"] == 0
        and report["dispatch_numbers_texted_twice"] == 0
        and report["due_not_sent"] == 0
        and report["first_messages"] == report["claimed"]
        and report["inbound_stored"] == report["inbound_distinct_sids_sent"]
        and report["messages_left_sending"] == 0
    )
    print(f"no errors, no lost or duplicated message: {'YES' if clean else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (WIPED); default: a temporary server")
    parser.add_argument("--duration", type=float, default=600, help="measured seconds of load")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load first, not measured")
    parser.add_argument("--rate", type=float, default=200, help="inbound requests per second")
    parser.add_argument("--clients", type=int, default=5000, help="inbound cohort (clients with an open check-in)")
    parser.add_argument("--dispatch-rate", type=float, default=5, help="check-ins falling due per second")
    parser.add_argument("--tick-interval", type=float, default=10, help="seconds between dispatch ticks")
    parser.add_argument("--twilio-latency", type=float, default=0.05, help="fake Twilio seconds per call")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--timeout", type=float, default=10, help="per-request timeout, s")
    parser.add_argument("--max-connections", type=int, default=512)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    if args.rate * (args.duration + args.warmup) > 200_000:
        parser.error("rate x (duration + warm-up) must be at most 200,000 requests")
    print(f"load average at start: {load_average()} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp_name:
        tmp = Path(tmp_name)
        pg_dir = None
        database_url = args.database_url
        if not database_url:
            pg_dir = Path(tempfile.mkdtemp(prefix="soak-pg-"))
            started = subprocess.run(
                [str(ROOT / "scripts" / "pg-temp.sh"), "start", str(pg_dir)], check=True, capture_output=True, text=True
            )
            database_url = started.stdout.strip().splitlines()[-1]
            print(f"temporary PostgreSQL: {database_url}")
        try:
            report = run(args, database_url, tmp)
        finally:
            if pg_dir is not None:
                subprocess.run([str(ROOT / "scripts" / "pg-temp.sh"), "stop", str(pg_dir)], check=False)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
