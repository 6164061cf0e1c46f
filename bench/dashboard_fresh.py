"""Benchmark: the dashboard at national scale while replies arrive (SPEC 8.5, issue 16).

Targets: with 1,000,000 episodes, dashboard views (any filter) answer in under 1 s at p95 on SQLite and on
PostgreSQL while signed replies arrive at one a second through the real webhook; the lag from a reply to
the figures that include it under 60 s; the webhook's p95 unchanged by the views; `flask stats summary`
within 2x of the bare column scan of the check-ins; each web worker under 300 MB with the cohort loaded.

    .venv/bin/python bench/dashboard_fresh.py sqlite:////tmp/fresh.db                    # 1,000,000 episodes
    .venv/bin/python bench/dashboard_fresh.py --episodes 20000 sqlite:////tmp/small.db "$PG_URL"  # quick
    .venv/bin/python bench/dashboard_fresh.py --reuse sqlite:////tmp/fresh.db            # cohort already there

For each database URL (its contents are replaced unless --reuse):
1. generates the cohort with `bench/generate_cohort.py` (`--episodes`, its day today in London, so that the
   open check-ins were sent before now) unless `--reuse`;
2. gives UK-mobile numbers (fixed bench keys, so a reused database keeps working) to the clients of
   `--baseline + --seconds` open check-ins that were sent before now and whose episode has no answer
   yet, so that each reply adds exactly one to the sum of `change_distribution`; creates an evaluator (a
   new address each run) and an API token for it;
3. times `flask stats facts rebuild` (wall time, peak memory of the process tree), then the bare column scan
   of the check-ins (the floor) and `flask stats summary --format json` reading the facts: their ratio;
4. starts gunicorn with the production settings file (`-w --workers -k --worker-class`, as
   `webhook_load.py` does) and the scheduler (`python -m scheduler`'s own main with only the
   outcome-facts job, every 10 s, unless `--all-jobs`: the monthly reports' catch-up at start would
   otherwise fill the cores for minutes), and signs the evaluator in through /login and the TOTP enrolment
   page, as a person would;
5. sends one signed Twilio SMS post a second ("1".."5", each from a different sender, the answer to its
   open check-in): first `--baseline` seconds alone (the webhook's own p50/p95), then `--seconds` while
   `--viewers` threads ask for the dashboard (GET /evaluate) with random filters (none, problem group,
   service, area, discharge period and combinations; `--charts` also fetches every chart image of the
   page, as a browser does) and one thread polls GET /api/v1/stats/summary: p50/p95/max per filter kind,
   and the lag from each reply's response to the first poll whose figures include it;
6. stops both, checks that the facts (after the last fold) give the same figures as a full summary
   (`--no-check` skips it: about 10 s at 1,000,000), and prints the RSS of each gunicorn worker.

The load average is printed beside the figures: other work on the two cores moves them.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import http.cookiejar
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import webhook_load  # noqa: E402
from stats_summary import timed  # noqa: E402
from webhook_load import AUTH_TOKEN, SMS_PATH, free_port, load_average, percentile  # noqa: E402

BIN = Path(sys.executable).parent
webhook_load.VENV_BIN = BIN  # gunicorn and flask next to this interpreter (a worktree has no .venv of its own)
#: Fixed, so that the numbers written into a database still decrypt when it is reused (synthetic data only).
FIELD_KEY = base64.urlsafe_b64encode(b"bench-dashboard-fresh-field-key!").decode()
PASSWORD = "bench evaluator password, not for production"
FLOOR_QUERY = (
    "SELECT count(*), count(change), max(duration_start), max(usual_self_at), max(first_sent_at), "
    "max(closed_at), max(due_at) FROM check_in"
)
GROUPS = ("depression", "anxiety", "other")

SETUP_SCRIPT = r"""
import json, sys
from datetime import datetime, timedelta, UTC
from sqlalchemy import select, update, exists, and_
from sqlalchemy.orm import aliased
from app import create_app
from app.extensions import db
from app.models import CheckIn, Client, Role, Service, Area
from app.security.fields import field_security
from app.services.access import api_tokens, users

