"""Dispatch processes killed with SIGKILL at random points: nothing is sent twice and nothing is lost.

Each kill lands somewhere in a tick: before the claim, between the claim and the message row,
between the row and the provider call, during the call, or before the result is recorded. After
the grace period the next ticks reconcile against the (fake) provider and finish the job.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import CheckIn, CheckInStatus, OutboundMessage
from app.services import dispatch
from tests.conftest import make_app
from tests.factories import csv_bytes, make_service, row, run_import
from tests.factories.sms import DISCHARGE, DUE, IMPORTED

ROUNDS = 40
KILLS_PER_ROUND = 5  # 200 kills per database
CLIENTS_PER_ROUND = 8


def _tick_in_child(db_url: str, settings: dict[str, object], now_iso: str) -> None:
    from datetime import datetime

    app = make_app(db_url, **settings)
    with app.app_context():
        dispatch.tick(datetime.fromisoformat(now_iso))
    os._exit(0)


@pytest.mark.slow
def test_killed_dispatch_never_sends_twice_or_loses_a_check_in(app, fake_twilio, smtp_sink):
    rng = random.Random(20261122)
    settings = {**fake_twilio.config(), **smtp_sink.config(), "SEND_RATE_PER_SECOND": 200}
    app.config.update(settings)
    db_url = db.engine.url.render_as_string(hide_password=False)
    make_service(plan="4")
    # Long enough that a random kill usually lands while a tick is still sending: the batch path sends
    # a round's 8 texts at once, so at 10 ms a tick could finish before most kills.
    fake_twilio.latency = 0.05
    context = multiprocessing.get_context("fork")
    kills_that_interrupted = 0
    for round_number in range(ROUNDS):
        numbers = [f"07400 {200000 + round_number * 100 + i}" for i in range(CLIENTS_PER_ROUND)]
        run_import(
            csv_bytes(
                [
                    row(client_ref=f"R{round_number:02d}-{i}", phone=number, email="", discharge_date=DISCHARGE)
                    for i, number in enumerate(numbers)
                ]
            ),
            now=IMPORTED,
        )
        db.session.remove()
        db.engine.dispose()  # never share a connection with a forked child
        for _ in range(KILLS_PER_ROUND):
            child = context.Process(target=_tick_in_child, args=(db_url, settings, DUE.isoformat()))
            child.start()
            time.sleep(rng.uniform(0.0, 0.15))  # the later children of a round find little left to send
            if child.is_alive():
                os.kill(child.pid, signal.SIGKILL)
                kills_that_interrupted += 1
            child.join()
        # After the grace period, ticks reconcile what may have gone and send what did not.
        later = DUE + timedelta(minutes=3)
        dispatch.tick(later)
        dispatch.tick(later + timedelta(seconds=1))
        db.session.remove()
    sent_to = Counter(message.to for message in fake_twilio.messages)
    duplicates = {number: count for number, count in sent_to.items() if count > 1}
    assert duplicates == {}
    assert len(sent_to) == ROUNDS * CLIENTS_PER_ROUND  # none lost
    assert (
        db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.status == CheckInStatus.OPEN))
        == ROUNDS * CLIENTS_PER_ROUND
    )
    assert (
        db.session.scalar(select(func.count()).select_from(OutboundMessage).where(OutboundMessage.status == "sending"))
        == 0
    )
    assert kills_that_interrupted >= ROUNDS * KILLS_PER_ROUND // 2  # the kills really landed mid-tick
    outcomes = Counter(db.session.scalars(select(OutboundMessage.status)))
    print("kill test:", kills_that_interrupted, "kills mid-tick; message outcomes", dict(outcomes))
