"""Benchmark: the inbound SMS webhook under gunicorn on PostgreSQL at a constant arrival rate.

Target (SPEC section 7): `POST /webhooks/twilio/sms` answers at p95 under 25 ms at a constant 300 requests/s,
no errors, on the 2-core machine with the database and the load generator on it too.

    .venv/bin/python bench/webhook_load.py --rate 300 --seconds 30            # own temporary PostgreSQL
    .venv/bin/python bench/webhook_load.py --database-url postgresql://postgres@127.0.0.1:PORT/stillwell_test

What it does, for each gunicorn worker class asked for (`--worker-class sync|gthread|both`):
1. recreates the schema with `flask db upgrade` (the database at --database-url is wiped: public schema
   dropped) and writes a synthetic cohort with Core inserts: N consenting clients with UK-mobile-looking
   numbers (+4474xxxxxxxx), one episode each, one OPEN check-in (first sent an hour ago) and one scheduled;
2. starts gunicorn with the production settings file (`gunicorn.conf.py`: access log, masking logger, the
   statistics libraries warmed up in the background) and `-w W -k CLASS -b 127.0.0.1:PORT`, the environment
   pointing at the database and PUBLIC_BASE_URL=http://127.0.0.1:PORT, and waits until every worker has loaded
   the app and gunicorn has gone quiet (no request ever waits for a worker still importing);
3. pre-computes signed Twilio form posts (unique MessageSid each; From a cohort number, a few unknown
   numbers; bodies a realistic mix of answers, unclear text, HELP-like questions and a few risk messages,
   never STOP), each sender's messages in order, senders interleaved;
4. fires them open-loop with aiohttp: request i is sent at start + i/rate whatever the earlier ones are
   doing; the latency of each is measured from its *scheduled* instant (so a late generator or a queue
   in front of gunicorn counts against the server), and also from the moment it was actually sent;
5. prints requests sent, achieved rate, p50/p95/p99/max, non-200 responses and errors, and the CPU per
   request after the warm-up of gunicorn (master and workers), of the PostgreSQL backends serving the bench
   database (a local server: read from /proc) and of the load generator itself; stops gunicorn.

The first --warmup seconds of traffic are sent at the same rate but left out of the figures.
Everything is loopback only and bounded: rate x seconds requests, each with a --timeout.
`--profile DIR` runs every worker under cProfile and prints where the time went (slows the run down).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VENV_BIN = ROOT / ".venv" / "bin"
SMS_PATH = "/webhooks/twilio/sms"
AUTH_TOKEN = "bench-twilio-auth-token-0123456789"

# Each sender's conversation: an answer to each question, sometimes unclear first, then chatter.
CHANGE = ["1", "2", "3", "4", "5", "2", "3", "a little better", "much better", "about the same", "worse"]
DURATION = ["3 weeks", "2 months", "a month", "about 6 weeks", "since march", "a year and a half", "2 wks", "10 days"]
USUAL_SELF = ["mostly", "yes", "no", "not really", "mostly yes", "y", "n"]
UNCLEAR = [
    "hmm not sure",
    "ok",
    "thanks",
    "what do you mean",
    "Who is this?",
    "?",
    "cheers x",
    "maybe",
    "can you call me",
    "I'll reply later",
]
COMBINED = ["a little better and 3 weeks", "3 weeks, yes", "much better, 2 months, mostly"]
RISK = ["I want to end it all", "feeling suicidal tonight", "i want to die", "much better but I want to end it all"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# ---------------------------------------------------------------------------------------------------
# Database: schema and cohort
# ---------------------------------------------------------------------------------------------------


def bench_env(database_url: str, port: int) -> dict[str, str]:
    """The environment of both the cohort writer and gunicorn (same hash and encryption keys)."""
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        STILLWELL_ENV="development",
        DATABASE_URL=database_url,
        SECRET_KEY="bench-secret-key-not-for-production",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),  # fresh for each run: cohort and gunicorn share it
        CONTACT_HASH_KEY="bench-contact-hash-key",
        SAFEGUARDING_EMAIL="safeguarding@bench.invalid",
        RELEASE_SIGNING_KEY="5c" * 32,
        SMS_TRANSPORT="console",
        MAIL_TRANSPORT="console",
        PYTHONPATH=str(ROOT),
    )
    return env


def reset_schema(env: dict[str, str]) -> None:
    """Drop the public schema and run the migrations (`flask db upgrade`)."""
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


FILL_SCRIPT = r"""
import json, sys
from datetime import datetime, timedelta
from sqlalchemy import insert, text
from app import create_app
from app.extensions import db
from app.models import CheckIn, CheckInStatus
from app.services import organisation
from bench.cohort import add_clients, batches

