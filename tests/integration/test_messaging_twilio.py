"""The real `twilio` package against the fake Twilio server: outcomes, recording, failures, reconciliation."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from twilio.rest import Client

from app.messaging import ProviderLookupError, SendOutcome, SmsSender, sms_sender
from app.messaging.twilio_sms import RedirectingHttpClient, TwilioSmsSender
from tests.fakes import fixtures
from tests.fakes.fake_twilio import FakeTwilio
from tests.fakes.smtp_sink import free_port

NUMBER = "+447700900123"
OTHER = "+447700900456"
SERVICE_SID = "MG" + "a" * 32

fake_twilio = fixtures.fake_twilio  # the pytest fixture, made visible to this module
_PATH = {"mode": "one"}


@pytest.fixture(autouse=True, params=["one", "batch"])
def send_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test here runs on both sending paths: send_sms, and send_sms_many (what dispatch uses)."""
    _PATH["mode"] = request.param
    yield request.param
    _PATH["mode"] = "one"


class _BatchOfOne:
    """A Twilio sender whose send_sms goes through the batch path, one message per batch."""

    def __init__(self, sender: TwilioSmsSender) -> None:
        self.sender = sender

    def send_sms(self, to_e164: str, body: str, *, status_callback: str | None) -> SendOutcome:
        return self.sender.send_sms_many([(to_e164, body)], status_callback=status_callback)[0]

    def __getattr__(self, name: str) -> object:
        return getattr(self.sender, name)


def on_path(sender: SmsSender) -> SmsSender:
    if _PATH["mode"] == "batch":
        assert isinstance(sender, TwilioSmsSender)
        return _BatchOfOne(sender)  # type: ignore[return-value]
    return sender


def sender_for(fake: FakeTwilio, **overrides: object) -> SmsSender:
    return on_path(sms_sender(fake.config(**overrides)))


def raw_client(fake: FakeTwilio) -> Client:
    return Client(fake.account_sid, fake.auth_token, http_client=RedirectingHttpClient(fake.api_base))


def assert_discreet(outcome: SendOutcome, *numbers: str) -> None:
    for number in numbers:
        assert number not in outcome.detail
        assert number.lstrip("+") not in outcome.detail


def test_a_sent_text_is_accepted_with_the_sid_twilio_recorded(fake_twilio: FakeTwilio) -> None:
    outcome = sender_for(fake_twilio).send_sms(NUMBER, "Hello from Stillwell", status_callback="https://sw.example/cb")

    assert outcome.status == "accepted"
    assert outcome.provider_id is not None and outcome.provider_id.startswith("SM") and len(outcome.provider_id) == 34
    [recorded] = fake_twilio.messages
    assert recorded.sid == outcome.provider_id
    assert (recorded.to, recorded.body, recorded.from_) == (NUMBER, "Hello from Stillwell", "+447700900000")
    assert recorded.status_callback == "https://sw.example/cb"
    assert recorded.messaging_service_sid is None
    assert_discreet(outcome, NUMBER)


def test_no_status_callback_sends_none(fake_twilio: FakeTwilio) -> None:
    sender_for(fake_twilio).send_sms(NUMBER, "Hello", status_callback=None)

    assert fake_twilio.messages[0].status_callback is None


def test_a_messaging_service_sends_without_a_from_number(fake_twilio: FakeTwilio) -> None:
    sender = sender_for(fake_twilio, TWILIO_FROM_NUMBER="", TWILIO_MESSAGING_SERVICE_SID=SERVICE_SID)

    outcome = sender.send_sms(NUMBER, "Hello", status_callback=None)

    assert outcome.status == "accepted"
    [recorded] = fake_twilio.messages
    assert recorded.messaging_service_sid == SERVICE_SID
    assert recorded.from_ is None
    assert recorded.status == "accepted"


def test_the_messaging_service_wins_when_both_are_set(fake_twilio: FakeTwilio) -> None:
    sender_for(fake_twilio, TWILIO_MESSAGING_SERVICE_SID=SERVICE_SID).send_sms(NUMBER, "Hello", status_callback=None)

    assert fake_twilio.messages[0].messaging_service_sid == SERVICE_SID
    assert fake_twilio.messages[0].from_ is None