count, email, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
now = datetime.now(UTC)
app = create_app()
with app.app_context():
    answered = aliased(CheckIn)
    rows = db.session.execute(
        select(CheckIn.client_id)
        .join(Client, Client.id == CheckIn.client_id)
        .where(
            CheckIn.status == "open",
            CheckIn.change.is_(None),
            CheckIn.first_sent_at <= now - timedelta(minutes=5),
            Client.phone_hash.is_(None),
            ~exists().where(and_(answered.episode_id == CheckIn.episode_id, answered.change.is_not(None))),
        )
        .order_by(CheckIn.id)
        .limit(count)
    ).scalars().all()
    security = field_security()
    numbers = []
    for client_id in rows:
        phone = f"+4474{client_id:08d}"
        db.session.execute(update(Client).where(Client.id == client_id).values(
            phone_enc=security.encrypt(phone), phone_hash=security.contact_hash(phone), phone_is_uk_mobile=True,
            preferred_channel="sms"))
        numbers.append(phone)
    db.session.commit()
    users.create_user(email, Role.EVALUATOR.value, password, service_code=None, area_code=None, actor="bench", now=now)
    token = api_tokens.create_token(email, "dashboard bench", actor="bench", now=now, days=1).secret
    services = list(db.session.scalars(select(Service.code).order_by(Service.code)))
    areas = list(db.session.scalars(select(Area.code).order_by(Area.code)))
print(json.dumps({"numbers": numbers, "token": token, "services": services, "areas": areas}))
"""

IN_CALL_SCRIPT = r"""
import json, sys, time
from datetime import date
from app import create_app
from app.services.statistics import facts

as_of = date.fromisoformat(sys.argv[1])
app = create_app()
with app.app_context():
    facts.live_summary_and_curve(as_of)  # first use: imports and compiled statements
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        facts.summary(as_of)
        best = min(best, time.perf_counter() - started)
print(json.dumps({"seconds": best}))
"""

CHECK_SCRIPT = r"""
import json, sys
from datetime import date
from app import create_app
from app.extensions import db
from app.services.statistics import facts, summaries

as_of = date.fromisoformat(sys.argv[1])
app = create_app()
with app.app_context():
    done = facts.fold_all()
    live = facts.live_summary_and_curve(as_of)
    full = summaries.summary_and_curve(as_of)
    status = facts.status()
print(json.dumps({"folded": done, "same": live is not None and live[0] == full[0] and live[1] == full[1],
                  "served": live is not None, "stale": status.stale, "expired": status.expired}))