count, now_iso = int(sys.argv[1]), sys.argv[2]
now = datetime.fromisoformat(now_iso)
app = create_app()
with app.app_context():
    organisation.create_area("BENCH", "Bench", actor="bench", now=now)
    service = organisation.create_service("BENCH", "Bench", "BENCH",
        organisation.ServiceSettings(short_name="Bench", plan="4,8"), actor="bench", now=now)
    sent_at = now - timedelta(hours=1)
    discharge = (now - timedelta(weeks=4)).date()
    for numbers in batches(count):
        episodes = add_clients(service.id, numbers, ref_prefix="W", phone_prefix="+4474",
                               referral=discharge - timedelta(days=120), discharge=discharge, plan="4,8", now=now)
        db.session.execute(insert(CheckIn.__table__), [
            {"episode_id": e, "client_id": c, "offset_weeks": 4, "due_at": sent_at, "status": CheckInStatus.OPEN.value,
             "send_attempts": 1, "channel": "sms", "first_sent_at": sent_at} for e, c, _ in episodes])
        db.session.execute(insert(CheckIn.__table__), [
            {"episode_id": e, "client_id": c, "offset_weeks": 8, "due_at": sent_at + timedelta(weeks=4),
             "status": CheckInStatus.SCHEDULED.value, "send_attempts": 0} for e, c, _ in episodes])
        db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
print(json.dumps({"clients": count}))
"""


def fill_cohort(env: dict[str, str], count: int) -> None:
    """Write the cohort in a child process, so this process never imports the app with the bench settings."""
    now = datetime.now(UTC).replace(microsecond=0)
    subprocess.run(
        [sys.executable, "-c", FILL_SCRIPT, str(count), now.isoformat()],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


IN_PROCESS_SCRIPT = r"""
import io, json, sys, time
from sqlalchemy import event
from app import create_app
from app.extensions import db
requests_file, port, warm, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
requests = json.load(open(requests_file))
app = create_app()
statements = [0]
with app.app_context():
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.__setitem__(0, statements[0] + 1))
def call(body, signature):
    body = body.encode()
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(port), "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_TWILIO_SIGNATURE": signature, "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": f"127.0.0.1:{port}",
    }
    status = []
    b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    return status[0]
for body, signature in requests[:warm]:
    call(body, signature)
statements[0] = 0
statuses = {}
cpu, wall = time.process_time(), time.perf_counter()
for body, signature in requests[warm:]:
    status = call(body, signature)
    statuses[status] = statuses.get(status, 0) + 1
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
n = len(requests) - warm
print(json.dumps({"requests": n, "cpu_ms": 1000 * cpu / n, "wall_ms": 1000 * wall / n,
                  "statements": statements[0] / n, "statuses": statuses}))