def test_latency_is_honoured(fake_twilio: FakeTwilio) -> None:
    fake_twilio.latency = 0.3
    started = time.monotonic()

    outcome = sender_for(fake_twilio).send_sms(NUMBER, "Hello", status_callback=None)

    assert outcome.status == "accepted"
    assert time.monotonic() - started >= 0.3


def test_no_answer_within_the_timeout_is_unknown_because_twilio_may_have_sent_it(fake_twilio: FakeTwilio) -> None:
    fake_twilio.latency = 0.6

    outcome = sender_for(fake_twilio, TWILIO_TIMEOUT_SECONDS=0.2).send_sms(NUMBER, "Hello", status_callback=None)

    assert outcome.status == "unknown"
    deadline = time.monotonic() + 5
    while not fake_twilio.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(fake_twilio.messages) == 1  # it did go: a blind retry would have sent it twice


@pytest.mark.parametrize(
    ("http_status", "code", "expected_code"),
    [(500, None, "20500"), (503, None, "20500"), (429, None, "20429"), (400, 30003, "30003")],
)
def test_transient_failures_are_transient(
    fake_twilio: FakeTwilio, http_status: int, code: int | None, expected_code: str
) -> None:
    fake_twilio.fail_next(1, http_status=http_status, code=code)

    outcome = sender_for(fake_twilio).send_sms(NUMBER, "Hello", status_callback=None)

    assert outcome.status == "transient"
    assert outcome.error_code == expected_code
    assert fake_twilio.messages == []
    assert_discreet(outcome, NUMBER)