"""


def london_today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


def bench_env(url: str, port: int) -> dict[str, str]:
    env = webhook_load.bench_env(url, port)
    env["FIELD_ENCRYPTION_KEYS"] = FIELD_KEY
    return env


def run_json(env: dict[str, str], script: str, *args: str) -> dict[str, Any]:
    """A script in a child process with the bench environment; its last line of output, as JSON."""
    result = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"child script failed:\n{result.stderr[-3000:]}")
    parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def flask(*args: str) -> list[str]:
    return [str(BIN / "flask"), "--app", "wsgi", *args]


def floor_seconds(url: str) -> float:
    """Best of three runs of the bare column scan of the check-ins."""
    from sqlalchemy import create_engine, text

    from config import database_url

    engine = create_engine(database_url(url))
    best = float("inf")
    with engine.connect() as connection:
        for _ in range(3):
            started = time.perf_counter()
            connection.execute(text(FLOOR_QUERY)).one()
            best = min(best, time.perf_counter() - started)
    engine.dispose()
    return best


# ---------------------------------------------------------------------------------------------------
# HTTP: a signed-in evaluator, the API, the webhook
# ---------------------------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_SECRET = re.compile(r'id="secret">([A-Z2-7 ]+)<')
_CHART = re.compile(r'src="(/evaluate/charts?/[^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def sign_in(base_url: str, email: str) -> urllib.request.OpenerDirector:
    """An opener holding an evaluator's session: the password, then the TOTP enrolment with a code from the
    secret the page shows (pyotp, as a phone would)."""
    import pyotp

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def form(path: str, data: dict[str, str]) -> str:
        page = opener.open(base_url + path, timeout=30).read().decode()
        token = _CSRF.search(page)
        if token:
            data = {**data, "csrf_token": token.group(1)}
        response = opener.open(base_url + path, data=urllib.parse.urlencode(data).encode(), timeout=30)
        return str(response.geturl())

    landed = form("/login", {"email": email, "password": PASSWORD})
    if "/account/totp/enrol" not in landed:
        raise SystemExit(f"signing the evaluator in did not reach the TOTP enrolment (at {landed})")
    page = opener.open(base_url + "/account/totp/enrol", timeout=30).read().decode()
    secret = _SECRET.search(page)
    if secret is None:
        raise SystemExit("no TOTP secret on the enrolment page")
    code = pyotp.TOTP(secret.group(1).replace(" ", "")).now()
    landed = form("/account/totp/enrol", {"code": code})
    if "/login" in landed or "/account/totp" in landed:
        raise SystemExit(f"the TOTP enrolment did not sign the evaluator in (at {landed})")
    return opener


@dataclass
class Timings:
    """Seconds per kind of request, and what went wrong."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_failure: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float | None, why: str = "") -> None:
        with self.lock:
            if seconds is None:
                self.failures[kind] += 1
                self.first_failure.setdefault(kind, why)
            else:
                self.seconds[kind].append(seconds)


def random_filters(
    rng: random.Random, services: list[str], areas: list[str], today: date
) -> tuple[str, dict[str, str]]:
    """A kind of view and its query string: no filter, one, or a combination, with random values."""
    kind = rng.choice(
        ["none", "group", "service", "area", "period", "group+period", "area+group", "service+period", "all four"]
    )
    query: dict[str, str] = {}
    if "group" in kind or kind == "all four":
        query["problem_group"] = rng.choice(GROUPS)
    if "service" in kind:
        query["service"] = rng.choice(services)
    if "area" in kind or kind == "all four":
        query["area"] = rng.choice(areas)
    if "period" in kind or kind == "all four":
        start = today - timedelta(days=rng.randint(30, 1800))
        query["discharged_from"] = start.isoformat()
        query["discharged_to"] = min(today, start + timedelta(days=rng.randint(1, 500))).isoformat()
    return kind, query


def viewer(
    opener: urllib.request.OpenerDirector,
    base_url: str,
    setup: dict[str, Any],
    timings: Timings,
    stop: threading.Event,
    seed: int,
    charts: bool,
    pause: float,
) -> None:
    """Dashboard pages with random filters, one after another, until stopped."""
    rng = random.Random(seed)
    today = london_today()
    while not stop.is_set():
        kind, query = random_filters(rng, setup["services"], setup["areas"], today)
        started = time.perf_counter()
        try:
            with opener.open(f"{base_url}/evaluate?{urllib.parse.urlencode(query)}", timeout=60) as response:
                page = response.read().decode()
                ok = response.status == 200 and "/login" not in response.geturl()
        except Exception:
            ok, page = False, ""
        timings.add(kind, time.perf_counter() - started if ok else None)
        if ok and charts:
            images = sorted(set(_CHART.findall(page)))
            try:
                for image in images:
                    with opener.open(base_url + image.replace("&amp;", "&"), timeout=60) as response:
                        response.read()
                timings.add("page + charts", time.perf_counter() - started)
            except Exception:
                timings.add("page + charts", None)
        stop.wait(pause)


@dataclass
class Poll:
    done: float  # time.monotonic() when the answer arrived
    answers: int  # sum of change_distribution


#: At least this long between two polls of the API summary: 240 a minute, under the API's limit of 300.
POLL_INTERVAL = 0.25


