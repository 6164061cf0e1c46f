"""Several dispatch processes at once against the same due check-ins: each is sent exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.models import CheckIn, CheckInStatus, OutboundMessage
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.sms import DISCHARGE, IMPORTED

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 60


def process_env(app, twilio, sink) -> dict[str, str]:
    env = {**os.environ, "STILLWELL_ENV": "development"}
    env.update({key: str(value) for key, value in {**twilio.config(), **sink.config()}.items()})
    env["DATABASE_URL"] = str(db.engine.url.render_as_string(hide_password=False))
    env["SEND_RATE_PER_SECOND"] = "1000"
    return env


def test_concurrent_ticks_send_each_check_in_once(app, fake_twilio, smtp_sink):
    make_service(plan="4")
    run_import(
        csv_bytes(
            [
                row(client_ref=f"C{i:03d}", phone=f"07400 {100000 + i}", email="", discharge_date=DISCHARGE)
                for i in range(CLIENTS)
            ]
        ),
        now=IMPORTED,
    )
    fake_twilio.latency = 0.02
    env = process_env(app, fake_twilio, smtp_sink)
    db.session.remove()
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "dispatch", "tick", "--now", "2026-10-05T09:00:00Z"]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=240) for process in processes]
    for process, (_stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr[-2000:]
    sent_to = Counter(message.to for message in fake_twilio.messages)
    assert len(sent_to) == CLIENTS
    assert max(sent_to.values()) == 1
    assert (
        db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.status == CheckInStatus.OPEN))
        == CLIENTS
    )
    accepted = db.session.scalar(
        select(func.count()).select_from(OutboundMessage).where(OutboundMessage.status == "accepted")
    )
    assert accepted == CLIENTS