"""


def in_process(args: argparse.Namespace, database_url: str, tmp: Path) -> dict[str, object]:
    """CPU and SQL statements per request through the WSGI app in one process, one request after another:
    no gunicorn, no HTTP, no load generator, so the figures barely move with other work on the machine."""
    port = free_port()
    env = bench_env(database_url, port)
    reset_schema(env)
    fill_cohort(env, args.clients)
    warm = min(200, args.in_process // 10)
    base_url = f"http://127.0.0.1:{port}"
    bodies, signatures, kinds = build_requests(warm + args.in_process, args.clients, base_url, args.seed)
    requests_file = tmp / "in-process.json"
    requests_file.write_text(json.dumps([[b.decode(), s] for b, s in zip(bodies, signatures, strict=True)]))
    output = subprocess.run(
        [sys.executable, "-c", IN_PROCESS_SCRIPT, str(requests_file), str(port), str(warm), SMS_PATH],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    row: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    print(
        f"\n== in process, one request after another: {row['requests']} requests ({dict(kinds)})\n"
        f"CPU {row['cpu_ms']:.2f} ms/request, wall {row['wall_ms']:.2f} ms/request, "
        f"{row['statements']:.2f} SQL statements/request; statuses {row['statuses']}"
    )
    return row


# ---------------------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------------------


def conversation(rng: random.Random) -> list[str]:
    """What one client sends, in order: usually the three answers, sometimes unclear text or a risk message."""
    messages: list[str] = []
    if rng.random() < 0.1:
        messages.append(rng.choice(UNCLEAR))
    if rng.random() < 0.1:
        messages.append(rng.choice(COMBINED))
    else:
        messages += [rng.choice(CHANGE), rng.choice(DURATION), rng.choice(USUAL_SELF)]
    if rng.random() < 0.01:
        messages.insert(rng.randrange(len(messages) + 1), rng.choice(RISK))
    while rng.random() < 0.35:
        messages.append(rng.choice(UNCLEAR))
    return messages


def build_requests(total: int, clients: int, base_url: str, seed: int) -> tuple[list[bytes], list[str], Counter]:
    """`total` signed form bodies: senders interleaved, each sender's messages in conversation order."""
    from twilio.request_validator import RequestValidator

    rng = random.Random(seed)
    validator = RequestValidator(AUTH_TOKEN)
    url = base_url.rstrip("/") + SMS_PATH
    queues: dict[str, list[str]] = {f"+4474{n:08d}": conversation(rng) for n in range(clients)}
    # About 2% of the traffic from numbers we do not know (the generic reply, at most once a day).
    strangers = [f"+4475{n:08d}" for n in range(max(1, clients // 50))]
    for number in strangers:
        queues[number] = ["Hi is this the clinic?", "hello?"]
    order: list[tuple[str, str]] = []
    round_ = 0
    while len(order) < total:
        senders = [number for number, queue in queues.items() if len(queue) > round_]
        if not senders:  # every conversation over: more chatter from anyone
            senders = list(queues)
            for number in senders:
                while len(queues[number]) <= round_:
                    queues[number].append(rng.choice(UNCLEAR))
        rng.shuffle(senders)
        order += [(number, queues[number][round_]) for number in senders]
        round_ += 1
    bodies, signatures, kinds = [], [], Counter()
    for i, (sender, body) in enumerate(order[:total]):
        sid = f"SM{seed:08x}{i:024x}"
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": sender,
            "To": "+447700900000",
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
        }
        bodies.append(urllib.parse.urlencode(params).encode())
        signatures.append(validator.compute_signature(url, params))
        kinds[
            "risk"
            if body in RISK
            else "unknown sender"
            if sender.startswith("+4475")
            else "unclear/chatter"
            if body in UNCLEAR
            else "answer"
        ] += 1
    return bodies, signatures, kinds


# ---------------------------------------------------------------------------------------------------
# Load generator (open loop)
# ---------------------------------------------------------------------------------------------------


@dataclass
class Results:
    latency: list[float | None] = field(default_factory=list)  # from the scheduled instant, s
    service: list[float | None] = field(default_factory=list)  # from the actual send, s
    lag: list[float] = field(default_factory=list)  # actual send - scheduled instant, s
    status: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    wall: float = 0.0


async def open_loop(n: int, rate: float, one: Callable[[int, float], Awaitable[None]]) -> float:
    """Start request i at start + i/rate whatever the earlier ones are doing (`one(i, scheduled)`), wait for
    all; returns how long the sending took."""
    loop = asyncio.get_running_loop()
    tasks = []
    start = loop.time() + 0.05
    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    wall = loop.time() - start
    await asyncio.gather(*tasks)
    return wall


async def fire(
    base_url: str, bodies: list[bytes], signatures: list[str], rate: float, timeout: float, max_connections: int
) -> Results:
    import aiohttp

    n = len(bodies)
    results = Results(latency=[None] * n, service=[None] * n, lag=[0.0] * n)
    url = base_url + SMS_PATH
    connector = aiohttp.TCPConnector(limit=max_connections, ttl_dns_cache=None, force_close=False)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    loop = asyncio.get_running_loop()

    async def one(i: int, scheduled: float) -> None:
        sent = loop.time()
        results.lag[i] = sent - scheduled
        headers = {"X-Twilio-Signature": signatures[i], "Content-Type": "application/x-www-form-urlencoded"}
        try:
            async with session.post(url, data=bodies[i], headers=headers) as response:
                await response.read()
                done = loop.time()
                results.status[response.status] += 1
                if response.status == 200:
                    results.latency[i], results.service[i] = done - scheduled, done - sent
        except Exception as error:
            results.errors[type(error).__name__] += 1

    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        results.wall = await open_loop(n, rate, one)
    return results


class _HttpConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection of the raw client: one request at a time, the response read by its
    Content-Length (gunicorn always sends one for these responses)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None or self.waiter.done():
            return
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in head[1:])}
        length = int(fields.get("content-length", "0"))
        if len(self.buffer) < end + 4 + length:
            return
        del self.buffer[: end + 4 + length]
        if fields.get("connection", "").lower() == "close":
            self.closed = True
        self.waiter.set_result(int(head[0].split()[1]))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionResetError("connection closed before the response"))