def poller(
    base_url: str, token: str, timings: Timings, polls: list[Poll], stop: threading.Event, once: bool = False
) -> None:
    """GET /api/v1/stats/summary again and again (`once`: one time): each answer's count of latest answers,
    and its latency."""
    host = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    while once or not stop.is_set():
        once = False
        started = time.perf_counter()
        try:
            connection.request("GET", "/api/v1/stats/summary", headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"API answered {response.status}: {body[:200]!r}")
            answers = sum(json.loads(body)["change_distribution"].values())
        except Exception as error:
            timings.add("API summary", None, f"{type(error).__name__}: {error}"[:200])
            connection.close()
            stop.wait(0.5)
            continue
        polls.append(Poll(time.monotonic(), answers))
        elapsed = time.perf_counter() - started
        timings.add("API summary", elapsed)
        stop.wait(max(0.0, POLL_INTERVAL - elapsed))  # under the API's 300 requests a minute


@dataclass
class Reply:
    scheduled: float
    done: float | None = None
    status: int | None = None


def signed_replies(base_url: str, numbers: list[str], seed: int) -> list[tuple[bytes, str]]:
    from twilio.request_validator import RequestValidator

    rng = random.Random(seed)
    validator = RequestValidator(AUTH_TOKEN)
    run = int(time.time()) & 0xFFFFFFFF
    signed = []
    for i, number in enumerate(numbers):
        sid = f"SM{run:08x}{i:024x}"  # unique in a reused database too
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": number,
            "To": "+447700900000",
            "Body": rng.choice("12345"),
            "NumMedia": "0",
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
        }
        signed.append(
            (urllib.parse.urlencode(params).encode(), validator.compute_signature(base_url + SMS_PATH, params))
        )
    return signed


def send_replies(base_url: str, signed: list[tuple[bytes, str]], replies: list[Reply], rate: float) -> None:
    """One post every 1/rate seconds on a keep-alive connection; latency counts from the scheduled instant."""
    host = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    start = time.monotonic() + 0.1
    for i, (body, signature) in enumerate(signed):
        scheduled = start + i / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        reply = Reply(scheduled)
        replies.append(reply)
        headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
        try:
            connection.request("POST", SMS_PATH, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            reply.status = response.status
        except Exception:
            connection.close()
        reply.done = time.monotonic()


# ---------------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------------

SCHEDULER_FACTS_ONLY = (
    "import sys, scheduler.__main__ as m; from scheduler.jobs import JOBS; "
    "m.JOBS = tuple(job for job in JOBS if job.id == 'outcome-facts'); sys.exit(m.main())"
)


def start_scheduler(env: dict[str, str], log: Path, all_jobs: bool) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "scheduler"] if all_jobs else [sys.executable, "-c", SCHEDULER_FACTS_ONLY]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return sorted(found)


# ---------------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------------


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "none"
    return (
        f"n {len(ordered):>4}  p50 {percentile(ordered, 50) * 1000:7.1f} ms"
        f"  p95 {percentile(ordered, 95) * 1000:7.1f} ms  max {ordered[-1] * 1000:7.1f} ms"
    )


def webhook_figures(label: str, replies: list[Reply]) -> dict[str, Any]:
    latencies = sorted((r.done - r.scheduled) if r.status == 200 and r.done else float("inf") for r in replies)
    bad = Counter(r.status for r in replies if r.status != 200)
    print(f"  webhook, {label}: {spread(latencies)}; not 200: {sum(bad.values())} {dict(bad) if bad else ''}")
    return {
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "not_200": sum(bad.values()),
    }


def served_ms(log: Path) -> list[float]:
    """The webhook's durations as gunicorn logged them (`%(M)sms`: from reading the request to the response,
    not the wait for a free thread), in order: beside the client's figures, they tell the server's own time
    from the time the request waited, or the bench's own threads delayed it."""
    found = re.findall(r'"POST /webhooks/twilio/sms [^"]*" \d+ \S+ (\d+)ms', log.read_text(errors="replace"))
    return [float(ms) for ms in found]


