"""Scale-out: two gunicorn web processes and two dispatch processes against one PostgreSQL, a simulated month.

What runs, each in its own process, as on several machines (docs/operations.md):
- the fake Twilio (in this process), which the real Twilio client in the dispatchers talks to;
- two `gunicorn -c gunicorn.conf.py -w 1` web servers on their own ports, both configured with the same
  PUBLIC_BASE_URL, as several servers behind one load balancer are: Twilio signs the public URL, so a
  request is valid whichever server it reaches;
- two dispatch processes. Each is a long-lived process with its own app and connection pool, calling
  `services.dispatch.tick(now)`, the one function the scheduler's job calls. They are not two
  `python -m scheduler` processes because those read the real clock: a month would take a month.
  Instead the test steps simulated time and hands the same instant to both at once, so every tick
  of the month is a race between two claimers over the same rows (with a small claim batch, so each
  tick is many claim rounds interleaved between the two). That is exactly the contention two
  schedulers on two machines meet when their minute ticks coincide.

The cohort is imported with `flask intake import` (a synthetic CSV), after `flask db upgrade`. After each
step the fake clients who answer reply to every text they got, through both web servers alternately,
and some messages are delivered twice, once to each server at the same moment (Twilio redelivers).

At the end: every due check-in was first sent exactly once (one `first` message row, one message at
the fake Twilio), every non-responder got exactly one reminder, every distinct MessageSid is stored
once, both servers gave a duplicate the same answer, and every responder's answers are recorded.
The gunicorn access logs hold no survey token.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from twilio.request_validator import RequestValidator

from tests.factories import csv_bytes, row
from tests.fakes.fake_twilio import DEFAULT_AUTH_TOKEN, DEFAULT_FROM_NUMBER, FakeTwilio
from tests.fakes.smtp_sink import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PUBLIC_BASE_URL = "https://stillwell-scale-out.example.org"
SMS_PATH = "/webhooks/twilio/sms"
CLIENTS = 80
RESPONDER_SHARE = 0.75
DUPLICATE_SHARE = 0.2
STEP = timedelta(hours=12)
DAYS = 30
CLAIM_BATCH = 8  # small, so a tick is many claim rounds and the two dispatchers interleave

DISPATCHER = r"""
import json, sys
from datetime import datetime
from app import create_app
from app.extensions import db
from app.services import dispatch

app = create_app()
print("ready", flush=True)
for line in sys.stdin:
    now = datetime.fromisoformat(line.strip())
    with app.app_context():
        try:
            summary = dispatch.tick(now, batch_size=int(sys.argv[1]))
        finally:
            db.session.remove()
    print(json.dumps(summary), flush=True)