def test_a_transient_failure_clears_after_the_given_number_of_calls(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(2, http_status=500)
    sender = sender_for(fake_twilio)

    statuses = [sender.send_sms(NUMBER, "Hello", status_callback=None).status for _ in range(3)]

    assert statuses == ["transient", "transient", "accepted"]
    assert len(fake_twilio.messages) == 1


@pytest.mark.parametrize("code", [21211, 21612, 21614, 21610, 30005, 30006])
def test_recipient_errors_are_permanent_with_their_code(fake_twilio: FakeTwilio, code: int) -> None:
    fake_twilio.fail_for_number(NUMBER, code)
    sender = sender_for(fake_twilio)

    refused = sender.send_sms(NUMBER, "Hello", status_callback=None)
    other = sender.send_sms(OTHER, "Hello", status_callback=None)

    assert refused.status == "permanent"
    assert refused.error_code == str(code)
    assert other.status == "accepted"
    assert [m.to for m in fake_twilio.messages] == [OTHER]
    assert_discreet(refused, NUMBER)


def test_fail_always_refuses_every_number(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_always(21614)
    sender = sender_for(fake_twilio)

    outcomes = [sender.send_sms(number, "Hello", status_callback=None) for number in (NUMBER, OTHER)]

    assert [(o.status, o.error_code) for o in outcomes] == [("permanent", "21614")] * 2


def test_a_number_twilio_cannot_parse_is_permanent(fake_twilio: FakeTwilio) -> None:
    outcome = sender_for(fake_twilio).send_sms("07700900123", "Hello", status_callback=None)

    assert (outcome.status, outcome.error_code) == ("permanent", "21211")


def test_bad_credentials_do_not_retire_the_clients_sms_channel(fake_twilio: FakeTwilio) -> None:
    outcome = sender_for(fake_twilio, TWILIO_AUTH_TOKEN="wrong").send_sms(NUMBER, "Hello", status_callback=None)

    assert (outcome.status, outcome.error_code) == ("transient", "20003")
    assert "check the Twilio settings" in outcome.detail


def test_a_dropped_connection_is_unknown_and_the_fake_keeps_serving(fake_twilio: FakeTwilio) -> None:
    """A connection closed before any answer: Twilio may have created the message, so unknown, never transient."""
    fake_twilio.drop_next()
    sender = sender_for(fake_twilio)

    dropped = sender.send_sms(NUMBER, "First", status_callback=None)
    after = sender.send_sms(NUMBER, "Second", status_callback=None)

    assert dropped.status == "unknown"
    assert after.status == "accepted"
    assert [m.body for m in fake_twilio.messages] == ["First", "Second"]
    assert_discreet(dropped, NUMBER)


def test_a_drop_before_the_work_is_still_unknown_to_the_sender(fake_twilio: FakeTwilio) -> None:
    fake_twilio.drop_next(process=False)

    outcome = sender_for(fake_twilio).send_sms(NUMBER, "Hello", status_callback=None)

    assert outcome.status == "unknown"
    assert fake_twilio.messages == []


def test_when_twilio_dies_mid_request_it_is_unknown_then_refused_connections_are_transient(
    fake_twilio: FakeTwilio,
) -> None:
    sender = sender_for(fake_twilio)
    assert sender.send_sms(NUMBER, "Before", status_callback=None).status == "accepted"
    fake_twilio.die()

    dying = sender.send_sms(NUMBER, "During", status_callback=None)
    dead = sender.send_sms(NUMBER, "After", status_callback=None)

    assert dying.status == "unknown"
    assert dead.status == "transient"
    assert [m.body for m in fake_twilio.messages] == ["Before", "During"]
    with pytest.raises(ProviderLookupError):
        sender.recent_messages_to(NUMBER, datetime.now(UTC))


def test_nothing_listening_is_transient() -> None:
    sender = on_path(
        sms_sender(
            {
                "SMS_TRANSPORT": "twilio",
                "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                "TWILIO_AUTH_TOKEN": "token",
                "TWILIO_FROM_NUMBER": "+447700900000",
                "TWILIO_API_BASE": f"http://127.0.0.1:{free_port()}",
            }
        )
    )

    outcome = sender.send_sms(NUMBER, "Hello", status_callback=None)

    assert outcome.status == "transient"
    assert_discreet(outcome, NUMBER)


def test_recent_messages_to_lists_what_was_sent_to_that_number(fake_twilio: FakeTwilio) -> None:
    sender = sender_for(fake_twilio)
    since = datetime.now(UTC)
    first = sender.send_sms(NUMBER, "First", status_callback=None)
    sender.send_sms(OTHER, "Elsewhere", status_callback=None)
    second = sender.send_sms(NUMBER, "Second", status_callback=None)

    listed = sender.recent_messages_to(NUMBER, since)

    assert {m.sid for m in listed} == {first.provider_id, second.provider_id}
    assert {m.body for m in listed} == {"First", "Second"}
    assert all(m.status == "queued" and m.date_created.tzinfo is not None for m in listed)
    assert listed == sorted(listed, key=lambda m: m.date_created, reverse=True)


def test_recent_messages_to_leaves_out_older_messages(fake_twilio: FakeTwilio) -> None:
    sender = sender_for(fake_twilio)
    sender.send_sms(NUMBER, "Old", status_callback=None)

    assert sender.recent_messages_to(NUMBER, datetime.now(UTC) + timedelta(minutes=10)) == []
    assert len(sender.recent_messages_to(NUMBER, datetime.now(UTC) - timedelta(minutes=1))) == 1
    # A naive datetime is read as UTC.
    assert len(sender.recent_messages_to(NUMBER, datetime.now(UTC).replace(tzinfo=None))) == 1


def test_recent_messages_to_finds_queued_messages_that_a_date_sent_filter_would_miss(fake_twilio: FakeTwilio) -> None:
    sender = sender_for(fake_twilio)
    outcome = sender.send_sms(NUMBER, "Queued", status_callback=None)
    client = raw_client(fake_twilio)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    assert client.messages.list(to=NUMBER, date_sent_after=today) == []  # queued: date_sent is null
    assert [m.sid for m in sender.recent_messages_to(NUMBER, today)] == [outcome.provider_id]
    assert outcome.provider_id is not None
    fake_twilio.set_status(outcome.provider_id, "sent")
    assert [m.sid for m in client.messages.list(to=NUMBER, date_sent_after=today)] == [outcome.provider_id]


def test_the_fake_pages_its_message_list_like_twilio(fake_twilio: FakeTwilio) -> None:
    sender = sender_for(fake_twilio)
    for index in range(60):
        sender.send_sms(NUMBER, f"Message {index}", status_callback=None)
    client = raw_client(fake_twilio)

    page = client.messages.page(to=NUMBER, page_size=25)
    listed = client.messages.list(to=NUMBER, page_size=25)

    assert page.next_page_url is not None
    assert len(listed) == 60
    assert len(sender.recent_messages_to(NUMBER, datetime.now(UTC) - timedelta(minutes=1))) == 60


def test_one_sender_serves_many_threads_at_once(fake_twilio: FakeTwilio) -> None:
    fake_twilio.latency = 0.2
    sender = sender_for(fake_twilio)
    numbers = [f"+4477009{index:05d}" for index in range(150)]
    started = time.monotonic()

    with ThreadPoolExecutor(max_workers=150) as pool:
        outcomes = list(pool.map(lambda number: sender.send_sms(number, "Hello", status_callback=None), numbers))

    assert {o.status for o in outcomes} == {"accepted"}
    assert len({o.provider_id for o in outcomes}) == 150
    assert sorted(m.to for m in fake_twilio.messages) == sorted(numbers)
    assert time.monotonic() - started < 10  # one at a time would take 30 s


def test_nothing_twilio_logs_holds_the_number(fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="twilio")
    sender = sender_for(fake_twilio)

    sender.send_sms(NUMBER, "Hello", status_callback=None)
    sender.recent_messages_to(NUMBER, datetime.now(UTC))

    twilio_records = [r.getMessage() for r in caplog.records if r.name.startswith("twilio")]
    assert twilio_records
    assert not [text for text in twilio_records if NUMBER.lstrip("+") in text or "%2B44" in text]


def test_the_twilio_sender_is_an_sms_sender(fake_twilio: FakeTwilio) -> None:
    sender = sms_sender(fake_twilio.config())

    assert isinstance(sender, TwilioSmsSender)
    assert isinstance(sender, SmsSender)


def test_after_a_restart_the_message_sent_while_dying_can_be_reconciled(fake_twilio: FakeTwilio) -> None:
    sender = sender_for(fake_twilio)
    since = datetime.now(UTC)
    fake_twilio.die()
    lost = sender.send_sms(NUMBER, "During", status_callback=None)
    fake_twilio.start()

    listed = sender.recent_messages_to(NUMBER, since)

    assert lost.status == "unknown"
    assert [m.body for m in listed] == ["During"]


def test_a_batch_keeps_its_order_mixes_outcomes_and_keeps_many_requests_in_flight(fake_twilio: FakeTwilio) -> None:
    fake_twilio.latency = 0.2
    fake_twilio.fail_for_number(OTHER, 21614)
    sender = sms_sender(fake_twilio.config())
    assert isinstance(sender, TwilioSmsSender)
    messages = [(OTHER if n % 10 == 3 else NUMBER, f"Message {n}") for n in range(40)]

    started = time.perf_counter()
    outcomes = sender.send_sms_many(messages, status_callback="https://sw.example/cb", concurrency=40)
    elapsed = time.perf_counter() - started

    assert [o.status for o in outcomes] == ["permanent" if n % 10 == 3 else "accepted" for n in range(40)]
    assert {o.error_code for o in outcomes if o.status == "permanent"} == {"21614"}
    sids = {m.body: m.sid for m in fake_twilio.messages}
    assert [o.provider_id for o in outcomes if o.status == "accepted"] == [
        sids[body] for to, body in messages if to == NUMBER
    ]
    assert {m.status_callback for m in fake_twilio.messages} == {"https://sw.example/cb"}
    assert elapsed < 40 * 0.2 / 4  # concurrent, not one after another


def test_a_batch_starts_messages_no_faster_than_its_pace(fake_twilio: FakeTwilio) -> None:
    sender = sms_sender(fake_twilio.config())
    assert isinstance(sender, TwilioSmsSender)
    paces: list[float] = []

    def pace() -> float:
        paces.append(time.perf_counter())
        return 0.05

    started = time.perf_counter()
    outcomes = sender.send_sms_many([(NUMBER, f"M{n}") for n in range(6)], pace=pace)

    assert [o.status for o in outcomes] == ["accepted"] * 6
    assert len(paces) == 6
    assert time.perf_counter() - started >= 6 * 0.05