def lags(replies: list[Reply], polls: list[Poll], base: int) -> list[float | None]:
    """Seconds from each reply's response to the first poll answering with it counted (None: never seen).
    Replies are one a second, each adding one latest answer: the k-th is in once the count reaches base + k."""
    out: list[float | None] = []
    counted = 0
    for reply in replies:
        if reply.status != 200 or reply.done is None:
            out.append(None)
            continue
        counted += 1
        seen = next((poll.done for poll in polls if poll.answers >= base + counted and poll.done >= reply.done), None)
        if seen is None and any(poll.answers >= base + counted for poll in polls):
            seen = reply.done  # a poll that read after the commit answered before the webhook's response
        out.append(None if seen is None else max(0.0, seen - reply.done))
    return out


# ---------------------------------------------------------------------------------------------------


def bench(url: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    figures: dict[str, Any] = {"database": backend}
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = bench_env(url, port)
    today = london_today()
    if not args.reuse:
        command = [sys.executable, "bench/generate_cohort.py", url, "--episodes", str(args.episodes)]
        wall, _, _ = timed([*command, "--today", today.isoformat()])
        print(f"[{backend}] generated {args.episodes} episodes in {wall:.0f} s", flush=True)
        figures["generate_s"] = wall
    senders = args.baseline + args.seconds
    email = f"bench-evaluator-{int(time.time())}@example.org"
    setup = run_json(env, SETUP_SCRIPT, str(senders), email, PASSWORD)
    if len(setup["numbers"]) < senders:
        raise SystemExit(
            f"only {len(setup['numbers'])} open check-ins sent before now, of episodes with no answer yet, are"
            f" left without a number (need {senders}): generate a larger cohort, or again (its day must be today,"
            f" {today})"
        )
    wall, peak, out = timed(flask("stats", "facts", "rebuild"), env)
    figures.update(rebuild_s=wall, rebuild_peak_mb=peak)
    print(f"[{backend}] flask stats facts rebuild: {wall:.1f} s, peak {peak:.0f} MB; {out.strip()}", flush=True)
    status = json.loads(timed(flask("stats", "facts", "status", "--format", "json"), env)[2])
    print(f"[{backend}] facts: {status}", flush=True)
    floor = floor_seconds(url)
    best = float("inf")
    for _ in range(args.repeat):
        wall, peak, _ = timed(flask("stats", "summary", "--format", "json"), env)
        best = min(best, wall)
    in_call = run_json(env, IN_CALL_SCRIPT, today.isoformat())["seconds"]
    figures.update(floor_s=floor, summary_s=best, summary_ratio=best / floor, summary_in_call_s=in_call)
    print(
        f"[{backend}] flask stats summary --format json from the facts: {best:.2f} s (peak {peak:.0f} MB, load"
        f" {load_average()}); `facts.summary()` in the call {in_call:.3f} s; floor ({FLOOR_QUERY}): {floor:.2f} s;"
        f" ratio of the command {best / floor:.2f} (aim: under 2), of the call {in_call / floor:.2f}",
        flush=True,
    )

    signed = signed_replies(base_url, setup["numbers"], args.seed)
    gunicorn_log, scheduler_log = tmp / f"gunicorn-{backend}.log", tmp / f"scheduler-{backend}.log"
    process = webhook_load.start_gunicorn(
        env, port, args.workers, args.worker_class, args.threads, gunicorn_log, None, tmp
    )
    hooks, hooks_url = None, base_url
    if args.webhook_workers:  # the webhooks in a gunicorn of their own (is the wait in the web workers?)
        hooks_port = free_port()
        hooks_url = f"http://127.0.0.1:{hooks_port}"
        hooks = webhook_load.start_gunicorn(
            env,
            hooks_port,
            args.webhook_workers,
            "sync" if args.profile_webhooks else args.worker_class,  # cProfile sees only a worker's main thread
            args.threads,
            tmp / f"hooks-{backend}.log",
            Path(args.profile_webhooks) if args.profile_webhooks else None,
            tmp,
        )
    scheduler = start_scheduler(env, scheduler_log, args.all_jobs)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        opener = sign_in(base_url, email)
        webhook_load.warm_up_workers(base_url, args.workers)
        timings, polls = Timings(), []  # type: ignore[var-annotated]
        first = threading.Event()
        first.set()  # one poll only: the count of latest answers before any reply
        poller(base_url, setup["token"], timings, polls, first, once=True)
        if not polls:
            raise SystemExit(f"GET /api/v1/stats/summary failed; see {gunicorn_log}")
        base = polls.pop().answers
        timings.seconds["API summary"].clear()
        print(
            f"[{backend}] gunicorn -w {args.workers} -k {args.worker_class} and the scheduler on port {port};"
            + (f" the webhooks' own gunicorn -w {args.webhook_workers} at {hooks_url};" if hooks else "")
            + f" evaluator signed in; {base} latest answers before the replies; load {load_average()}",
            flush=True,
        )
        replies: list[Reply] = []
        send_replies(hooks_url, signed[: args.baseline], replies, args.rate)
        alone = list(replies)
        poll_thread = threading.Thread(target=poller, args=(base_url, setup["token"], timings, polls, stop))
        poll_thread.start()
        threads.append(poll_thread)
        for n in range(args.viewers):
            view = threading.Thread(
                target=viewer,
                args=(opener, base_url, setup, timings, stop, args.seed + n, args.charts, args.view_pause),
            )
            view.start()
            threads.append(view)
        load_before = load_average()
        with_views: list[Reply] = []
        send_replies(hooks_url, signed[args.baseline :], with_views, args.rate)
        replies += with_views
        time.sleep(args.settle)
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
        load_after = load_average()
        workers = children(process.pid)
        memory = {pid: rss_mb(pid) for pid in workers}
        scheduler_mb = rss_mb(scheduler.pid)
    finally:
        stop.set()
        stop_process(scheduler)
        webhook_load.stop_gunicorn(process)
        if hooks is not None:
            webhook_load.stop_gunicorn(hooks)

    print(f"\n== {backend}: {status['facts']} episodes; load {load_before} -> {load_after}")
    figures["webhook_alone"] = webhook_figures(f"alone ({len(alone)} replies at {args.rate:g}/s)", alone)
    figures["webhook_with_views"] = webhook_figures(f"with the views ({len(with_views)} replies)", with_views)
    served = served_ms(tmp / f"hooks-{backend}.log" if hooks is not None else gunicorn_log)
    for label, part in (("alone", served[: len(alone)]), ("with the views", served[len(alone) :])):
        if part:
            print(f"  webhook, {label}, as gunicorn timed it: {spread(sorted(ms / 1000 for ms in part))}")
    print(f"  dashboard views (GET /evaluate, {args.viewers} viewer(s); the API summary polled beside them):")
    figures["views"] = {}
    for kind in sorted(timings.seconds, key=lambda k: (k in ("API summary", "page + charts"), k)):
        values = sorted(timings.seconds[kind])
        failed = timings.failures.get(kind, 0)
        why = f" (the first: {timings.first_failure[kind]})" if timings.first_failure.get(kind) else ""
        print(f"    {kind:<15} {spread(values)}{f'; failed {failed}{why}' if failed else ''}")
        figures["views"][kind] = {
            "n": len(values),
            "p50_ms": percentile(values, 50) * 1000,
            "p95_ms": percentile(values, 95) * 1000,
            "max_ms": values[-1] * 1000 if values else None,
            "failed": failed,
        }
    everything = sorted(v for k, vs in timings.seconds.items() if k not in ("API summary", "page + charts") for v in vs)
    print(f"    {'every page':<15} {spread(everything)}")
    lagged = lags(replies, polls, base)[len(alone) :]  # the polls run beside the views only
    seen = sorted(x for x in lagged if x is not None)
    final = polls[-1].answers - base if polls else 0
    answered = sum(1 for r in replies if r.status == 200)  # the count includes the replies sent alone
    print(
        f"  lag from a reply to the API figures that include it: {len(seen)} of {len(lagged)} seen; "
        + (f"p50 {percentile(seen, 50):.2f} s, max {seen[-1]:.2f} s" if seen else "none")
        + f"; latest answers +{final} for {answered} replies answered 200"
    )
    figures["lag"] = {
        "seen": len(seen),
        "replies": len(lagged),
        "p50_s": percentile(seen, 50) if seen else None,
        "max_s": seen[-1] if seen else None,
        "added": final,
    }
    folds = [line for line in scheduler_log.read_text(errors="replace").splitlines() if "outcome facts:" in line]
    print(f"  scheduler: {len(folds)} runs that folded or rebuilt; last: {folds[-1][-120:] if folds else '-'}")
    print(
        "  RSS after the run: "
        + ", ".join(f"worker {pid} {mb:.0f} MB" for pid, mb in memory.items())
        + f"; gunicorn master {rss_mb(process.pid) if process.poll() is None else float('nan'):.0f}; scheduler"
        f" {scheduler_mb:.0f} MB"
    )
    figures["worker_rss_mb"] = list(memory.values())
    errors = [
        line
        for line in gunicorn_log.read_text(errors="replace").splitlines()
        if "Traceback" in line or " ERROR " in line or "[CRITICAL]" in line
    ]
    if errors:
        print(f"  gunicorn log {gunicorn_log} has {len(errors)} error lines, first: {errors[0]}")
    if not args.no_check:
        started = time.perf_counter()
        check = run_json(env, CHECK_SCRIPT, london_today().isoformat())
        print(
            f"  after the last fold ({check['folded']} more folded): the facts give the same figures as a full"
            f" summary: {check['same']} (checked in {time.perf_counter() - started:.1f} s)"
        )
        figures["same_as_full"] = check["same"]
    verdict = {
        "views p95 < 1 s": bool(everything) and percentile(everything, 95) < 1.0,
        "lag < 60 s": bool(seen) and len(seen) == len(lagged) and seen[-1] < 60,
        "summary within 2x floor": figures["summary_ratio"] < 2,
        "workers < 300 MB": all(mb < 300 for mb in memory.values()),
    }
    print("  " + "; ".join(f"{name}: {'MEETS' if ok else 'MISSES'}" for name, ok in verdict.items()))
    figures["verdict"] = verdict
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("urls", nargs="+", metavar="URL", help="sqlite:////tmp/x.db or postgresql://... (REPLACED)")
    parser.add_argument("--episodes", type=int, default=1_000_000, help="cohort size (default 1,000,000)")
    parser.add_argument("--reuse", action="store_true", help="use the cohort already in each database")
    parser.add_argument("--baseline", type=int, default=30, help="seconds of replies before the views start")
    parser.add_argument("--seconds", type=int, default=120, help="seconds of replies with the views")
    parser.add_argument("--rate", type=float, default=1.0, help="replies per second")
    parser.add_argument("--viewers", type=int, default=2, help="threads asking for dashboard pages")
    parser.add_argument("--view-pause", type=float, default=0.5, help="seconds each viewer waits between pages")
    parser.add_argument("--charts", action="store_true", help="also fetch each page's chart images")
    parser.add_argument("--settle", type=float, default=3, help="seconds of polling after the last reply")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="gthread")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--webhook-workers",
        type=int,
        default=0,
        help="serve the webhook from a gunicorn of its own with this many workers; 0: the web one",
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs of `flask stats summary` (the best counts)")
    parser.add_argument("--all-jobs", action="store_true", help="run every scheduler job, not just outcome-facts")
    parser.add_argument("--no-check", action="store_true", help="skip comparing the facts with a full summary")
    parser.add_argument(
        "--profile-webhooks",
        metavar="DIR",
        help="with --webhook-workers: cProfile each webhook worker (sync, then) into DIR",
    )
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average {load_average()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="dashboard-fresh-") as tmp:
        for url in args.urls:
            rows.append(bench(url, args, Path(tmp)))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, default=str))


if __name__ == "__main__":
    main()