"""


@dataclass
class Cohort:
    phones: dict[str, str]  # client_ref -> E.164
    responders: set[str]
    start: datetime


@dataclass
class Traffic:
    sids: set[str] = field(default_factory=set)
    posts: Counter[int] = field(default_factory=Counter)  # server index -> requests
    duplicates: int = 0
    failures: list[str] = field(default_factory=list)


@pytest.fixture
def scale_out_db(postgres_url: str) -> Iterator[str]:
    """A database of its own on the test server (name: the test database's, plus `_scale_out`)."""
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") + "_scale_out"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    yield parts._replace(path=f"/{name}").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(database_url: str, fake: FakeTwilio) -> dict[str, str]:
    """Production settings shared by every process (the same keys, as one deployment's machines share them)."""
    env = {key: value for key, value in os.environ.items() if key not in {"FLASK_DEBUG", "TEST_POSTGRES_URL"}}
    env.update(
        {key: str(value) for key, value in fake.config().items()},
        STILLWELL_ENV="production",
        DATABASE_URL=database_url,
        SECRET_KEY="scale-out-secret-key-not-a-real-one",
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        CONTACT_HASH_KEY="scale-out-contact-hash-key",
        SAFEGUARDING_EMAIL="safeguarding@example.org",
        RELEASE_SIGNING_KEY="5b" * 32,
        MAIL_TRANSPORT="console",
        SEND_RATE_PER_SECOND="500",
        LOG_FORMAT="json",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


# The operator's commands, run through the real `flask` CLI in one process (one start-up instead of four).
OPERATOR = r"""
import json, sys
from app import create_app
runner = create_app().test_cli_runner()
for args in json.loads(sys.argv[1]):
    result = runner.invoke(args=args)
    print(result.output, flush=True)
    if result.exit_code != 0:
        sys.exit(f"flask {' '.join(args)} failed: {result.output}")
"""


def flask(env: dict[str, str], *commands: list[str]) -> str:
    """Run `flask --app wsgi ...` commands in order; their output."""
    result = subprocess.run(
        [sys.executable, "-c", OPERATOR, json.dumps(commands)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def seed(env: dict[str, str], tmp_path: Path, rng: random.Random) -> Cohort:
    """Schema by migrations; a service open all day every day; a cohort whose two check-ins fall in the month."""
    # The month ends an hour ago, so the web replies (stamped with the real clock) come after every send.
    start = (datetime.now(UTC) - timedelta(days=DAYS, hours=1)).replace(minute=0, second=0, microsecond=0)
    phones, rows = {}, []
    for n in range(CLIENTS):
        ref = f"SO{n:04d}"
        phones[ref] = f"+4474003{n:05d}"
        discharge: date = (start - timedelta(weeks=1) + timedelta(days=1 + n % 5)).date()
        rows.append(
            row(
                client_ref=ref,
                phone=f"07400 3{n:05d}",
                email="",
                referral_date=(discharge - timedelta(days=120)).isoformat(),
                assessment_date="",
                first_treatment_date="",
                discharge_date=discharge.isoformat(),
            )
        )
    csv_file = tmp_path / "cohort.csv"
    csv_file.write_bytes(csv_bytes(rows))
    service = ["services", "create", "--code", "SCALE", "--name", "Scale-out service", "--area", "SO"]
    service += ["--short-name", "Scale Wellbeing", "--timezone", "UTC", "--send-window", "00:00-23:59"]
    service += ["--send-days", "mon-sun", "--plan", "1,3", "--safeguarding-email", "safe@example.org"]
    output = flask(
        env,
        ["db", "upgrade"],
        ["areas", "create", "--code", "SO", "--name", "Scale-out area"],
        service,
        ["intake", "import", str(csv_file), "--service", "SCALE"],
    )
    assert f"created={CLIENTS}" in output
    responders = {ref for ref in phones if rng.random() < RESPONDER_SHARE}
    return Cohort(phones, responders, start)


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "-w", "1", "-b", f"127.0.0.1:{port}"]
    handle = log.open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def wait_healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if json.load(response) == {"status": "ok", "database": "ok"}:
                    return
        except (OSError, ValueError):
            time.sleep(0.2)
    raise AssertionError(f"gunicorn on {port} never became healthy: {log.read_text()[-3000:]}")


def start_dispatcher(env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", DISPATCHER, str(CLAIM_BATCH)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log.open("wb"),
        text=True,
    )
    return process


def wait_ready(process: subprocess.Popen[str], log: Path) -> None:
    assert process.stdout is not None and process.stdout.readline().strip() == "ready", log.read_text()[-3000:]


def stop(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def post_sms(port: int, sender: str, body: str, sid: str) -> tuple[int, str]:
    """A Twilio-shaped inbound SMS, signed over the public URL, posted to one server."""
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32, "From": sender}
    params |= {"To": DEFAULT_FROM_NUMBER, "Body": body, "NumMedia": "0", "NumSegments": "1"}
    signature = RequestValidator(DEFAULT_AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + SMS_PATH, params)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{SMS_PATH}",
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def answer(client: str, sender: str, ports: list[int], rng: random.Random, traffic: Traffic) -> None:
    """One responder answers the three questions, each to the other server; some deliveries go to both."""
    for index, body in enumerate(("2", "3 weeks", "mostly")):
        sid = f"SM{rng.getrandbits(128):032x}"
        traffic.sids.add(sid)
        first = (len(traffic.sids) + index) % 2
        if rng.random() < DUPLICATE_SHARE:
            with ThreadPoolExecutor(2) as pool:
                results = list(pool.map(post_sms, ports, [sender] * 2, [body] * 2, [sid] * 2))
            traffic.posts.update([0, 1])
            traffic.duplicates += 1
            if results[0] != results[1]:
                traffic.failures.append(f"{client}: a redelivery was answered differently: {results}")
            status, twiml = results[0]
        else:
            status, twiml = post_sms(ports[first], sender, body, sid)
            traffic.posts[first] += 1
        if status != 200 or "<Message>" not in twiml:
            traffic.failures.append(f"{client} {body!r}: HTTP {status} {twiml[:200]}")


def query(database_url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(database_url) as connection:
        return list(connection.execute(sql).fetchall())


@pytest.mark.slow
def test_two_web_and_two_dispatch_processes_play_a_month_without_loss_or_duplicates(scale_out_db, tmp_path):
    rng = random.Random(20261123)
    started = time.monotonic()
    with FakeTwilio(latency=0.005) as fake:
        env = environment(scale_out_db, fake)
        cohort = seed(env, tmp_path, rng)
        seeded = time.monotonic()
        client_of = {phone: ref for ref, phone in cohort.phones.items()}
        ports = [free_port(), free_port()]
        web_logs = [tmp_path / f"web-{i}.log" for i in range(2)]
        servers = [start_gunicorn(env, port, log) for port, log in zip(ports, web_logs, strict=True)]
        dispatchers = []
        try:
            dispatch_logs = [tmp_path / f"dispatch-{i}.log" for i in range(2)]
            dispatchers = [start_dispatcher(env, log) for log in dispatch_logs]
            for port, server, log in zip(ports, servers, web_logs, strict=True):
                wait_healthy(port, server, log)
            for dispatcher, log in zip(dispatchers, dispatch_logs, strict=True):
                wait_ready(dispatcher, log)
            traffic, seen, summaries = Traffic(), 0, defaultdict(int)
            ready, ticking, replying = time.monotonic(), 0.0, 0.0
            now = cohort.start
            while now <= cohort.start + timedelta(days=DAYS):
                step_started = time.monotonic()
                for dispatcher in dispatchers:  # the same instant to both, at once
                    assert dispatcher.stdin is not None
                    dispatcher.stdin.write(now.isoformat() + "\n")
                    dispatcher.stdin.flush()
                for dispatcher in dispatchers:
                    assert dispatcher.stdout is not None
                    line = dispatcher.stdout.readline()
                    assert line, f"a dispatcher died at {now}"
                    for key, value in json.loads(line).items():
                        summaries[key] += value
                ticked = time.monotonic()
                ticking += ticked - step_started
                new = fake.messages[seen:]
                seen += len(new)
                repliers = {client_of[m.to] for m in new if client_of[m.to] in cohort.responders}
                with ThreadPoolExecutor(8) as pool:
                    for client in sorted(repliers):
                        pool.submit(answer, client, cohort.phones[client], ports, random.Random(rng.random()), traffic)
                replying += time.monotonic() - ticked
                now += STEP
            timings = (
                f"seed {seeded - started:.0f} s, processes up {ready - seeded:.0f} s,"
                f" ticking {ticking:.0f} s, replying {replying:.0f} s"
            )
            # A survey link and an unsubscribe link, requested on each server: their tokens must not be logged.
            for port in ports:
                for path in ("/s/SurveyTokenMustNotBeLogged123", "/u/UnsubTokenMustNotBeLogged456"):
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
                    except urllib.error.HTTPError:
                        pass
        finally:
            for process in [*dispatchers, *servers]:
                stop(process)
        sent = fake.messages

    assert traffic.failures == []
    assert traffic.posts[0] > 50 and traffic.posts[1] > 50 and traffic.duplicates > 10
    database = scale_out_db
    check_ins = query(database, "SELECT id, client_id, status, first_sent_at FROM check_in")
    assert len(check_ins) == 2 * CLIENTS
    # Every check-in fell due in the month and was sent: none skipped, withdrawn or left waiting.
    assert {status for _, _, status, _ in check_ins} <= {"open", "closed"}
    assert all(first_sent is not None for *_, first_sent in check_ins)
    # Exactly one first message per check-in, in the database and at the provider.
    firsts = Counter(
        check_in for (check_in,) in query(database, "SELECT check_in_id FROM outbound_message WHERE purpose = 'first'")
    )
    assert set(firsts) == {check_in for check_in, *_ in check_ins}
    assert set(firsts.values()) == {1}
    provider_ids = [sid for (sid,) in query(database, "SELECT provider_id FROM outbound_message WHERE channel='sms'")]
    assert sorted(provider_ids) == sorted(message.sid for message in sent)  # each provider message once, none lost
    reminders = Counter(
        check_in
        for (check_in,) in query(database, "SELECT check_in_id FROM outbound_message WHERE purpose = 'reminder'")
    )
    non_responder_check_ins = {
        check_in
        for check_in, ref in query(
            database, "SELECT ci.id, cl.client_ref FROM check_in ci JOIN client cl ON cl.id = ci.client_id"
        )
        if ref not in cohort.responders
    }
    assert set(reminders) == non_responder_check_ins and set(reminders.values()) <= {1}
    per_number = Counter(message.to for message in sent)
    for ref, phone in cohort.phones.items():
        assert per_number[phone] == (2 if ref in cohort.responders else 4), ref  # 2 firsts (+ 2 reminders)
    assert summaries["claimed"] == summaries["sent"] == 2 * CLIENTS and summaries["reminders"] == len(reminders)

    # Every distinct MessageSid stored exactly once; every responder's answers recorded.
    stored = Counter(sid for (sid,) in query(database, "SELECT provider_id FROM inbound_message"))
    assert set(stored) == traffic.sids and set(stored.values()) == {1}
    answers = query(
        database,
        "SELECT cl.client_ref, ci.change, ci.usual_self, ci.duration_start IS NOT NULL"
        " FROM check_in ci JOIN client cl ON cl.id = ci.client_id",
    )
    for ref, change, usual_self, has_duration in answers:
        if ref in cohort.responders:
            assert (change, usual_self, has_duration) == ("a_little_better", "mostly", True), ref
        else:
            assert (change, usual_self, has_duration) == (None, None, False), ref

    logs = "".join(log.read_text(errors="replace") for log in web_logs)
    assert "/s/[redacted]" in logs and "/u/[redacted]" in logs
    assert "MustNotBeLogged" not in logs and "Traceback" not in logs
    print(
        f"scale-out: {len(sent)} texts sent, {len(stored)} inbound stored from {sum(traffic.posts.values())} posts"
        f" ({traffic.duplicates} delivered to both servers); {dict(summaries)}; {time.monotonic() - started:.0f} s"
        f" ({timings})"
    )