async def fire_raw(
    base_url: str, bodies: list[bytes], signatures: list[str], rate: float, timeout: float, max_connections: int
) -> Results:
    """`fire` with a minimal keep-alive HTTP/1.1 client on asyncio's transports: the same open-loop schedule
    and measurements, at a fraction of aiohttp's CPU (like wrk, it leaves the two cores to the server)."""
    parsed = urllib.parse.urlsplit(base_url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    n = len(bodies)
    results = Results(latency=[None] * n, service=[None] * n, lag=[0.0] * n)
    requests = [
        (
            f"POST {SMS_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nX-Twilio-Signature: {signatures[i]}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(bodies[i])}\r\n\r\n"
        ).encode("latin-1")
        + bodies[i]
        for i in range(n)
    ]
    loop = asyncio.get_running_loop()
    idle: list[_HttpConnection] = []
    slots = asyncio.Semaphore(max_connections)

    async def one(i: int, scheduled: float) -> None:
        sent = loop.time()
        results.lag[i] = sent - scheduled
        async with slots:
            connection = None
            try:
                while idle and connection is None:
                    candidate = idle.pop()
                    connection = None if candidate.closed else candidate
                if connection is None:
                    _, connection = await loop.create_connection(_HttpConnection, host, port)
                connection.waiter = loop.create_future()
                assert connection.transport is not None
                connection.transport.write(requests[i])
                status = await asyncio.wait_for(connection.waiter, timeout)
                done = loop.time()
                results.status[status] += 1
                if status == 200:
                    results.latency[i], results.service[i] = done - scheduled, done - sent
                if connection.closed:
                    connection.transport.close()
                else:
                    idle.append(connection)
            except Exception as error:
                results.errors[type(error).__name__] += 1
                if connection is not None and connection.transport is not None:
                    connection.transport.close()

    results.wall = await open_loop(n, rate, one)
    for connection in idle:
        if connection.transport is not None:
            connection.transport.close()
    return results


# ---------------------------------------------------------------------------------------------------
# gunicorn
# ---------------------------------------------------------------------------------------------------

# The settings file the bench runs gunicorn with: the production one (gunicorn.conf.py: access log, masking
# logger, the background warm-up of the statistics libraries after each worker starts), plus a marker file
# written once a worker has loaded the app, so no request is sent to a worker still importing, and the
# profiler hooks when asked. Command-line flags (-w, -k, --threads, -b) override the file.
BENCH_CONFIG = r"""
import os as _os
_settings = _os.path.join(ROOT, "gunicorn.conf.py")
exec(compile(open(_settings).read(), _settings, "exec"))
_production_post_worker_init = post_worker_init

def post_worker_init(worker):
    _production_post_worker_init(worker)
    open(_os.path.join(READY_DIR, f"worker-{_os.getpid()}"), "w").close()
"""
PROFILE_HOOKS = r"""
import cProfile
_profile = None
def post_fork(server, worker):
    global _profile
    _profile = cProfile.Profile()
    _profile.enable()
def worker_exit(server, worker):
    if _profile is not None:
        _profile.disable()
        _profile.dump_stats(_os.path.join(PROFILE_DIR, f"worker-{_os.getpid()}.prof"))
"""


def start_gunicorn(
    env: dict[str, str],
    port: int,
    workers: int,
    worker_class: str,
    threads: int,
    log: Path,
    profile_dir: Path | None,
    tmp: Path,
) -> subprocess.Popen[bytes]:
    """gunicorn with the production settings file, once every worker has loaded the app and gone quiet."""
    ready_dir = tmp / f"ready-{port}"
    shutil.rmtree(ready_dir, ignore_errors=True)
    ready_dir.mkdir()
    settings = tmp / f"gunicorn_bench_{port}.py"
    text = f"ROOT = {str(ROOT)!r}\nREADY_DIR = {str(ready_dir)!r}\n" + BENCH_CONFIG
    if profile_dir is not None:
        text += f"PROFILE_DIR = {str(profile_dir)!r}\n" + PROFILE_HOOKS
    settings.write_text(text)
    command = [
        str(VENV_BIN / "gunicorn"),
        "-c",
        str(settings),
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "-k",
        worker_class,
        "--threads",
        str(threads if worker_class == "gthread" else 1),
        "--backlog",
        "2048",
        "--graceful-timeout",
        "10",
        "wsgi:app",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while len(list(ready_dir.iterdir())) < workers:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log}")
        if time.monotonic() > deadline:
            stop_gunicorn(process)
            raise RuntimeError(f"gunicorn's {workers} workers did not all start within 120 s; see {log}")
        time.sleep(0.2)
    wait_until_quiet(process.pid, deadline)
    return process


def wait_until_quiet(master: int, deadline: float, share: float = 0.05) -> None:
    """Until gunicorn uses under `share` of a core over half a second (the workers' background warm-up done)."""
    before = worker_cpu_seconds(master)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = worker_cpu_seconds(master)
        if now - before < 0.5 * share:
            return
        before = now


def worker_cpu_seconds(master: int) -> float:
    """User + system CPU of gunicorn's master and its live workers, from /proc (Linux only; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == master or ppid == master:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of one process, from /proc (0 when it is gone or unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_backends(database_url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to the bench database (a local server only)."""
    import psycopg

    try:
        with psycopg.connect(database_url, autocommit=True) as connection:
            pids = [
                int(pid)
                for (pid,) in connection.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ]
    except psycopg.Error:
        return {}
    return {pid: process_cpu_seconds(pid) for pid in pids}


def stop_gunicorn(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def warm_up_workers(base_url: str, workers: int) -> None:
    """One unsigned request per worker-ish, so imports and pool connections are not in the first figures."""
    import urllib.request

    for _ in range(workers * 2):
        request = urllib.request.Request(base_url + SMS_PATH, data=b"x=1", method="POST")
        try:
            urllib.request.urlopen(request, timeout=5)
        except Exception:
            pass


# ---------------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------------


def summarise(label: str, results: Results, measured: slice, rate: float, target_ms: float) -> dict[str, object]:
    # A request that failed or timed out counts as infinitely slow, so the percentiles are over every request sent.
    latency = sorted(x * 1000 if x is not None else float("inf") for x in results.latency[measured])
    service = sorted(x * 1000 if x is not None else float("inf") for x in results.service[measured])
    lag = sorted(x * 1000 for x in results.lag[measured])
    sent = len(results.lag[measured])
    total = len(results.lag)
    non_200 = sum(count for status, count in results.status.items() if status != 200)
    errors = sum(results.errors.values())
    ok = sum(x is not None for x in results.latency[measured])
    row = {
        "label": label,
        "sent": sent,
        "ok": ok,
        "achieved_rate": total / results.wall if results.wall else float("nan"),
        "p50": percentile(latency, 50),
        "p95": percentile(latency, 95),
        "p99": percentile(latency, 99),
        "max": latency[-1] if latency else float("nan"),
        "mean": statistics.fmean(x for x in latency if x != float("inf")) if ok else float("nan"),
        "service_p95": percentile(service, 95),
        "lag_p95": percentile(lag, 95),
        "lag_max": lag[-1] if lag else float("nan"),
        "non_200": non_200,
        "errors": errors,
    }
    print(f"\n== {label}")
    print(
        f"requests sent (measured): {sent} of {total}; 200 OK: {ok}; non-200: {non_200} "
        f"{dict(s for s in results.status.items() if s[0] != 200)}; errors: {errors} {dict(results.errors)}"
    )
    print(f"achieved send rate: {row['achieved_rate']:.1f}/s (asked {rate:g}/s)")
    print("(inf = that share of requests failed or timed out; mean is over the 200s only)")
    print(
        f"latency from scheduled instant (ms): p50 {row['p50']:.1f}  p95 {row['p95']:.1f}  p99 {row['p99']:.1f}  "
        f"max {row['max']:.1f}  mean {row['mean']:.1f}"
    )
    print(
        f"latency from actual send (ms): p95 {row['service_p95']:.1f}; generator lag p95 {row['lag_p95']:.1f} "
        f"max {row['lag_max']:.1f}"
    )
    verdict = "MEETS" if row["p95"] < target_ms and non_200 == 0 and errors == 0 else "MISSES"
    print(f"target p95 < {target_ms:g} ms with no errors: {verdict}")
    row["verdict"] = verdict
    return row


def print_profile(profile_dir: Path, top: int) -> None:
    import pstats

    files = sorted(str(p) for p in profile_dir.glob("worker-*.prof"))
    if not files:
        print("no profiles written")
        return
    stats = pstats.Stats(*files)
    stats.strip_dirs().sort_stats("cumulative")
    print(f"\n== cProfile of {len(files)} worker(s), by cumulative time")
    stats.print_stats(top)
    stats.sort_stats("tottime")
    print("\n== by own time")
    stats.print_stats(top)


# ---------------------------------------------------------------------------------------------------


def run_one(args: argparse.Namespace, database_url: str, worker_class: str, tmp: Path) -> dict[str, object]:
    port = args.port or free_port()
    env = bench_env(database_url, port)
    base_url = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    reset_schema(env)
    fill_cohort(env, args.clients)
    t1 = time.perf_counter()
    warm = int(args.rate * args.warmup)
    measured = int(args.rate * args.seconds)
    bodies, signatures, kinds = build_requests(warm + measured, args.clients, base_url, args.seed)
    t2 = time.perf_counter()
    print(
        f"\n[{worker_class}] schema + cohort of {args.clients} clients: {t1 - t0:.1f} s; "
        f"{warm + measured} signed requests built in {t2 - t1:.1f} s: {dict(kinds)}"
    )
    profile_dir = None
    if args.profile:
        profile_dir = Path(args.profile) / worker_class
        shutil.rmtree(profile_dir, ignore_errors=True)
        profile_dir.mkdir(parents=True)
    log = tmp / f"gunicorn-{worker_class}.log"
    process = start_gunicorn(env, port, args.workers, worker_class, args.threads, log, profile_dir, tmp)
    try:
        warm_up_workers(base_url, args.workers)
        load_before = load_average()
        print(
            f"[{worker_class}] gunicorn -w {args.workers} -k {worker_class}"
            f"{f' --threads {args.threads}' if worker_class == 'gthread' else ''} on port {port}; "
            f"load average before: {load_before}"
        )
        # CPU is read when the warm-up traffic ends and again at the end, so the figures are the measured
        # window's (a worker's first requests compile statements and fill caches). A backend opened during the
        # window counts from its start; one closed during it is missed (rare: connections are pooled).
        samples: dict[str, object] = {}

        def sample_after_warm_up() -> None:
            samples.update(
                gunicorn=worker_cpu_seconds(process.pid),
                backends=database_backends(database_url),
                generator=time.process_time(),
            )

        timer = threading.Timer(0.05 + args.warmup, sample_after_warm_up)
        timer.start()
        firing = fire_raw if args.client == "raw" else fire
        results = asyncio.run(firing(base_url, bodies, signatures, args.rate, args.timeout, args.max_connections))
        timer.join()
        generator_used = time.process_time() - float(samples["generator"])  # type: ignore[arg-type]
        cpu_used = worker_cpu_seconds(process.pid) - float(samples["gunicorn"])  # type: ignore[arg-type]
        before: dict[int, float] = samples["backends"]  # type: ignore[assignment]
        backends_used = sum(cpu - before.get(pid, 0.0) for pid, cpu in database_backends(database_url).items())
        load_after = load_average()
    finally:
        stop_gunicorn(process)
    threads = f" x {args.threads} threads" if worker_class == "gthread" else ""
    label = (
        f"{worker_class}, {args.workers} workers{threads}, {args.rate:g}/s for {args.seconds:g} s"
        f" (+{args.warmup:g} s warm-up)"
    )
    row = summarise(label, results, slice(warm, None), args.rate, args.target_ms)
    row["load_before"], row["load_after"] = load_before, load_after
    answered = sum(results.status.values())
    window = len(results.lag) - warm  # requests sent after the warm-up, when CPU was first read
    row["worker_cpu_ms_per_request"] = cpu_used * 1000 / window if window else float("nan")
    row["database_cpu_ms_per_request"] = backends_used * 1000 / window if window else float("nan")
    row["generator_cpu_ms_per_request"] = generator_used * 1000 / window if window else float("nan")
    print(
        f"CPU per request after the warm-up ({window} requests; {answered} answered in all): gunicorn "
        f"{row['worker_cpu_ms_per_request']:.2f} ms, PostgreSQL backends {row['database_cpu_ms_per_request']:.2f} ms, "
        f"load generator {row['generator_cpu_ms_per_request']:.2f} ms (2 cores at {args.rate:g}/s allow "
        f"{2000 / args.rate:.2f} ms in all)"
    )
    print(f"load average before / after: {load_before} / {load_after}")
    errors_in_log = [
        line
        for line in log.read_text(errors="replace").splitlines()
        if "Traceback" in line or " ERROR " in line or "[CRITICAL]" in line
    ]
    if errors_in_log:
        print(f"gunicorn log {log} has {len(errors_in_log)} error lines, first: {errors_in_log[0]}")
    if profile_dir is not None:
        print_profile(profile_dir, args.profile_top)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL (WIPED); default: a temporary server via scripts/pg-temp.sh, removed at the end",
    )
    parser.add_argument("--rate", type=float, default=300, help="requests per second (constant arrival rate)")
    parser.add_argument("--seconds", type=float, default=30, help="measured duration")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of traffic sent first, not measured")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--worker-class", choices=["sync", "gthread", "both"], default="both")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--clients", type=int, default=2000, help="cohort size (each with an open check-in)")
    parser.add_argument("--timeout", type=float, default=10, help="per-request timeout, s")
    parser.add_argument("--max-connections", type=int, default=512, help="client connection cap")
    parser.add_argument(
        "--client",
        choices=["raw", "aiohttp"],
        default="raw",
        help="load generator: a minimal keep-alive HTTP/1.1 client on asyncio (light on CPU, like wrk) or aiohttp",
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--target-ms", type=float, default=25)
    parser.add_argument("--profile", metavar="DIR", help="run the workers under cProfile, dump and print stats")
    parser.add_argument("--profile-top", type=int, default=30)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--in-process",
        type=int,
        metavar="N",
        default=0,
        help="instead of gunicorn: N requests through the WSGI app in one process (CPU and SQL statements each)",
    )
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0 or args.rate * (args.seconds + args.warmup) > 200_000:
        parser.error("rate x seconds must be positive and at most 200,000 requests")

    print(f"load average at start: {load_average()} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory(prefix="webhook-bench-") as tmp_name:
        tmp = Path(tmp_name)
        pg_dir = None
        database_url = args.database_url
        if not database_url:
            pg_dir = Path(tempfile.mkdtemp(prefix="webhook-bench-pg-"))
            database_url = (
                subprocess.run(
                    [str(ROOT / "scripts" / "pg-temp.sh"), "start", str(pg_dir)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            print(f"temporary PostgreSQL: {database_url}")
        try:
            if args.in_process:
                rows = [in_process(args, database_url, tmp)]
            else:
                classes = ["sync", "gthread"] if args.worker_class == "both" else [args.worker_class]
                rows = [run_one(args, database_url, worker_class, tmp) for worker_class in classes]
        finally:
            if pg_dir is not None:
                subprocess.run([str(ROOT / "scripts" / "pg-temp.sh"), "stop", str(pg_dir)], check=False)
    if len(rows) > 1:
        print("\n== summary (latency in ms from the scheduled instant)")
        for row in rows:
            print(
                f"{row['label']}: p50 {row['p50']:.1f} p95 {row['p95']:.1f} p99 {row['p99']:.1f} "
                f"max {row['max']:.1f}; non-200 {row['non_200']}, errors {row['errors']}; {row['verdict']}; "
                f"load {row['load_before']} -> {row['load_after']}"
            )
        best = min(rows, key=lambda row: float(row["p95"]) if row["ok"] else float("inf"))
        print(f"fastest p95: {best['label']}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, default=str))


if __name__ == "__main__":
    main()
